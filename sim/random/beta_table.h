// The tabulated quantile of the standard Beta(alpha, beta) behind beta and
// PERT draws: one table per shape and process, built on first use or ahead
// of a run by build_beta_tables(), and its block kernels (AVX-512, AVX2 and
// scalar, the same bits).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

namespace switchcost::sim {

// A standard-beta value q in [0, 1] on the distribution's [lo, hi], width =
// hi - lo: the one scaling every beta and PERT path uses (tabulated or exact,
// block or single value), so that they give the same bits.
inline double beta_to_range(double q, double lo, double width, double hi) noexcept {
  return std::clamp(lo + q * width, lo, hi);
}


// A tabulated quantile of the standard Beta(alpha, beta), the fast path for
// beta and PERT draws (the exact inverse costs 0.4-2 us; this a few ns).
//
// The grid is the floating-point grid of w = min(u, 1 - u): each binade
// [2^e, 2^(e+1)) of w from 2^-17 to 1/2 (octaves = 16 of them) is cut into
// per_octave = 64 equal intervals, so an interval's index and the position
// inside it are read off w's bits (exponent and top 6 mantissa bits; the other
// 46 bits are the position), with no division or logarithm per draw; 1 - u is
// exact for u >= 1/2. Relative to w the steps are 1/128 to 1/64 in every
// binade, so the tails, where Q changes fastest relative to u, get as fine a
// grid as the middle (the error is largest in the top binade, where the steps
// are widest in u: 32 per binade gave 1.0e-9 for Beta(1, 2), 64 give 1e-10).
// The u < 1/2 side maps to intervals [0, N) and the u >= 1/2 side, mirrored,
// to [N, 2N), N = octaves * per_octave, so that the position rises with u
// across the whole table. Each interval is built from the exact Q at its two
// ends and the exact derivatives h dQ/du = h / pdf(Q) there (h the interval's
// width in u: the widths double from one binade to the next, so a node on a
// binade's edge has a different scaled derivative on each side, hence stored
// per interval, not per node), and Q is evaluated by cubic Hermite
// interpolation (beta_table_hermite), clamped between the two ends so it
// stays monotone.
// Shapes are in [1, max_shape], which PERT always has (alpha, beta in
// [1, 1 + lambda]). Outside the body (w < 2^-17, a share 1.5e-5 of draws) and
// for other shapes the exact inverse is used. Accuracy
// (tests/distribution_test.cpp, BetaTable.*): |Q_table(u) - Q(u)| <= 1e-9 on
// [0,1] for every u and shape tested.
// quantiles() runs the body in one pass (AVX-512 or AVX2 intrinsics where
// the CPU has them, with the same bits as the scalar code since
// floating-point contraction is off project-wide) and then fixes the tails
// with the exact inverse.
struct BetaTable {
  static constexpr int octaves = 16;
  static constexpr int log2_per_octave = 6;
  static constexpr int per_octave = 1 << log2_per_octave;
  static constexpr int side_intervals = octaves * per_octave;  // N
  static constexpr int intervals = 2 * side_intervals;
  static constexpr int min_exponent = -1 - octaves;  // the binades of w below 1/2
  static constexpr double w_min = 1.0 / double(std::uint64_t{1} << -min_exponent);
  static constexpr double max_shape = 64;
  double alpha = 1, beta = 1;

  // The quantiles of u scaled to [lo, hi]: clamp(lo + Q(u) (hi - lo), lo, hi),
  // lo <= hi, both finite (the vector kernels' clamps rely on it). Returns
  // how many u were outside the body (tails, the ends, NaN).
  std::size_t quantiles(const double* u, double* out, std::size_t n, double lo, double hi) const;

  // Per interval: Q0, Q1 at its ends, c1, c2 (see beta_table_hermite). Built
  // on first use, or ahead of it by build_beta_tables() (several tables on
  // several threads): about 0.8 ms a shape (2,049 exact inverses; msp-350
  // has 20 shapes, 16 ms, which was most of loading it). Either way by fill()
  // on one thread, so the same bits.
  // A shape compiled into the program (register_prebuilt_beta_tables) is
  // never filled: its nodes are the ones fill() gave when the program was built.
  const double* node() const {
    if (prebuilt_) return prebuilt_;
    std::call_once(once_, [this] { fill(); });
    return node_.data();
  }
  bool built() const noexcept { return prebuilt_ || built_.load(std::memory_order_acquire); }
  // Whether quantiles() reads the table for u (as beta_table_body decides).
  static bool in_body(double u) noexcept { return (u >= 0.5 ? 1 - u : u) >= w_min; }

 private:
  void fill() const;
  const double* prebuilt_ = nullptr;  // set before the table is shared
  friend std::shared_ptr<const BetaTable> beta_table(double alpha, double beta);
  mutable std::once_flag once_;
  mutable std::vector<double> node_;
  mutable std::atomic<bool> built_{false};
};

// The shared table of shape (alpha, beta), registered (not built) here, or
// null for a shape outside [1, BetaTable::max_shape]^2 (the exact inverse).
std::shared_ptr<const BetaTable> beta_table(double alpha, double beta);

// The fast quantile of a standard Beta(alpha, beta) for u in the table's
// body, and whether a table is used for that shape (exposed for the
// accuracy tests and benchmarks).
struct BetaTableInfo {
  bool tabulated = false;
  double u_min = 0;  // the table covers [u_min, 1 - u_min]; outside, the exact inverse
  int intervals = 0;
};
BetaTableInfo beta_table_info(double alpha, double beta);
// Builds the quantile tables of every Beta and PERT shape made so far that
// are not built yet, on up to `threads` threads (one table per thread at a
// time); returns how many it built. Optional: a table is otherwise built
// when first used, with the same bits. The engine calls it before a run, so
// loading (and `validate`) builds none, and a run's shapes are built side by
// side.
std::size_t build_beta_tables(unsigned threads);

// Tables computed when the program was built, for the shapes of the shipped
// scenarios (tools/gen_beta_tables.cpp writes them with fill()'s own code,
// so a run gives the same bits with them as without; tests/distribution_test
// checks every one against compute_nodes). Building the 20 tables of the
// default scenario was a quarter of a default run's instructions.
struct PrebuiltBetaTable {
  double alpha = 1, beta = 1;
  const double* node = nullptr;  // BetaTable::intervals * 4 values, static storage
};
// The nodes fill() computes for the shape, 4 per interval, from scratch
// (for the table generator and the tests).
std::vector<double> beta_table_nodes(double alpha, double beta);
// Registers prebuilt tables: shapes registered afterwards by beta_table()
// use them. Called by static initialisers, before any table is made.
void register_prebuilt_beta_tables(std::span<const PrebuiltBetaTable> tables);
// The prebuilt tables registered so far (for the tests).
std::vector<PrebuiltBetaTable> prebuilt_beta_tables();
// Every shape registered so far, sorted (for the generator).
std::vector<std::pair<double, double>> registered_beta_shapes();

}  // namespace switchcost::sim

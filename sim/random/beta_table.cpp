// Beta quantile tables (see beta_table.h): the grid, the Hermite step, its
// AVX-512 and AVX2 kernels, the per-shape registry and the table builder.
#include "sim/random/beta_table.h"

#include "sim/base/intrinsics.h"
#include "sim/base/parallel.h"
#include "sim/random/special_functions.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <utility>

namespace switchcost::sim {

namespace {

// The Hermite step in one interval a (see BetaTable), in Horner form: with
// the interval's Q0, Q1, c1 = h Q'0 and c2 = 3 (Q1 - Q0) - 2 h Q'0 - h Q'1,
// and c3 = (Q1 - Q0) - c1 - c2 (= h Q'0 + h Q'1 - 2 (Q1 - Q0)),
//   Q(f) = Q0 + f (c1 + f (c2 + f c3)),
// the cubic Hermite interpolant at position f in [0, 1], clamped to [Q0,
// Q1]; then scaled to the distribution's [lo, hi] (beta_to_range).
inline double beta_table_hermite(const double* a, double f, double lo, double width, double hi) noexcept {
  const double c3 = ((a[1] - a[0]) - a[2]) - a[3];
  const double v = a[0] + f * (a[2] + f * (a[3] + f * c3));
  const double q = v < a[0] ? a[0] : (v > a[1] ? a[1] : v);
  return beta_to_range(q, lo, width, hi);
}

// The body of BetaTable::quantiles, one pass per draw: the interval and the
// position in it, read off the bits of w = min(u, 1 - u) (integer and exact
// floating-point operations), then the Hermite step (see beta_table_hermite),
// NaN where the exact inverse is needed. The table lookups are AVX-512 or
// AVX2 intrinsics where the CPU has them (GCC does not vectorise them for
// x86-64; AVX-512 gathers were slower than these loads, 1.95 against 1.2 ns
// a draw on the development VM's AMD EPYC), with the same operations in the
// same order, so the same bits as the scalar step.
namespace beta_bits {
using Table = BetaTable;
constexpr int shift = 52 - Table::log2_per_octave;  // w's bits >> shift: exponent and top mantissa bits
constexpr std::uint64_t first = std::bit_cast<std::uint64_t>(Table::w_min) >> shift;
constexpr std::uint64_t position_mask = (std::uint64_t{1} << shift) - 1;
constexpr std::uint64_t one = std::bit_cast<std::uint64_t>(1.0);
constexpr std::uint64_t last_interval = Table::intervals - 1;  // 2N - 1
}  // namespace beta_bits

// One draw: u < 1/2 lies in interval j of its side, position f in [0, 1);
// u >= 1/2, mirrored, in interval 2N - 1 - j at position 1 - f (w = 1 - u
// is exact there, Sterbenz; so are f and 1 - f). j is w's exponent and top
// mantissa bits less those of w_min (junk below w_min, which is outside).
inline double beta_table_point(const double* node, double u, double lo, double width, double hi) noexcept {
  using namespace beta_bits;
  const bool upper = u >= 0.5;
  const double w = upper ? 1.0 - u : u;
  if (!(w >= Table::w_min)) return std::numeric_limits<double>::quiet_NaN();  // the tails, a NaN u
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(w);
  const std::uint64_t j = (bits >> shift) - first;
  const double frac = std::bit_cast<double>(one | ((bits & position_mask) << Table::log2_per_octave)) - 1.0;
  const std::uint64_t i = upper ? last_interval - j : j;
  const double f = upper ? 1.0 - frac : frac;
  return beta_table_hermite(node + 4 * i, f, lo, width, hi);
}

// beta_table_point on n draws; returns how many are outside (NaN).
std::size_t beta_table_body_scalar(const double* node, const double* u, double* out, std::size_t n, double lo,
                                   double width, double hi) noexcept {
  std::size_t outside = 0;
  for (std::size_t k = 0; k < n; ++k) {
    out[k] = beta_table_point(node, u[k], lo, width, hi);
    outside += std::isnan(out[k]) ? 1 : 0;
  }
  return outside;
}

#ifdef SWITCHCOST_X86_INTRINSICS
// Four draws at a time: the four values of each lane's interval are one
// unaligned load, transposed into Q0, Q1, c1, c2. Returns how many are outside.
__attribute__((target("avx2"))) std::size_t beta_table_body_avx2(const double* node, const double* u, double* out,
                                                                 std::size_t n, double lo, double width,
                                                                 double hi) noexcept {
  using namespace beta_bits;
  std::size_t k = 0, outside = 0;
  const __m256d one_d = _mm256_set1_pd(1.0), half = _mm256_set1_pd(0.5), w_min = _mm256_set1_pd(Table::w_min),
                low = _mm256_set1_pd(lo), wide = _mm256_set1_pd(width), high = _mm256_set1_pd(hi),
                not_a_number = _mm256_set1_pd(std::numeric_limits<double>::quiet_NaN());
  const __m256i first_v = _mm256_set1_epi64x(std::int64_t(first)),
                mask_v = _mm256_set1_epi64x(std::int64_t(position_mask)), one_v = _mm256_set1_epi64x(std::int64_t(one)),
                last_v = _mm256_set1_epi64x(std::int64_t(last_interval));
  for (; k + 4 <= n; k += 4) {
    const __m256d uu = _mm256_loadu_pd(u + k);
    const __m256d upper = _mm256_cmp_pd(uu, half, _CMP_GE_OQ);
    const __m256d w = _mm256_blendv_pd(uu, _mm256_sub_pd(one_d, uu), upper);
    const __m256d inside = _mm256_cmp_pd(w, w_min, _CMP_GE_OQ);
    const __m256i bits = _mm256_castpd_si256(w);
    const __m256i j = _mm256_sub_epi64(_mm256_srli_epi64(bits, shift), first_v);
    const __m256i position = _mm256_slli_epi64(_mm256_and_si256(bits, mask_v), Table::log2_per_octave);
    const __m256d frac = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(one_v, position)), one_d);
    const __m256i upper_i = _mm256_castpd_si256(upper), inside_i = _mm256_castpd_si256(inside);
    __m256i i = _mm256_blendv_epi8(j, _mm256_sub_epi64(last_v, j), upper_i);
    i = _mm256_and_si256(i, inside_i);  // interval 0 for lanes outside (result discarded)
    const __m256d f = _mm256_blendv_pd(frac, _mm256_sub_pd(one_d, frac), upper);
    // The rows' byte offsets (32 bytes an interval) go through memory: the
    // compiler otherwise extracts them lane by lane (shuffles and moves,
    // against one store and four loads on the load ports).
    alignas(32) std::int64_t offset[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(offset), _mm256_slli_epi64(i, 5));
    asm volatile("" : : "m"(offset) : "memory");  // keeps the loads of offset[]
    const char* base = reinterpret_cast<const char*>(node);
    const __m256d r0 = _mm256_loadu_pd(reinterpret_cast<const double*>(base + offset[0])),
                  r1 = _mm256_loadu_pd(reinterpret_cast<const double*>(base + offset[1])),
                  r2 = _mm256_loadu_pd(reinterpret_cast<const double*>(base + offset[2])),
                  r3 = _mm256_loadu_pd(reinterpret_cast<const double*>(base + offset[3]));
    const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
    const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
    const __m256d a0 = _mm256_permute2f128_pd(t0, t2, 0x20), a1 = _mm256_permute2f128_pd(t1, t3, 0x20);
    const __m256d a2 = _mm256_permute2f128_pd(t0, t2, 0x31), a3 = _mm256_permute2f128_pd(t1, t3, 0x31);
    const __m256d c3 = _mm256_sub_pd(_mm256_sub_pd(_mm256_sub_pd(a1, a0), a2), a3);
    const __m256d inner = _mm256_add_pd(a3, _mm256_mul_pd(f, c3));
    const __m256d v = _mm256_add_pd(a0, _mm256_mul_pd(f, _mm256_add_pd(a2, _mm256_mul_pd(f, inner))));
    // v > Q1 ? Q1 : v is min(Q1, v) (vminpd a, b: a < b ? a : b), then Q0 where v < Q0.
    const __m256d q = _mm256_blendv_pd(_mm256_min_pd(a1, v), a0, _mm256_cmp_pd(v, a0, _CMP_LT_OQ));
    // beta_to_range: std::clamp(x, lo, hi) is x < lo ? lo : (hi < x ? hi : x),
    // which is max(lo, min(hi, x)) (vmaxpd a, b: a > b ? a : b) as lo <= hi
    // (BetaTable::quantiles' contract).
    const __m256d x = _mm256_add_pd(low, _mm256_mul_pd(q, wide));
    const __m256d r = _mm256_max_pd(low, _mm256_min_pd(high, x));
    _mm256_storeu_pd(out + k, _mm256_blendv_pd(not_a_number, r, inside));
    outside += std::size_t(4 - std::popcount(unsigned(_mm256_movemask_pd(inside))));
  }
  return outside + beta_table_body_scalar(node, u + k, out + k, n - k, lo, width, hi);
}

// The same on eight draws at a time (AVX-512F): the four values of lanes k
// and k + 4 are one 512-bit row, and the rows are transposed into Q0, Q1,
// c1, c2 by unpacks and two-source permutes. The last n mod 8 draws go to
// the AVX2 body.
__attribute__((target("avx512f"))) std::size_t beta_table_body_avx512(const double* node, const double* u,
                                                                      double* out, std::size_t n, double lo,
                                                                      double width, double hi) noexcept {
  using namespace beta_bits;
  std::size_t k = 0, outside = 0;
  const __m512d one_d = _mm512_set1_pd(1.0), half = _mm512_set1_pd(0.5), w_min = _mm512_set1_pd(Table::w_min),
                low = _mm512_set1_pd(lo), wide = _mm512_set1_pd(width), high = _mm512_set1_pd(hi),
                not_a_number = _mm512_set1_pd(std::numeric_limits<double>::quiet_NaN());
  const __m512i first_v = _mm512_set1_epi64(std::int64_t(first)),
                mask_v = _mm512_set1_epi64(std::int64_t(position_mask)), one_v = _mm512_set1_epi64(std::int64_t(one)),
                last_v = _mm512_set1_epi64(std::int64_t(last_interval));
  // 128-bit lanes: (t0.0, t2.0, t0.2, t2.2) and (t0.1, t2.1, t0.3, t2.3).
  const __m512i even_lanes = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
  const __m512i odd_lanes = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
  for (; k + 8 <= n; k += 8) {
    const __m512d uu = _mm512_loadu_pd(u + k);
    const __mmask8 upper = _mm512_cmp_pd_mask(uu, half, _CMP_GE_OQ);
    const __m512d w = _mm512_mask_sub_pd(uu, upper, one_d, uu);
    const __mmask8 inside = _mm512_cmp_pd_mask(w, w_min, _CMP_GE_OQ);
    const __m512i bits = _mm512_castpd_si512(w);
    const __m512i j = _mm512_sub_epi64(_mm512_srli_epi64(bits, shift), first_v);
    const __m512i position = _mm512_slli_epi64(_mm512_and_si512(bits, mask_v), Table::log2_per_octave);
    const __m512d frac = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(one_v, position)), one_d);
    const __m512i i = _mm512_maskz_mov_epi64(inside, _mm512_mask_sub_epi64(j, upper, last_v, j));  // 0 outside
    const __m512d f = _mm512_mask_sub_pd(frac, upper, one_d, frac);
    // The rows' byte offsets through memory, as in the AVX2 body (12
    // extracts otherwise, against one store and eight loads).
    alignas(64) std::int64_t offset[8];
    _mm512_store_si512(offset, _mm512_slli_epi64(i, 5));
    asm volatile("" : : "m"(offset) : "memory");  // keeps the loads of offset[]
    const char* base = reinterpret_cast<const char*>(node);
    __m512d z[4];  // z[m]: the interval of lane m, then of lane m + 4
    for (int m = 0; m < 4; ++m) {
      const __m256d low_row = _mm256_loadu_pd(reinterpret_cast<const double*>(base + offset[m]));
      const __m256d high_row = _mm256_loadu_pd(reinterpret_cast<const double*>(base + offset[m + 4]));
      z[m] = _mm512_insertf64x4(_mm512_castpd256_pd512(low_row), high_row, 1);
    }
    const __m512d t0 = _mm512_unpacklo_pd(z[0], z[1]), t1 = _mm512_unpackhi_pd(z[0], z[1]);
    const __m512d t2 = _mm512_unpacklo_pd(z[2], z[3]), t3 = _mm512_unpackhi_pd(z[2], z[3]);
    const __m512d a0 = _mm512_permutex2var_pd(t0, even_lanes, t2), a1 = _mm512_permutex2var_pd(t1, even_lanes, t3);
    const __m512d a2 = _mm512_permutex2var_pd(t0, odd_lanes, t2), a3 = _mm512_permutex2var_pd(t1, odd_lanes, t3);
    const __m512d c3 = _mm512_sub_pd(_mm512_sub_pd(_mm512_sub_pd(a1, a0), a2), a3);
    const __m512d inner = _mm512_add_pd(a3, _mm512_mul_pd(f, c3));
    const __m512d v = _mm512_add_pd(a0, _mm512_mul_pd(f, _mm512_add_pd(a2, _mm512_mul_pd(f, inner))));
    // As in the AVX2 body, the clamps as min and max, with the blends folded
    // into them: min(Q1, v) where not v < Q0 (NLT_UQ, as the scalar test
    // fails), else Q0; max(lo, min(hi, x)) where inside, else NaN.
    const __m512d q = _mm512_mask_min_pd(a0, _mm512_cmp_pd_mask(v, a0, _CMP_NLT_UQ), a1, v);
    const __m512d x = _mm512_add_pd(low, _mm512_mul_pd(q, wide));
    _mm512_storeu_pd(out + k, _mm512_mask_max_pd(not_a_number, inside, low, _mm512_min_pd(high, x)));
    outside += std::size_t(8 - std::popcount(unsigned(inside)));
  }
  return outside + beta_table_body_avx2(node, u + k, out + k, n - k, lo, width, hi);
}

#endif

// Returns how many are left NaN for the exact inverse.
std::size_t beta_table_body(const double* node, const double* u, double* out, std::size_t n, double lo,
                            double hi) noexcept {
  const double width = hi - lo;
#ifdef SWITCHCOST_X86_INTRINSICS
  if (cpu_has_avx512f()) return beta_table_body_avx512(node, u, out, n, lo, width, hi);
  if (cpu_has_avx2()) return beta_table_body_avx2(node, u, out, n, lo, width, hi);
#endif
  return beta_table_body_scalar(node, u, out, n, lo, width, hi);
}

}  // namespace

std::size_t BetaTable::quantiles(const double* u, double* out, std::size_t n, double lo, double hi) const {
  // The tails (and a NaN u): about one draw in 65,000, so the scan for them
  // is skipped when the body found none.
  const std::size_t outside = beta_table_body(node(), u, out, n, lo, hi);
  if (outside == 0) return 0;
  const double width = hi - lo;
  for (std::size_t k = 0; k < n; ++k)
    if (std::isnan(out[k]))
      out[k] = std::isnan(u[k]) ? u[k] : beta_to_range(beta_quantile_exact(alpha, beta, u[k]), lo, width, hi);
  return outside;
}

namespace {

bool tabulates(double alpha, double beta) {
  return alpha >= 1 && beta >= 1 && alpha <= BetaTable::max_shape && beta <= BetaTable::max_shape;
}

// Tables by shape, one per process (scenarios copy distributions and
// include the same files many times); registered when a distribution is
// made, built when first used or by build_beta_tables().
std::mutex beta_tables_mutex;
std::map<std::pair<double, double>, std::shared_ptr<const BetaTable>>& beta_tables() {
  static std::map<std::pair<double, double>, std::shared_ptr<const BetaTable>> tables;
  return tables;
}

// Nodes compiled into the program by shape (register_prebuilt_beta_tables).
std::map<std::pair<double, double>, const double*>& prebuilt_tables() {
  static std::map<std::pair<double, double>, const double*> tables;
  return tables;
}

}  // namespace

std::shared_ptr<const BetaTable> beta_table(double alpha, double beta) {
  if (!tabulates(alpha, beta)) return nullptr;
  std::lock_guard<std::mutex> lock(beta_tables_mutex);
  auto& slot = beta_tables()[{alpha, beta}];
  if (!slot) {
    auto table = std::make_shared<BetaTable>();
    table->alpha = alpha;
    table->beta = beta;
    if (const auto found = prebuilt_tables().find({alpha, beta}); found != prebuilt_tables().end())
      table->prebuilt_ = found->second;
    slot = std::move(table);
  }
  return slot;
}

void register_prebuilt_beta_tables(std::span<const PrebuiltBetaTable> tables) {
  std::lock_guard<std::mutex> lock(beta_tables_mutex);
  for (const auto& t : tables) prebuilt_tables()[{t.alpha, t.beta}] = t.node;
}

std::vector<PrebuiltBetaTable> prebuilt_beta_tables() {
  std::lock_guard<std::mutex> lock(beta_tables_mutex);
  std::vector<PrebuiltBetaTable> out;
  for (const auto& [shape, node] : prebuilt_tables()) out.push_back({shape.first, shape.second, node});
  return out;
}

std::vector<std::pair<double, double>> registered_beta_shapes() {
  std::lock_guard<std::mutex> lock(beta_tables_mutex);
  std::vector<std::pair<double, double>> out;
  for (const auto& entry : beta_tables()) out.push_back(entry.first);
  return out;
}

void BetaTable::fill() const {
  node_ = beta_table_nodes(alpha, beta);
  built_.store(true, std::memory_order_release);
}

std::vector<double> beta_table_nodes(double alpha, double beta) {
  constexpr int side_intervals = BetaTable::side_intervals, intervals = BetaTable::intervals,
                per_octave = BetaTable::per_octave, min_exponent = BetaTable::min_exponent;
  // Node p of the side u < 1/2 (p in [0, N]) is w_p = 2^(min_exponent + p / M) (1 + (p mod M) / M),
  // M = per_octave (exact: 6 significant bits); on the side u >= 1/2, node p is 1 - w_(2N - p).
  constexpr int side = side_intervals;
  auto w_node = [](int p) {
    return std::ldexp(1.0 + double(p % per_octave) / per_octave, min_exponent + p / per_octave);
  };
  auto u_node = [&](int p) { return p <= side ? w_node(p) : 1.0 - w_node(2 * side - p); };
  std::vector<double> table(4 * std::size_t(intervals));
  std::vector<double> q(intervals + 1), slope(intervals + 1);  // Q and dQ/du = 1 / pdf(Q)
  for (int p = 0; p <= intervals; ++p) {
    const double u = u_node(p);
    // Started from the previous node's Taylor polynomial, Q + h Q' + h^2 Q'' / 2 with
    // Q'' = -Q'^2 d/dx log pdf = -Q'^2 ((alpha - 1) / Q - (beta - 1) / (1 - Q)): most nodes
    // then need one step (the same root to within the iteration's tolerance).
    double start = 0;
    if (p > 0) {
      const double x = q[p - 1], d = slope[p - 1], step = u - u_node(p - 1);
      const double curvature = -d * d * ((alpha - 1) / x - (beta - 1) / (1 - x));
      start = x + step * d + 0.5 * step * step * curvature;
    }
    q[p] = beta_inverse(alpha, beta, u, 1 - u, start);
    const double pdf = beta_pdf(alpha, beta, q[p]);
    slope[p] = pdf > 0 ? 1 / pdf : 0;
  }
  for (int i = 0; i < intervals; ++i) {
    // The interval's width in u: that of the binade of w it lies in.
    const int in_side = i < side ? i : 2 * side - 1 - i;
    const double h = std::ldexp(1.0 / per_octave, min_exponent + in_side / per_octave);
    const double d0 = h * slope[i], d1 = h * slope[i + 1];
    double* a = table.data() + 4 * std::size_t(i);
    a[0] = q[i];
    a[1] = q[i + 1];
    a[2] = d0;
    a[3] = 3 * (q[i + 1] - q[i]) - 2 * d0 - d1;
  }
  return table;
}

std::size_t build_beta_tables(unsigned threads) {
  std::vector<const BetaTable*> pending;
  {
    std::lock_guard<std::mutex> lock(beta_tables_mutex);
    for (const auto& [shape, table] : beta_tables())
      if (!table->built()) pending.push_back(table.get());  // tables live as long as the process
  }
  // Each table is built whole by one thread (the same bits as on first use);
  // one that throws is left unbuilt, to throw again where it is first used.
  parallel_for(pending.size(), threads, [&](std::size_t k) {
    try {
      pending[k]->node();
    } catch (...) {
    }
  });
  return pending.size();
}

BetaTableInfo beta_table_info(double alpha, double beta) {
  BetaTableInfo info;
  info.tabulated = tabulates(alpha, beta);
  info.u_min = BetaTable::w_min;
  info.intervals = BetaTable::intervals;
  return info;
}

}  // namespace switchcost::sim

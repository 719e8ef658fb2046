// Stratified uniforms that stay addressable: Latin hypercube (lhs) and
// scrambled Sobol' (sobol) columns, each value a pure function of (seed,
// variable, trial, trials of the run), like the Monte Carlo uniforms of
// random.h, which they refine. Nothing here has state, so the values do not
// depend on threads, blocks or the order trials are asked for in.
//
// Both methods put a stratum index k in [0, M) and the trial's own Philox
// uniform U = uniform(stream, t, 0) (random.h) inside it:
//   value = (k + U) / M, clamped to at most 1 - 2^-53,
// so a value lies in stratum [k/M, (k+1)/M] and in the open interval (0,1).
//
// lhs (M = N, the run's trials): k = pi_v(t), where pi_v is a keyed bijection
//   of [0, N): a 4-round Feistel network on b = max(2, ceil(log2 N)) bits
//   (halves of floor(b/2) and ceil(b/2) bits, round function
//   F_r(x) = mix64(x + key_r), keys key_r = splitmix64(lhs_key + r), lhs_key
//   = splitmix64(seed ^ splitmix64(variable ^ 0x4c4853)) and a walk:
//   apply the network until the result is below N (cycle walking: at most
//   2 steps on average, a bijection of [0, N) since the network is one of
//   [0, 2^b)). Every stratum [k/N, (k+1)/N) of every variable holds exactly
//   one of the N trials.
//
// sobol (M = 2^32): trial t is point j = t / R of replicate r = t mod R
//   (R = sobol_replicates), and k = S_r(x_d(j)): x_d(j) = XOR of the
//   direction numbers V_d[i] over the set bits i of j (no sequential state),
//   V_d[i] = m_d[i] << (31 - i) from the primitive polynomials and initial
//   m of Joe & Kuo (2008), new-joe-kuo-6 (Boost's
//   boost/random/detail/sobol_table.hpp, 3,667 dimensions, extended by
//   Bratley & Fox's recurrence); S_r is the Laine-Karras nested uniform
//   scramble of Burley (2020): reverse the bits, x ^= x * 0x3d20adea,
//   x += s, x *= (s >> 16) | 1, x ^= x * 0x05526c56, x ^= x * 0x53a22864,
//   reverse again, seeded by s = the low word of splitmix64(b + r), b =
//   splitmix64(seed ^ splitmix64(variable ^ 0x534f424f4c)). Each output bit depends only on
//   the input bits above it, so S_r maps dyadic intervals onto dyadic
//   intervals: the scrambled points keep every (t,m,s)-net property of the
//   unscrambled ones. U fills the bits below the 32nd, as an Owen scramble
//   of infinitely many digits would. A variable's dimension d is its index
//   in the run's sorted list of variable identities (SamplingPlan); one at
//   or beyond sobol_max_dimension, or not listed, gets an lhs column.
//   The R replicates are independent randomisations of the same point set,
//   so the SE of a mean is that of their R means (replicate_standard_error).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "sim/random/random.h"

namespace switchcost::sim {

// How the uniforms of a run's named variables are laid out over its trials.
enum class Sampling { mc, lhs, sobol };
const char* to_string(Sampling method) noexcept;  // "mc", "lhs", "sobol"
std::optional<Sampling> parse_sampling(std::string_view text) noexcept;

// Independent scramblings of a sobol run: trial t belongs to t mod R.
inline constexpr std::uint32_t sobol_replicates = 8;
// Dimensions with Joe-Kuo direction numbers (Boost's table).
std::uint32_t sobol_max_dimension() noexcept;

// pi_v(t): trial t's stratum in [0, trials) for the variable, t < trials.
std::uint64_t lhs_stratum(const Stream& stream, std::uint64_t trial, std::uint64_t trials) noexcept;

// x_d(j): point j of the unscrambled Sobol' sequence in dimension d
// (d < sobol_max_dimension()), as a 32-bit binary fraction.
std::uint32_t sobol_point(std::uint32_t dimension, std::uint32_t index) noexcept;
// The Laine-Karras / Burley nested uniform scramble of a 32-bit fraction.
std::uint32_t nested_uniform_scramble(std::uint32_t x, std::uint32_t seed) noexcept;
// s for (stream, replicate) as above.
std::uint32_t sobol_scramble_seed(const Stream& stream, std::uint32_t replicate) noexcept;

// The run's layout: the method, the trials N and, for sobol, the dimensions.
struct SamplingPlan {
  Sampling method = Sampling::mc;
  std::uint64_t trials = 0;               // N: the run's trials (lhs strata, sobol replicate size)
  std::vector<std::uint64_t> variables;  // sorted, distinct: variable_id of dimension d is variables[d]

  // A plan over these variable identities (any order, repeats allowed).
  static SamplingPlan make(Sampling method, std::uint64_t trials, std::vector<std::uint64_t> variables);
  // The dimension of a variable; sobol_max_dimension() or more when it has none.
  std::uint32_t dimension_of(std::uint64_t variable) const noexcept;
  // On entry u[i] = uniform(stream, trial i, 0), where trial i is list[i]
  // or first + i; on exit the method's value for that trial (unchanged
  // for mc). Every trial must be below `trials`.
  void apply(const Stream& stream, std::uint64_t first, const std::uint64_t* list, std::size_t n,
             double* u) const noexcept;
};

// The standard error of the mean of x (trial t at x[t]) from its R
// replicates (trial t in replicate t mod R): with m_r each replicate's mean
// and m their plain average, sqrt(sum_r (m_r - m)^2 / (R (R - 1))). With
// fewer than 2 non-empty replicates, or fewer than 2 values in any, it is
// sd / sqrt(n) instead.
double replicate_standard_error(std::span<const double> x, std::uint32_t replicates);
// The same for the share of x strictly below threshold.
double replicate_standard_error_below(std::span<const double> x, double threshold, std::uint32_t replicates);

}  // namespace switchcost::sim

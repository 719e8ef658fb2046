// Latin hypercube and scrambled Sobol' columns (see sampling.h for the
// formulas and their contract); everything here is a pure function.
#include "sim/random/sampling.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

#include <boost/random/detail/sobol_table.hpp>

namespace switchcost::sim {

namespace {

constexpr double below_one = 1.0 - 0x1p-53;

using SobolTable = boost::random::detail::qrng_tables::sobol;
constexpr std::uint32_t sobol_bits = 32;
constexpr std::uint32_t max_dimension = SobolTable::max_dimension;

// V_d[i] for every dimension, built once (Boost's sobol.hpp recurrence,
// Bratley & Fox 1988, section 2): 3,667 x 32 words.
const std::vector<std::array<std::uint32_t, sobol_bits>>& direction_numbers() {
  static const auto table = [] {
    std::vector<std::array<std::uint32_t, sobol_bits>> v(max_dimension);
    for (std::uint32_t i = 0; i < sobol_bits; ++i) v[0][i] = 1;
    for (std::uint32_t d = 1; d < max_dimension; ++d) {
      const unsigned poly = SobolTable::polynomial(d - 1);
      const unsigned degree = unsigned(std::bit_width(poly)) - 1;  // integer log2
      auto& m = v[d];
      for (unsigned k = 0; k < degree; ++k) m[k] = SobolTable::minit(d - 1, k);
      for (unsigned j = degree; j < sobol_bits; ++j) {
        unsigned p = poly;
        m[j] = m[j - degree];
        for (unsigned k = 0; k < degree; ++k, p >>= 1) {
          const unsigned rem = degree - k;
          m[j] ^= ((p & 1u) * m[j - rem]) << rem;
        }
      }
    }
    for (auto& m : v)
      for (std::uint32_t i = 0; i < sobol_bits; ++i) m[i] <<= (sobol_bits - 1 - i);
    return v;
  }();
  return table;
}

std::uint32_t reverse_bits(std::uint32_t x) noexcept {
  x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
  x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
  x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
  x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
  return (x >> 16) | (x << 16);
}

// The keyed Feistel network of sampling.h on b bits.
struct Feistel {
  std::array<std::uint64_t, 4> keys{};
  unsigned lo_bits = 0, hi_bits = 0;

  Feistel(const Stream& stream, std::uint64_t trials) noexcept {
    const unsigned b = std::max(2u, unsigned(std::bit_width(trials - 1)));
    lo_bits = b / 2;
    hi_bits = b - lo_bits;
    const std::uint64_t key = splitmix64(stream.seed ^ splitmix64(stream.variable ^ 0x4c4853ULL));
    for (unsigned r = 0; r < 4; ++r) keys[r] = splitmix64(key + r);
  }
  // One pass of the network: a bijection of [0, 2^b).
  std::uint64_t operator()(std::uint64_t x) const noexcept {
    unsigned a = hi_bits, c = lo_bits;  // x = hi (a bits) : lo (c bits)
    for (unsigned r = 0; r < 4; ++r) {
      const std::uint64_t lo = x & ((std::uint64_t(1) << c) - 1);
      const std::uint64_t hi = x >> c;
      const std::uint64_t mixed = (hi ^ mix64(lo + keys[r])) & ((std::uint64_t(1) << a) - 1);
      x = (lo << a) | mixed;  // now lo (c bits) : mixed (a bits)
      std::swap(a, c);
    }
    return x;
  }
  std::uint64_t permute(std::uint64_t t, std::uint64_t trials) const noexcept {
    std::uint64_t x = (*this)(t);
    while (x >= trials) x = (*this)(x);
    return x;
  }
};

double in_stratum(double k, double u, double strata) noexcept { return std::min((k + u) / strata, below_one); }

}  // namespace

const char* to_string(Sampling method) noexcept {
  switch (method) {
    case Sampling::mc: return "mc";
    case Sampling::lhs: return "lhs";
    case Sampling::sobol: return "sobol";
  }
  return "mc";
}

std::optional<Sampling> parse_sampling(std::string_view text) noexcept {
  for (const Sampling s : {Sampling::mc, Sampling::lhs, Sampling::sobol})
    if (text == to_string(s)) return s;
  return std::nullopt;
}

std::uint32_t sobol_max_dimension() noexcept { return max_dimension; }

std::uint64_t lhs_stratum(const Stream& stream, std::uint64_t trial, std::uint64_t trials) noexcept {
  return Feistel(stream, trials).permute(trial, trials);
}

std::uint32_t sobol_point(std::uint32_t dimension, std::uint32_t index) noexcept {
  const auto& v = direction_numbers()[dimension];
  std::uint32_t x = 0;
  for (; index != 0; index &= index - 1) x ^= v[unsigned(std::countr_zero(index))];
  return x;
}

std::uint32_t nested_uniform_scramble(std::uint32_t x, std::uint32_t seed) noexcept {
  x = reverse_bits(x);
  x ^= x * 0x3d20adeau;
  x += seed;
  x *= (seed >> 16) | 1u;
  x ^= x * 0x05526c56u;
  x ^= x * 0x53a22864u;
  return reverse_bits(x);
}

std::uint32_t sobol_scramble_seed(const Stream& stream, std::uint32_t replicate) noexcept {
  // Hashed again with the replicate: seeds that differ by a small number
  // scramble alike (x += s; x *= (s >> 16) | 1), which makes replicates dependent.
  const std::uint64_t base = splitmix64(stream.seed ^ splitmix64(stream.variable ^ 0x534f424f4cULL));
  return std::uint32_t(splitmix64(base + replicate));
}

SamplingPlan SamplingPlan::make(Sampling method, std::uint64_t trials, std::vector<std::uint64_t> variables) {
  std::sort(variables.begin(), variables.end());
  variables.erase(std::unique(variables.begin(), variables.end()), variables.end());
  return SamplingPlan{method, trials, std::move(variables)};
}

std::uint32_t SamplingPlan::dimension_of(std::uint64_t variable) const noexcept {
  const auto it = std::lower_bound(variables.begin(), variables.end(), variable);
  if (it == variables.end() || *it != variable) return max_dimension;
  const auto d = std::size_t(it - variables.begin());
  return d < max_dimension ? std::uint32_t(d) : max_dimension;
}

void SamplingPlan::apply(const Stream& stream, std::uint64_t first, const std::uint64_t* list, std::size_t n,
                         double* u) const noexcept {
  if (method == Sampling::mc || n == 0) return;
  const auto trial = [&](std::size_t i) { return list ? list[i] : first + i; };
  const std::uint32_t d = method == Sampling::sobol ? dimension_of(stream.variable) : max_dimension;
  if (d >= max_dimension) {  // lhs, or a sobol variable without a dimension
    const Feistel f(stream, trials);
    const double strata = double(trials);
    for (std::size_t i = 0; i < n; ++i) u[i] = in_stratum(double(f.permute(trial(i), trials)), u[i], strata);
    return;
  }
  std::array<std::uint32_t, sobol_replicates> seeds{};
  for (std::uint32_t r = 0; r < sobol_replicates; ++r) seeds[r] = sobol_scramble_seed(stream, r);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t t = trial(i);
    const auto point = std::uint32_t(t / sobol_replicates);
    const std::uint32_t k = nested_uniform_scramble(sobol_point(d, point), seeds[t % sobol_replicates]);
    u[i] = in_stratum(double(k), u[i], 0x1p32);
  }
}

namespace {

template <class Value>
double replicate_se(std::span<const double> x, std::uint32_t replicates, Value value) {
  const std::size_t n = x.size();
  std::vector<double> sum(replicates, 0.0);
  std::vector<std::size_t> count(replicates, 0);
  double all = 0;
  for (std::size_t t = 0; t < n; ++t) {
    const double v = value(x[t]);
    sum[t % replicates] += v;
    ++count[t % replicates];
    all += v;
  }
  if (replicates >= 2 && n >= 2 * std::size_t(replicates)) {
    double mean = 0;
    for (std::uint32_t r = 0; r < replicates; ++r) mean += sum[r] / double(count[r]);
    mean /= replicates;
    double ss = 0;
    for (std::uint32_t r = 0; r < replicates; ++r) ss += (sum[r] / double(count[r]) - mean) * (sum[r] / double(count[r]) - mean);
    return std::sqrt(ss / (double(replicates) * double(replicates - 1)));
  }
  if (n < 2) return 0;
  const double mean = all / double(n);
  double ss = 0;
  for (std::size_t t = 0; t < n; ++t) ss += (value(x[t]) - mean) * (value(x[t]) - mean);
  return std::sqrt(ss / double(n - 1) / double(n));
}

}  // namespace

double replicate_standard_error(std::span<const double> x, std::uint32_t replicates) {
  return replicate_se(x, replicates, [](double v) { return v; });
}

double replicate_standard_error_below(std::span<const double> x, double threshold, std::uint32_t replicates) {
  return replicate_se(x, replicates, [&](double v) { return v < threshold ? 1.0 : 0.0; });
}

}  // namespace switchcost::sim

// Counter-based random streams (sim/random/random.h): Philox4x32-10 against
// Random123, the uniform mapping, stream layout, pinned identities, and a
// uniformity check.
#include "sim/random/random.h"

#include <Random123/philox.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace switchcost::sim {
namespace {

// A small deterministic generator for test inputs (splitmix64).
struct TestRng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint32_t next32() { return static_cast<std::uint32_t>(next() >> 32); }
};

struct Kat {
  std::uint32_t ctr[4];
  std::uint32_t key[2];
  std::uint32_t expected[4];
};

// Random123's kat_vectors, philox4x32 with 10 rounds.
constexpr Kat philox_kats[] = {
    {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
};

r123::Philox4x32::ctr_type reference(const std::uint32_t c[4], const std::uint32_t k[2]) {
  r123::Philox4x32 philox;
  const r123::Philox4x32::ctr_type ctr = {{c[0], c[1], c[2], c[3]}};
  const r123::Philox4x32::key_type key = {{k[0], k[1]}};
  return philox(ctr, key);
}

TEST(Philox, KnownAnswerVectors) {
  for (const Kat& kat : philox_kats) {
    const Philox4x32Out out = philox4x32_10(kat.ctr[0], kat.ctr[1], kat.ctr[2], kat.ctr[3], {kat.key[0], kat.key[1]});
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(out.v[i], kat.expected[i]) << "word " << i << " of the vector with ctr[0] = " << std::hex << kat.ctr[0];
    }
  }
}

TEST(Philox, Random123HeaderAgreesWithTheKnownAnswers) {
  // Guards the vectors above against a typo: the reference implementation
  // must give them too.
  for (const Kat& kat : philox_kats) {
    const auto r = reference(kat.ctr, kat.key);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(r[i], kat.expected[i]) << "word " << i;
    }
  }
}

TEST(Philox, MatchesRandom123OnRandomInputs) {
  TestRng rng{12345};
  for (int n = 0; n < 5000; ++n) {
    std::uint32_t c[4], k[2];
    for (auto& w : c) w = rng.next32();
    for (auto& w : k) w = rng.next32();
    const auto r = reference(c, k);
    const Philox4x32Out out = philox4x32_10(c[0], c[1], c[2], c[3], {k[0], k[1]});
    for (int i = 0; i < 4; ++i) {
      ASSERT_EQ(out.v[i], r[i]) << "input " << n << ", word " << i;
    }
  }
}

TEST(U01, ExtremeWordsStayInsideTheOpenInterval) {
  const double lowest = u01_from_words(0, 0);
  const double highest = u01_from_words(0xffffffffu, 0xffffffffu);
  EXPECT_GT(lowest, 0.0);
  EXPECT_LT(highest, 1.0);
  EXPECT_EQ(lowest, 0x1p-54);
  // (2^53 - 1 + 0.5) 2^-53 is not a double; it is pulled to the largest
  // double below 1 rather than rounding up to 1.
  EXPECT_EQ(highest, 1.0 - 0x1p-53);
  // The bits of lo below its top 21 are ignored.
  EXPECT_EQ(u01_from_words(0, 0x7ffu), lowest);
  EXPECT_EQ(u01_from_words(0, 0x800u), 1.5 * 0x1p-53);
}

TEST(U01, FollowsTheDocumentedFormula) {
  TestRng rng{99};
  for (int n = 0; n < 100000; ++n) {
    const std::uint32_t hi = rng.next32(), lo = rng.next32();
    const std::uint64_t bits = (std::uint64_t{hi} << 21) | (lo >> 11);
    // Exact in long double (64-bit mantissa on x86) or as the correctly
    // rounded double: (bits + 0.5) 2^-53, rounded to nearest.
    const double expected = std::min(static_cast<double>((static_cast<long double>(bits) + 0.5L) * 0x1p-53L),
                                     1.0 - 0x1p-53);
    const double u = u01_from_words(hi, lo);
    ASSERT_EQ(u, expected) << "hi " << hi << " lo " << lo;
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    if (bits < (std::uint64_t{1} << 52)) {
      ASSERT_EQ(u, (static_cast<double>(bits) + 0.5) * 0x1p-53);
    }
  }
}

TEST(Uniform, UsesTheDocumentedCounterLayout) {
  const Stream stream{7, variable_id("layout")};
  const PhiloxKey key = philox_key(stream);
  for (const std::uint64_t trial : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0xffffffffu},
                                    std::uint64_t{0x100000000u}, std::uint64_t{0x123456789abcdefu}}) {
    for (const std::uint32_t index : {0u, 1u, 2u, 3u, 1000u, 1001u, 0xffffffffu}) {
      // Two trials per block: counter {trial / 2 (64 bits), index, 0}; even trials take {v0,v1}, odd {v2,v3}.
      const Philox4x32Out r = philox4x32_10(static_cast<std::uint32_t>(trial >> 1),
                                            static_cast<std::uint32_t>(trial >> 33), index, 0, key);
      const double expected = trial % 2 == 0 ? u01_from_words(r.v[0], r.v[1]) : u01_from_words(r.v[2], r.v[3]);
      EXPECT_EQ(uniform(stream, trial, index), expected) << "trial " << trial << " index " << index;
    }
  }
}

TEST(Uniform, FillUniformsEqualsUniformElementwise) {
  const Stream stream{2024, variable_id("msp.acme.labor.first_endpoint_hours")};
  // Includes runs where the block counter's low word wraps (trial / 2 near
  // 2^32): the AVX2 path hands them to the portable one (it takes 32 trials
  // a step while the low word cannot wrap within them, 16 near the wrap:
  // 0x1ffffffe0 and 0x1ffffffe2), the AVX-512 path carries into the high
  // word in its 64-bit lanes (0x1ffffffc0 and 0x1ffffff80 start its 64-trial
  // steps right at the boundary, 0x1ffffffc2 just past it).
  const std::uint64_t firsts[] = {0,           1,           12345,       0xffffffffu - 100, 0x100000000u,
                                  0x1fffffff0u, 0x1fffffff1u, 0x1ffffffe7u, 0x1ffffffc0u, 0x1ffffffc2u,
                                  0x1ffffff80u, 0x1ffffff81u, 0x1ffffffe0u, 0x1ffffffe2u, 0xfffffffffffffff0u};
  const std::uint32_t indices[] = {0, 1, 2, 7, 0xfffffffeu, 0xffffffffu};
  const std::size_t sizes[] = {0, 1, 3, 17, 33, 63, 64, 65, 128, 129, 256, 1000};
  for (const auto first : firsts) {
    for (const auto index : indices) {
      for (const auto n : sizes) {
        std::vector<double> out(n + 1, -1.0);
        fill_uniforms(stream, first, n, index, out.data());
        for (std::size_t i = 0; i < n; ++i) {
          ASSERT_EQ(out[i], uniform(stream, first + i, index))
              << "first " << first << " index " << index << " n " << n << " i " << i;
        }
        EXPECT_EQ(out[n], -1.0) << "wrote past the end";
        // Every path this CPU has agrees with the one fill_uniforms takes, bit for bit.
        for (const UniformPath path : {UniformPath::portable, UniformPath::avx2, UniformPath::avx512}) {
          if (!uniforms_path_available(path)) continue;
          std::vector<double> other(n + 1, -1.0);
          fill_uniforms_on(path, stream, first, n, index, other.data());
          ASSERT_EQ(0, std::memcmp(other.data(), out.data(), (n + 1) * sizeof(double)))
              << to_string(path) << " first " << first << " index " << index << " n " << n;
        }
      }
    }
  }
}

TEST(Uniform, ListedTrialsMatchTheScalarUniformOnEveryPath) {
  const Stream stream{42, variable_id("listed")};
  std::vector<std::uint64_t> trials;
  for (std::uint64_t k = 0; k < 1000; ++k) trials.push_back((k * 0x9E3779B97F4A7C15ULL) >> (k % 64));  // any order
  for (const std::uint64_t t : {0ULL, 1ULL, 0x1ffffffffULL, 0x200000000ULL, 0xffffffffffffffffULL}) trials.push_back(t);
  for (const std::uint32_t index : {0u, 5u, 0xffffffffu}) {
    for (const std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(15), std::size_t(16), std::size_t(17),
                                std::size_t(31), std::size_t(32), std::size_t(33), std::size_t(48), std::size_t(63),
                                trials.size()}) {
      for (const UniformPath path : {UniformPath::portable, UniformPath::avx2, UniformPath::avx512}) {
        std::vector<double> out(n + 1, -1.0);
        fill_uniforms_list_on(path, stream, trials.data(), n, index, out.data());
        for (std::size_t i = 0; i < n; ++i)
          ASSERT_EQ(out[i], uniform(stream, trials[i], index)) << to_string(path) << " trial " << trials[i];
        EXPECT_EQ(out[n], -1.0) << "wrote past the end";
      }
    }
  }
}

// Trials whose block counters sit at the edges the vector paths must get
// right: the low counter word's wrap (trial / 2 = 2^32, trial 2^33), trial
// 2^32, the pair's top bit (trial 2^63) and the trial's own wrap at 2^64
// (trial + i is taken mod 2^64).
constexpr std::uint64_t edge_firsts[] = {0,
                                         1,
                                         2,
                                         7,
                                         0xffffffffu - 40,
                                         0x100000000u - 1,
                                         0x1ffffffffu - 130,
                                         0x1ffffffffu - 129,
                                         0x1ffffffffu - 64,
                                         0x1ffffffffu - 15,
                                         0x1ffffffffu,
                                         0x200000000u,
                                         0x7fffffffffffffffu - 100,
                                         0xffffffffffffffffu - 150,
                                         0xffffffffffffffffu - 63,
                                         0xffffffffffffffffu - 8,
                                         0xffffffffffffffffu};

TEST(Uniform, EveryPathMatchesUniformForLengthsUpTo200AtEdgeCounters) {
  const Stream stream{77, variable_id("edges")};
  constexpr std::size_t max_n = 200;
  for (const std::uint64_t first : edge_firsts) {
    for (const std::uint32_t index : {0u, 3u, 0xffffffffu}) {
      std::vector<double> expected(max_n);
      for (std::size_t i = 0; i < max_n; ++i) expected[i] = uniform(stream, first + i, index);
      for (const UniformPath path : {UniformPath::portable, UniformPath::avx2, UniformPath::avx512}) {
        if (!uniforms_path_available(path)) continue;
        for (std::size_t n = 0; n <= max_n; ++n) {
          // Written at an odd offset in the buffer (a pointer that is not
          // 16-byte aligned) between two sentinels.
          std::vector<double> buffer(n + 3, -1.0);
          double* out = buffer.data() + 1;
          fill_uniforms_on(path, stream, first, n, index, out);
          ASSERT_EQ(buffer[0], -1.0) << "wrote before the start";
          ASSERT_EQ(0, std::memcmp(out, expected.data(), n * sizeof(double)))
              << to_string(path) << " first " << first << " index " << index << " n " << n;
          ASSERT_EQ(out[n], -1.0) << "wrote past the end: " << to_string(path) << " n " << n;
        }
      }
    }
  }
}

TEST(Uniform, EveryListPathMatchesUniformForLengthsUpTo200) {
  const Stream stream{78, variable_id("edges.listed")};
  // The edge trials and their neighbours, then random ones, in any order.
  std::vector<std::uint64_t> trials;
  for (const std::uint64_t first : edge_firsts)
    for (std::uint64_t k = 0; k < 3; ++k) trials.push_back(first + k);
  TestRng rng{2026};
  while (trials.size() < 200) trials.push_back(rng.next() >> (rng.next() % 64));
  std::vector<double> expected(trials.size());
  for (const std::uint32_t index : {0u, 0xffffffffu}) {
    for (std::size_t i = 0; i < trials.size(); ++i) expected[i] = uniform(stream, trials[i], index);
    for (const UniformPath path : {UniformPath::portable, UniformPath::avx2, UniformPath::avx512}) {
      for (std::size_t n = 0; n <= trials.size(); ++n) {
        for (const std::size_t from : {std::size_t{0}, std::size_t{1}}) {  // and from an odd place in the list
          if (from + n > trials.size()) continue;
          std::vector<double> buffer(n + 3, -1.0);
          double* out = buffer.data() + 1;
          fill_uniforms_list_on(path, stream, trials.data() + from, n, index, out);
          ASSERT_EQ(buffer[0], -1.0) << "wrote before the start";
          ASSERT_EQ(0, std::memcmp(out, expected.data() + from, n * sizeof(double)))
              << to_string(path) << " n " << n << " from " << from << " index " << index;
          ASSERT_EQ(out[n], -1.0) << "wrote past the end: " << to_string(path) << " n " << n;
        }
      }
    }
  }
}

TEST(Uniform, DifferentSeedsVariablesAndIndicesGiveDifferentStreams) {
  const std::uint64_t a = variable_id("a"), b = variable_id("b");
  struct Source {
    Stream stream;
    std::uint32_t index;
  };
  const Source sources[] = {{{1, a}, 0}, {{2, a}, 0}, {{1, b}, 0}, {{2, b}, 0},
                            {{1, a}, 1}, {{1, a}, 2}, {{0, 0}, 0}, {{0, 0}, 1}};
  constexpr std::size_t n = 1000;
  std::set<double> seen;
  for (const Source& s : sources) {
    std::vector<double> u(n);
    fill_uniforms(s.stream, 0, n, s.index, u.data());
    for (const double x : u) seen.insert(x);
  }
  // 8000 draws out of 2^53 values: any repeat means two streams overlap.
  EXPECT_EQ(seen.size(), std::size(sources) * n);
}

TEST(Uniform, ReportsWhichPathItUses) {
  // Informational: the figures in bench/ depend on it.
  std::printf("fill_uniforms uses the %s path\n", to_string(uniforms_path()));
  SUCCEED();
}

TEST(Uniform, StreamsAreStatelessAndReproducible) {
  const Stream s{5, variable_id("x")};
  const double first = uniform(s, 77, 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(uniform(s, 77, 3), first);
  EXPECT_NE(uniform(s, 78, 3), first);
  EXPECT_NE(uniform(s, 77, 2), first);
}

// Pinned so that any change to the hashing, key derivation or mapping (which
// would change every scenario's results) is caught.
TEST(Pinned, VariableIds) {
  // FNV-1a 64 then the splitmix64 finaliser, computed independently.
  EXPECT_EQ(variable_id(""), 0xf52a15e9a9b5e89bULL);
  EXPECT_EQ(variable_id("msp.acme.labor.first_endpoint_hours"), 0xe593dd74f0048a1dULL);
  EXPECT_NE(variable_id("a"), variable_id("b"));
  EXPECT_NE(variable_id("ab"), variable_id("ba"));
}

TEST(Pinned, KeyAndFirstUniform) {
  const Stream s{42, variable_id("msp.acme.labor.first_endpoint_hours")};
  const PhiloxKey key = philox_key(s);
  // Computed independently (Python, exact rationals) from the definitions in
  // random.h.
  EXPECT_EQ(key.k0, 0xdd32c67du);
  EXPECT_EQ(key.k1, 0x4852011au);
  EXPECT_EQ(uniform(s, 0, 0), 0x1.60bc2cc70cb80p-1);
  EXPECT_EQ(uniform(s, 1, 1), 0x1.df457af9f6ae4p-4);
  EXPECT_EQ(uniform(s, 1, 0), 0x1.6f4309e6de844p-1);  // the second half of trial 0's block
  EXPECT_EQ(uniform(s, 12345, 7), 0x1.7da10531c7852p-1);
}

TEST(Uniformity, ChiSquareKolmogorovSmirnovAndCorrelation) {
  constexpr std::size_t n = 1'000'000;
  const Stream s{20240601, variable_id("uniformity")};
  std::vector<double> u(n), v(n);
  fill_uniforms(s, 0, n, 0, u.data());
  fill_uniforms(s, 0, n, 1, v.data());

  // Mean within 5 standard errors of 1/2.
  double sum = 0;
  for (const double x : u) sum += x;
  const double mean_se = std::sqrt(1.0 / 12 / n);
  EXPECT_NEAR(sum / n, 0.5, 5 * mean_se);

  // Chi-square over 1000 equal bins: df 999, sd sqrt(2 df) = 44.7.
  constexpr std::size_t bins = 1000;
  std::vector<double> count(bins, 0);
  for (const double x : u) count[std::min(static_cast<std::size_t>(x * bins), bins - 1)] += 1;
  const double expected = static_cast<double>(n) / bins;
  double chi2 = 0;
  for (const double c : count) chi2 += (c - expected) * (c - expected) / expected;
  const double df = bins - 1;
  EXPECT_LT(std::fabs(chi2 - df), 6 * std::sqrt(2 * df)) << "chi-square " << chi2 << " with " << df << " df";

  // Kolmogorov-Smirnov: sqrt(n) D < 1.95 (p ~ 0.001).
  std::vector<double> sorted = u;
  std::sort(sorted.begin(), sorted.end());
  double d = 0;
  for (std::size_t i = 0; i < n; ++i) {
    d = std::max(d, std::fabs(sorted[i] - static_cast<double>(i) / n));
    d = std::max(d, std::fabs(static_cast<double>(i + 1) / n - sorted[i]));
  }
  EXPECT_LT(std::sqrt(static_cast<double>(n)) * d, 1.95) << "KS statistic D = " << d;

  // No correlation between two indices of a trial (index 0 vs 1), nor
  // between neighbouring trials (the two halves of one block).
  const auto correlation = [](const double* x, const double* y, std::size_t m) {
    double sxy = 0, sx = 0, sy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < m; ++i) {
      sx += x[i];
      sy += y[i];
      sxy += x[i] * y[i];
      sxx += x[i] * x[i];
      syy += y[i] * y[i];
    }
    const double k = static_cast<double>(m);
    return (sxy / k - sx / k * sy / k) / std::sqrt((sxx / k - sx / k * sx / k) * (syy / k - sy / k * sy / k));
  };
  const double tol = 5 / std::sqrt(static_cast<double>(n));
  EXPECT_LT(std::fabs(correlation(u.data(), v.data(), n)), tol);
  EXPECT_LT(std::fabs(correlation(u.data(), u.data() + 1, n - 1)), tol);
}

}  // namespace
}  // namespace switchcost::sim

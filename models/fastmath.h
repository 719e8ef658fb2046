// Small numeric kernels written so that loops over them vectorise, and the
// attribute that gives such loops an AVX2 clone chosen at load time.
// Floating-point contraction is off project-wide (cmake/SwitchcostOptions.cmake),
// so a clone and the portable code give the same bits.
#pragma once

#include <bit>
#include <cstdint>

namespace switchcost::fastmath {

// An AVX2 clone picked at load time (GNU ifunc) on x86-64. Not under the
// sanitizers: an ifunc resolver runs before their runtimes are set up, and
// ThreadSanitizer crashes on it.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SWITCHCOST_SANITIZED_BUILD 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SWITCHCOST_SANITIZED_BUILD 1
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SWITCHCOST_SANITIZED_BUILD)
#define SWITCHCOST_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SWITCHCOST_AVX2_CLONES
#endif

// Natural logarithm of a positive normal double, to about 1 ulp, written in
// plain arithmetic (no calls, no branches) so that loops over it vectorise:
// x = m 2^e with m in [sqrt(1/2), sqrt(2)), log x = e ln 2 + log m, and
// log m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = (m - 1)/(m + 1),
// |s| <= 0.1716, summed to s^23 (the next term is below 1e-19 of the sum).
// ln 2 is split (Cody-Waite) so that e ln2_hi is exact.
inline double log_positive(double x) noexcept {
  const auto bits = std::bit_cast<std::uint64_t>(x);
  // The biased exponent as a double, exactly: 2^52 + k - 2^52.
  const double biased = std::bit_cast<double>((bits >> 52) | 0x4330000000000000ULL) - 0x1p52;
  double m = std::bit_cast<double>((bits & 0x000FFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL);  // [1, 2)
  const bool high = m > 1.4142135623730951;
  m = high ? 0.5 * m : m;
  const double e = biased - 1023.0 + (high ? 1.0 : 0.0);
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double p = 1.0 / 23;
  for (int k = 21; k >= 1; k -= 2) p = p * s2 + 1.0 / k;
  constexpr double ln2_hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000, trailing zeros
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  return e * ln2_hi + (e * ln2_lo + 2.0 * s * p);
}

}  // namespace switchcost::fastmath

// Small numeric kernels written so that loops over them vectorise, and the
// attribute that gives such loops AVX-512 and AVX2 clones chosen at load time.
// Floating-point contraction is off project-wide (cmake/SwitchcostOptions.cmake),
// so a clone and the portable code give the same bits.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace switchcost::fastmath {

// AVX-512F and AVX2 clones, one picked at load time (GNU ifunc) on x86-64
// (AVX-512 made the PERT quantile 1.4x and the lost-updates kernel 1.15x
// faster than AVX2 on the 2-core AMD EPYC development VM). The build decides
// the CPU dispatch (cmake/SwitchcostOptions.cmake): SWITCHCOST_X86_INTRINSICS
// on x86-64 with GCC or clang, SWITCHCOST_SANITIZED_BUILD under the
// sanitizers, where there are no clones: an ifunc resolver runs before their
// runtimes are set up, and ThreadSanitizer crashes on it.
#ifndef SWITCHCOST_SIMD_CLONES
#if defined(SWITCHCOST_X86_INTRINSICS) && !defined(SWITCHCOST_SANITIZED_BUILD)
#define SWITCHCOST_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SWITCHCOST_SIMD_CLONES
#endif
#endif

// x = m 2^e for a positive normal x, exactly (bit operations and exact
// arithmetic; e as a double).
struct Reduced {
  double m, e;
};
// With m in [1, 2): x's binade and its mantissa, straight from the bits.
inline Reduced split_binade(double x) noexcept {
  const auto bits = std::bit_cast<std::uint64_t>(x);
  // The biased exponent as a double, exactly: 2^52 + k - 2^52.
  const double biased = std::bit_cast<double>((bits >> 52) | 0x4330000000000000ULL) - 0x1p52;
  const double m = std::bit_cast<double>((bits & 0x000FFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL);
  return {m, biased - 1023.0};
}
// With m in [sqrt(1/2), sqrt(2)), as the logarithms below want it.
inline Reduced reduce(double x) noexcept {
  const auto [m, e] = split_binade(x);
  const bool high = m > 1.4142135623730951;
  return {high ? 0.5 * m : m, e + (high ? 1.0 : 0.0)};
}

// Natural logarithm of a positive normal double, to about 1 ulp, written in
// plain arithmetic (no calls, no branches) so that loops over it vectorise:
// x = m 2^e with m in [sqrt(1/2), sqrt(2)), log x = e ln 2 + log m, and
// log m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = (m - 1)/(m + 1),
// |s| <= 0.1716, summed to s^23 (the next term is below 1e-19 of the sum).
// ln 2 is split (Cody-Waite) so that e ln2_hi is exact.
inline double log_positive(double x) noexcept {
  const auto [m, e] = reduce(x);
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double p = 1.0 / 23;
  for (int k = 21; k >= 1; k -= 2) p = p * s2 + 1.0 / k;
  constexpr double ln2_hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000, trailing zeros
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  return e * ln2_hi + (e * ln2_lo + 2.0 * s * p);
}

// expm1(x) = e^x - 1 to within 1.3 ulp (relative error < 3e-16;
// tests/distribution_test.cpp asserts 1.5 ulp against a long double reference
// over x in [-60, 709.78] and tiny x; it measured 1.27 ulp there, libm 0.8)
// for every double x, in plain arithmetic (no calls, no branches) so that loops
// over it vectorise. Accurate next to 0 too, where e^x - 1 cancels.
//  * x is clamped to [-45, 709.8]: below -45, e^x < 2^-64 and expm1(x) is -1 in
//    double; above ln(DBL_MAX) = 709.78 the result overflows to +inf anyway (so
//    +inf gives +inf, -inf gives -1, NaN gives NaN), and 2^k below stays finite.
//  * Reduction x = k ln 2 + r, k = round(x / ln 2), |r| <= ln(2)/2 (+ rounding),
//    with ln 2 split (Cody-Waite): x - k ln2_hi is exact, and the rounding error
//    c of r = (x - k ln2_hi) - k ln2_lo is carried: e^(r + c) - 1 = em + c (1 + em).
//    For k = 0, r = x exactly and c = 0.
//  * em = expm1(r) = r + lo, lo = r^2 (1/2! + r/3! + ... + r^11/13!) + c (1 + em)
//    (Taylor; the first omitted term is below 1.2e-17 of the sum; |lo| < 0.19 |em|,
//    so its rounding errors are damped).
//  * expm1(x) = 2^k (1 + em) - 1 = 2 ((2^(k-1) r + (2^(k-1) - 1/2)) + 2^(k-1) lo),
//    where 2^(k-1) - 1/2 and the scalings are exact (2^(k-1) is built in the exponent
//    field; k <= 1024 after the clamp) and the inner sum is exact where it cancels
//    (Sterbenz); for k = 0, r + lo; for |x| < 2^-54, x itself (which also keeps -0).
inline double expm1(double x) noexcept {
  double xc = x < -45.0 ? -45.0 : x;
  xc = xc > 709.8 ? 709.8 : xc;
  constexpr double inv_ln2 = 1.44269504088896338700e+00;
  constexpr double ln2_hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000, trailing zeros
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  constexpr double shifter = 0x1.8p52;  // adding it rounds to an integer kept in the low mantissa bits
  const double shifted = xc * inv_ln2 + shifter;
  const double k = shifted - shifter;
  const double r_hi = xc - k * ln2_hi;  // exact
  const double r = r_hi - k * ln2_lo;
  const double c = (r_hi - r) - k * ln2_lo;  // r + c = r_hi - k ln2_lo to twice the precision
  // P(r) = sum_{j=0}^{11} r^j / (j+2)! by Estrin's scheme (a short dependency chain).
  const double r2 = r * r;
  const double r4 = r2 * r2;
  const double a0 = 0.5 + r * (1.0 / 6.0);
  const double a1 = 1.0 / 24.0 + r * (1.0 / 120.0);
  const double a2 = 1.0 / 720.0 + r * (1.0 / 5040.0);
  const double a3 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
  const double a4 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
  const double a5 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
  const double b0 = a0 + r2 * a1;
  const double b1 = a2 + r2 * a3;
  const double b2 = a4 + r2 * a5;
  const double p = b0 + r4 * (b1 + r4 * b2);
  const double r2p = r2 * p;
  const double lo = r2p + c * (1.0 + (r + r2p));  // em = r + lo
  // 2^(k-1): the low bits of `shifted` hold k (two's complement); k - 1 + 1023 in [957, 2046].
  const double half_scale =
      std::bit_cast<double>((std::bit_cast<std::uint64_t>(shifted) + 1022ULL) << 52);
  const double scaled = 2.0 * ((half_scale * r + (half_scale - 0.5)) + half_scale * lo);
  const double result = k == 0.0 ? r + lo : scaled;
  return std::fabs(x) < 0x1p-54 ? x : result;  // one comparison: a select of a && does not vectorise
}

// log1p(x) = log(1 + x) to within 1 ulp (relative error < 2.2e-16;
// tests/distribution_test.cpp asserts 1 ulp against a long double reference
// from -1 + 2^-53 to 2^1001 and for tiny x; it measured 0.78 ulp there, libm
// 0.77) for x > -1, in plain arithmetic (no calls, no branches) so that loops
// over it vectorise. Also accurate next to 0, where log(1 + x) loses the low
// bits of x. x = -1 gives -inf, x < -1 and NaN give
// NaN, +inf gives +inf.
//  * u = 1 + x rounded, with its rounding error c exact (TwoSum): log(1 + x) =
//    log u + log(1 + c/u) = log u + c/u to far below an ulp (|c/u| <= 2^-53).
//  * u = m 2^e, m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact), log u = e ln 2 + log(1 + f),
//    ln 2 split (Cody-Waite) so that e ln2_hi is exact.
//  * log(1 + f) = 2 atanh(s), s = f / (2 + f), |s| <= 0.1716, written as in fdlibm
//    f - (f^2/2 - s (f^2/2 + R)), R = 2 s^2/3 + 2 s^4/5 + ... + 2 s^20/21 (Taylor; the
//    first omitted term is below 1e-18 of the sum): the error of s enters only
//    through s (f^2/2 + R), at most f^2/4 <= 0.043 of the result.
inline double log1p(double x) noexcept {
  const double u = 1.0 + x;
  const double bv = u - x;  // TwoSum: c = 1 + x - u exactly
  const double c = (x - (u - bv)) + (1.0 - bv);
  const auto [m, e] = reduce(u);  // u <= 0 and u = inf are replaced below
  const double f = m - 1.0;
  const double s = f / (2.0 + f);
  const double z = s * s;
  // R / z = sum_{j=0}^{9} 2 z^j / (2j + 3) by Estrin's scheme (a short dependency chain).
  const double z2 = z * z;
  const double z4 = z2 * z2;
  const double q0 = 2.0 / 3.0 + z * (2.0 / 5.0);
  const double q1 = 2.0 / 7.0 + z * (2.0 / 9.0);
  const double q2 = 2.0 / 11.0 + z * (2.0 / 13.0);
  const double q3 = 2.0 / 15.0 + z * (2.0 / 17.0);
  const double q4 = 2.0 / 19.0 + z * (2.0 / 21.0);
  const double big_r = z * ((q0 + z2 * q1) + z4 * ((q2 + z2 * q3) + z4 * q4));
  const double hfsq = 0.5 * f * f;
  constexpr double ln2_hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000, trailing zeros
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  const double result = e * ln2_hi - ((hfsq - (s * (hfsq + big_r) + (e * ln2_lo + c / u))) - f);
  // Special cases as single-comparison selects (a select of combined conditions does not
  // vectorise); NaN propagates through c.
  double out = u < 0.0 ? std::numeric_limits<double>::quiet_NaN() : result;
  out = u == 0.0 ? -std::numeric_limits<double>::infinity() : out;
  return u > std::numeric_limits<double>::max() ? u : out;
}

}  // namespace switchcost::fastmath

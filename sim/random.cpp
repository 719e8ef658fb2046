// Counter-based uniforms: Philox4x32-10 over (seed, variable, trial, index).
// See random.h for the contract; everything here is a pure function.
#include "sim/random.h"

namespace switchcost::sim {

namespace {

// The splitmix64 finaliser (Stafford's "Mix13"), without the state increment.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// splitmix64(x): the first output of a splitmix64 generator whose state is x,
// i.e. the finaliser applied to x + the golden-ratio increment.
constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  return mix64(x + 0x9e3779b97f4a7c15ULL);
}

// Philox4x32 constants (Salmon et al. 2011; Random123's PHILOX_M4x32_* and
// PHILOX_W32_*).
constexpr std::uint32_t philox_m0 = 0xD2511F53u;
constexpr std::uint32_t philox_m1 = 0xCD9E8D57u;
constexpr std::uint32_t philox_w0 = 0x9E3779B9u;
constexpr std::uint32_t philox_w1 = 0xBB67AE85u;

// Ten Philox4x32 rounds on (c0..c3) with key (k0,k1), in place. Written with
// plain 64-bit products and no branches so that loops over it vectorise.
inline void philox_rounds(std::uint32_t& c0, std::uint32_t& c1, std::uint32_t& c2, std::uint32_t& c3,
                          std::uint32_t k0, std::uint32_t k1) noexcept {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {  // Random123 bumps the key before every round but the first
      k0 += philox_w0;
      k1 += philox_w1;
    }
    const std::uint64_t p0 = std::uint64_t{philox_m0} * c0;
    const std::uint64_t p1 = std::uint64_t{philox_m1} * c2;
    const auto hi0 = static_cast<std::uint32_t>(p0 >> 32);
    const auto lo0 = static_cast<std::uint32_t>(p0);
    const auto hi1 = static_cast<std::uint32_t>(p1 >> 32);
    const auto lo1 = static_cast<std::uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
}

// The largest double below 1, 1 - 2^-53.
constexpr double below_one = 1.0 - 0x1p-53;

// u01_from_words, inlined into the loops below.
inline double to_u01(std::uint32_t hi, std::uint32_t lo) noexcept {
  // bits = hi << 21 | lo >> 11 (53 bits), converted exactly through signed
  // 32-bit conversions, which vector units have (64-bit ones need AVX-512).
  const double hi_d =
      static_cast<double>(static_cast<std::int32_t>(hi ^ 0x80000000u)) + 2147483648.0;  // == hi
  const double bits = hi_d * 0x1p21 + static_cast<double>(static_cast<std::int32_t>(lo >> 11));
  const double u = (bits + 0.5) * 0x1p-53;
  // For bits >= 2^52, bits + 0.5 is not representable and rounds to even;
  // only the very top value rounds up to 1.0, which we pull back below 1.
  return u < below_one ? u : below_one;
}

template <bool odd>
void fill_uniforms_impl(PhiloxKey key, std::uint64_t first_trial, std::size_t n, std::uint32_t c2,
                        double* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t trial = first_trial + i;
    std::uint32_t v0 = static_cast<std::uint32_t>(trial);
    std::uint32_t v1 = static_cast<std::uint32_t>(trial >> 32);
    std::uint32_t v2 = c2;
    std::uint32_t v3 = 0;
    philox_rounds(v0, v1, v2, v3, key.k0, key.k1);
    out[i] = odd ? to_u01(v2, v3) : to_u01(v0, v1);
  }
}

}  // namespace

std::uint64_t variable_id(std::string_view name) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (const char ch : name) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  return mix64(h);
}

PhiloxKey philox_key(const Stream& stream) noexcept {
  const std::uint64_t k = splitmix64(stream.seed ^ splitmix64(stream.variable));
  return PhiloxKey{static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(k >> 32)};
}

Philox4x32Out philox4x32_10(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3,
                            PhiloxKey key) noexcept {
  philox_rounds(c0, c1, c2, c3, key.k0, key.k1);
  return Philox4x32Out{{c0, c1, c2, c3}};
}

double u01_from_words(std::uint32_t hi, std::uint32_t lo) noexcept { return to_u01(hi, lo); }

double uniform(const Stream& stream, std::uint64_t trial, std::uint32_t index) noexcept {
  const Philox4x32Out r = philox4x32_10(static_cast<std::uint32_t>(trial), static_cast<std::uint32_t>(trial >> 32),
                                        index / 2, 0, philox_key(stream));
  return (index & 1u) ? to_u01(r.v[2], r.v[3]) : to_u01(r.v[0], r.v[1]);
}

void fill_uniforms(const Stream& stream, std::uint64_t first_trial, std::size_t n, std::uint32_t index,
                   double* out) noexcept {
  const PhiloxKey key = philox_key(stream);
  if (index & 1u)
    fill_uniforms_impl<true>(key, first_trial, n, index / 2, out);
  else
    fill_uniforms_impl<false>(key, first_trial, n, index / 2, out);
}

}  // namespace switchcost::sim

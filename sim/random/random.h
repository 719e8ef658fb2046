// Counter-based random streams: every uniform is a pure function of
// (seed, variable identity, trial index, draw index), computed with
// Philox4x32-10 (Random123). Nothing here has state, so results do not depend
// on how trials are split across threads, and two scenarios that name the same
// variable draw the same values for it (common random numbers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace switchcost::sim {

// Stable 64-bit identity of a named random variable, e.g.
// "msp.acme.labor.first_endpoint_hours": FNV-1a 64 over the bytes (offset
// basis 0xcbf29ce484222325, prime 0x100000001b3), then the splitmix64
// finaliser mix(z) = z ^= z >> 30, z *= 0xbf58476d1ce4e5b9, z ^= z >> 27,
// z *= 0x94d049bb133111eb, z ^= z >> 31. Stable across platforms, compilers
// and versions (pinned in tests/random_test.cpp).
std::uint64_t variable_id(std::string_view name) noexcept;

// All uniforms of one variable under one seed.
struct Stream {
  std::uint64_t seed = 0;      // the run's --seed
  std::uint64_t variable = 0;  // variable_id(name)
};

// The splitmix64 finaliser (Stafford's "Mix13"), without the state increment:
// mix(z) as above. Pinned, like everything derived from it.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
// splitmix64(x): the first output of a splitmix64 generator whose state is x.
constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept { return mix64(x + 0x9e3779b97f4a7c15ULL); }

// Philox4x32-10 key for a stream: splitmix64(seed ^ splitmix64(variable)),
// split into two 32-bit words (low word first). Here splitmix64(x) is the
// first output of a splitmix64 generator whose state is x, i.e.
// mix(x + 0x9e3779b97f4a7c15) with mix as above.
struct PhiloxKey {
  std::uint32_t k0 = 0, k1 = 0;
};
PhiloxKey philox_key(const Stream& stream) noexcept;

// One Philox4x32-10 block: counter {c0,c1,c2,c3}, key {k0,k1}; exactly
// Random123's philox4x32(ctr, key) with 10 rounds.
struct Philox4x32Out {
  std::uint32_t v[4];
};
Philox4x32Out philox4x32_10(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2,
                            std::uint32_t c3, PhiloxKey key) noexcept;

// Two 32-bit words -> a double in the open interval (0,1) with 53 bits:
// ((hi << 21 | lo >> 11) + 0.5) * 2^-53, where hi/lo are the two words,
// evaluated in double (round to nearest even: above 1/2 the half step is not
// representable). The one input that would round up to 1 (both words all
// ones) gives 1 - 2^-53 instead, so results lie in [2^-54, 1 - 2^-53].
double u01_from_words(std::uint32_t hi, std::uint32_t lo) noexcept;

// The uniform for (stream, trial, index). One Philox block serves two
// consecutive trials: counter = {(trial >> 1) low 32 bits, (trial >> 1) high
// 32 bits, index, 0}; an even trial takes the block's words {v0,v1}, an odd
// trial {v2,v3}, as u01_from_words(hi, lo).
double uniform(const Stream& stream, std::uint64_t trial, std::uint32_t index) noexcept;

// The code paths of fill_uniforms, slowest first. All give the same bits
// (tests/random_test.cpp checks every path the CPU has against uniform()).
enum class UniformPath { portable, avx2, avx512 };
const char* to_string(UniformPath path) noexcept;  // "portable", "AVX2", "AVX-512"
// The fastest path this CPU has (checked once at run time): AVX-512 needs
// AVX-512F and AVX-512DQ.
UniformPath uniforms_path() noexcept;
bool uniforms_path_available(UniformPath path) noexcept;

// out[i] = uniform(stream, first_trial + i, index) for i in [0, n), on
// uniforms_path(): eight Philox blocks (16 trials) per step with AVX2,
// 32 blocks (64 trials) with AVX-512F and AVX-512DQ, else one at a time.
void fill_uniforms(const Stream& stream, std::uint64_t first_trial, std::size_t n,
                   std::uint32_t index, double* out) noexcept;

// out[i] = uniform(stream, trials[i], index) for i in [0, n): any trials,
// in any order (32 at a time with AVX-512F and AVX-512DQ, else one by one).
void fill_uniforms_list(const Stream& stream, const std::uint64_t* trials, std::size_t n,
                        std::uint32_t index, double* out) noexcept;

// fill_uniforms and fill_uniforms_list on a chosen path (the portable one
// if the CPU lacks it), for the tests that compare the paths.
void fill_uniforms_on(UniformPath path, const Stream& stream, std::uint64_t first_trial, std::size_t n,
                      std::uint32_t index, double* out) noexcept;
void fill_uniforms_list_on(UniformPath path, const Stream& stream, const std::uint64_t* trials, std::size_t n,
                           std::uint32_t index, double* out) noexcept;

}  // namespace switchcost::sim

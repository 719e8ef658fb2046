// Counter-based uniforms: Philox4x32-10 over (seed, variable, trial, index).
// See random.h for the contract; everything here is a pure function.
#include "sim/random/random.h"

#include "sim/base/intrinsics.h"

namespace switchcost::sim {

namespace {

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

// uniform() for a key already derived from the stream.
inline double uniform_from_key(PhiloxKey key, std::uint64_t trial, std::uint32_t index) noexcept {
  std::uint32_t v0 = static_cast<std::uint32_t>(trial >> 1), v1 = static_cast<std::uint32_t>(trial >> 33), v2 = index,
                v3 = 0;
  philox_rounds(v0, v1, v2, v3, key.k0, key.k1);
  return (trial & 1u) ? to_u01(v2, v3) : to_u01(v0, v1);
}

// Trials [first, first + n) of one stream and index, two trials per block.
void fill_portable(PhiloxKey key, std::uint64_t first, std::size_t n, std::uint32_t index, double* out) noexcept {
  std::size_t i = 0;
  if (n > 0 && (first & 1u)) {  // an odd first trial: the second half of its block
    std::uint32_t v0 = static_cast<std::uint32_t>(first >> 1), v1 = static_cast<std::uint32_t>(first >> 33),
                  v2 = index, v3 = 0;
    philox_rounds(v0, v1, v2, v3, key.k0, key.k1);
    out[i++] = to_u01(v2, v3);
  }
  for (; i + 1 < n; i += 2) {
    const std::uint64_t pair = (first + i) >> 1;
    std::uint32_t v0 = static_cast<std::uint32_t>(pair), v1 = static_cast<std::uint32_t>(pair >> 32), v2 = index,
                  v3 = 0;
    philox_rounds(v0, v1, v2, v3, key.k0, key.k1);
    out[i] = to_u01(v0, v1);
    out[i + 1] = to_u01(v2, v3);
  }
  if (i < n) {  // an even last trial: the first half of its block
    const std::uint64_t pair = (first + i) >> 1;
    std::uint32_t v0 = static_cast<std::uint32_t>(pair), v1 = static_cast<std::uint32_t>(pair >> 32), v2 = index,
                  v3 = 0;
    philox_rounds(v0, v1, v2, v3, key.k0, key.k1);
    out[i] = to_u01(v0, v1);
  }
}

#ifdef SWITCHCOST_X86_INTRINSICS

// 32 x 32 -> 64-bit products of the 8 lanes of a with m, split into high
// and low words, lane by lane.
__attribute__((target("avx2"))) inline void mul_hi_lo(__m256i a, __m256i m, __m256i& hi, __m256i& lo) noexcept {
  const __m256i even = _mm256_mul_epu32(a, m);                         // lanes 0,2,4,6 as 64-bit
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);  // lanes 1,3,5,7
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

// to_u01 on 4 lanes: the same operations in the same order, so the same bits.
__attribute__((target("avx2"))) inline __m256d to_u01_x4(__m128i hi, __m128i lo) noexcept {
  const __m128i sign = _mm_set1_epi32(static_cast<int>(0x80000000u));
  const __m256d hi_d = _mm256_add_pd(_mm256_cvtepi32_pd(_mm_xor_si128(hi, sign)), _mm256_set1_pd(2147483648.0));
  const __m256d lo_d = _mm256_cvtepi32_pd(_mm_srli_epi32(lo, 11));
  const __m256d bits = _mm256_add_pd(_mm256_mul_pd(hi_d, _mm256_set1_pd(0x1p21)), lo_d);
  const __m256d u = _mm256_mul_pd(_mm256_add_pd(bits, _mm256_set1_pd(0.5)), _mm256_set1_pd(0x1p-53));
  return _mm256_min_pd(u, _mm256_set1_pd(below_one));
}

// Eight blocks (16 trials) at a time from an even first trial; the rest, and
// a run of pairs whose low counter word would wrap inside a group of eight,
// go through the portable path.
// The counters of the eight blocks from `pair` on: trials 2 pair .. 2 pair + 15.
__attribute__((target("avx2"))) inline void counters_x8(std::uint64_t pair, std::uint32_t index,
                                                        __m256i (&c)[4]) noexcept {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  c[0] = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(pair))), lane);
  c[1] = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(pair >> 32)));
  c[2] = _mm256_set1_epi32(static_cast<int>(index));
  c[3] = _mm256_setzero_si256();
}

// One Philox4x32 round on `sets` independent sets of eight blocks (lane j of
// c[0..3] is block j), interleaved so that their multiplies overlap.
template <int sets>
__attribute__((target("avx2"))) inline void philox_round_x8(__m256i (&c)[sets][4], std::uint32_t k0,
                                                            std::uint32_t k1) noexcept {
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(philox_m0));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(philox_m1));
  const __m256i key0 = _mm256_set1_epi32(static_cast<int>(k0)), key1 = _mm256_set1_epi32(static_cast<int>(k1));
  __m256i hi0[sets], lo0[sets], hi1[sets], lo1[sets];
  for (int s = 0; s < sets; ++s) {
    mul_hi_lo(c[s][0], m0, hi0[s], lo0[s]);
    mul_hi_lo(c[s][2], m1, hi1[s], lo1[s]);
  }
  for (int s = 0; s < sets; ++s) {
    c[s][0] = _mm256_xor_si256(_mm256_xor_si256(hi1[s], c[s][1]), key0);
    c[s][1] = lo1[s];
    c[s][2] = _mm256_xor_si256(_mm256_xor_si256(hi0[s], c[s][3]), key1);
    c[s][3] = lo0[s];
  }
}

template <int sets>
__attribute__((target("avx2"))) inline void philox_rounds_x8(__m256i (&c)[sets][4], PhiloxKey key) noexcept {
  std::uint32_t k0 = key.k0, k1 = key.k1;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += philox_w0;
      k1 += philox_w1;
    }
    philox_round_x8<sets>(c, k0, k1);
  }
}

// The 16 uniforms of eight blocks, in trial order: block j gives trial 2j
// (words c0, c1) and trial 2j + 1 (words c2, c3).
__attribute__((target("avx2"))) inline void store_trials_x16(const __m256i (&c)[4], double* to) noexcept {
  for (int half = 0; half < 2; ++half) {
    const __m256d even = half == 0 ? to_u01_x4(_mm256_castsi256_si128(c[0]), _mm256_castsi256_si128(c[1]))
                                   : to_u01_x4(_mm256_extracti128_si256(c[0], 1), _mm256_extracti128_si256(c[1], 1));
    const __m256d odd = half == 0 ? to_u01_x4(_mm256_castsi256_si128(c[2]), _mm256_castsi256_si128(c[3]))
                                  : to_u01_x4(_mm256_extracti128_si256(c[2], 1), _mm256_extracti128_si256(c[3], 1));
    const __m256d a = _mm256_unpacklo_pd(even, odd);  // e0 o0 e2 o2
    const __m256d b = _mm256_unpackhi_pd(even, odd);  // e1 o1 e3 o3
    _mm256_storeu_pd(to + 8 * half, _mm256_permute2f128_pd(a, b, 0x20));
    _mm256_storeu_pd(to + 8 * half + 4, _mm256_permute2f128_pd(a, b, 0x31));
  }
}

__attribute__((target("avx2"))) void fill_avx2(PhiloxKey key, std::uint64_t first, std::size_t n,
                                               std::uint32_t index, double* out) noexcept {
  std::size_t i = 0;
  if (n > 0 && (first & 1u)) {
    fill_portable(key, first, 1, index, out);
    i = 1;
  }
  // 32 trials a step (two interleaved sets of eight blocks: one set's rounds
  // are a latency-bound chain of multiplies) while the low counter word
  // cannot wrap inside them.
  for (; i + 32 <= n; i += 32) {
    const std::uint64_t pair = (first + i) >> 1;
    if (static_cast<std::uint32_t>(pair) > 0xFFFFFFF0u) break;  // the 16-at-a-time loop handles the wrap
    __m256i c[2][4];
    counters_x8(pair, index, c[0]);
    counters_x8(pair + 8, index, c[1]);
    philox_rounds_x8<2>(c, key);
    store_trials_x16(c[0], out + i);
    store_trials_x16(c[1], out + i + 16);
  }
  for (; i + 16 <= n; i += 16) {
    const std::uint64_t pair = (first + i) >> 1;
    if (static_cast<std::uint32_t>(pair) > 0xFFFFFFF8u) {  // the low word would wrap: rare, portable
      fill_portable(key, first + i, 16, index, out + i);
      continue;
    }
    __m256i c[1][4];
    counters_x8(pair, index, c[0]);
    philox_rounds_x8<1>(c, key);
    store_trials_x16(c[0], out + i);
  }
  if (i < n) fill_portable(key, first + i, n - i, index, out + i);
}

// The AVX-512 path: one Philox block per 64-bit lane. Lane j of c[0..3]
// holds the four 32-bit words of block j in the low halves of its four
// registers, so one vpmuludq gives a word's whole 64-bit product (the high
// word in the lane's high half, the low word in its low half) and no
// shuffling is needed between rounds. The high halves of c[0] and c[2] carry
// junk between rounds: vpmuludq reads only the low halves, and the
// conversion to uniforms masks them off.
#define SWITCHCOST_AVX512 __attribute__((target("avx512f,avx512dq")))

// The per-(key, index) constants of the rounds. Every block of a call has
// c2 = index and c3 = 0, so the first round's product m1 * c2 is the same
// for all of them: c0 after round one is (pair >> 32) ^ hi(m1 index) ^ k0,
// c1 is lo(m1 index), c2 is hi(m0 c0) ^ k1, and c3 is lo(m0 c0).
struct PhiloxSchedule {
  std::uint32_t k0[10], k1[10];  // the key of round r (Random123 bumps it by w0, w1 before each round but the first)
  std::uint32_t first_c0_xor;    // hi(m1 index) ^ k0
  std::uint32_t first_c1;        // lo(m1 index)
};

PhiloxSchedule philox_schedule(PhiloxKey key, std::uint32_t index) noexcept {
  PhiloxSchedule s{};
  std::uint32_t k0 = key.k0, k1 = key.k1;
  for (int round = 0; round < 10; ++round) {
    s.k0[round] = k0;
    s.k1[round] = k1;
    k0 += philox_w0;
    k1 += philox_w1;
  }
  const std::uint64_t p1 = std::uint64_t{philox_m1} * index;
  s.first_c0_xor = static_cast<std::uint32_t>(p1 >> 32) ^ key.k0;
  s.first_c1 = static_cast<std::uint32_t>(p1);
  return s;
}

// Ten Philox4x32 rounds on `sets` independent sets of eight blocks whose
// counters are {pairs[j] lane i (64 bits: low word, high word), index, 0}.
// The sets are interleaved round by round: one set's rounds are a chain of
// dependent multiplies (latency-bound), and four in flight hide it.
template <int sets>
SWITCHCOST_AVX512 inline void philox_rounds_x8q(const __m512i (&pairs)[sets], const PhiloxSchedule& s,
                                                 __m512i (&c)[sets][4]) noexcept {
  const __m512i m0 = _mm512_set1_epi64(philox_m0), m1 = _mm512_set1_epi64(philox_m1);
  const __m512i c0_xor = _mm512_set1_epi64(s.first_c0_xor), c1 = _mm512_set1_epi64(s.first_c1);
  const __m512i key1 = _mm512_set1_epi64(s.k1[0]);
  for (int j = 0; j < sets; ++j) {  // round one, with the constant product m1 * index
    const __m512i p0 = _mm512_mul_epu32(pairs[j], m0);
    c[j][0] = _mm512_xor_si512(_mm512_srli_epi64(pairs[j], 32), c0_xor);
    c[j][1] = c1;
    c[j][2] = _mm512_xor_si512(_mm512_srli_epi64(p0, 32), key1);
    c[j][3] = p0;
  }
  for (int round = 1; round < 10; ++round) {
    const __m512i k0 = _mm512_set1_epi32(static_cast<int>(s.k0[round]));
    const __m512i k1 = _mm512_set1_epi32(static_cast<int>(s.k1[round]));
    for (int j = 0; j < sets; ++j) {
      const __m512i p0 = _mm512_mul_epu32(c[j][0], m0);
      const __m512i p1 = _mm512_mul_epu32(c[j][2], m1);
      c[j][0] = _mm512_ternarylogic_epi32(_mm512_srli_epi64(p1, 32), c[j][1], k0, 0x96);  // a ^ b ^ c
      c[j][1] = p1;
      c[j][2] = _mm512_ternarylogic_epi32(_mm512_srli_epi64(p0, 32), c[j][3], k1, 0x96);
      c[j][3] = p0;
    }
  }
}

// to_u01(hi, lo) on 8 lanes whose low halves hold the words: with
// x = hi << 32 | lo and bits = x >> 11, (bits + 0.5) 2^-53 is
// (2 bits + 1) 2^-54 = ((x >> 10) | 1) 2^-54, and the conversion of the
// 54-bit integer 2 bits + 1 rounds to nearest even exactly as bits + 0.5
// does in to_u01 (scaling by 2 commutes with rounding), so the bits agree.
SWITCHCOST_AVX512 inline __m512d to_u01_x8q(__m512i hi, __m512i lo) noexcept {
  // (hi << 32) | (lo & 0xffffffff): ternary logic a | (b & c) is 0xF8.
  const __m512i x = _mm512_ternarylogic_epi64(_mm512_slli_epi64(hi, 32), lo, _mm512_set1_epi64(0xffffffff), 0xF8);
  const __m512i twice_plus_one = _mm512_or_si512(_mm512_srli_epi64(x, 10), _mm512_set1_epi64(1));
  const __m512d u = _mm512_mul_pd(_mm512_cvtepi64_pd(twice_plus_one), _mm512_set1_pd(0x1p-54));
  return _mm512_min_pd(u, _mm512_set1_pd(below_one));
}

// The 16 uniforms of eight consecutive blocks, in trial order (block j
// gives trial 2j from words c0, c1 and trial 2j + 1 from c2, c3), the first
// `count` of them (at most 16) stored at `to`.
SWITCHCOST_AVX512 inline void store_trials_x16q(const __m512i (&c)[4], std::size_t count, double* to) noexcept {
  const __m512d even = to_u01_x8q(c[0], c[1]), odd = to_u01_x8q(c[2], c[3]);
  const __m512d low = _mm512_permutex2var_pd(even, _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11), odd);
  const __m512d high = _mm512_permutex2var_pd(even, _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15), odd);
  if (count >= 16) {
    _mm512_storeu_pd(to, low);
    _mm512_storeu_pd(to + 8, high);
    return;
  }
  const auto mask = [](std::size_t k) { return static_cast<__mmask8>((1u << k) - 1u); };  // the first k of 8
  _mm512_mask_storeu_pd(to, mask(count < 8 ? count : 8), low);
  if (count > 8) _mm512_mask_storeu_pd(to + 8, mask(count - 8), high);
}

// The pairs of eight consecutive blocks from `pair` on, (pair + j) mod 2^63.
SWITCHCOST_AVX512 inline __m512i pairs_from(std::uint64_t pair) noexcept {
  const __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm512_and_si512(_mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(pair)), lane),
                          _mm512_set1_epi64(0x7fffffffffffffff));
}

// Trials [first, first + n) (mod 2^64, as uniform() takes them): an odd
// first trial through the portable path, then 64 trials (four sets of eight
// blocks) a step, then 16 a step, the last step stored in part. The pairs
// are 64-bit lanes, so a carry from the low counter word into the high one
// needs no special case; the pair of trial t is (t mod 2^64) >> 1, so pairs
// wrap at 2^63, which the mask keeps.
SWITCHCOST_AVX512 void fill_avx512(PhiloxKey key, std::uint64_t first, std::size_t n, std::uint32_t index,
                                   double* out) noexcept {
  std::size_t i = 0;
  if (n > 0 && (first & 1u)) {
    fill_portable(key, first, 1, index, out);
    i = 1;
  }
  const PhiloxSchedule schedule = philox_schedule(key, index);
  for (; i + 64 <= n; i += 64) {
    const std::uint64_t pair = (first + i) >> 1;
    __m512i pairs[4], c[4][4];
    for (int j = 0; j < 4; ++j) pairs[j] = pairs_from(pair + 8u * unsigned(j));
    philox_rounds_x8q<4>(pairs, schedule, c);
    for (int j = 0; j < 4; ++j) store_trials_x16q(c[j], 16, out + i + 16 * j);
  }
  for (; i < n; i += 16) {
    const std::uint64_t pair = (first + i) >> 1;
    const __m512i pairs[1] = {pairs_from(pair)};
    __m512i c[1][4];
    philox_rounds_x8q<1>(pairs, schedule, c);
    store_trials_x16q(c[0], n - i, out + i);
  }
}

// The uniforms of eight listed trials from their own blocks (the rounds'
// c[0..3]): an odd trial takes words (c2, c3), an even one (c0, c1); the
// first `count` (at most 8) are stored at `to`.
SWITCHCOST_AVX512 inline void store_list_x8q(__m512i trials, const __m512i (&c)[4], std::size_t count,
                                             double* to) noexcept {
  const __mmask8 odd = _mm512_test_epi64_mask(trials, _mm512_set1_epi64(1));
  const __m512d u = to_u01_x8q(_mm512_mask_blend_epi64(odd, c[0], c[2]), _mm512_mask_blend_epi64(odd, c[1], c[3]));
  if (count >= 8)
    _mm512_storeu_pd(to, u);
  else
    _mm512_mask_storeu_pd(to, static_cast<__mmask8>((1u << count) - 1u), u);
}

// uniform(stream, trials[i], index) for i in [0, n): 32 listed trials a
// step (four sets of eight, each trial from its own block), then 8 a step,
// the last loaded and stored in part.
SWITCHCOST_AVX512 void fill_list_avx512(PhiloxKey key, const std::uint64_t* trials, std::size_t n,
                                        std::uint32_t index, double* out) noexcept {
  const PhiloxSchedule schedule = philox_schedule(key, index);
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512i t[4], pairs[4], c[4][4];
    for (int j = 0; j < 4; ++j) {
      t[j] = _mm512_loadu_si512(trials + i + 8 * j);
      pairs[j] = _mm512_srli_epi64(t[j], 1);
    }
    philox_rounds_x8q<4>(pairs, schedule, c);
    for (int j = 0; j < 4; ++j) store_list_x8q(t[j], c[j], 8, out + i + 8 * j);
  }
  for (; i < n; i += 8) {
    const std::size_t count = n - i < 8 ? n - i : 8;
    const __m512i t = _mm512_maskz_loadu_epi64(static_cast<__mmask8>((1u << count) - 1u), trials + i);
    const __m512i pairs[1] = {_mm512_srli_epi64(t, 1)};
    __m512i c[1][4];
    philox_rounds_x8q<1>(pairs, schedule, c);
    store_list_x8q(t, c[0], count, out + i);
  }
}

#undef SWITCHCOST_AVX512

#endif

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
  return uniform_from_key(philox_key(stream), trial, index);
}

const char* to_string(UniformPath path) noexcept {
  switch (path) {
    case UniformPath::portable: return "portable";
    case UniformPath::avx2: return "AVX2";
    case UniformPath::avx512: return "AVX-512";
  }
  return "?";
}

UniformPath uniforms_path() noexcept {
#ifdef SWITCHCOST_X86_INTRINSICS
  if (cpu_has_avx512f() && cpu_has_avx512dq()) return UniformPath::avx512;
  if (cpu_has_avx2()) return UniformPath::avx2;
  return UniformPath::portable;
#else
  return UniformPath::portable;
#endif
}

bool uniforms_path_available(UniformPath path) noexcept {
  return static_cast<int>(path) <= static_cast<int>(uniforms_path());
}

void fill_uniforms_on(UniformPath path, const Stream& stream, std::uint64_t first_trial, std::size_t n,
                      std::uint32_t index, double* out) noexcept {
  if (!uniforms_path_available(path)) path = UniformPath::portable;
  const PhiloxKey key = philox_key(stream);
  switch (path) {
#ifdef SWITCHCOST_X86_INTRINSICS
    case UniformPath::avx512: fill_avx512(key, first_trial, n, index, out); return;
    case UniformPath::avx2: fill_avx2(key, first_trial, n, index, out); return;
#endif
    default: fill_portable(key, first_trial, n, index, out); return;
  }
}

void fill_uniforms(const Stream& stream, std::uint64_t first_trial, std::size_t n, std::uint32_t index,
                   double* out) noexcept {
  fill_uniforms_on(uniforms_path(), stream, first_trial, n, index, out);
}

void fill_uniforms_list_on(UniformPath path, const Stream& stream, const std::uint64_t* trials, std::size_t n,
                           std::uint32_t index, double* out) noexcept {
  const PhiloxKey key = philox_key(stream);
#ifdef SWITCHCOST_X86_INTRINSICS
  if (path == UniformPath::avx512 && uniforms_path_available(path)) {
    fill_list_avx512(key, trials, n, index, out);
    return;
  }
#endif
  for (std::size_t i = 0; i < n; ++i) out[i] = uniform_from_key(key, trials[i], index);
}

void fill_uniforms_list(const Stream& stream, const std::uint64_t* trials, std::size_t n, std::uint32_t index,
                        double* out) noexcept {
  fill_uniforms_list_on(uniforms_path(), stream, trials, n, index, out);
}

}  // namespace switchcost::sim

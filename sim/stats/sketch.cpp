#include "sim/stats/sketch.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "models/fastmath.h"
#include "sim/base/intrinsics.h"
#include "sim/base/values.h"

namespace switchcost::sim {

namespace {

// The least and the greatest of a run of bucket indices.
struct IndexRange {
  std::int32_t first, last;
};

// The bucket mapping (sketch.h): for x = 2^e (1 + s), s in [0, 1),
//   L(x) = e + P(s),  P(s) = ((A s + B) s + C) s,  A = 6/35, B = -3/5, C = 10/7,
// and bucket index ceil(L(|x|) multiplier). e and s come straight from the
// bits of x (s = the mantissa - 1, exact), so the index costs three
// multiplications and four additions, without a logarithm or a division.
constexpr double cubic_a = 6.0 / 35.0, cubic_b = -3.0 / 5.0, cubic_c = 10.0 / 7.0;

// L(x) of a positive normal double x (see above).
inline double cubic_log2(double x) noexcept {
  const auto [m, e] = fastmath::split_binade(x);
  const double s = m - 1.0;
  return e + ((cubic_a * s + cubic_b) * s + cubic_c) * s;
}

// The x with L(x) = v: e = floor(v), and P(s) = v - e solved by Newton's
// method from s = v - e (P is increasing, P' >= 26/35 on [0, 1], |P(s) - s|
// < 0.09: five steps reach the rounding level; six, a fixed count, so the
// same bits every run).
double cubic_exp2(double v) noexcept {
  const double e = std::floor(v), f = v - e;
  double s = f;
  for (int step = 0; step < 6; ++step) {
    const double value = ((cubic_a * s + cubic_b) * s + cubic_c) * s;
    const double slope = (3.0 * cubic_a * s + 2.0 * cubic_b) * s + cubic_c;
    s -= (value - f) / slope;
  }
  s = std::clamp(s, 0.0, 1.0);
  return std::ldexp(1.0 + s, int(e));
}

// Bucket index ceil(L(|x|) multiplier) of each x[k] with |x| >= zero_floor
// (others, NaN and infinities included, get the zero floor's index and are
// not used). Plain arithmetic on the bits, so the loop vectorises (a SIMD
// clone is picked at load time; the bits are the same). A value within about
// 1e-12 relative of a bucket boundary may land in the neighbouring bucket, as
// the sketch's contract allows (sketch.h). Returns the least and the greatest
// index (n > 0).
SWITCHCOST_SIMD_CLONES IndexRange bucket_indices(const double* __restrict x, std::size_t n, double zero_floor,
                                                 double multiplier, std::int32_t* __restrict index) noexcept {
  constexpr double largest = std::numeric_limits<double>::max();
  std::int32_t first = std::numeric_limits<std::int32_t>::max(), last = std::numeric_limits<std::int32_t>::min();
  for (std::size_t k = 0; k < n; ++k) {
    const double magnitude = std::fabs(x[k]);
    const double safe = magnitude >= zero_floor && magnitude <= largest ? magnitude : zero_floor;
    const auto i = static_cast<std::int32_t>(std::ceil(cubic_log2(safe) * multiplier));
    index[k] = i;
    first = i < first ? i : first;
    last = i > last ? i : last;
  }
  return {first, last};
}

// The least and the greatest of index[0..n), n > 0 (a loop that vectorises).
SWITCHCOST_SIMD_CLONES IndexRange index_range(const std::int32_t* __restrict index, std::size_t n) noexcept {
  std::int32_t first = index[0], last = index[0];
  for (std::size_t k = 1; k < n; ++k) {
    first = index[k] < first ? index[k] : first;
    last = index[k] > last ? index[k] : last;
  }
  return {first, last};
}

// How many of a chunk's values split_by_sign() found positive and negative
// (the rest are below the zero floor).
struct SignSplit {
  std::size_t positive = 0, negative = 0;
};

// Splits the bucket indices index[0..m) of v[0..m) (finite) by sign, as
// single adds count them: |v| < zero_floor counts as zero (in neither list),
// else v > 0 goes to the positive list, compacted to the front of `index`,
// and v < 0 to `negative`, each in order. Decided on the bits of v:
// |v| >= zero_floor compares as integers for finite v, and a counted v is
// positive when its sign bit is clear. Scalar: each index is stored to both
// lists and the list of its sign advanced (writing index[np] with np <= k
// overwrites nothing unread). Values from `start` on; `split` holds the
// counts of those before.
SignSplit split_by_sign_from(const double* v, std::size_t start, std::size_t m, double zero_floor,
                             std::int32_t* index, std::int32_t* negative, SignSplit split) noexcept {
  const std::uint64_t floor_bits = std::bit_cast<std::uint64_t>(zero_floor);
  constexpr std::uint64_t magnitude_mask = ~std::uint64_t(0) >> 1;
  std::size_t np = split.positive, nn = split.negative;
  for (std::size_t k = start; k < m; ++k) {
    std::uint64_t bits;
    std::memcpy(&bits, v + k, sizeof bits);
    const std::size_t counted = (bits & magnitude_mask) >= floor_bits;
    const std::size_t is_negative = counted & std::size_t(bits >> 63);
    const std::int32_t i = index[k];
    index[np] = i;
    negative[nn] = i;
    np += counted ^ is_negative;
    nn += is_negative;
  }
  return {np, nn};
}

#if defined(SWITCHCOST_X86_INTRINSICS) && !defined(SWITCHCOST_SANITIZED_BUILD)
// The same with AVX-512, 16 values a step: the same bit tests as masks, and
// each list's indices compressed into a register and stored whole (16
// lanes from index[np] and negative[nn]; np, nn <= k, so within the chunk
// and over nothing unread), then the scalar loop for the last m mod 16.
[[gnu::target("avx512f")]] SignSplit split_by_sign_avx512(const double* v, std::size_t m, double zero_floor,
                                                           std::int32_t* index, std::int32_t* negative) noexcept {
  const __m512i floor_bits = _mm512_set1_epi64(std::bit_cast<std::int64_t>(zero_floor));
  const __m512i magnitude_mask = _mm512_set1_epi64(std::numeric_limits<std::int64_t>::max());
  const __m512i zero = _mm512_setzero_si512();
  std::size_t np = 0, nn = 0, k = 0;
  for (; k + 16 <= m; k += 16) {
    const __m512i lo = _mm512_loadu_si512(v + k), hi = _mm512_loadu_si512(v + k + 8);
    const auto counted = __mmask16(
        _mm512_cmpge_epu64_mask(_mm512_and_si512(lo, magnitude_mask), floor_bits) |
        (unsigned(_mm512_cmpge_epu64_mask(_mm512_and_si512(hi, magnitude_mask), floor_bits)) << 8));
    const auto sign =
        __mmask16(_mm512_cmplt_epi64_mask(lo, zero) | (unsigned(_mm512_cmplt_epi64_mask(hi, zero)) << 8));
    const __mmask16 is_negative = counted & sign, is_positive = counted & __mmask16(~sign);
    const __m512i i = _mm512_loadu_si512(index + k);
    _mm512_storeu_si512(index + np, _mm512_maskz_compress_epi32(is_positive, i));
    _mm512_storeu_si512(negative + nn, _mm512_maskz_compress_epi32(is_negative, i));
    np += std::size_t(__builtin_popcount(is_positive));
    nn += std::size_t(__builtin_popcount(is_negative));
  }
  return split_by_sign_from(v, k, m, zero_floor, index, negative, {np, nn});
}
#endif

SignSplit split_by_sign(const double* v, std::size_t m, double zero_floor, std::int32_t* index,
                        std::int32_t* negative) noexcept {
#if defined(SWITCHCOST_X86_INTRINSICS) && !defined(SWITCHCOST_SANITIZED_BUILD)
  if (cpu_has_avx512f()) return split_by_sign_avx512(v, m, zero_floor, index, negative);
#endif
  return split_by_sign_from(v, 0, m, zero_floor, index, negative, {});
}

// Four doubles as one value (GCC/clang vector extension): one AVX2 register,
// also in the AVX-512 clone (a 64-byte value goes through the stack in the
// AVX2 clone; plain arrays stayed scalar or half scalar in the AVX-512 one).
using Quad = double __attribute__((vector_size(4 * sizeof(double))));

// The least and the greatest of x[0..n), n > 0, all finite: eight
// independent lanes (x[k] in lane k mod 8, two Quads), then combined in lane
// order. Minima and maxima are exact, so any lanes give the same values;
// only the sign of a zero extreme when both +0 and -0 occur may differ from
// one chain's, and summarize() adds the origin to min and max, which makes
// that zero +0.
SWITCHCOST_SIMD_CLONES void min_max(const double* __restrict x, std::size_t n, double& lo, double& hi) noexcept {
  constexpr std::size_t lanes = 8;
  Quad l0 = {x[0], x[0], x[0], x[0]}, l1 = l0, h0 = l0, h1 = l0;
  std::size_t k = 0;
  for (; k + lanes <= n; k += lanes) {
    Quad v0, v1;
    std::memcpy(&v0, x + k, sizeof v0);
    std::memcpy(&v1, x + k + 4, sizeof v1);
    l0 = v0 < l0 ? v0 : l0;
    l1 = v1 < l1 ? v1 : l1;
    h0 = v0 > h0 ? v0 : h0;
    h1 = v1 > h1 ? v1 : h1;
  }
  double l[lanes], h[lanes];
  std::memcpy(l, &l0, sizeof l0);
  std::memcpy(l + 4, &l1, sizeof l1);
  std::memcpy(h, &h0, sizeof h0);
  std::memcpy(h + 4, &h1, sizeof h1);
  for (; k < n; ++k) {
    l[0] = x[k] < l[0] ? x[k] : l[0];
    h[0] = x[k] > h[0] ? x[k] : h[0];
  }
  lo = l[0];
  hi = h[0];
  for (std::size_t j = 1; j < lanes; ++j) {
    lo = l[j] < lo ? l[j] : lo;
    hi = h[j] > hi ? h[j] : hi;
  }
}

}  // namespace

QuantileSketch::QuantileSketch(double relative_error, double zero_floor, std::size_t max_buckets)
    : alpha_(relative_error), floor_(zero_floor), max_buckets_(max_buckets) {
  // alpha >= 1e-6 keeps every bucket index of a finite double (|log x| < 745)
  // within 32 bits.
  if (!(relative_error >= 1e-6 && relative_error < 1))
    throw std::invalid_argument("quantile sketch: relative error must be in [1e-6, 1)");
  if (!(zero_floor >= std::numeric_limits<double>::min() && zero_floor < 1e300))
    throw std::invalid_argument("quantile sketch: zero floor must be a positive normal number");
  if (max_buckets < 2 || max_buckets > (1u << 30))
    throw std::invalid_argument("quantile sketch: max_buckets must be in [2, 2^30]");
  // The widest bucket spans ln(gamma) in log: 1 / ((1 + s) P'(s)) <= 1 / C = 7/10 (sketch.h).
  const double ln_gamma = std::log1p(2 * alpha_ / (1 - alpha_));  // log(gamma), accurately for small alpha
  multiplier_ = 1 / (cubic_c * ln_gamma);
}

std::int32_t QuantileSketch::index_of(double magnitude) const noexcept {
  std::int32_t index;
  bucket_indices(&magnitude, 1, floor_, multiplier_, &index);
  return index;
}

double QuantileSketch::value_of(std::int32_t index) const noexcept {
  // Bucket i holds (lo, hi] with L(lo) = (i - 1) / multiplier, L(hi) = i / multiplier;
  // their harmonic mean 2 lo hi / (lo + hi) is within (hi - lo) / (hi + lo) <= alpha
  // of both (written so that no product overflows; clamped() keeps the top
  // bucket's, whose hi may be infinite, within the max).
  const double lo = cubic_exp2(double(index - 1) / multiplier_), hi = cubic_exp2(double(index) / multiplier_);
  return lo * (2 / (1 + lo / hi));
}

namespace {

std::uint32_t checked_add(std::uint32_t count, std::uint64_t more) {
  const std::uint64_t sum = std::uint64_t(count) + more;
  if (sum > std::numeric_limits<std::uint32_t>::max())
    throw std::overflow_error("quantile sketch: more than 2^32 - 1 values in one bucket");
  return std::uint32_t(sum);
}

// Grows v by `more` zeros at the front or the back; with `exact`, to exactly
// the size needed (for long-lived sketches), else geometrically.
void grow(std::vector<std::uint32_t>& v, std::size_t more, bool front, bool exact) {
  if (exact && v.size() + more > v.capacity()) v.reserve(v.size() + more);
  if (front)
    v.insert(v.begin(), more, 0u);
  else
    v.resize(v.size() + more, 0u);
}

}  // namespace

void QuantileSketch::Store::add(std::int32_t index, std::uint64_t count, std::size_t max_buckets, bool exact) {
  if (count == 0) return;
  if (counts.empty()) {
    offset = top = index;
    counts.assign(1, 0u);
  }
  top = std::max(top, index);
  // Collapsing: only the top max_buckets indices are kept; anything lower is
  // counted in the lowest kept bucket. As `top` only grows, a value of index
  // i ends in bucket max(i, top - max_buckets + 1) with the final top,
  // whatever the order of adds and merges.
  const std::int64_t lowest = std::int64_t(top) - std::int64_t(max_buckets) + 1;
  if (offset < lowest) {
    const auto drop = std::size_t(lowest - offset);
    const std::size_t k = std::min(drop, counts.size());
    std::uint64_t moved = 0;
    for (std::size_t i = 0; i < k; ++i) moved += counts[i];
    counts.erase(counts.begin(), counts.begin() + std::ptrdiff_t(k));
    offset = std::int32_t(lowest);
    if (counts.empty()) counts.assign(1, 0u);
    counts[0] = checked_add(counts[0], moved);
  }
  const auto i = std::int32_t(std::max<std::int64_t>(index, lowest));
  if (i < offset) {
    grow(counts, std::size_t(offset - i), true, exact);
    offset = i;
  } else if (std::size_t(i - offset) >= counts.size()) {
    grow(counts, std::size_t(i - offset) + 1 - counts.size(), false, exact);
  }
  auto& c = counts[std::size_t(i - offset)];
  c = checked_add(c, count);
  total += count;
}

bool QuantileSketch::Store::cover(std::int32_t lo, std::int32_t hi, std::size_t max_buckets, bool exact_growth) {
  const std::int64_t new_top = counts.empty() ? hi : std::max(top, hi);
  const std::int64_t lowest = new_top - std::int64_t(max_buckets) + 1;
  if (lo < lowest || (!counts.empty() && offset < lowest)) return false;  // collapsing: Store::add's business
  if (counts.empty()) {
    offset = lo;
    counts.assign(std::size_t(hi - lo) + 1, 0u);
  } else {
    const std::size_t front = lo < offset ? std::size_t(offset - lo) : 0;
    const std::size_t back = std::size_t(std::max<std::int64_t>(0, std::int64_t(hi) - offset + 1 - std::int64_t(counts.size())));
    if (exact_growth && counts.size() + front + back > counts.capacity()) counts.reserve(counts.size() + front + back);
    if (front > 0) {
      grow(counts, front, true, false);
      offset = lo;
    }
    if (back > 0) grow(counts, back, false, false);
  }
  top = std::int32_t(new_top);
  return true;
}

std::uint32_t QuantileSketch::Store::at(std::int32_t index) const noexcept {
  if (index < offset || std::size_t(index - offset) >= counts.size()) return 0;
  return counts[std::size_t(index - offset)];
}

bool QuantileSketch::Store::same_counts(const Store& other) const noexcept {
  if (total != other.total) return false;
  if (total == 0) return true;
  const std::int32_t lo = std::min(offset, other.offset);
  const std::int32_t hi = std::int32_t(std::max<std::int64_t>(offset + std::int64_t(counts.size()),
                                                              other.offset + std::int64_t(other.counts.size())));
  for (std::int32_t i = lo; i < hi; ++i)
    if (at(i) != other.at(i)) return false;
  return true;
}

void QuantileSketch::add(double x) {
  if (!std::isfinite(x)) throw std::invalid_argument("quantile sketch: value is not finite");
  add_at(x, index_of(std::fabs(x)));
}

void QuantileSketch::add(const double* x, std::size_t n) {
  // All or nothing: a non-finite value throws before anything is added.
  if (!all_finite(x, n)) throw std::invalid_argument("quantile sketch: value is not finite");
  add_finite(x, n);
}

// Inlined: called through a function, the all-positive chunks took 5% longer.
[[gnu::always_inline]] inline void QuantileSketch::count_chunk(Store& store, const std::int32_t* index, std::size_t m,
                                                               std::int32_t first, std::int32_t last, bool unchecked) {
  // The store grows once to hold the chunk's range, and the counts are
  // incremented with no per-value range check, unless a bucket could pass
  // 2^32 - 1 or the range needs collapsing: then one checked count each,
  // as single adds do (collapsing gives the same buckets in any order).
  if (unchecked && store.cover(first, last, max_buckets_, false)) {
    std::uint32_t* counts = store.counts.data();
    const std::int32_t offset = store.offset;
    for (std::size_t k = 0; k < m; ++k) ++counts[index[k] - offset];
    store.total += m;
    return;
  }
  for (std::size_t k = 0; k < m; ++k) count_at(store, index[k]);
}

void QuantileSketch::add_finite(const double* x, std::size_t n) {
  if (n == 0) return;
  // No bucket can pass 2^32 - 1 when the whole sketch stays below it: then
  // the counts are incremented unchecked.
  constexpr std::uint64_t bucket_limit = std::numeric_limits<std::uint32_t>::max();
  const bool unchecked = n_ <= bucket_limit && n <= bucket_limit - n_;
  constexpr std::size_t chunk = 512;
  std::int32_t index[chunk];
  for (std::size_t start = 0; start < n; start += chunk) {
    const std::size_t m = std::min(chunk, n - start);
    const double* v = x + start;
    double lo, hi;
    min_max(v, m, lo, hi);
    min_ = n_ == 0 ? lo : std::min(min_, lo);
    max_ = n_ == 0 ? hi : std::max(max_, hi);
    n_ += m;
    // Fast paths, counting exactly as the loop below would: a chunk all
    // below the zero floor (an output that is zero in most trials: no bucket
    // indices needed), and a chunk all positive whose buckets the store holds
    // after growing once (no per-value range checks or growth).
    if (lo > -floor_ && hi < floor_) {
      zero_ += m;
      continue;
    }
    // A constant chunk (an output fixed in this MSP's inputs): one index,
    // m counts in its bucket, as m single adds would leave them.
    if (lo == hi) {
      (lo > 0 ? positive_ : negative_).add(index_of(std::fabs(lo)), m, max_buckets_, false);
      continue;
    }
    const IndexRange range = bucket_indices(v, m, floor_, multiplier_, index);
    if (lo >= floor_) {  // all positive, the common case: no partition needed
      count_chunk(positive_, index, m, range.first, range.last, unchecked);
      continue;
    }
    // Zeros or both signs: the indices split by sign without a branch per
    // value (an unpredictable sign made that the cost before), positives
    // compacted to the front of `index`, then each list counted as an
    // all-positive chunk is.
    std::int32_t negative_index[chunk];
    const SignSplit split = split_by_sign(v, m, floor_, index, negative_index);
    const std::size_t np = split.positive, nn = split.negative;
    zero_ += m - np - nn;
    if (np > 0) {
      const IndexRange r = index_range(index, np);
      count_chunk(positive_, index, np, r.first, r.last, unchecked);
    }
    if (nn > 0) {
      const IndexRange r = index_range(negative_index, nn);
      count_chunk(negative_, negative_index, nn, r.first, r.last, unchecked);
    }
  }
}

void QuantileSketch::add_at(double x, std::int32_t index) {
  if (n_ == 0) {
    min_ = max_ = x;
  } else {
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
  }
  ++n_;
  if (std::fabs(x) < floor_) {
    ++zero_;
    return;
  }
  count_at(x > 0 ? positive_ : negative_, index);
}

void QuantileSketch::count_at(Store& store, std::int32_t index) {
  // Fast path: a bucket the store already covers, below its top (so no
  // collapsing is due).
  if (index >= store.offset && index <= store.top && !store.counts.empty()) {
    auto& c = store.counts[std::size_t(index - store.offset)];
    if (c == std::numeric_limits<std::uint32_t>::max())
      throw std::overflow_error("quantile sketch: more than 2^32 - 1 values in one bucket");
    ++c;
    ++store.total;
    return;
  }
  store.add(index, 1, max_buckets_, false);
}

namespace {
template <class T>
void put(std::vector<unsigned char>& out, const T& x) {
  const auto* b = reinterpret_cast<const unsigned char*>(&x);
  out.insert(out.end(), b, b + sizeof(T));
}
template <class T>
T get(const unsigned char*& p, const unsigned char* end) {
  if (std::size_t(end - p) < sizeof(T)) throw std::invalid_argument("quantile sketch: bytes end early");
  T x;
  std::memcpy(&x, p, sizeof(T));
  p += sizeof(T);
  return x;
}
}  // namespace

void QuantileSketch::append_bytes(std::vector<unsigned char>& out) const {
  put(out, alpha_);
  put(out, floor_);
  put(out, std::uint64_t(max_buckets_));
  for (const Store* s : {&positive_, &negative_}) {
    // The buckets from the lowest to the highest non-zero one: the rest of
    // the allocation says nothing.
    std::size_t first = 0, last = s->counts.size();
    while (first < last && s->counts[first] == 0) ++first;
    while (last > first && s->counts[last - 1] == 0) --last;
    put(out, std::int32_t(s->offset + std::int64_t(first)));
    put(out, s->top);
    put(out, s->total);
    put(out, std::uint64_t(last - first));
    const auto* b = reinterpret_cast<const unsigned char*>(s->counts.data() + first);
    out.insert(out.end(), b, b + (last - first) * sizeof(std::uint32_t));
  }
  put(out, zero_);
  put(out, n_);
  put(out, min_);
  put(out, max_);
}

QuantileSketch QuantileSketch::read_bytes(const unsigned char*& p, const unsigned char* end) {
  const auto alpha = get<double>(p, end);
  const auto floor = get<double>(p, end);
  QuantileSketch q(alpha, floor, std::size_t(get<std::uint64_t>(p, end)));
  for (Store* s : {&q.positive_, &q.negative_}) {
    s->offset = get<std::int32_t>(p, end);
    s->top = get<std::int32_t>(p, end);
    s->total = get<std::uint64_t>(p, end);
    const auto size = get<std::uint64_t>(p, end);
    if (size > q.max_buckets_ || std::uint64_t(end - p) < size * sizeof(std::uint32_t))
      throw std::invalid_argument("quantile sketch: bytes end early");
    s->counts.resize(std::size_t(size));
    if (size > 0) std::memcpy(s->counts.data(), p, std::size_t(size) * sizeof(std::uint32_t));  // data() may be null
    p += size * sizeof(std::uint32_t);
  }
  q.zero_ = get<std::uint64_t>(p, end);
  q.n_ = get<std::uint64_t>(p, end);
  q.min_ = get<double>(p, end);
  q.max_ = get<double>(p, end);
  return q;
}

void QuantileSketch::merge(const QuantileSketch& other) {
  if (other.alpha_ != alpha_ || other.floor_ != floor_ || other.max_buckets_ != max_buckets_)
    throw std::invalid_argument("quantile sketch: merging sketches with different parameters");
  if (other.n_ == 0) return;
  if (&other == this) {  // doubling: merge a copy, not the counts being changed
    const QuantileSketch copy(other);
    merge(copy);
    return;
  }
  if (n_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  n_ += other.n_;
  zero_ += other.zero_;
  for (const auto& [source, target] :
       {std::pair{&other.positive_, &positive_}, std::pair{&other.negative_, &negative_}}) {
    const Store* from = source;  // plain variables: lambdas cannot capture bindings before clang 16
    Store* to = target;
    if (from->total == 0) continue;
    // Highest bucket first (it sets the collapsing limit), then the lowest,
    // so that the store grows at most twice, to exactly what it needs.
    std::size_t first = 0, last = from->counts.size();
    while (from->counts[first] == 0) ++first;
    while (from->counts[last - 1] == 0) --last;
    const auto index = [&](std::size_t k) { return std::int32_t(from->offset + std::int64_t(k)); };
    // Fast path, counting exactly as the adds below would: no bucket can pass
    // 2^32 - 1 (the merged sketch holds fewer values) and the store holds
    // both ranges without collapsing, after growing once to exactly that.
    if (n_ <= std::numeric_limits<std::uint32_t>::max() &&
        to->cover(index(first), index(last - 1), max_buckets_, true)) {
      std::uint32_t* into = to->counts.data() + (index(first) - to->offset);
      const std::uint32_t* add = from->counts.data() + first;
      for (std::size_t k = 0; k < last - first; ++k) into[k] += add[k];
      to->total += from->total;
      continue;
    }
    to->add(index(last - 1), from->counts[last - 1], max_buckets_, true);
    if (first < last - 1) to->add(index(first), from->counts[first], max_buckets_, true);
    for (std::size_t k = first + 1; k + 1 < last; ++k) to->add(index(k), from->counts[k], max_buckets_, true);
  }
}

void QuantileSketch::clear() noexcept {
  for (Store* s : {&positive_, &negative_}) {
    s->counts.clear();
    s->offset = s->top = 0;
    s->total = 0;
  }
  zero_ = n_ = 0;
  min_ = max_ = 0;
}

void QuantileSketch::shrink_to_fit() {
  positive_.counts.shrink_to_fit();
  negative_.counts.shrink_to_fit();
}

std::size_t QuantileSketch::memory_bytes() const noexcept {
  return sizeof(*this) + (positive_.counts.capacity() + negative_.counts.capacity()) * sizeof(std::uint32_t);
}

bool QuantileSketch::same_counts(const QuantileSketch& other) const noexcept {
  return alpha_ == other.alpha_ && floor_ == other.floor_ && max_buckets_ == other.max_buckets_ &&
         n_ == other.n_ && zero_ == other.zero_ && min() == other.min() && max() == other.max() &&
         positive_.same_counts(other.positive_) && negative_.same_counts(other.negative_);
}

std::vector<double> QuantileSketch::order_statistics(const std::vector<std::uint64_t>& ranks) const {
  std::vector<double> out;
  out.reserve(ranks.size());
  for (std::size_t r = 1; r < ranks.size(); ++r)
    if (ranks[r] < ranks[r - 1]) throw std::invalid_argument("quantile sketch: ranks must be ascending");
  if (!ranks.empty() && ranks.back() >= n_) throw std::invalid_argument("quantile sketch: rank out of range");
  std::size_t next = 0;  // next rank to answer
  std::uint64_t below = 0;  // values in the buckets passed so far
  // Answers every pending rank that falls in a bucket of `count` values
  // represented by value(), computed only if some rank falls there.
  auto visit = [&](std::uint64_t count, auto value) {
    below += count;
    for (; next < ranks.size() && ranks[next] < below; ++next) {
      const std::uint64_t k = ranks[next];
      out.push_back(k == 0 ? min_ : k + 1 == n_ ? max_ : clamped(value()));
    }
  };
  // Ascending values: negatives from the largest magnitude, zero, positives.
  for (std::size_t k = negative_.counts.size(); k-- > 0 && next < ranks.size();)
    if (negative_.counts[k])
      visit(negative_.counts[k], [&] { return -value_of(std::int32_t(negative_.offset + std::int64_t(k))); });
  if (zero_ && next < ranks.size()) visit(zero_, [] { return 0.0; });
  for (std::size_t k = 0; k < positive_.counts.size() && next < ranks.size(); ++k)
    if (positive_.counts[k])
      visit(positive_.counts[k], [&] { return value_of(std::int32_t(positive_.offset + std::int64_t(k))); });
  return out;
}

double QuantileSketch::order_statistic(std::uint64_t k) const { return order_statistics({k}).front(); }

double QuantileSketch::top_mean(std::uint64_t k) const {
  if (k == 0 || k > n_) throw std::invalid_argument("quantile sketch: top_mean needs 1 <= k <= count");
  NeumaierSum sum;
  sum.add(max_);  // the largest value is known exactly
  std::uint64_t left = k - 1;
  bool skipped_max = false;  // the max's own count, in the highest non-empty bucket
  auto visit = [&](std::uint64_t count, double value) {
    if (!skipped_max) {
      --count;
      skipped_max = true;
    }
    const std::uint64_t take = std::min(count, left);
    if (take) sum.add(clamped(value) * double(take));
    left -= take;
  };
  // Descending values: positives from the largest, zero, negatives from the smallest magnitude.
  for (std::size_t j = positive_.counts.size(); j-- > 0 && left > 0;)
    if (positive_.counts[j]) visit(positive_.counts[j], value_of(std::int32_t(positive_.offset + std::int64_t(j))));
  if (zero_ && left > 0) visit(zero_, 0.0);
  for (std::size_t j = 0; j < negative_.counts.size() && left > 0; ++j)
    if (negative_.counts[j]) visit(negative_.counts[j], -value_of(std::int32_t(negative_.offset + std::int64_t(j))));
  return sum.value() / double(k);
}

namespace {

// Compensated sums (each addition's exact rounding error by Knuth's
// branch-free TwoSum, accumulated apart) of x[i] (squares = false) or of
// (x[i] - mean)^2 (squares = true) over i in [0, n), in eight interleaved
// lanes (lane l takes the i with i mod 8 = l, in index order) combined in
// lane order at the end: the same bits every run, with eight independent
// chains of additions instead of one, written so that the lanes vectorise
// (SIMD clones). The error bound is that of one compensated sum.
constexpr std::size_t sum_lanes = 8;

// The eight lanes as one vector value V of eight doubles (one AVX-512
// register) or two of four (Quad, one AVX2 register each): a 64-byte value
// goes through the stack in the AVX2 clone (about 70 instructions per eight
// values), while two Quads in the AVX-512 clone take twice the
// instructions of one 64-byte value (measured in perf: 3.0% of the 1,000-MSP
// run against 1.9%). So the AVX-512 code has its own function, picked at
// run time. The operations per lane are the same in every form, so the bits
// are too.
using Oct = double __attribute__((vector_size(8 * sizeof(double))));

// One step of Knuth's TwoSum (the exact error without a branch) on each lane
// of V. (By reference: clang warns that a vector argument by value changes
// the ABI where AVX is off, the default clone.)
template <class V, bool squares>
[[gnu::always_inline]] inline void lane_step(const V& x, const V& m, V& s, V& c) noexcept {
  const V d = x - m;
  const V v = squares ? d * d : x;
  const V t = s + v;
  const V bv = t - s;
  c += (s - (t - bv)) + (v - bv);
  s = t;
}

template <class V, bool squares>
[[gnu::always_inline]] inline void lane_sums(const double* __restrict x, std::size_t n, double mean,
                                             double* __restrict sum, double* __restrict comp) noexcept {
  constexpr std::size_t width = sizeof(V) / sizeof(double);
  static_assert(width == sum_lanes || 2 * width == sum_lanes);
  V s0 = {}, s1 = {}, c0 = {}, c1 = {};
  const V m = V{} + mean;
  std::size_t i = 0;
  for (; i + sum_lanes <= n; i += sum_lanes) {
    V v0;
    std::memcpy(&v0, x + i, sizeof v0);
    lane_step<V, squares>(v0, m, s0, c0);
    if constexpr (width < sum_lanes) {
      V v1;
      std::memcpy(&v1, x + i + width, sizeof v1);
      lane_step<V, squares>(v1, m, s1, c1);
    }
  }
  std::memcpy(sum, &s0, sizeof s0);
  std::memcpy(comp, &c0, sizeof c0);
  if constexpr (width < sum_lanes) {
    std::memcpy(sum + width, &s1, sizeof s1);
    std::memcpy(comp + width, &c1, sizeof c1);
  }
  for (std::size_t l = 0; i < n; ++i, ++l) {
    const double d = x[i] - mean;
    const double v = squares ? d * d : x[i];
    const double t = sum[l] + v;
    const double bv = t - sum[l];
    comp[l] += (sum[l] - (t - bv)) + (v - bv);
    sum[l] = t;
  }
}

#if defined(SWITCHCOST_X86_INTRINSICS) && !defined(SWITCHCOST_SANITIZED_BUILD)
#define SWITCHCOST_LANE_CLONES __attribute__((target_clones("avx2", "default")))
#define SWITCHCOST_LANES_AVX512 1
#else
#define SWITCHCOST_LANE_CLONES
#endif

SWITCHCOST_LANE_CLONES void value_lane_sums(const double* __restrict x, std::size_t n, double* __restrict sum,
                                            double* __restrict comp) noexcept {
  lane_sums<Quad, false>(x, n, 0.0, sum, comp);
}
SWITCHCOST_LANE_CLONES void square_lane_sums(const double* __restrict x, std::size_t n, double mean,
                                             double* __restrict sum, double* __restrict comp) noexcept {
  lane_sums<Quad, true>(x, n, mean, sum, comp);
}
#ifdef SWITCHCOST_LANES_AVX512
[[gnu::target("avx512f")]] void value_lane_sums_avx512(const double* __restrict x, std::size_t n,
                                                       double* __restrict sum, double* __restrict comp) noexcept {
  lane_sums<Oct, false>(x, n, 0.0, sum, comp);
}
[[gnu::target("avx512f")]] void square_lane_sums_avx512(const double* __restrict x, std::size_t n, double mean,
                                                        double* __restrict sum, double* __restrict comp) noexcept {
  lane_sums<Oct, true>(x, n, mean, sum, comp);
}
#endif

double lane_sum(const double* x, std::size_t n, bool squares, double mean) noexcept {
  double sum[sum_lanes], comp[sum_lanes];
#ifdef SWITCHCOST_LANES_AVX512
  if (cpu_has_avx512f()) {
    if (squares)
      square_lane_sums_avx512(x, n, mean, sum, comp);
    else
      value_lane_sums_avx512(x, n, sum, comp);
  } else
#endif
  if (squares)
    square_lane_sums(x, n, mean, sum, comp);
  else
    value_lane_sums(x, n, sum, comp);
  NeumaierSum total;
  for (std::size_t l = 0; l < sum_lanes; ++l) total.add(sum[l]);
  for (std::size_t l = 0; l < sum_lanes; ++l) total.add(comp[l]);
  return total.value();
}

}  // namespace

BlockMoments BlockMoments::of(const double* x, std::size_t n) {
  BlockMoments b;
  b.n = n;
  if (n == 0) return b;
  b.sum = lane_sum(x, n, false, 0.0);
  b.m2 = lane_sum(x, n, true, b.sum / double(n));
  return b;
}

BlockMoments BlockMoments::of(const double* x, std::size_t n, double min, double max) {
  // Zeros (+0 or -0) give +0 in every lane and every compensation, so both
  // sums are +0 (round to nearest: +0 + -0 = +0, and d * d = +0).
  if (n > 0 && min == 0 && max == 0) return {n, 0.0, 0.0};
  return of(x, n);
}

void MomentAccumulator::add(const BlockMoments& b) {
  if (b.n == 0) return;
  if (n_ > 0) {
    // Chan et al.: M2 of the union = M2_a + M2_b + d^2 n_a n_b / (n_a + n_b).
    const double na = double(n_), nb = double(b.n);
    const double d = b.sum / nb - sum_.value() / na;
    m2_.add(d * d * (na * nb / (na + nb)));
  }
  m2_.add(b.m2);
  sum_.add(b.sum);
  n_ += b.n;
}

double MomentAccumulator::mean() const noexcept { return n_ ? sum_.value() / double(n_) : 0.0; }

double MomentAccumulator::sd() const noexcept {
  return n_ > 1 ? std::sqrt(std::max(0.0, m2_.value()) / (double(n_) - 1)) : 0.0;
}

double MomentAccumulator::se() const noexcept { return n_ ? sd() / std::sqrt(double(n_)) : 0.0; }

Stats summarize(const MomentAccumulator& moments, const QuantileSketch& sketch, double origin) {
  if (moments.count() != sketch.count())
    throw std::invalid_argument("summarize: the moments and the sketch count different trials");
  Stats st;
  st.n = sketch.count();
  if (st.n == 0) {
    for (double p : percentile_levels()) st.percentiles.push_back({p, 0, 0, 0});
    return st;
  }
  st.mean = moments.mean();
  st.sd = moments.sd();
  st.se = moments.se();
  st.min = sketch.min() + origin;
  st.max = sketch.max() + origin;
  const auto n = std::size_t(st.n);
  std::vector<PercentileRanks> at_level;
  std::vector<std::uint64_t> ranks;
  for (double p : percentile_levels()) {
    const PercentileRanks r = percentile_ranks(n, p);
    at_level.push_back(r);
    ranks.insert(ranks.end(), {r.below, r.above, r.lo, r.hi});
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  const std::vector<double> values = sketch.order_statistics(ranks);
  auto x = [&](std::size_t rank) {
    return values[std::size_t(std::lower_bound(ranks.begin(), ranks.end(), rank) - ranks.begin())] + origin;
  };
  for (std::size_t k = 0; k < percentile_levels().size(); ++k) {
    const PercentileRanks& r = at_level[k];
    const double value = x(r.below) + (r.h - double(r.below)) * (x(r.above) - x(r.below));
    st.percentiles.push_back({percentile_levels()[k], value, x(r.lo), x(r.hi)});
  }
  st.cvar95 = sketch.top_mean(tail_count(n)) + origin;
  // From the estimated top order statistics (each within alpha) over the exact sum.
  if (st.min >= 0 && st.mean > 0) {
    const std::size_t k = top_share_count(n);
    st.top_share = std::clamp((sketch.top_mean(k) + origin) * double(k) / (st.mean * double(n)), 0.0, 1.0);
  }
  return st;
}

}  // namespace switchcost::sim

#include "sim/stats/summary.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

namespace switchcost::sim {

const std::vector<double>& percentile_levels() {
  static const std::vector<double> levels = {0.05, 0.10, 0.50, 0.90, 0.95, 0.99};
  return levels;
}

const Percentile& Stats::at(double p) const {
  for (const auto& q : percentiles)
    if (std::fabs(q.p - p) < 1e-12) return q;
  throw std::logic_error("no percentile at the requested level");
}

namespace {

// Puts the order statistics at every index in ranks[lo, hi) (ascending,
// within [first, last)) in place, as a full sort would, in O(n log k):
// select the middle rank, then recurse on each side with its ranks.
void select_ranks(double* data, std::size_t first, std::size_t last, const std::vector<std::size_t>& ranks,
                  std::size_t lo, std::size_t hi) {
  while (lo < hi && first < last) {
    const std::size_t mid = lo + (hi - lo) / 2;
    const std::size_t r = ranks[mid];
    std::nth_element(data + first, data + r, data + last);
    select_ranks(data, first, r, ranks, lo, mid);  // ranks below r
    first = r + 1;                                 // ranks above r, iteratively
    lo = mid + 1;
  }
}

// An unsigned key with the order of the doubles (finite ones): negative
// values have all bits flipped, others the sign bit set.
inline std::uint64_t order_key(double v) noexcept {
  const auto bits = std::bit_cast<std::uint64_t>(v);
  return bits >> 63 ? ~bits : bits | 0x8000000000000000ULL;
}

// The arrays of order_statistics, kept per thread from call to call: the
// histogram's (at most 2^16 + 1 and 2^16 entries, 768 KB) and the gathered
// values (the tail's 5% and the buckets of the wanted ranks: up to all of
// them for an output that is mostly one value, as zero incidents are; kept
// up to gathered_kept values, and not zeroed, as every slot used is
// written). Allocated afresh for each output, their pages were faulted in
// and cleared every time: 12% of a default `switchcost run` (100,000
// trials, one MSP), more than the three passes over the values.
struct OrderScratch {
  static constexpr std::size_t gathered_kept = std::size_t(1) << 21;  // 16 MiB
  std::vector<std::size_t> start;
  std::vector<std::int32_t> group_of;
  std::unique_ptr<double[]> gathered;
  std::size_t gathered_capacity = 0;
  // Room for n values, uninitialised.
  double* gather_space(std::size_t n) {
    if (n > gathered_capacity) {
      gathered.reset();  // before the new one: at most one held
      gathered = std::make_unique_for_overwrite<double[]>(n);
      gathered_capacity = n;
    }
    return gathered.get();
  }
  // Lets go of a big one (a long series with a heavy tie) after use.
  void trim() {
    if (gathered_capacity > gathered_kept) {
      gathered.reset();
      gathered_capacity = 0;
    }
  }
};
OrderScratch& order_scratch() {
  thread_local OrderScratch scratch;
  return scratch;
}

// The sum of x, the range of its order keys and its least value: the first
// pass over x, which summarize and order_statistics share.
struct FirstPass {
  NeumaierSum sum;  // in index order
  std::uint64_t key_min = ~0ULL, key_max = 0;
  double min = 0;  // the first of the least values, as std::min_element gives
};
FirstPass first_pass(std::span<const double> x) {
  FirstPass f;
  if (x.empty()) return f;
  f.min = x[0];
  for (const double v : x) {
    f.sum.add(v);
    const std::uint64_t k = order_key(v);
    f.key_min = k < f.key_min ? k : f.key_min;
    f.key_max = k > f.key_max ? k : f.key_max;
    f.min = v < f.min ? v : f.min;
  }
  return f;
}

// The order statistics of x (finite, n >= 1) at `ranks` (ascending, unique,
// < n) and its largest `tail` values in ascending order, without sorting or
// copying x: after the first pass (the range of the keys), one for a
// histogram of up to 2^16 buckets of equal key width, one that gathers the
// values of the buckets holding a wanted rank and of those from the first
// tail rank up; the ranks are then selected within those few values
// (select_ranks). Exact: the same values as a full sort. Three streaming
// passes instead of about ten passes of comparisons and a copy of x (whose
// fresh pages cost more than the rest on the CI machine).
// When `squares` is given, the histogram's pass also adds (v - mean)^2 of
// every value to it, in index order (the same bits as a pass of its own).
void order_statistics(std::span<const double> x, const FirstPass& keys, const std::vector<std::size_t>& ranks,
                      std::size_t tail, std::vector<double>& at_rank, std::vector<double>& top,
                      NeumaierSum* squares = nullptr, double mean = 0) {
  const std::size_t n = x.size();
  const std::uint64_t key_min = keys.key_min, key_max = keys.key_max;
  // About eight values a bucket on average, 2^8 to 2^16 buckets (zeroing
  // more buckets than that costs more than it saves).
  const int histogram_bits = std::clamp(int(std::bit_width(n)) - 3, 8, 16);
  const int width = int(std::bit_width(key_max - key_min));
  const int shift = width > histogram_bits ? width - histogram_bits : 0;
  const std::size_t buckets = std::size_t((key_max - key_min) >> shift) + 1;
  OrderScratch& scratch = order_scratch();
  // start[b]: values in the buckets below b, so bucket b holds start[b + 1] - start[b]
  // (counted into start[b + 1], then summed up in place).
  std::vector<std::size_t>& start = scratch.start;
  start.assign(buckets + 1, 0);
  if (squares) {
    NeumaierSum sq = *squares;
    for (const double v : x) {
      ++start[std::size_t((order_key(v) - key_min) >> shift) + 1];
      sq.add((v - mean) * (v - mean));
    }
    *squares = sq;
  } else {
    for (const double v : x) ++start[std::size_t((order_key(v) - key_min) >> shift) + 1];
  }
  for (std::size_t b = 0; b < buckets; ++b) start[b + 1] += start[b];
  const auto count = [&](std::size_t b) { return start[b + 1] - start[b]; };
  const auto bucket_of = [&](std::size_t rank) {
    return std::size_t(std::upper_bound(start.begin(), start.end(), rank) - start.begin()) - 1;
  };
  // Groups of values to gather: one per bucket holding a wanted rank below
  // the tail's first bucket, and one for every bucket from that on.
  const std::size_t tail_bucket = bucket_of(n - tail);
  constexpr std::int32_t skip = -1;
  std::vector<std::int32_t>& group_of = scratch.group_of;
  group_of.assign(buckets, skip);
  std::vector<std::size_t> group_first;  // rank of each group's first value
  std::vector<std::size_t> group_size;
  for (const std::size_t r : ranks) {
    const std::size_t b = bucket_of(r);
    if (b >= tail_bucket || group_of[b] != skip) continue;
    group_of[b] = std::int32_t(group_first.size());
    group_first.push_back(start[b]);
    group_size.push_back(count(b));
  }
  const auto tail_group = std::int32_t(group_first.size());
  for (std::size_t b = tail_bucket; b < buckets; ++b) group_of[b] = tail_group;
  group_first.push_back(start[tail_bucket]);
  group_size.push_back(n - start[tail_bucket]);
  std::vector<std::size_t> offset(group_size.size() + 1, 0);
  for (std::size_t g = 0; g < group_size.size(); ++g) offset[g + 1] = offset[g] + group_size[g];
  double* const gathered = scratch.gather_space(offset.back());
  std::vector<std::size_t> fill(offset.begin(), offset.end() - 1);
  for (const double v : x) {
    const std::int32_t g = group_of[std::size_t((order_key(v) - key_min) >> shift)];
    if (g != skip) gathered[fill[std::size_t(g)]++] = v;
  }
  // Within each group, the wanted ranks (and, in the tail group, the tail's
  // first rank) are selected as in a sort of the group alone.
  std::vector<std::size_t> local;
  for (std::size_t g = 0; g < group_size.size(); ++g) {
    local.clear();
    const std::size_t first = group_first[g], last = first + group_size[g];
    const bool is_tail = g + 1 == group_size.size();
    double* data = gathered + offset[g];
    // A group of one value (a bucket of ties: the zero incidents of most
    // trials) is in order already.
    const auto first_bits = std::bit_cast<std::uint64_t>(data[0]);  // bits: -0 and +0 are not ties here
    const bool ties = std::all_of(data, data + group_size[g],
                                  [&](double v) { return std::bit_cast<std::uint64_t>(v) == first_bits; });
    // The tail's values are sorted below, which puts every wanted rank from
    // the tail's first on in place: only the ranks below it are selected.
    // Equal values then have equal bits wherever they land, unless -0 and +0
    // are both there (finite values), so a group holding a -0 selects every
    // rank first, as a sort of the group would place them.
    const std::size_t tail_first = n - tail - first;  // in the tail group
    const bool select_all = !is_tail || std::any_of(data, data + group_size[g], [](double v) {
      return std::bit_cast<std::uint64_t>(v) == std::bit_cast<std::uint64_t>(-0.0);
    });
    if (is_tail) local.push_back(tail_first);
    for (const std::size_t r : ranks)
      if (r >= first && r < last && (select_all || r - first < tail_first)) local.push_back(r - first);
    std::sort(local.begin(), local.end());
    local.erase(std::unique(local.begin(), local.end()), local.end());
    if (!ties) select_ranks(data, 0, group_size[g], local, 0, local.size());
    if (is_tail) std::sort(data + (n - tail - first), data + group_size[g]);
  }
  at_rank.clear();
  for (const std::size_t r : ranks) {
    const std::int32_t g = group_of[bucket_of(r)];
    at_rank.push_back(gathered[offset[std::size_t(g)] + (r - group_first[std::size_t(g)])]);
  }
  const double* tail_values = gathered + offset[std::size_t(tail_group)] + (n - tail - group_first.back());
  top.assign(tail_values, tail_values + tail);
  scratch.trim();
}

}  // namespace

PercentileRanks percentile_ranks(std::size_t size, double p) {
  const double n = double(size);
  // 95% interval for the p-quantile: order statistics at n p -+ 1.96 sqrt(n p (1-p)).
  const double half = 1.959963984540054 * std::sqrt(n * p * (1 - p));
  const double lo_rank = std::max(0.0, std::floor(n * p - half) - 1);
  const double hi_rank = std::min(n - 1, std::ceil(n * p + half) - 1);
  const double h = double(size - 1) * p;  // type 7: interpolate between floor(h) and the next
  const auto below = std::size_t(std::floor(h));
  return {below, std::min(below + 1, size - 1), std::size_t(lo_rank), std::size_t(hi_rank), h};
}

std::size_t tail_count(std::size_t n) { return std::max<std::size_t>(1, std::size_t(std::ceil(0.05 * double(n)))); }

std::size_t top_share_count(std::size_t n) {
  return std::max<std::size_t>(1, std::size_t(std::ceil(0.001 * double(n))));
}

Stats summarize(std::span<const double> x) {
  Stats st;
  st.n = x.size();
  if (x.empty()) {
    for (double p : percentile_levels()) st.percentiles.push_back({p, 0, 0, 0});
    return st;
  }
  const double n = double(x.size());
  // The sum, the range of the order keys and the least value in one pass
  // (three before: the sum's chain of additions leaves room for the rest).
  const FirstPass first = first_pass(x);
  st.mean = first.sum.value() / n;

  // Only a few order statistics are needed: the two around each percentile,
  // the ends of its interval, and the worst 5% (sorted, for CVaR95). They are
  // selected rather than sorted (order_statistics: a histogram of the values
  // narrows them to a few buckets), which gives the same values in O(n).
  std::vector<PercentileRanks> at_level;
  const std::size_t tail = tail_count(x.size());
  std::vector<std::size_t> ranks = {x.size() - tail};
  for (double p : percentile_levels()) {
    const PercentileRanks r = percentile_ranks(x.size(), p);
    at_level.push_back(r);
    ranks.insert(ranks.end(), {r.below, r.above, r.lo, r.hi});
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  std::vector<double> at_rank, top;
  NeumaierSum squares;  // the sd's sum, in the histogram's pass
  order_statistics(x, first, ranks, tail, at_rank, top, &squares, st.mean);
  st.sd = x.size() > 1 ? std::sqrt(squares.value() / (n - 1)) : 0.0;
  st.se = st.sd / std::sqrt(n);
  const auto value_at = [&](std::size_t rank) {
    return at_rank[std::size_t(std::lower_bound(ranks.begin(), ranks.end(), rank) - ranks.begin())];
  };
  st.min = first.min;
  st.max = top.back();
  for (std::size_t k = 0; k < percentile_levels().size(); ++k) {
    const double p = percentile_levels()[k];
    const PercentileRanks& r = at_level[k];
    const double below = value_at(r.below), above = value_at(r.above);
    const double value = below + (r.h - double(r.below)) * (above - below);
    st.percentiles.push_back({p, value, value_at(r.lo), value_at(r.hi)});
  }
  NeumaierSum worst;
  for (const double v : top) worst.add(v);
  st.cvar95 = worst.value() / double(tail);
  // The top 0.1% are the last of the (ascending) top 5%: tail >= top_share_count.
  const double sum = first.sum.value();
  if (first.min >= 0 && sum > 0) {
    NeumaierSum largest;
    const std::size_t k = top_share_count(x.size());
    for (std::size_t i = top.size() - k; i < top.size(); ++i) largest.add(top[i]);
    st.top_share = std::min(1.0, largest.value() / sum);
  }
  return st;
}

MeanAndPercentile mean_and_percentile(std::span<const double> x, double p) {
  MeanAndPercentile r;
  if (x.empty()) return r;
  const FirstPass first = first_pass(x);  // as summarize
  r.mean = first.sum.value() / double(x.size());
  const PercentileRanks ranks = percentile_ranks(x.size(), p);
  std::vector<std::size_t> wanted = {ranks.below, ranks.above};
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  std::vector<double> at_rank, top;
  order_statistics(x, first, wanted, 1, at_rank, top);  // and the largest value (the least tail there is)
  const double below = at_rank.front(), above = at_rank.back();
  r.value = below + (ranks.h - double(ranks.below)) * (above - below);
  return r;
}

double mean_of(std::span<const double> x) {
  if (x.empty()) return 0;
  NeumaierSum sum;  // in index order, as first_pass
  for (const double v : x) sum.add(v);
  return sum.value() / double(x.size());
}

Proportion share_below(std::span<const double> x, double threshold) {
  Proportion p;
  if (x.empty()) return p;
  std::size_t k = 0;
  for (double v : x) k += v < threshold ? 1 : 0;
  const double n = double(x.size());
  p.value = double(k) / n;
  p.se = std::sqrt(p.value * (1 - p.value) / n);
  return p;
}

}  // namespace switchcost::sim

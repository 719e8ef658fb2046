#include "sim/base/values.h"

#include <sys/mman.h>

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <utility>

#include "sim/base/intrinsics.h"

namespace switchcost::sim {

namespace {
constexpr std::size_t series_alignment = 64;  // a cache line: aligned vector loads and stores
std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

// The mapping of the last arena destroyed, kept for the next one: a process
// that runs again (compare's alternatives, a library user's loop, the
// benchmarks) reuses memory that is already faulted in, as malloc does for
// its own freed blocks, instead of paying the first-touch faults and the
// kernel's zero-filling again (the kernel's page clearing alone was 4% of
// repeated 100,000-trial single-MSP runs in perf). At most spare_limit bytes
// are held this way; bigger mappings go back to the system at once.
struct Mapping {
  void* start = nullptr;     // what munmap takes
  std::size_t bytes = 0;     // bytes mapped
  char* base = nullptr;      // start inside: 2 MiB-aligned with huge pages
  std::size_t usable = 0;    // bytes usable from base
  bool huge = false;         // mapped with huge pages
};
constexpr std::size_t spare_limit = std::size_t(1) << 30;
std::mutex spare_mutex;
Mapping spare;

}  // namespace

SeriesArena::SeriesArena(std::size_t bytes) {
  if (bytes > std::size_t(-1) / 2) throw std::bad_alloc();
  // Huge pages from two of them on; below, 4 KiB pages: a huge page is
  // cleared whole when first touched, 2 MiB for the 704 bytes of a one-trial
  // run (13% of its time on the development VM).
  huge_ = bytes >= 2 * huge_page;
  capacity_ = round_up(bytes == 0 ? 1 : bytes, huge_ ? huge_page : small_page);
  Mapping kept;
  {
    std::lock_guard<std::mutex> lock(spare_mutex);
    std::swap(kept, spare);
  }
  if (kept.usable >= capacity_) {  // of either kind: it is faulted in already
    mapping_ = kept.start;
    mapped_ = kept.bytes;
    base_ = kept.base;
    huge_ = kept.huge;
    return;
  }
  if (kept.start) ::munmap(kept.start, kept.bytes);  // too small: no use holding it
  // With huge pages, one more than needed, so that the start can be aligned to one.
  mapped_ = capacity_ + (huge_ ? huge_page : 0);
  void* p = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  mapping_ = p;
  base_ = static_cast<char*>(p);
  if (huge_) {
    base_ = reinterpret_cast<char*>(round_up(reinterpret_cast<std::uintptr_t>(p), huge_page));
    ::madvise(base_, capacity_, MADV_HUGEPAGE);  // fails harmlessly where huge pages are off
  }
}

SeriesArena::~SeriesArena() {
  // What the next arena may use: from base_ to the end, in whole pages of the kind mapped.
  Mapping mine{mapping_, mapped_, base_, mapped_ - std::size_t(base_ - static_cast<char*>(mapping_)), huge_};
  const std::size_t page = huge_ ? huge_page : small_page;
  mine.usable = mine.usable / page * page;
  Mapping unused = mine;  // what goes back to the system
  if (mapped_ <= spare_limit) {
    std::lock_guard<std::mutex> lock(spare_mutex);
    std::swap(spare, unused);  // keep the newest; the one it replaces goes
  }
  if (unused.start) ::munmap(unused.start, unused.bytes);
}

void* SeriesArena::take(std::size_t bytes) noexcept {
  const std::size_t size = round_up(bytes == 0 ? 1 : bytes, series_alignment);
  if (size < bytes) return nullptr;  // wrapped
  std::size_t start = used_.load(std::memory_order_relaxed);
  do {
    if (size > capacity_ - start) return nullptr;
  } while (!used_.compare_exchange_weak(start, start + size, std::memory_order_relaxed));
  return base_ + start;
}

bool SeriesArena::owns(const void* p) const noexcept {
  const auto a = reinterpret_cast<std::uintptr_t>(p), b = reinterpret_cast<std::uintptr_t>(base_);
  return a >= b && a - b < capacity_;
}

void* allocate_series_bytes(std::size_t bytes) {
  void* p = nullptr;
  if (bytes >= 2 * SeriesArena::huge_page) {
    const std::size_t rounded = round_up(bytes, SeriesArena::huge_page);
    p = std::aligned_alloc(SeriesArena::huge_page, rounded);
    if (p) ::madvise(p, rounded, MADV_HUGEPAGE);
  } else {
    p = std::malloc(bytes == 0 ? 1 : bytes);
  }
  if (!p) throw std::bad_alloc();
  return p;
}

void free_series_bytes(void* p) noexcept { std::free(p); }

// An integer OR over the exponent fields, so that the loop vectorises.
SWITCHCOST_SIMD_CLONES bool all_finite(const double* x, std::size_t n) noexcept {
  constexpr std::uint64_t exponent = 0x7FF0000000000000ULL;
  std::uint64_t special = 0;
  for (std::size_t k = 0; k < n; ++k) special |= (std::bit_cast<std::uint64_t>(x[k]) & exponent) == exponent ? 1u : 0u;
  return special == 0;
}

}  // namespace switchcost::sim

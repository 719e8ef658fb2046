// Storage for long per-trial series (a run keeps up to 11 per MSP and 11 for
// the portfolio, each one double per trial).
//
// Two things make fresh memory expensive: zero-filling it, which
// std::vector<double>(n) does on one thread although every element is written
// later, and first-touch page faults, one per 4 KiB page, which on virtual
// machines cost microseconds each. Measured on the 2-core CI machine: the
// 350-endpoint MSP's 100,000-trial run (22 series of 800 KB) took 106 ms per
// run when each series was a separate allocation, 40 ms when the same memory
// was reused without faults; 15 us per 4 KiB page.
//
// So the elements are left uninitialised (they are written before they are
// read), and a run takes all its series from one SeriesArena: a single
// mapping, 2 MiB-aligned, for which the kernel is asked for transparent huge
// pages (madvise MADV_HUGEPAGE: 512 times fewer faults). Where huge pages are
// off the madvise call fails harmlessly and normal pages are used.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace switchcost::sim {

// One mapping that series are carved from, front to back. The arena lives
// until the last series (each holds a reference through its allocator) is
// gone; its mapping then goes back to the system, or, up to 1 GiB, is kept
// for the process's next arena (memory already faulted in; see values.cpp).
class SeriesArena {
 public:
  // Reserves `bytes`, rounded up to 2 MiB huge pages from 4 MiB on, else to
  // 4 KiB pages; throws std::bad_alloc.
  explicit SeriesArena(std::size_t bytes);
  ~SeriesArena();
  SeriesArena(const SeriesArena&) = delete;
  SeriesArena& operator=(const SeriesArena&) = delete;

  // `bytes` from the arena, 64-byte aligned, or nullptr when it is full.
  // Safe to call from several threads.
  void* take(std::size_t bytes) noexcept;
  bool owns(const void* p) const noexcept;
  std::size_t capacity() const noexcept { return capacity_; }

  static constexpr std::size_t huge_page = std::size_t(2) << 20;
  static constexpr std::size_t small_page = 4096;

 private:
  char* base_ = nullptr;      // start: 2 MiB-aligned with huge pages, else 4 KiB
  void* mapping_ = nullptr;   // what munmap takes
  std::size_t mapped_ = 0;    // bytes mapped
  std::size_t capacity_ = 0;  // bytes usable from base_
  bool huge_ = false;         // mapped with huge pages
  std::atomic<std::size_t> used_{0};
};

// Plain allocation for series outside an arena: malloc, or for 4 MiB and
// more a 2 MiB-aligned block with MADV_HUGEPAGE.
void* allocate_series_bytes(std::size_t bytes);
void free_series_bytes(void* p) noexcept;

// The allocator of Values. Without an arena it allocates with
// allocate_series_bytes; with one, from the arena while it has room.
// Two allocators are equal when they share the arena (or both have none),
// and the allocator moves with the memory (propagate_*), so memory is
// always given back to an allocator that can tell where it came from.
// A copy of a series (copy construction) does not use the arena.
template <class T>
struct SeriesAllocator {
  using value_type = T;
  using propagate_on_container_copy_assignment = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  using is_always_equal = std::false_type;

  std::shared_ptr<SeriesArena> arena;

  SeriesAllocator() noexcept = default;
  explicit SeriesAllocator(std::shared_ptr<SeriesArena> a) noexcept : arena(std::move(a)) {}
  template <class U>
  SeriesAllocator(const SeriesAllocator<U>& other) noexcept : arena(other.arena) {}  // NOLINT(google-explicit-constructor)

  SeriesAllocator select_on_container_copy_construction() const noexcept { return SeriesAllocator(); }

  T* allocate(std::size_t n) {
    if (n > std::size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
    if (arena)
      if (void* p = arena->take(n * sizeof(T))) return static_cast<T*>(p);
    return static_cast<T*>(allocate_series_bytes(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t) noexcept {
    if (arena && arena->owns(p)) return;  // freed with the arena
    free_series_bytes(p);
  }

  // Value-initialisation (resize(n), vector(n)) leaves the elements
  // uninitialised; any other construction is the usual one.
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <class U>
  bool operator==(const SeriesAllocator<U>& other) const noexcept {
    return arena == other.arena;
  }
};

// A per-trial series: a std::vector whose resize(n) does not zero-fill.
using Values = std::vector<double, SeriesAllocator<double>>;

// Whether every x[k] is finite (no NaN, no infinity); vectorised.
bool all_finite(const double* x, std::size_t n) noexcept;

}  // namespace switchcost::sim

// Storage for long per-trial series (a run keeps up to 11 per MSP and 11 for
// the portfolio, each one double per trial).
//
// Two things make fresh memory expensive: zero-filling it, which
// std::vector<double>(n) does on one thread although every element is written
// later, and first-touch page faults, one per 4 KiB page, which on virtual
// machines cost microseconds each (measured here: over 40% of a 100,000-trial
// run went to them). The allocator below leaves elements uninitialised (they
// are written before they are read) and asks the kernel for transparent huge
// pages (madvise MADV_HUGEPAGE: 2 MiB pages, 512 times fewer faults) for
// allocations of 4 MiB and more, aligned to 2 MiB. Where huge pages are off
// the madvise call fails harmlessly and normal pages are used.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>
#include <vector>

namespace switchcost::sim {

template <class T>
struct SeriesAllocator {
  using value_type = T;
  static constexpr std::size_t huge_page = std::size_t(2) << 20;

  SeriesAllocator() noexcept = default;
  template <class U>
  SeriesAllocator(const SeriesAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)

  T* allocate(std::size_t n) {
    if (n > std::size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes = n * sizeof(T);
    void* p = nullptr;
    if (bytes >= 2 * huge_page) {
      const std::size_t rounded = (bytes + huge_page - 1) / huge_page * huge_page;
      p = std::aligned_alloc(huge_page, rounded);
      if (p) ::madvise(p, rounded, MADV_HUGEPAGE);
    } else {
      p = std::malloc(bytes == 0 ? 1 : bytes);
    }
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) noexcept { std::free(p); }

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
  bool operator==(const SeriesAllocator<U>&) const noexcept {
    return true;
  }
};

// A per-trial series: a std::vector whose resize(n) does not zero-fill.
using Values = std::vector<double, SeriesAllocator<double>>;

}  // namespace switchcost::sim

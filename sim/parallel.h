// A parallel loop over independent tasks, for the work after a run (the
// statistics of every MSP and output): each task writes only its own result,
// so the outputs are the same bytes for any thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace switchcost::sim {

// Calls task(i) once for every i in [0, n), on up to `threads` threads (the
// calling one among them), in no set order; or task(i, worker), with worker
// in [0, threads) the thread's own index (0 for the calling one), for tasks
// that need a per-thread workspace. If tasks throw, the remaining ones are
// skipped and, once every thread has stopped, the exception of the lowest
// index that threw is rethrown (of those that ran).
template <class Task>
void parallel_for(std::size_t n, unsigned threads, Task&& task) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::size_t failed_at = n;
  std::exception_ptr error;
  const auto work = [&](unsigned worker) {
    for (std::size_t i; !failed.load(std::memory_order_relaxed) && (i = next.fetch_add(1)) < n;) {
      try {
        if constexpr (std::is_invocable_v<Task&, std::size_t, unsigned>)
          task(i, worker);
        else
          task(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (i < failed_at) {
          failed_at = i;
          error = std::current_exception();
        }
        failed.store(true, std::memory_order_relaxed);
      }
    }
  };
  const std::size_t helpers = std::min<std::size_t>(std::max(1u, threads), n);
  std::vector<std::thread> pool;
  pool.reserve(helpers > 0 ? helpers - 1 : 0);
  try {
    for (std::size_t t = 1; t < helpers; ++t) pool.emplace_back(work, unsigned(t));
  } catch (...) {  // no more threads: the ones started and this one do it all
  }
  work(0u);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace switchcost::sim

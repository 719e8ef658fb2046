// A parallel loop over independent tasks, for the work after a run (the
// statistics of every MSP and output): each task writes only its own result,
// so the outputs are the same bytes for any thread count.
//
// Threads are started here, not taken from oneTBB's pool: oneTBB (2021.8)
// starts its workers lazily, the later ones from worker threads, and a
// refused thread (a limit on processes or address space) ends the process
// by std::terminate; it also caps its workers at the cores unless a
// process-wide global_control raises them. Here a run goes on with the
// threads the system gives (see start_threads).
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace switchcost::sim {

// The fewest threads a parallel section started from this thread could run
// on when it asked for more (0: none fell short). Creating a thread fails
// when a limit on processes or address space is reached; every section then
// runs on the threads it got, which gives the same results (they never
// depend on the thread count), and the command line says so once. Sections
// are started from the thread that runs the run (never from a worker), so
// the count is per thread: runs on two threads of one process keep their
// own, and the command line resets and reads it on its thread.
inline thread_local unsigned fewest_threads_started = 0;

// Notes that a parallel section ran on only `threads` threads.
inline void note_fewer_threads(unsigned threads) noexcept {
  if (fewest_threads_started == 0 || threads < fewest_threads_started) fewest_threads_started = threads;
}

// Starts worker(t) on a new thread for t = 1 .. count - 1, as many as the
// system gives; returns the threads that run, the calling one included (at
// least 1), and notes a shortfall in fewest_threads_started. The caller then
// runs worker(0) itself and joins every thread in pool. Threads wait at a
// gate until all are started; on a shortfall only a quarter of those
// started go on (the others end at once and are joined here), since the
// limit that stopped them (address space, processes) would otherwise leave
// nothing for the memory the workers themselves need.
template <class Worker>
unsigned start_threads(std::vector<std::thread>& pool, unsigned count, const Worker& worker) {
  const unsigned wanted = std::max(1u, count);
  if (wanted == 1) return 1;
  struct Gate {
    std::mutex mutex;
    std::condition_variable opened;
    bool open = false;
    unsigned keep = 0;  // threads with an index below it work
  };
  const auto gate = std::make_shared<Gate>();
  const std::size_t first = pool.size();
  try {
    pool.reserve(first + wanted - 1);
    for (unsigned t = 1; t < wanted; ++t)
      pool.emplace_back([gate, &worker, t] {
        {
          std::unique_lock<std::mutex> lock(gate->mutex);
          gate->opened.wait(lock, [&] { return gate->open; });
          if (t >= gate->keep) return;
        }
        worker(t);
      });
  } catch (...) {  // std::system_error (no thread) or std::bad_alloc: run on those started
  }
  const unsigned started = unsigned(pool.size() - first) + 1;
  const unsigned keep = started < wanted ? std::max(1u, started / 4) : started;
  {
    std::lock_guard<std::mutex> lock(gate->mutex);
    gate->open = true;
    gate->keep = keep;
  }
  gate->opened.notify_all();
  if (keep < started) {
    for (std::size_t i = first + keep - 1; i < pool.size(); ++i) pool[i].join();
    pool.resize(first + keep - 1);
    note_fewer_threads(keep);
  }
  return keep;
}

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
  if (helpers > 1) start_threads(pool, unsigned(helpers), work);  // fewer if no more: they do it all
  work(0u);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace switchcost::sim

// The process's thread pool, and a parallel loop over independent tasks on
// it (the statistics of every MSP and output, the tail pass, the quantile
// tables): each task writes only its own result, so the outputs are the same
// bytes for any thread count.
//
// The pool is our own, not oneTBB's: oneTBB (2021.8, Debian bookworm)
// starts its workers lazily, the later ones from worker threads, and a
// refused thread (a limit on processes or address space) ends the process
// by std::terminate; it also caps its workers at the cores unless a
// process-wide global_control raises them. Here a run goes on with the
// threads the system gives (see ThreadPool).
#pragma once

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
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

// The process's threads: every parallel section (a run's blocks, its
// statistics, the tail pass, the quantile tables) runs on this one pool
// instead of starting threads of its own. Threads are started the first time
// a section asks for them and kept, idle, for the next; sections from
// several threads (two runs in one process) share them.
//
// run(count, worker) calls worker(t) for t in [0, count): worker(0) on the
// calling thread, the others on pool threads as they are free. Workers must
// share out one piece of work (each takes items until none are left), so
// that any subset of them finishes it: a worker that no pool thread has
// started by the time worker(0) returns is withdrawn, never run. So a
// section never waits for a busy pool, and a section started from a pool
// thread cannot deadlock. run returns once every worker that started has
// returned, with the number that ran; the first exception a worker let
// escape is rethrown then (workers are expected to catch their own).
//
// When the system refuses a thread (a limit on processes or address space),
// the pool keeps a quarter of the threads it has, at least the calling one
// (the limit that stopped them would otherwise leave nothing for the memory
// the workers themselves need), starts no more for the rest of the process,
// and every section that asks for more notes the shortfall in
// fewest_threads_started. The results never depend on the thread count.
//
// A pool thread's stack is worker_stack_bytes(), not RLIMIT_STACK (which
// std::thread would take): the workers keep their data on the heap, and a
// large `ulimit -s` (64 MiB, say) would otherwise reserve that much address
// space per thread for as long as the pool keeps it.
class ThreadPool {
 public:
  // The pool of the process.
  static ThreadPool& process();

  ThreadPool() = default;
  ~ThreadPool();  // stops and joins the threads (idle by then)
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  template <class Worker>
  unsigned run(unsigned count, const Worker& worker) {
    if (count <= 1) {
      worker(0u);
      return 1;
    }
    const auto call = [](const void* w, unsigned t) { (*static_cast<const Worker*>(w))(t); };
    return run_erased(count, call, &worker);
  }

  // Threads of the pool now (the calling thread not counted), for tests.
  std::size_t threads() const;

 private:
  using Call = void (*)(const void*, unsigned);
  struct Section;
  unsigned run_erased(unsigned count, Call call, const void* worker);
  // To `wanted` threads if it can; returns the threads it has, and whether
  // the system has refused one.
  unsigned grow(unsigned wanted, bool& refused);
  void serve(std::size_t index);   // a pool thread's loop
  // Starts a thread running serve(index); throws std::system_error when the
  // system refuses it.
  pthread_t start(std::size_t index);

  mutable std::mutex mutex_;
  std::condition_variable work_;      // a section was queued, or threads are to stop
  std::condition_variable finished_;  // a worker of some section returned
  std::deque<Section*> queue_;        // sections with workers not yet started
  std::vector<pthread_t> threads_;
  std::size_t keep_ = SIZE_MAX;       // threads with an index >= keep_ end (after a refusal)
  bool refused_ = false;              // the system refused a thread: no more are started
  bool stopping_ = false;
};

// The stack of a pool thread [bytes]: 8 MiB (glibc's usual default), or
// RLIMIT_STACK when that is smaller, and never below PTHREAD_STACK_MIN.
std::size_t worker_stack_bytes() noexcept;

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
  ThreadPool::process().run(unsigned(helpers), work);  // fewer if the pool is busy or short: they do it all
  if (error) std::rethrow_exception(error);
}

}  // namespace switchcost::sim

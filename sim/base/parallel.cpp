#include "sim/base/parallel.h"

#include <sys/resource.h>

#include <climits>
#include <memory>
#include <system_error>

namespace switchcost::sim {

// A section's state, on the stack of the thread that runs it; guarded by
// the pool's mutex.
struct ThreadPool::Section {
  Call call;
  const void* worker;
  unsigned count;         // workers, the calling one included
  unsigned next = 1;      // the next worker a pool thread starts
  unsigned running = 0;   // workers on pool threads that have not returned
  std::exception_ptr error;
};

std::size_t worker_stack_bytes() noexcept {
  std::size_t bytes = std::size_t(8) << 20;
  struct rlimit stack {};
  if (getrlimit(RLIMIT_STACK, &stack) == 0 && stack.rlim_cur != RLIM_INFINITY && stack.rlim_cur < bytes)
    bytes = std::size_t(stack.rlim_cur);
  return std::max<std::size_t>(bytes, PTHREAD_STACK_MIN);
}

pthread_t ThreadPool::start(std::size_t index) {
  struct Start {
    ThreadPool* pool;
    std::size_t index;
  };
  pthread_attr_t attr;
  if (const int rc = pthread_attr_init(&attr); rc != 0) throw std::system_error(rc, std::generic_category());
  int rc = pthread_attr_setstacksize(&attr, worker_stack_bytes());
  auto arg = std::make_unique<Start>(Start{this, index});
  pthread_t id{};
  if (rc == 0)
    rc = pthread_create(
        &id, &attr,
        [](void* p) -> void* {
          const std::unique_ptr<Start> s(static_cast<Start*>(p));
          s->pool->serve(s->index);
          return nullptr;
        },
        arg.get());
  pthread_attr_destroy(&attr);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "pthread_create");
  arg.release();  // the thread owns it now
  return id;
}

ThreadPool& ThreadPool::process() {
  static ThreadPool pool;
  return pool;
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  for (const pthread_t t : threads_) pthread_join(t, nullptr);
}

std::size_t ThreadPool::threads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return threads_.size();
}

unsigned ThreadPool::grow(unsigned wanted, bool& refused) {
  std::vector<pthread_t> retired;
  unsigned have = 0;
  bool short_now = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!refused_) {
      try {
        threads_.reserve(wanted);
        while (threads_.size() < wanted) {
          const std::size_t index = threads_.size();
          threads_.push_back(start(index));
        }
      } catch (...) {  // std::system_error (no thread) or std::bad_alloc: keep a quarter
        refused_ = true;
        short_now = true;
        const std::size_t keep = std::max<std::size_t>(1, (threads_.size() + 1) / 4) - 1;
        keep_ = keep;
        for (std::size_t i = keep; i < threads_.size(); ++i) retired.push_back(threads_[i]);
        threads_.resize(keep);
      }
    }
    have = unsigned(threads_.size());
    refused = refused_;
  }
  if (short_now) {
    work_.notify_all();  // the retired threads see keep_ and end
    for (const pthread_t t : retired) pthread_join(t, nullptr);
  }
  return have;
}

void ThreadPool::serve(std::size_t index) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_.wait(lock, [&] { return stopping_ || index >= keep_ || !queue_.empty(); });
    if (stopping_ || index >= keep_) return;
    Section& s = *queue_.front();
    const unsigned t = s.next++;
    if (s.next >= s.count) queue_.pop_front();
    ++s.running;
    lock.unlock();
    std::exception_ptr error;
    try {
      s.call(s.worker, t);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (error && !s.error) s.error = error;
    --s.running;
    finished_.notify_all();  // s lives until its caller sees running == 0, under this lock
  }
}

unsigned ThreadPool::run_erased(unsigned count, Call call, const void* worker) {
  bool refused = false;
  const unsigned have = grow(count - 1, refused);
  if (have + 1 < count && refused) note_fewer_threads(have + 1);
  Section s{call, worker, count, 1, 0, nullptr};
  if (have > 0) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(&s);
    }
    work_.notify_all();
  }
  std::exception_ptr error;
  try {
    call(worker, 0);
  } catch (...) {
    error = std::current_exception();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  // Withdraw the workers no pool thread has started, then wait for the others.
  const auto queued = std::find(queue_.begin(), queue_.end(), &s);
  if (queued != queue_.end()) queue_.erase(queued);
  finished_.wait(lock, [&] { return s.running == 0; });
  if (!error) error = s.error;
  const unsigned ran = s.next;  // worker 0 and those started
  lock.unlock();
  if (error) std::rethrow_exception(error);
  return ran;
}

}  // namespace switchcost::sim

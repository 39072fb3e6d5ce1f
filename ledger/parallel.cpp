#include "ledger/parallel.h"

namespace circuledger::ledger {

namespace {
constexpr size_t kChunk = 4;  // items claimed at a time: small, so the applying thread rarely waits on a chunk
}

WorkerPool::WorkerPool(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

bool WorkerPool::RunOneChunk() {
  const size_t begin = next_.fetch_add(kChunk);
  if (begin >= n_) return false;
  const size_t end = std::min(n_, begin + kChunk);
  for (size_t i = begin; i < end; ++i) (*fn_)(i);
  return true;
}

void WorkerPool::RunChunks() {
  while (RunOneChunk()) {
  }
}

void WorkerPool::WorkerLoop() {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    RunChunks();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--busy_ == 0) done_cv_.notify_one();
    }
  }
}

void WorkerPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n <= kChunk) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  Start(n, fn);
  RunChunks();
  Wait();
}

void WorkerPool::Start(size_t n, const std::function<void(size_t)>& fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    n_ = n;
    next_.store(0);
    busy_ = workers_.size();
    ++generation_;
  }
  work_cv_.notify_all();
}

bool WorkerPool::HelpOne() { return RunOneChunk(); }

void WorkerPool::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return busy_ == 0; });
  fn_ = nullptr;
}

}  // namespace circuledger::ledger

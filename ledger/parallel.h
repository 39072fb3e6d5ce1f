// ledger/parallel.h: a fixed pool of worker threads for data-parallel loops (signature checks).
//
// ParallelFor(n, fn) runs fn(0..n-1) across the workers and the calling thread and returns when
// all are done. One loop at a time: ParallelFor is not re-entrant and must be called from one
// thread. The pool owns its threads and joins them on destruction.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace circuledger::ledger {

class WorkerPool {
 public:
  // threads = 0 means one per hardware thread. The caller counts as one of them.
  explicit WorkerPool(unsigned threads = 0);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  unsigned threads() const { return static_cast<unsigned>(workers_.size()) + 1; }
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

  // The same loop, split in three so the caller can do other work meanwhile: Start hands the
  // items to the workers (fn must outlive Wait), HelpOne runs one chunk on the calling thread
  // (false when none is left), Wait returns when every item is done. Items are claimed in
  // increasing order, in chunks.
  void Start(size_t n, const std::function<void(size_t)>& fn);
  bool HelpOne();
  void Wait();

 private:
  void WorkerLoop();
  void RunChunks();
  bool RunOneChunk();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  uint64_t generation_ = 0;  // guarded by mu_
  size_t busy_ = 0;          // workers still in the current loop; guarded by mu_
  bool stop_ = false;        // guarded by mu_
  const std::function<void(size_t)>* fn_ = nullptr;
  size_t n_ = 0;
  std::atomic<size_t> next_{0};
};

}  // namespace circuledger::ledger

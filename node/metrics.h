// node/metrics.h: counters and gauges of a running node, rendered as Prometheus text.
//
// Lock-free atomics, updated from the API threads and the block producer; Render() reads them
// without a lock (each value is individually consistent). Owned by the Node.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "ledger/reject.h"

namespace circuledger::node {

class Metrics {
 public:
  void TxAccepted() { tx_accepted_.fetch_add(1, std::memory_order_relaxed); }
  void TxRejected(ledger::Reject r) { rejected_[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed); }
  // A committed block: its transaction count and how long building + committing took.
  void BlockCommitted(uint64_t txs, uint64_t commit_us);

  // Prometheus text exposition format, with the gauges given by the caller.
  // signatures_verified: the executor's count of Schnorr verifications (cache misses).
  std::string Render(uint64_t height, uint64_t mempool_size, uint64_t signatures_verified) const;

 private:
  static constexpr size_t kBuckets = 8;
  static constexpr uint64_t kBucketUpperMs[kBuckets] = {1, 5, 10, 25, 50, 100, 250, 1000};

  std::atomic<uint64_t> tx_accepted_{0};
  std::atomic<uint64_t> tx_committed_{0};
  std::atomic<uint64_t> blocks_{0};
  std::array<std::atomic<uint64_t>, 256> rejected_{};
  std::array<std::atomic<uint64_t>, kBuckets> commit_buckets_{};
  std::atomic<uint64_t> commit_us_sum_{0};
};

}  // namespace circuledger::node

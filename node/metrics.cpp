#include "node/metrics.h"

#include <sstream>

namespace circuledger::node {

void Metrics::BlockCommitted(uint64_t txs, uint64_t commit_us) {
  blocks_.fetch_add(1, std::memory_order_relaxed);
  tx_committed_.fetch_add(txs, std::memory_order_relaxed);
  commit_us_sum_.fetch_add(commit_us, std::memory_order_relaxed);
  for (size_t i = 0; i < kBuckets; ++i) {
    if (commit_us <= kBucketUpperMs[i] * 1000) commit_buckets_[i].fetch_add(1, std::memory_order_relaxed);
  }
}

std::string Metrics::Render(uint64_t height, uint64_t mempool_size, uint64_t signatures_verified) const {
  std::ostringstream o;
  o << "# HELP circuledger_height Height of the last committed block.\n"
    << "# TYPE circuledger_height gauge\ncirculedger_height " << height << "\n"
    << "# HELP circuledger_mempool_size Transactions waiting for a block.\n"
    << "# TYPE circuledger_mempool_size gauge\ncirculedger_mempool_size " << mempool_size << "\n"
    << "# HELP circuledger_tx_accepted_total Transactions admitted to the mempool.\n"
    << "# TYPE circuledger_tx_accepted_total counter\ncirculedger_tx_accepted_total " << tx_accepted_.load() << "\n"
    << "# HELP circuledger_tx_committed_total Transactions committed in blocks.\n"
    << "# TYPE circuledger_tx_committed_total counter\ncirculedger_tx_committed_total " << tx_committed_.load() << "\n"
    << "# HELP circuledger_signatures_verified_total Transaction signatures verified (cache misses).\n"
    << "# TYPE circuledger_signatures_verified_total counter\ncirculedger_signatures_verified_total "
    << signatures_verified << "\n"
    << "# HELP circuledger_tx_rejected_total Transactions rejected, by reject string.\n"
    << "# TYPE circuledger_tx_rejected_total counter\n";
  for (uint8_t i = 1; i < ledger::RejectCount(); ++i) {
    const uint64_t n = rejected_[i].load();
    if (n == 0) continue;
    o << "circuledger_tx_rejected_total{reason=\"" << ledger::RejectInfoOf(static_cast<ledger::Reject>(i)).text
      << "\"} " << n << "\n";
  }
  o << "# HELP circuledger_block_commit_seconds Time to build and commit a block.\n"
    << "# TYPE circuledger_block_commit_seconds histogram\n";
  for (size_t i = 0; i < kBuckets; ++i) {
    o << "circuledger_block_commit_seconds_bucket{le=\"" << kBucketUpperMs[i] / 1000.0 << "\"} "
      << commit_buckets_[i].load() << "\n";
  }
  o << "circuledger_block_commit_seconds_bucket{le=\"+Inf\"} " << blocks_.load() << "\n"
    << "circuledger_block_commit_seconds_sum " << commit_us_sum_.load() / 1e6 << "\n"
    << "circuledger_block_commit_seconds_count " << blocks_.load() << "\n";
  return o.str();
}

}  // namespace circuledger::node

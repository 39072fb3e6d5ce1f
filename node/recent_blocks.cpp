#include "node/recent_blocks.h"

#include "ledger/tx.h"

namespace circuledger::node {

using namespace circuledger::ledger;

Result<std::shared_ptr<const DecodedBlock>> RecentBlocks::Get(uint64_t height) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = blocks_.find(height); it != blocks_.end()) return it->second;
  }
  // Decoded outside the lock; two readers of one new height may both decode it, once each.
  Result<Block> block = store_.ReadBlock(height);
  if (!block.ok()) return block.status();
  auto decoded = std::make_shared<DecodedBlock>();
  decoded->tx_ids.reserve(block->txs.size());
  for (const Tx& tx : block->txs) decoded->tx_ids.push_back(TxId(tx.body));
  decoded->block = std::move(block).value();
  std::shared_ptr<const DecodedBlock> out = std::move(decoded);
  std::lock_guard<std::mutex> lock(mu_);
  blocks_.emplace(height, out);
  while (blocks_.size() > capacity_) blocks_.erase(blocks_.begin());  // the lowest height goes
  return out;
}

}  // namespace circuledger::node

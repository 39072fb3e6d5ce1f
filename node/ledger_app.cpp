#include "node/ledger_app.h"

#include "ledger/encoding.h"
#include "node/limits.h"

namespace circuledger::node {

using namespace circuledger::ledger;

using limits::kExecutedBlocks;
using limits::kMaxFaultyValues;
using limits::kRecentValues;

std::string LedgerApp::ProposeValue(uint64_t height) {
  const ChainTip tip = deps_.executor.Tip();
  if (height != tip.height + 1) {
    // The driver starts a height only on its parent: this is a bug, not a network condition.
    deps_.log.Error("asked to propose height ", height, " on tip ", tip.height);
  }
  WorkingState nonces(deps_.store);
  std::vector<Tx> ready;
  try {
    ready = deps_.mempool.Ready(deps_.block_max_txs, NextNonces(nonces));
  } catch (const StorageError& e) {
    storage_error_ = Status::Corruption(e.what());
  }
  const uint64_t time_ms = std::max(deps_.now_ms(), tip.time_ms + 1);
  // A candidate that fails for its own reason (its input, or a state object it would make too
  // large: ledger/REJECTS.md) is in built->rejected and evicted below; the build itself fails only
  // when storage does. That is fatal: proposing empty blocks instead would stall the chain on the
  // same transaction for ever.
  Result<BuiltBlock> built = deps_.executor.BuildBlock(ready, time_ms, deps_.proposer);
  if (!built.ok()) {
    if (built.status().IsCorruption() || built.status().IsIoError()) storage_error_ = built.status();
    deps_.log.Error("building a block failed: ", built.status().ToString());
    return {};  // not a block: every validator (this one too) finds it invalid
  }
  for (const auto& [index, status] : built->rejected) deps_.left_out(TxId(ready[index].body), status);
  std::string bytes = built->commit.block_bytes;
  Decoded d{bytes, built->commit.block_hash, std::nullopt};
  recent_.push_back(std::move(d));
  if (recent_.size() > kRecentValues) recent_.pop_front();
  Keep(std::move(built->commit));
  return bytes;
}

LedgerApp::Decoded& LedgerApp::Lookup(std::string_view value) {
  for (auto it = recent_.rbegin(); it != recent_.rend(); ++it) {
    if (it->bytes == value) return *it;
  }
  Decoded d;
  d.bytes = std::string(value);
  Result<Block> block = Decode<Block>(value);
  if (block.ok()) {
    d.id = BlockHash(block->header);
    d.block = std::move(block).value();
  } else {
    d.id = TaggedHash("circuledger/consensus/undecodable-value", value);
  }
  recent_.push_back(std::move(d));
  if (recent_.size() > kRecentValues) recent_.pop_front();
  return recent_.back();
}

Hash256 LedgerApp::ValueId(std::string_view value) { return Lookup(value).id; }

bool LedgerApp::ValidateValue(uint64_t height, std::string_view value) {
  Decoded& d = Lookup(value);
  if (executed_.count(d.id)) return true;  // built or validated here already
  if (d.invalid) return false;
  if (!d.block) {
    d.invalid = true;
    Blame(d.id);
    deps_.log.Info("proposal for height ", height, " is not a block");
    return false;
  }
  if (d.block->header.height != height) {
    d.invalid = true;
    Blame(d.id);
    deps_.log.Info("proposal for height ", height, " holds a block of height ", d.block->header.height);
    return false;
  }
  // The state machine asks at most once per distinct proposal: the decoded block can be moved.
  const std::string proposer = d.block->header.proposer.ToHex().substr(0, 12);
  Block block = std::move(*d.block);
  d.block.reset();
  Result<BlockCommit> executed = deps_.executor.ExecuteBlock(std::move(block), deps_.now_ms(), /*remember=*/true);
  if (!executed.ok()) {
    d.invalid = true;
    if (executed.status().IsCorruption() || executed.status().IsIoError()) {
      storage_error_ = executed.status();
    } else if (executed.status().reason() != Reject::kBadBlockTime) {
      // A block time ahead of this node's clock may be this clock's fault; anything else is the
      // proposer's (an honest proposer builds valid blocks on the same parent).
      Blame(d.id);
    }
    deps_.log.Info("proposal for height ", height, " by ", proposer, " is invalid: ", executed.status().ToString());
    return false;
  }
  Keep(std::move(executed).value());
  return true;
}

void LedgerApp::Keep(BlockCommit commit) {
  if (executed_.size() >= kExecutedBlocks) executed_.erase(executed_.begin());
  const Hash256 id = commit.block_hash;
  executed_.insert_or_assign(id, std::move(commit));
}

std::optional<BlockCommit> LedgerApp::TakeExecuted(const Hash256& id) {
  auto it = executed_.find(id);
  if (it == executed_.end()) return std::nullopt;
  BlockCommit c = std::move(it->second);
  executed_.erase(it);
  return c;
}

void LedgerApp::Clear() {
  executed_.clear();
  recent_.clear();
  faulty_.clear();
}

void LedgerApp::Blame(const Hash256& id) {
  if (faulty_.size() < kMaxFaultyValues) faulty_.insert(id);
}

}  // namespace circuledger::node

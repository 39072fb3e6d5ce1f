#include "toy_chain.h"

#include <algorithm>

#include "ledger/detail/codec.h"

namespace circuledger::sim {

std::string EncodeBlock(const SimBlock& block) {
  ledger::detail::Writer w;
  SimBlock b = block;
  w.U64(b.height);
  w.Fixed(b.parent);
  w.Vec(b.txs, kMaxBlockTxs, 8, [&](uint64_t& tx) { w.U64(tx); });
  return w.Finish();
}

std::optional<SimBlock> DecodeBlock(std::string_view bytes) {
  SimBlock b;
  try {
    ledger::detail::Reader r(bytes);
    r.U64(b.height);
    r.Fixed(b.parent);
    r.Vec(b.txs, kMaxBlockTxs, 8, [&](uint64_t& tx) { r.U64(tx); });
    if (r.Remaining() != 0) return std::nullopt;
  } catch (const ledger::detail::DecodeError&) {
    return std::nullopt;
  }
  return b;
}

Hash256 BlockId(std::string_view bytes) { return ledger::TaggedHash("sim/block", bytes); }

std::string ToyChain::ProposeValue(uint64_t height) {
  std::vector<uint64_t> txs;
  for (uint64_t tx : mempool_) {
    if (txs.size() == kMaxBlockTxs) break;
    if (registry_.Valid(tx) && committed_txs_.count(tx) == 0) txs.push_back(tx);
  }
  return EncodeBlock(BlockOnTip(height, std::move(txs)));
}

bool ToyChain::HasReadyTxs() const {
  return std::any_of(mempool_.begin(), mempool_.end(),
                     [&](uint64_t tx) { return registry_.Valid(tx) && committed_txs_.count(tx) == 0; });
}

SimBlock ToyChain::BlockOnTip(uint64_t height, std::vector<uint64_t> txs) const {
  SimBlock b;
  b.height = height;
  b.parent = TipId();
  b.txs = std::move(txs);
  return b;
}

Hash256 ToyChain::ValueId(std::string_view value) {
  if (value.size() > kMaxSimBlockBytes) oversized_read_ += 1;
  return BlockId(value);
}

bool ToyChain::ValidateValue(uint64_t height, std::string_view value) {
  if (value.size() > kMaxSimBlockBytes) {
    oversized_read_ += 1;
    return false;
  }
  std::optional<SimBlock> b = DecodeBlock(value);
  if (!b || b->height != height || height != Height() + 1 || b->parent != TipId()) return false;
  std::set<uint64_t> seen;
  for (uint64_t tx : b->txs) {
    if (!registry_.Valid(tx) || committed_txs_.count(tx) || !seen.insert(tx).second) return false;
  }
  return true;
}

const Committed& ToyChain::Commit(const std::string& block, const CommitCertificate& cert) {
  Committed c;
  c.block = block;
  c.id = BlockId(block);
  c.cert = cert;
  c.state_root = ledger::TaggedHasher("sim/state").Hash2(StateRoot().View(), c.id.View());
  if (std::optional<SimBlock> b = DecodeBlock(block)) {
    for (uint64_t tx : b->txs) {
      committed_txs_.insert(tx);
      mempool_.erase(tx);
    }
  }
  blocks_.push_back(std::move(c));
  return blocks_.back();
}

}  // namespace circuledger::sim

// tests/sim/toy_chain.h: the simulator's application: blocks are lists of client transaction ids
// on a parent hash; the state root is a hash chain over the committed block ids.
//
// TxRegistry is the world's record of what clients submitted (shared, owned by the simulator):
// a transaction is valid iff it was submitted and not marked invalid (it "fails execution").
// Ids from kForgedTxBase up are never submitted: only Byzantine proposers put them in blocks.
// ToyChain is one node's chain (durable: it survives a crash) and mempool (lost in a crash), and
// implements consensus::Application over them. Not thread-safe.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "consensus/application.h"
#include "consensus/messages.h"

namespace circuledger::sim {

using consensus::CommitCertificate;
using consensus::Hash256;

constexpr uint64_t kForgedTxBase = uint64_t{1} << 62;
constexpr size_t kMaxBlockTxs = 16;
// The toy chain's max_block_bytes (the ledger's Params::max_block_bytes): a longer value is no
// block. Only Byzantine proposers make one; an honest node refuses it from its envelope
// (SimNodeIo::CheckProposal, as node/proposal_check.h) before the application reads it.
constexpr size_t kMaxSimBlockBytes = 1024;
static_assert(8 + 32 + 8 + 8 * kMaxBlockTxs < kMaxSimBlockBytes, "a full honest block fits");

struct SimBlock {
  uint64_t height = 0;
  Hash256 parent;
  std::vector<uint64_t> txs;
};
std::string EncodeBlock(const SimBlock& block);
std::optional<SimBlock> DecodeBlock(std::string_view bytes);  // nullopt for malformed bytes
Hash256 BlockId(std::string_view bytes);

struct TxRegistry {
  uint64_t next_id = 1;
  std::set<uint64_t> invalid;  // submitted, but executing them fails
  bool Submitted(uint64_t id) const { return id >= 1 && id < next_id; }
  bool Valid(uint64_t id) const { return Submitted(id) && invalid.count(id) == 0; }
};

struct Committed {
  std::string block;
  Hash256 id;
  CommitCertificate cert;
  Hash256 state_root;
};

class ToyChain final : public consensus::Application {
 public:
  explicit ToyChain(const TxRegistry& registry) : registry_(registry) {}

  std::string ProposeValue(uint64_t height) override;
  Hash256 ValueId(std::string_view value) override;
  bool ValidateValue(uint64_t height, std::string_view value) override;
  // Values over kMaxSimBlockBytes the state machine handed to ValueId or ValidateValue: for an
  // honest node always 0 (the envelope check refuses them first; a checker watches).
  uint64_t oversized_read() const { return oversized_read_; }

  uint64_t Height() const { return blocks_.size(); }
  Hash256 TipId() const { return blocks_.empty() ? Hash256{} : blocks_.back().id; }
  Hash256 StateRoot() const { return blocks_.empty() ? Hash256{} : blocks_.back().state_root; }
  const std::vector<Committed>& Blocks() const { return blocks_; }
  // Appends the block at Height() + 1; the caller has checked it (ValidateValue, certificate).
  const Committed& Commit(const std::string& block, const CommitCertificate& cert);

  void AddToMempool(uint64_t tx) { mempool_.insert(tx); }
  void ClearMempool() { mempool_.clear(); }
  // The mempool holds a transaction that could go into the next block (the node's cadence).
  bool HasReadyTxs() const;
  // A block at `height` on the tip, with the given transactions: what Byzantine proposers forge.
  SimBlock BlockOnTip(uint64_t height, std::vector<uint64_t> txs) const;

 private:
  const TxRegistry& registry_;
  std::vector<Committed> blocks_;
  std::set<uint64_t> committed_txs_;
  std::set<uint64_t> mempool_;
  uint64_t oversized_read_ = 0;
};

}  // namespace circuledger::sim

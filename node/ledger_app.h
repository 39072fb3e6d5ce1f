// node/ledger_app.h: the consensus Application over the ledger (consensus/application.h).
//
// Proposes blocks built from the mempool on the committed tip; validates a proposal by executing
// it on the committed tip (Executor::ExecuteBlock, with the clock-drift bound); and keeps every
// block it executed at the current height, so that a decision commits it without executing it
// again. Values are blocks in their canonical bytes; a value's id is its block hash, computed from
// the header alone (ledger::DecodeBlockHeaderPrefix) so that the proposer's signature is checked
// before the body is decoded; bytes that do not begin with a header get a tagged hash of the bytes
// (so they get an id and are then found invalid). Validation refuses a value over the chain's
// max_block_bytes before decoding it, then decodes the body, checks it is the block of that id
// and height, and executes it. Owned by the ConsensusDriver and called only from its thread; borrows the
// Executor, Store and Mempool (which outlive it).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "consensus/application.h"
#include "ledger/executor.h"
#include "node/log.h"
#include "node/mempool.h"

namespace circuledger::node {

struct LedgerAppDeps {
  ledger::Executor& executor;
  ledger::Store& store;
  Mempool& mempool;
  Logger& log;
  size_t block_max_txs = 5000;
  ledger::PubKey proposer;                  // this node's key (the header's proposer field)
  std::function<uint64_t()> now_ms;         // the node's clock for block times
  // A transaction the block builder left out (invalid on the tip): the node records and evicts it.
  std::function<void(const ledger::Hash256&, const ledger::Status&)> left_out;
};

class LedgerApp final : public consensus::Application {
 public:
  explicit LedgerApp(LedgerAppDeps deps) : deps_(std::move(deps)) {}

  std::string ProposeValue(uint64_t height) override;
  ledger::Hash256 ValueId(std::string_view value) override;
  bool ValidateValue(uint64_t height, std::string_view value) override;

  // The block with hash `id` that this node built or validated at the current height, moved out.
  std::optional<ledger::BlockCommit> TakeExecuted(const ledger::Hash256& id);
  // Forgets the blocks of the finished height (call after each commit).
  void Clear();
  // A storage failure seen while executing (Corruption or IoError): the node must stop. Ok if none.
  const ledger::Status& storage_error() const { return storage_error_; }
  // True once after ValidateValue found a value invalid through its proposer's fault (not a
  // block, too large, does not execute; not a block time ahead of this node's clock, not a
  // storage failure): the driver bans the peer that sent it.
  bool TakeProposerFault();
  // Block bodies decoded by ValidateValue (a proposal's id needs only its header).
  uint64_t bodies_decoded() const { return bodies_decoded_; }

 private:
  struct Decoded {
    std::string bytes;
    ledger::Hash256 id;
    bool invalid = false;                // found invalid once: the answer stays
    bool validated = false;              // ValidateValue ran on it
  };
  // The decoded form of `value`, from the small cache of recent values or decoded now.
  Decoded& Lookup(std::string_view value);
  void Keep(ledger::BlockCommit commit);
  bool Refuse(Decoded& d, uint64_t height, const ledger::Status& why);  // returns false

  LedgerAppDeps deps_;
  std::deque<Decoded> recent_;                          // the last few values seen, newest last
  std::map<ledger::Hash256, ledger::BlockCommit> executed_;  // valid blocks of this height, by hash
  ledger::Status storage_error_;
  bool proposer_fault_ = false;
  uint64_t bodies_decoded_ = 0;
};

}  // namespace circuledger::node

// node/ledger_app.h: the consensus Application over the ledger (consensus/application.h).
//
// Proposes blocks built from the mempool on the committed tip; validates a proposal by executing
// it on the committed tip (Executor::ExecuteBlock, with the clock-drift bound); and keeps every
// block it executed at the current height, so that a decision commits it without executing it
// again. Values are blocks in their canonical bytes; a value's id is its block hash, and bytes
// that do not decode as a block get a tagged hash of the bytes (so they get an id and are then
// found invalid). Owned by the ConsensusDriver and called only from its thread; borrows the
// Executor, Store and Mempool (which outlive it).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
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
  // ValidateValue found the value with this id invalid through its proposer's fault (not a
  // block, or does not execute; not a block time ahead of this node's clock, not a storage
  // failure) at the current height: the driver bans its proposer.
  bool ProposerFault(const ledger::Hash256& id) const { return faulty_.count(id) != 0; }

 private:
  struct Decoded {
    std::string bytes;
    ledger::Hash256 id;
    std::optional<ledger::Block> block;  // when the bytes decode as a block (moved out to execute)
    bool invalid = false;                // found invalid once: the answer stays
  };
  // The decoded form of `value`, from the small cache of recent values or decoded now.
  Decoded& Lookup(std::string_view value);
  void Keep(ledger::BlockCommit commit);
  void Blame(const ledger::Hash256& id);  // remembers a proposer's fault (bounded)

  LedgerAppDeps deps_;
  std::deque<Decoded> recent_;                          // the last few values seen, newest last
  std::map<ledger::Hash256, ledger::BlockCommit> executed_;  // valid blocks of this height, by hash
  ledger::Status storage_error_;
  std::set<ledger::Hash256> faulty_;  // ids of this height's values found invalid by their proposer's fault
};

}  // namespace circuledger::node

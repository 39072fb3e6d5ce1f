// node/ledger_chain.h: the ledger as the height driver's chain (the ledger half of HeightChain,
// node/height_driver.h). When a height starts it reads the validator set of that height and the
// chain's max_block_bytes; it tells whether the mempool holds a transaction for the next block;
// it checks a proposal's envelope (node/proposal_check.h) with that max_block_bytes; it commits a
// decided block (the one the LedgerApp executed, or executes it now after a restart) and then
// prunes the mempool, telling `left_out` of pending transactions whose nonce another committed
// transaction used. Blocks taken by block sync (node/ledger_sync.h) go through AfterCommit too.
//
// circuledgerd's ConsensusDriver and the simulator's node (tests/sim) both run this class, so the
// simulator commits blocks the way the node does. Borrows the Executor, Store, Mempool and
// LedgerApp, which outlive it. Single-threaded: the driver thread calls it.
#pragma once

#include <functional>
#include <string>

#include "consensus/state_machine.h"
#include "ledger/executor.h"
#include "node/ledger_app.h"
#include "node/mempool.h"
#include "node/proposal_check.h"

namespace circuledger::node {

struct LedgerChainDeps {
  ledger::Executor& executor;
  ledger::Store& store;
  Mempool& mempool;
  LedgerApp& app;
  // A pending transaction that can never commit (its nonce was used): the node records and evicts it.
  std::function<void(const ledger::Hash256&, const ledger::Status&)> left_out;
  // After each commit (decided here, or synced): the owner's bookkeeping (metrics, log, peers).
  std::function<void(const ledger::BlockCommit&, bool synced)> committed;
  const consensus::SignatureVerifier* verifier = nullptr;  // null: consensus::DefaultVerifier()
};

class LedgerChain {
 public:
  explicit LedgerChain(LedgerChainDeps deps) : deps_(std::move(deps)) {}

  uint64_t TipHeight() const { return deps_.executor.Tip().height; }
  // The validator set of `height` (scheduled changes applied); reads max_block_bytes for the
  // envelope checks of the height. Corruption when the state cannot be read.
  ledger::Result<consensus::ValidatorSet> StartingHeight(uint64_t height);
  // The mempool holds a transaction that could go into the next block (not a future nonce).
  bool HasReadyTxs();
  // The proposer's signature over the header's hash, then max_block_bytes, before the body is read.
  EnvelopeCheck CheckProposal(const consensus::Proposal& proposal) const;
  bool ProposerFault(const ledger::Hash256& value_id) const { return deps_.app.ProposerFault(value_id); }
  // Commits the decided block with its certificate, then AfterCommit(commit, false). Corruption
  // when a decided block does not execute here (only possible after a restart) or storage fails.
  ledger::Status CommitDecided(const consensus::Decide& decide);
  // After a block is committed (here or by block sync): prunes the mempool, forgets the height's
  // executed blocks, and calls `committed`.
  void AfterCommit(const ledger::BlockCommit& commit, bool synced);

  uint64_t max_block_bytes() const { return max_block_bytes_; }

 private:
  LedgerChainDeps deps_;
  uint64_t max_block_bytes_ = 0;  // the chain's, read when a height starts
};

}  // namespace circuledger::node

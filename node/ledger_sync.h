// node/ledger_sync.h: the ledger as block sync's SyncTarget (node/block_sync.h): a block from a
// peer is taken only with a commit certificate that verifies against the validator set of its
// height, and only if it executes validly on this node's tip; then it is committed.
//
// Everything that goes wrong with the block is the peer's fault (kPeerFault): bytes that do not
// decode, a certificate for another height or hash or with too few valid signatures, a block
// that does not execute (also one whose certificate is valid: before blocks committed to their
// transactions' signatures, a peer could damage a signature without changing the block hash).
// Only this node's storage failing (Corruption or IoError while reading state, executing or
// committing) is kStorageFailed. Borrows the Executor and Store, which outlive it; called from
// one thread (the consensus driver's).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "consensus/messages.h"
#include "ledger/executor.h"
#include "node/block_sync.h"

namespace circuledger::node {

// The validator set of `height` (scheduled changes applied). nullopt when the state cannot be read.
std::optional<consensus::ValidatorSet> ValidatorsAt(ledger::Store& store, uint64_t height);

class LedgerSyncTarget final : public SyncTarget {
 public:
  // `committed` runs after each block is committed (the driver's bookkeeping); may be empty.
  LedgerSyncTarget(ledger::Executor& executor, ledger::Store& store, std::string chain_id,
                   std::function<void(const ledger::BlockCommit&)> committed)
      : executor_(executor), store_(store), chain_id_(std::move(chain_id)), committed_(std::move(committed)) {}

  uint64_t TipHeight() override { return executor_.Tip().height; }
  SyncApplied Apply(uint64_t height, std::string_view block, std::string_view certificate) override;

 private:
  ledger::Executor& executor_;
  ledger::Store& store_;
  std::string chain_id_;
  std::function<void(const ledger::BlockCommit&)> committed_;
};

}  // namespace circuledger::node

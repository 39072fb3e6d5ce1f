#include "node/ledger_chain.h"

#include <algorithm>

#include "consensus/encoding.h"
#include "ledger/encoding.h"
#include "node/ledger_sync.h"

namespace circuledger::node {

using namespace circuledger::ledger;

Result<consensus::ValidatorSet> LedgerChain::StartingHeight(uint64_t height) {
  std::optional<consensus::ValidatorSet> validators = ValidatorsAt(deps_.store, height);
  if (!validators) return Status::Corruption("cannot read the validator set of height " + std::to_string(height));
  try {
    max_block_bytes_ = WorkingState(deps_.store).GetParams().max_block_bytes;
  } catch (const StorageError& e) {
    return Status::Corruption(e.what());
  }
  return std::move(*validators);
}

bool LedgerChain::HasReadyTxs() {
  if (deps_.mempool.Size() == 0) return false;
  WorkingState nonces(deps_.store);
  return !deps_.mempool.Ready(1, NextNonces(nonces)).empty();
}

EnvelopeCheck LedgerChain::CheckProposal(const consensus::Proposal& proposal) const {
  const consensus::SignatureVerifier& verifier = deps_.verifier ? *deps_.verifier : consensus::DefaultVerifier();
  return CheckProposalEnvelope(proposal, deps_.executor.chain_id(), max_block_bytes_, verifier);
}

Status LedgerChain::CommitDecided(const consensus::Decide& d) {
  std::optional<BlockCommit> commit = deps_.app.TakeExecuted(d.certificate.value_id);
  if (!commit) {
    // Decided without this node executing it (the state machine validates before deciding, so
    // this is only the restart of a decided height): execute now.
    Result<Block> block = Decode<Block>(d.value);
    Result<BlockCommit> executed = block.ok() ? deps_.executor.ExecuteBlock(std::move(block).value(), std::nullopt)
                                              : Result<BlockCommit>(block.status());
    if (!executed.ok()) {
      return Status::Corruption("the decided block of height " + std::to_string(d.height) +
                                " does not execute here: " + executed.status().ToString());
    }
    commit = std::move(executed).value();
  }
  commit->certificate = consensus::EncodeCertificate(d.certificate);
  if (Status s = deps_.executor.Commit(*commit); !s.ok()) return s;
  AfterCommit(*commit, false);
  return Status::Ok();
}

void LedgerChain::AfterCommit(const BlockCommit& commit, bool synced) {
  WorkingState after(deps_.store);
  // A pending transaction whose nonce a committed one used (e.g. one a restarted node replayed
  // from its WAL, proposed before the restart) can never commit: its sender is told so, instead
  // of the transaction becoming unknown.
  const std::vector<Hash256> pruned = deps_.mempool.Prune(NextNonces(after));
  std::vector<Hash256> in_block = commit.tx_ids;  // sorted: thousands of lookups per block
  std::sort(in_block.begin(), in_block.end());
  for (const Hash256& id : pruned) {
    if (std::binary_search(in_block.begin(), in_block.end(), id)) continue;
    if (deps_.store.FindTx(id)) continue;
    if (deps_.left_out) deps_.left_out(id, Status::Rejected(Reject::kBadNonce, "its nonce was used by another committed transaction"));
  }
  deps_.app.Clear();
  if (deps_.committed) deps_.committed(commit, synced);
}

}  // namespace circuledger::node

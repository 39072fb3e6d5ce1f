#include "node/ledger_sync.h"

#include "consensus/certificate.h"
#include "consensus/encoding.h"
#include "ledger/apply.h"
#include "ledger/encoding.h"

namespace circuledger::node {

using namespace circuledger::ledger;

std::optional<consensus::ValidatorSet> ValidatorsAt(Store& store, uint64_t height) {
  try {
    WorkingState state(store);
    ApplyScheduledValidatorChanges(state, height);
    std::vector<PubKey> keys;
    for (const Validator& v : state.GetValidators().active) keys.push_back(v.key);
    return consensus::ValidatorSet::Make(std::move(keys));
  } catch (const StorageError& e) {
    return std::nullopt;
  }
}

namespace {
SyncApplied PeerFault(std::string why) { return {SyncApplied::Kind::kPeerFault, Status::InvalidArgument(std::move(why))}; }
SyncApplied StorageFailed(Status s) { return {SyncApplied::Kind::kStorageFailed, std::move(s)}; }
}  // namespace

SyncApplied LedgerSyncTarget::Apply(uint64_t height, std::string_view block_bytes, std::string_view cert_bytes) {
  const std::string at = "block " + std::to_string(height) + ": ";
  uint64_t max_block_bytes = 0;
  try {
    WorkingState state(store_);
    max_block_bytes = state.GetParams().max_block_bytes;
  } catch (const StorageError& e) {
    return StorageFailed(Status::Corruption(e.what()));
  }
  // Over the chain's block size: refused before it is decoded.
  if (block_bytes.size() > max_block_bytes) return PeerFault(at + "over max_block_bytes");
  Result<Block> block = Decode<Block>(block_bytes);
  if (!block.ok()) return PeerFault(at + "does not decode: " + block.status().ToString());
  Result<consensus::CommitCertificate> cert = consensus::DecodeCertificate(cert_bytes);
  if (!cert.ok()) return PeerFault(at + "certificate does not decode: " + cert.status().ToString());
  if (block->header.height != height || cert->height != height) return PeerFault(at + "another height");
  if (cert->value_id != BlockHash(block->header)) return PeerFault(at + "certificate for another block");
  std::optional<consensus::ValidatorSet> validators = ValidatorsAt(store_, height);
  if (!validators) return StorageFailed(Status::Corruption("cannot read the validator set of height " + std::to_string(height)));
  const consensus::CertCheck check = consensus::VerifyCommitCertificate(*cert, *validators, chain_id_);
  if (check != consensus::CertCheck::kOk) return PeerFault(at + "certificate " + std::string(consensus::CertCheckName(check)));
  Result<BlockCommit> executed = executor_.ExecuteBlock(std::move(block).value(), std::nullopt);
  if (!executed.ok()) {
    if (executed.status().IsCorruption() || executed.status().IsIoError()) return StorageFailed(executed.status());
    // Certified and still invalid: the bytes are not the ones the validators executed (a
    // damaged transaction signature, say). The sender's fault: another peer has the real block.
    return PeerFault(at + "does not execute: " + executed.status().ToString());
  }
  executed->certificate = std::string(cert_bytes);
  if (Status s = executor_.Commit(*executed); !s.ok()) return StorageFailed(s);
  if (committed_) committed_(*executed);
  return {};
}

}  // namespace circuledger::node

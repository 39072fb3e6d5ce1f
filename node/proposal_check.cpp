#include "node/proposal_check.h"

#include "ledger/block.h"
#include "ledger/encoding.h"

namespace circuledger::node {

EnvelopeCheck CheckProposalEnvelope(const consensus::Proposal& proposal, std::string_view chain_id,
                                    uint64_t max_block_bytes, const consensus::SignatureVerifier& verifier) {
  ledger::Result<ledger::BlockHeader> header = ledger::DecodeBlockHeaderPrefix(proposal.value);
  if (!header.ok()) return EnvelopeCheck::kOk;
  if (!consensus::VerifyProposalSignature(proposal, ledger::BlockHash(*header), chain_id, verifier)) {
    return EnvelopeCheck::kBadSignature;
  }
  if (proposal.value.size() > max_block_bytes) return EnvelopeCheck::kTooLarge;
  return EnvelopeCheck::kOk;
}

}  // namespace circuledger::node

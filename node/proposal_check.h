// node/proposal_check.h: what the consensus driver checks of a proposal from a peer before the
// state machine sees it.
//
// The state machine asks the application for the proposal's id (the block hash) before it checks
// the proposer's signature over it, and LedgerApp decodes the whole block for that: a forged
// proposal of up to kMaxBlockBytes would cost a full decode. This check needs only the block
// header at the front of the value (ledger::DecodeBlockHeaderPrefix): the proposer's signature
// over the header's hash, then the chain's max_block_bytes. Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "consensus/messages.h"

namespace circuledger::node {

enum class EnvelopeCheck : uint8_t {
  kOk,            // hand it to the state machine (also a value that does not begin with a header:
                  // it decodes no further than this check did, and is found invalid there)
  kBadSignature,  // the signature is not the proposer's over this block: forged by the sender
  kTooLarge,      // signed by the proposer, over the chain's max_block_bytes: the proposer's fault
};

EnvelopeCheck CheckProposalEnvelope(const consensus::Proposal& proposal, std::string_view chain_id,
                                    uint64_t max_block_bytes,
                                    const consensus::SignatureVerifier& verifier = consensus::DefaultVerifier());

}  // namespace circuledger::node

// consensus/limits.h: every bound of the consensus module, in one place (TigerBeetle's
// constants.zig). Decoders check lengths against these before allocating; the state machine drops
// messages beyond them. Changing one changes what peers accept: treat it as a protocol change.
// Plain constants; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ledger/limits.h"

namespace circuledger::consensus::limits {

// Validators of one height. Equal weight, so a set of n tolerates f = (n - 1) / 3 faults.
constexpr size_t kMaxValidators = ledger::limits::kMaxValidators;

// Rounds of one height. A round beyond this is dropped and timeouts stop advancing: with the
// default timeouts (3 s + 0.5 s per round) reaching it takes days. It bounds the memory one
// Byzantine validator can make us spend on one height (two votes per round).
constexpr uint32_t kMaxRound = 1024;

// A proposed value is a block in its canonical encoding.
constexpr size_t kMaxValueBytes = ledger::limits::kMaxBlockBytes;
constexpr size_t kMaxChainIdLen = ledger::limits::kMaxChainIdLen;

// Encoded sizes. A vote has a fixed size; a proposal is its value plus a small envelope.
constexpr size_t kVoteEnvelopeBytes = 1 /*archive*/ + 1 /*version*/ + 1 /*type*/ + 8 /*height*/ +
                                      4 /*round*/ + 1 /*nil flag*/ + 32 /*id*/ + 32 /*key*/ +
                                      64 /*signature*/;
constexpr size_t kMaxVoteBytes = kVoteEnvelopeBytes;
constexpr size_t kProposalEnvelopeBytes = 1 + 1 + 8 + 4 + 1 + 4 /*valid round*/ +
                                          4 /*value length*/ + 32 + 64;
constexpr size_t kMaxProposalBytes = kProposalEnvelopeBytes + kMaxValueBytes;
constexpr size_t kCommitSigBytes = 32 + 64;
constexpr size_t kMaxCertificateBytes =
    1 + 1 + 8 + 4 + 32 + 4 /*count*/ + kMaxValidators * kCommitSigBytes;
// A Message (the envelope the network and the WAL carry) is one kind byte plus one of the above.
constexpr size_t kMaxMessageBytes = 1 + kMaxProposalBytes;

// Distinct values one proposer can make us keep for one round. Two already proves equivocation;
// more are dropped so a Byzantine proposer cannot make us validate (execute) without bound.
constexpr size_t kMaxProposalsPerRound = 4;

// Messages for the next height that arrive before this node has decided the current one; they
// are verified and replayed when the next height starts. Proposals (up to a block each) are
// bounded separately from votes.
constexpr size_t kMaxBufferedVotes = 4 * kMaxValidators;
constexpr size_t kMaxBufferedProposals = 4;

// Equivocation evidence kept per height.
constexpr size_t kMaxEvidence = 64;
constexpr size_t kMaxInvalidProposalsKept = 64;  // until the driver takes them (TakeInvalidProposals)

static_assert(kMaxValidators >= 1 && kMaxValidators < (size_t{1} << 16));
static_assert(kMaxRound < UINT32_MAX / 2, "round + 1 and round arithmetic never overflow");
static_assert(kMaxProposalBytes < (size_t{1} << 32), "a proposal length fits a u32 prefix");
static_assert(kMaxCertificateBytes < kMaxProposalBytes);
static_assert(kMaxProposalsPerRound >= 2, "must hold two proposals to prove a double proposal");
static_assert(kMaxBufferedVotes >= 2 * kMaxValidators,
              "one prevote and one precommit per validator of the next height fit");

}  // namespace circuledger::consensus::limits

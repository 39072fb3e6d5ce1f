// consensus/encoding.h: the canonical bytes of consensus messages and commit certificates, for
// the network, the WAL and block storage.
//
// Same rules as the ledger's encoding (ledger/ENCODING.md): cereal portable binary archive
// (header byte 0x01, little-endian integers), a version byte, fields in the order below, u32
// length prefixes, optionals as a 0/1 flag then the value. Decoders check every length against
// its limit (consensus/limits.h) and the bytes left before allocating, and reject trailing bytes,
// unknown versions and kinds, and input whose re-encoding differs. Failures are
// ledger::Status::Rejected with the reason. Thread-safe.
//
//   Vote:        u8 version=1, u8 type (1 prevote, 2 precommit), u64 height, u32 round,
//                u8 has_id, [32 id], 32 validator, 64 signature
//   Proposal:    u8 version=1, u64 height, u32 round, u8 has_valid_round, [u32 valid_round],
//                u32 len + value, 32 proposer, 64 signature          (valid_round < round)
//   Certificate: u8 version=1, u64 height, u32 round, 32 value id,
//                u32 count, count x (32 validator, 64 signature)
//   Message:     u8 kind (0 proposal, 1 vote), then the Proposal or Vote above without its own
//                archive header byte
#pragma once

#include <string>
#include <string_view>

#include "consensus/messages.h"
#include "ledger/status.h"

namespace circuledger::consensus {

constexpr uint8_t kEncodingVersion = 1;

std::string EncodeVote(const Vote& vote);
std::string EncodeProposal(const Proposal& proposal);
std::string EncodeCertificate(const CommitCertificate& cert);
std::string EncodeMessage(const Message& message);

ledger::Result<Vote> DecodeVote(std::string_view bytes);
ledger::Result<Proposal> DecodeProposal(std::string_view bytes);
ledger::Result<CommitCertificate> DecodeCertificate(std::string_view bytes);
ledger::Result<Message> DecodeMessage(std::string_view bytes);

}  // namespace circuledger::consensus

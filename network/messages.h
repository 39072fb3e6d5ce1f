// network/messages.h: the payloads of the peer-to-peer frames (network/P2P.md) and their decoders.
//
// Payloads are little-endian with u32 length prefixes, no archive header. Each decoder accepts
// exactly the bytes its encoder produces: it checks every length against its limit
// (network/limits.h) and the remaining bytes before copying, and rejects truncated input,
// trailing bytes and unknown versions. Failures are ledger::Status::Rejected with the reason
// (kMalformed, kOversized, kTrailingBytes, kUnknownVersion, or the ledger's reason for a Tx).
// Consensus messages, blocks and certificates stay opaque here: consensus/ and ledger/ decode
// them in the node. Pure functions on values; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"
#include "ledger/tx.h"
#include "network/frame.h"

namespace circuledger::network {

// kSyncRequest: u64 from_height | u32 count (1..kMaxSyncBlocksPerRequest)
struct SyncRequest {
  uint64_t from_height = 0;
  uint32_t count = 0;
  auto operator<=>(const SyncRequest&) const = default;
};

// kSyncResponse: u64 height | u32 len + block bytes | u32 len + certificate bytes
// (block: ledger canonical encoding, at most kMaxBlockBytes; certificate: consensus encoding, at
// most limits::kMaxCertificateBytes; both checked by their own decoders in the node)
struct SyncResponse {
  uint64_t height = 0;
  std::string block;
  std::string certificate;
  auto operator<=>(const SyncResponse&) const = default;
};

// kPing / kPong: u64 nonce
struct Ping {
  uint64_t nonce = 0;
  auto operator<=>(const Ping&) const = default;
};

std::string EncodeSyncRequest(const SyncRequest& m);
// The block and certificate sizes must respect their limits (asserted: the caller's logic).
std::string EncodeSyncResponse(const SyncResponse& m);
std::string EncodePing(const Ping& m);
// kTxs payload from canonical tx encodings: 1..kMaxTxsPerFrame of them, within
// kMaxTxsFrameBytes in all (asserted: the node's gossip keeps to it).
std::string EncodeTxsPayload(const std::vector<std::string>& encoded_txs);
// The payload size of a kTxs frame holding these encodings.
size_t TxsPayloadBytes(size_t count, size_t encoded_bytes);

// kTx payload: ledger::Decode<Tx> (canonical bytes only), within kMaxTxBytes.
ledger::Result<ledger::Tx> DecodeTxPayload(std::string_view payload);
// kTxs payload: every transaction as DecodeTxPayload; a bad one rejects the whole frame.
ledger::Result<std::vector<ledger::Tx>> DecodeTxsPayload(std::string_view payload);
ledger::Result<SyncRequest> DecodeSyncRequest(std::string_view payload);
ledger::Result<SyncResponse> DecodeSyncResponse(std::string_view payload);
ledger::Result<Ping> DecodePing(std::string_view payload);

// Decodes the payload with the decoder of its type (kConsensus: non-empty and within its limit)
// and discards the value: Ok iff a peer that sent it followed the protocol.
ledger::Status CheckPayload(MessageType type, std::string_view payload);

}  // namespace circuledger::network

// network/frame.h: the frames of the peer-to-peer protocol (network/P2P.md).
//
//   frame = u32 payload length (little endian) | u8 message type | payload
//
// A reader first parses the 5-byte header: an unknown type, or a length over that type's limit,
// is refused there, before a byte of the payload is read or allocated (a peer that announces a
// 4 GiB frame costs nothing). The payload of each type is decoded by network/messages.h.
// Pure functions on values; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/status.h"
#include "network/limits.h"

namespace circuledger::network {

enum class MessageType : uint8_t {
  kHandshake = 1,     // one of the three Noise XX handshake messages (network/handshake.h)
  // 2 was `auth` in protocol version 1: refused as an unknown type.
  kTx = 3,            // one signed ledger::Tx in its canonical bytes
  kConsensus = 4,     // opaque consensus message bytes, passed to consensus/ by the node
  kSyncRequest = 5,   // u64 from height, u32 count
  kSyncResponse = 6,  // u64 height, block bytes, commit-certificate bytes (opaque)
  kPing = 7,          // u64 nonce
  kPong = 8,          // u64 nonce of the ping it answers
  kTxs = 9,           // u32 count, then count signed ledger::Tx, each u32 length + canonical bytes
};
constexpr uint8_t kMinMessageType = 1;
constexpr uint8_t kMaxMessageType = 9;

// "hello", "auth", "tx", ... ; "unknown" for a value outside the enum.
std::string_view MessageTypeName(MessageType type);
// The largest payload a frame of this type may carry (0 for an unknown type).
size_t MaxPayloadBytes(MessageType type);
// The smallest payload a frame of this type may carry.
size_t MinPayloadBytes(MessageType type);

struct FrameHeader {
  MessageType type = MessageType::kPing;
  uint32_t payload_bytes = 0;
};

// Parses exactly kFrameHeaderBytes. Rejected(kMalformed) for a wrong size or an unknown type,
// Rejected(kOversized) for a length over the type's limit, Rejected(kMalformed) for a length
// under the type's minimum.
ledger::Result<FrameHeader> ParseFrameHeader(std::string_view header);

// header | payload. The payload must respect MaxPayloadBytes(type) (asserted: our own logic).
std::string EncodeFrame(MessageType type, std::string_view payload);

struct Frame {
  MessageType type = MessageType::kPing;
  std::string payload;
};

// One whole frame: header checks as above, then exactly payload_bytes more bytes. Rejected with
// kMalformed when truncated and kTrailingBytes when more follows. Does not decode the payload.
ledger::Result<Frame> DecodeFrame(std::string_view bytes);

}  // namespace circuledger::network

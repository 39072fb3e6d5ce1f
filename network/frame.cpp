#include "network/frame.h"

#include <cassert>

#include "network/detail/wire.h"

namespace circuledger::network {

namespace {

// Type 2 was `auth` in protocol version 1; it is no longer a frame type.
bool Known(uint8_t t) { return t >= kMinMessageType && t <= kMaxMessageType && t != 2; }

}  // namespace

std::string_view MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kHandshake: return "handshake";
    case MessageType::kTx: return "tx";
    case MessageType::kConsensus: return "consensus";
    case MessageType::kSyncRequest: return "sync-request";
    case MessageType::kSyncResponse: return "sync-response";
    case MessageType::kPing: return "ping";
    case MessageType::kPong: return "pong";
    case MessageType::kTxs: return "txs";
  }
  return "unknown";
}

size_t MaxPayloadBytes(MessageType type) {
  switch (type) {
    case MessageType::kHandshake: return limits::kMaxHandshakeBytes;
    case MessageType::kTx: return ledger::limits::kMaxTxBytes;
    case MessageType::kConsensus: return limits::kMaxConsensusBytes;
    case MessageType::kSyncRequest: return 8 + 4;
    case MessageType::kSyncResponse: return limits::kMaxSyncResponseBytes;
    case MessageType::kPing:
    case MessageType::kPong: return 8;
    case MessageType::kTxs: return limits::kMaxTxsFrameBytes;
  }
  return 0;
}

size_t MinPayloadBytes(MessageType type) {
  switch (type) {
    case MessageType::kHandshake: return limits::kMinHandshakeBytes;
    case MessageType::kTx: return 1;
    case MessageType::kConsensus: return 1;
    case MessageType::kSyncRequest: return 8 + 4;
    case MessageType::kSyncResponse: return limits::kSyncResponseEnvelopeBytes;
    case MessageType::kPing:
    case MessageType::kPong: return 8;
    case MessageType::kTxs: return 4 + 4 + 1;
  }
  return 0;
}

ledger::Result<FrameHeader> ParseFrameHeader(std::string_view header) {
  using ledger::Reject;
  using ledger::Status;
  if (header.size() != limits::kFrameHeaderBytes) return Status::Rejected(Reject::kMalformed, "frame header size");
  detail::WireReader r(header);
  const uint32_t length = r.U32();
  const uint8_t type = r.U8();
  if (!Known(type)) return Status::Rejected(Reject::kMalformed, "unknown message type " + std::to_string(type));
  FrameHeader h{static_cast<MessageType>(type), length};
  if (length > MaxPayloadBytes(h.type)) {
    return Status::Rejected(Reject::kOversized, std::string(MessageTypeName(h.type)) + " frame of " +
                                                    std::to_string(length) + " bytes");
  }
  if (length < MinPayloadBytes(h.type)) {
    return Status::Rejected(Reject::kMalformed, std::string(MessageTypeName(h.type)) + " frame too short");
  }
  return h;
}

std::string EncodeFrame(MessageType type, std::string_view payload) {
  assert(Known(static_cast<uint8_t>(type)));
  assert(payload.size() <= MaxPayloadBytes(type) && payload.size() >= MinPayloadBytes(type));
  detail::WireWriter w(limits::kFrameHeaderBytes + payload.size());
  w.U32(static_cast<uint32_t>(payload.size()));
  w.U8(static_cast<uint8_t>(type));
  std::string out = w.Finish();
  out.append(payload);
  return out;
}

ledger::Result<Frame> DecodeFrame(std::string_view bytes) {
  using ledger::Reject;
  using ledger::Status;
  if (bytes.size() < limits::kFrameHeaderBytes) return Status::Rejected(Reject::kMalformed, "truncated frame header");
  ledger::Result<FrameHeader> h = ParseFrameHeader(bytes.substr(0, limits::kFrameHeaderBytes));
  if (!h.ok()) return h.status();
  const std::string_view rest = bytes.substr(limits::kFrameHeaderBytes);
  if (rest.size() < h->payload_bytes) return Status::Rejected(Reject::kMalformed, "truncated frame payload");
  if (rest.size() > h->payload_bytes) return Status::Rejected(Reject::kTrailingBytes, "bytes after the frame");
  return Frame{h->type, std::string(rest)};
}

}  // namespace circuledger::network

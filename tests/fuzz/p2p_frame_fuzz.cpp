// libFuzzer target: the peer-to-peer frame and message decoders (network/frame.h,
// network/messages.h), the bytes every peer, registered or not, can send us.
//
// The input is read as a stream of frames the way a connection reads it: header first (its
// length checked against the type's limit before the payload is touched), then the payload,
// checked by its type's decoder. Nothing may crash, leak or allocate beyond the limits, and
// whatever decodes must re-encode to exactly its input bytes (the encoding is canonical).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/encoding.h"
#include "network/frame.h"
#include "network/messages.h"

namespace {

using namespace circuledger;
using network::MessageType;

void Require(bool ok) {
  if (!ok) std::abort();
}

// Each decoder that accepts a payload must give back exactly that payload.
void CheckPayloadRoundTrip(MessageType type, std::string_view payload) {
  const bool accepted = network::CheckPayload(type, payload).ok();
  switch (type) {
    case MessageType::kHello: {
      auto m = network::DecodeHello(payload);
      Require(m.ok() == accepted);
      if (m.ok()) Require(network::EncodeHello(*m) == payload);
      return;
    }
    case MessageType::kAuth: {
      auto m = network::DecodeAuth(payload);
      Require(m.ok() == accepted);
      if (m.ok()) Require(network::EncodeAuth(*m) == payload);
      return;
    }
    case MessageType::kTx: {
      auto m = network::DecodeTxPayload(payload);
      Require(m.ok() == accepted);
      if (m.ok()) Require(ledger::Encode(*m) == payload);
      return;
    }
    case MessageType::kTxs: {
      auto m = network::DecodeTxsPayload(payload);
      Require(m.ok() == accepted);
      if (m.ok()) {
        std::vector<std::string> encoded;
        for (const ledger::Tx& tx : *m) encoded.push_back(ledger::Encode(tx));
        Require(network::EncodeTxsPayload(encoded) == payload);
      }
      return;
    }
    case MessageType::kConsensus: Require(accepted == !payload.empty()); return;
    case MessageType::kSyncRequest: {
      auto m = network::DecodeSyncRequest(payload);
      Require(m.ok() == accepted);
      if (m.ok()) Require(network::EncodeSyncRequest(*m) == payload);
      return;
    }
    case MessageType::kSyncResponse: {
      auto m = network::DecodeSyncResponse(payload);
      Require(m.ok() == accepted);
      if (m.ok()) Require(network::EncodeSyncResponse(*m) == payload);
      return;
    }
    case MessageType::kPing:
    case MessageType::kPong: {
      auto m = network::DecodePing(payload);
      Require(m.ok() == accepted);
      if (m.ok()) Require(network::EncodePing(*m) == payload);
      return;
    }
  }
  std::abort();  // ParseFrameHeader let an unknown type through
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // The whole input as one frame.
  auto whole = network::DecodeFrame(in);
  if (whole.ok()) Require(network::EncodeFrame(whole->type, whole->payload) == in);
  // The input as a stream of frames.
  while (in.size() >= network::limits::kFrameHeaderBytes) {
    auto header = network::ParseFrameHeader(in.substr(0, network::limits::kFrameHeaderBytes));
    if (!header.ok()) break;
    Require(header->payload_bytes <= network::MaxPayloadBytes(header->type));
    in.remove_prefix(network::limits::kFrameHeaderBytes);
    if (in.size() < header->payload_bytes) break;
    CheckPayloadRoundTrip(header->type, in.substr(0, header->payload_bytes));
    in.remove_prefix(header->payload_bytes);
  }
  return 0;
}

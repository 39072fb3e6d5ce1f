// libFuzzer target: the peer-to-peer frame and message decoders (network/frame.h,
// network/messages.h), the handshake (network/handshake.h) and the sealed-frame decoder
// (network/noise.h): the bytes every peer, registered or not, can send us.
//
// The input is read as a stream of frames the way a connection reads it: header first (its
// length checked against the type's limit before the payload is touched), then the payload,
// checked by its type's decoder. Nothing may crash, leak or allocate beyond the limits, and
// whatever decodes must re-encode to exactly its input bytes (the encoding is canonical). The
// same frames are also fed to a responder and an initiator as handshake messages (a random
// message must never complete a handshake), sealed and opened again (identity; one changed byte
// must fail), and the raw input is read as a stream of sealed frames (it must not open).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/encoding.h"
#include "network/frame.h"
#include "network/handshake.h"
#include "network/messages.h"
#include "network/noise.h"

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
    case MessageType::kHandshake:
      Require(accepted == (payload.size() >= network::limits::kMinHandshakeBytes &&
                           payload.size() <= network::limits::kMaxHandshakeBytes));
      return;
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

ledger::SecretKey Key(uint8_t seed) { return *ledger::SecretKey::FromBytes(std::string(31, '\0') + char(seed)); }

// Handshake messages from nowhere: a responder reads the first as message 1 and the second as
// message 3; an initiator reads the first as message 2. Without the static secrets of a real
// peer, no handshake may complete.
void FuzzHandshake(const std::vector<std::string_view>& messages) {
  if (messages.empty()) return;
  // Not the keys of the frozen vectors (tests/network/handshake_test.cpp), whose messages are seeds.
  static const ledger::SecretKey kOurs = Key(5), kEphemeral = Key(0x55);
  auto allow = [](const ledger::PubKey&) { return true; };
  network::Handshake responder(false, "circuledger-test", kOurs, allow, kEphemeral);
  auto step = responder.OnMessage(messages[0]);
  Require(!step.done);
  if (step.error == network::DisconnectReason::kNone && messages.size() > 1) {
    Require(step.reply.size() == network::limits::kHandshakeMessage2Bytes);
    Require(!responder.OnMessage(messages[1]).done);
  }
  network::Handshake initiator(true, "circuledger-test", kOurs, allow, kEphemeral);
  initiator.Start();
  Require(!initiator.OnMessage(messages[0]).done);
}

// Seals `plain` as a frame body and opens it again; the same with one byte changed must fail.
void FuzzSealed(std::string_view plain, size_t flip) {
  static const network::noise::Key kKey = [] {
    network::noise::Key k;
    k.bytes.fill(0x42);
    return k;
  }();
  network::noise::CipherState send(kKey), recv(kKey), recv2(kKey);
  std::string sealed, opened;
  Require(send.Seal({}, plain, sealed));
  Require(sealed.size() == plain.size() + network::noise::kTagBytes);
  std::string changed = sealed;
  changed[flip % changed.size()] = static_cast<char>(changed[flip % changed.size()] ^ 0x01);
  Require(!recv2.Open({}, changed, opened));
  Require(recv.Open({}, sealed, opened) && opened == plain);
}

// The raw input as sealed frames under a key the input does not know: nothing opens.
void FuzzOpenRaw(std::string_view in) {
  network::noise::Key key;
  key.bytes.fill(0x24);
  network::noise::CipherState recv(key);
  if (in.size() < network::limits::kSealedHeaderBytes) return;
  std::string header;
  Require(!recv.Open({}, in.substr(0, network::limits::kSealedHeaderBytes), header));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // The whole input as one frame.
  auto whole = network::DecodeFrame(in);
  if (whole.ok()) Require(network::EncodeFrame(whole->type, whole->payload) == in);
  FuzzOpenRaw(in);
  std::vector<std::string_view> handshake_messages;
  // The input as a stream of frames.
  while (in.size() >= network::limits::kFrameHeaderBytes) {
    auto header = network::ParseFrameHeader(in.substr(0, network::limits::kFrameHeaderBytes));
    if (!header.ok()) break;
    Require(header->payload_bytes <= network::MaxPayloadBytes(header->type));
    in.remove_prefix(network::limits::kFrameHeaderBytes);
    if (in.size() < header->payload_bytes) break;
    const std::string_view payload = in.substr(0, header->payload_bytes);
    CheckPayloadRoundTrip(header->type, payload);
    if (header->type == MessageType::kHandshake) handshake_messages.push_back(payload);
    if (payload.size() <= 4096) FuzzSealed(payload, size);
    in.remove_prefix(header->payload_bytes);
  }
  FuzzHandshake(handshake_messages);
  return 0;
}

#include "network/messages.h"

#include <cassert>

#include "ledger/encoding.h"
#include "network/detail/wire.h"

namespace circuledger::network {

namespace {

using detail::WireReader;
using detail::WireWriter;
using ledger::Reject;
using ledger::Status;

// Turns the reader's state after a whole message into a Result.
template <class T>
ledger::Result<T> Finish(WireReader& r, T value, const char* what) {
  r.ExpectEnd();
  if (!r.ok()) return Status::Rejected(r.error(), std::string("bad ") + what + " message");
  return value;
}

}  // namespace

std::string EncodeSyncRequest(const SyncRequest& m) {
  WireWriter w;
  w.U64(m.from_height);
  w.U32(m.count);
  return w.Finish();
}

std::string EncodeSyncResponse(const SyncResponse& m) {
  assert(m.block.size() <= ledger::limits::kMaxBlockBytes);
  assert(m.certificate.size() <= limits::kMaxCertificateBytes);
  WireWriter w(limits::kSyncResponseEnvelopeBytes + m.block.size() + m.certificate.size());
  w.U64(m.height);
  w.Bytes(m.block);
  w.Bytes(m.certificate);
  return w.Finish();
}

std::string EncodePing(const Ping& m) {
  WireWriter w;
  w.U64(m.nonce);
  return w.Finish();
}

size_t TxsPayloadBytes(size_t count, size_t encoded_bytes) { return 4 + 4 * count + encoded_bytes; }

std::string EncodeTxsPayload(const std::vector<std::string>& encoded_txs) {
  size_t bytes = 0;
  for (const std::string& tx : encoded_txs) bytes += tx.size();
  assert(!encoded_txs.empty() && encoded_txs.size() <= limits::kMaxTxsPerFrame);
  assert(TxsPayloadBytes(encoded_txs.size(), bytes) <= limits::kMaxTxsFrameBytes);
  WireWriter w(TxsPayloadBytes(encoded_txs.size(), bytes));
  w.U32(static_cast<uint32_t>(encoded_txs.size()));
  for (const std::string& tx : encoded_txs) w.Bytes(tx);
  return w.Finish();
}

ledger::Result<ledger::Tx> DecodeTxPayload(std::string_view payload) {
  if (payload.size() > ledger::limits::kMaxTxBytes) return Status::Rejected(Reject::kOversized, "tx over limit");
  return ledger::Decode<ledger::Tx>(payload);
}

ledger::Result<std::vector<ledger::Tx>> DecodeTxsPayload(std::string_view payload) {
  if (payload.size() > limits::kMaxTxsFrameBytes) return Status::Rejected(Reject::kOversized, "txs over limit");
  WireReader r(payload);
  const uint32_t count = r.U32();
  if (r.ok() && (count == 0 || count > limits::kMaxTxsPerFrame)) r.Fail(Reject::kOversized);
  // Each transaction takes at least its 4-byte length and one byte: a count beyond what the
  // payload can hold is refused before anything is reserved.
  if (r.ok() && count > r.Remaining() / 5) r.Fail(Reject::kMalformed);
  if (!r.ok()) return Status::Rejected(r.error(), "bad txs message");
  std::vector<ledger::Tx> txs;
  txs.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view bytes = r.Bytes(ledger::limits::kMaxTxBytes);
    if (!r.ok()) return Status::Rejected(r.error(), "bad txs message");
    ledger::Result<ledger::Tx> tx = DecodeTxPayload(bytes);
    if (!tx.ok()) return Status::Rejected(tx.status().reason(), "txs message, tx " + std::to_string(i) + ": " + tx.status().detail());
    txs.push_back(std::move(tx).value());
  }
  return Finish(r, std::move(txs), "txs");
}

ledger::Result<SyncRequest> DecodeSyncRequest(std::string_view payload) {
  WireReader r(payload);
  SyncRequest m;
  m.from_height = r.U64();
  m.count = r.U32();
  if (r.ok() && (m.count == 0 || m.count > limits::kMaxSyncBlocksPerRequest)) r.Fail(Reject::kOversized);
  return Finish(r, m, "sync-request");
}

ledger::Result<SyncResponse> DecodeSyncResponse(std::string_view payload) {
  WireReader r(payload);
  SyncResponse m;
  m.height = r.U64();
  m.block = std::string(r.Bytes(ledger::limits::kMaxBlockBytes));
  m.certificate = std::string(r.Bytes(limits::kMaxCertificateBytes));
  return Finish(r, std::move(m), "sync-response");
}

ledger::Result<Ping> DecodePing(std::string_view payload) {
  WireReader r(payload);
  Ping m;
  m.nonce = r.U64();
  return Finish(r, m, "ping");
}

Status CheckPayload(MessageType type, std::string_view payload) {
  if (payload.size() > MaxPayloadBytes(type)) return Status::Rejected(Reject::kOversized, "payload over limit");
  switch (type) {
    case MessageType::kHandshake:  // checked by the handshake (network/handshake.h)
      return payload.size() >= limits::kMinHandshakeBytes && payload.size() <= limits::kMaxHandshakeBytes
                 ? Status::Ok()
                 : Status::Rejected(Reject::kMalformed, "bad handshake message size");
    case MessageType::kTx: return DecodeTxPayload(payload).status();
    case MessageType::kConsensus:
      return payload.empty() ? Status::Rejected(Reject::kMalformed, "empty consensus message") : Status::Ok();
    case MessageType::kSyncRequest: return DecodeSyncRequest(payload).status();
    case MessageType::kSyncResponse: return DecodeSyncResponse(payload).status();
    case MessageType::kPing:
    case MessageType::kPong: return DecodePing(payload).status();
    case MessageType::kTxs: return DecodeTxsPayload(payload).status();
  }
  return Status::Rejected(Reject::kMalformed, "unknown message type");
}

}  // namespace circuledger::network

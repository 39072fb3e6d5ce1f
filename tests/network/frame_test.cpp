// Frames and message payloads of the peer-to-peer protocol (network/frame.h, network/messages.h):
// round trips, golden bytes, and rejection of truncated, oversized, trailing and unknown input.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "consensus/limits.h"
#include "ledger/encoding.h"
#include "network/frame.h"
#include "network/messages.h"

namespace circuledger::network {
namespace {

using ledger::Reject;

// The transport carries what consensus produces: its bounds must fit ours.
static_assert(consensus::limits::kMaxMessageBytes <= limits::kMaxConsensusBytes);
static_assert(consensus::limits::kMaxCertificateBytes <= limits::kMaxCertificateBytes);

ledger::Tx SampleTx() {
  const auto key = ledger::SecretKey::FromBytes(std::string(31, '\0') + "\x07");
  ledger::TxBody body;
  body.genesis_hash = ledger::Sha256("circuledger-test");
  body.signer = key->Public();
  body.nonce = 3;
  body.op = ledger::CreateLot{"urn:lot:1", ledger::Composition{{{"Co", 1000, 100}}}};
  return ledger::SignTx(body, *key);
}

std::string Header(uint32_t length, uint8_t type) {
  std::string h(5, '\0');
  for (int i = 0; i < 4; ++i) h[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  h[4] = static_cast<char>(type);
  return h;
}

TEST_CASE("frame: header is u32 little-endian payload length then the type byte", "[p2p]") {
  const std::string f = EncodeFrame(MessageType::kPing, EncodePing(Ping{0x0102030405060708ull}));
  REQUIRE(f == Header(8, 7) + std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  auto d = DecodeFrame(f);
  REQUIRE(d.ok());
  CHECK(d->type == MessageType::kPing);
  CHECK(DecodePing(d->payload)->nonce == 0x0102030405060708ull);
}

TEST_CASE("frame: every message type round-trips", "[p2p]") {
  const SyncRequest req{42, 16};
  const SyncResponse resp{42, std::string(1000, 'b'), std::string(200, 'c')};
  const ledger::Tx tx = SampleTx();

  auto check = [](MessageType type, const std::string& payload) {
    auto f = DecodeFrame(EncodeFrame(type, payload));
    REQUIRE(f.ok());
    CHECK(f->type == type);
    CHECK(f->payload == payload);
    CHECK(CheckPayload(type, payload).ok());
  };
  check(MessageType::kHandshake, std::string(limits::kHandshakeMessage1Bytes, 'h'));
  check(MessageType::kTx, ledger::Encode(tx));
  check(MessageType::kConsensus, "opaque consensus bytes");
  check(MessageType::kSyncRequest, EncodeSyncRequest(req));
  check(MessageType::kSyncResponse, EncodeSyncResponse(resp));
  check(MessageType::kPing, EncodePing(Ping{9}));
  check(MessageType::kPong, EncodePing(Ping{9}));
  check(MessageType::kTxs, EncodeTxsPayload({ledger::Encode(tx), ledger::Encode(tx)}));

  CHECK(*DecodeSyncRequest(EncodeSyncRequest(req)) == req);
  CHECK(*DecodeSyncResponse(EncodeSyncResponse(resp)) == resp);
  CHECK(*DecodeTxPayload(ledger::Encode(tx)) == tx);
  const auto txs = DecodeTxsPayload(EncodeTxsPayload({ledger::Encode(tx), ledger::Encode(tx)}));
  REQUIRE(txs.ok());
  REQUIRE(txs->size() == 2);
  CHECK((*txs)[1] == tx);
}

TEST_CASE("frame: unknown types and out-of-range lengths are refused from the header alone", "[p2p]") {
  CHECK(ParseFrameHeader(Header(8, 0)).status().reason() == Reject::kMalformed);
  CHECK(ParseFrameHeader(Header(64, 2)).status().reason() == Reject::kMalformed);  // protocol 1's auth
  CHECK(ParseFrameHeader(Header(8, 10)).status().reason() == Reject::kMalformed);
  CHECK(ParseFrameHeader(Header(8, 0xff)).status().reason() == Reject::kMalformed);
  // A 4 GiB announcement, and one byte over each type's own limit.
  CHECK(ParseFrameHeader(Header(0xffffffffu, 4)).status().reason() == Reject::kOversized);
  for (uint8_t t = kMinMessageType; t <= kMaxMessageType; ++t) {
    if (t == 2) continue;
    const auto type = static_cast<MessageType>(t);
    const auto max = static_cast<uint32_t>(MaxPayloadBytes(type));
    CHECK(ParseFrameHeader(Header(max, t)).ok());
    CHECK(ParseFrameHeader(Header(max + 1, t)).status().reason() == Reject::kOversized);
    if (MinPayloadBytes(type) > 0) {
      CHECK(ParseFrameHeader(Header(static_cast<uint32_t>(MinPayloadBytes(type)) - 1, t)).status().reason() ==
            Reject::kMalformed);
    }
  }
  CHECK(MaxPayloadBytes(MessageType::kTx) == ledger::limits::kMaxTxBytes);
  CHECK(MaxPayloadBytes(MessageType::kSyncResponse) >= ledger::limits::kMaxBlockBytes);
  CHECK(ParseFrameHeader("abcd").status().reason() == Reject::kMalformed);
}

TEST_CASE("frame: truncated and trailing frames are refused", "[p2p]") {
  const std::string f = EncodeFrame(MessageType::kConsensus, "0123456789");
  for (size_t n = 0; n < f.size(); ++n) {
    INFO("prefix " << n);
    CHECK_FALSE(DecodeFrame(f.substr(0, n)).ok());
  }
  CHECK(DecodeFrame(f + "x").status().reason() == Reject::kTrailingBytes);
}

TEST_CASE("messages: truncated, trailing and out-of-range payloads are refused", "[p2p]") {
  CHECK_FALSE(CheckPayload(MessageType::kHandshake, std::string(limits::kMinHandshakeBytes - 1, 'h')).ok());
  CHECK_FALSE(CheckPayload(MessageType::kHandshake, std::string(limits::kMaxHandshakeBytes + 1, 'h')).ok());

  CHECK(DecodeSyncRequest(EncodeSyncRequest({1, 0})).status().reason() == Reject::kOversized);
  CHECK(DecodeSyncRequest(EncodeSyncRequest({1, limits::kMaxSyncBlocksPerRequest + 1})).status().reason() ==
        Reject::kOversized);
  CHECK(DecodeSyncRequest(EncodeSyncRequest({1, limits::kMaxSyncBlocksPerRequest})).ok());

  // A block length that claims more than the payload holds, and a certificate over its limit.
  const std::string resp = EncodeSyncResponse({7, "block", "cert"});
  std::string lying = resp;
  lying[8] = 100;
  CHECK(DecodeSyncResponse(lying).status().reason() == Reject::kMalformed);
  std::string big_cert = resp.substr(0, 8 + 4 + 5);
  const uint32_t n = limits::kMaxCertificateBytes + 1;
  for (int i = 0; i < 4; ++i) big_cert.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  CHECK(DecodeSyncResponse(big_cert).status().reason() == Reject::kOversized);
  CHECK(DecodeSyncResponse(resp + "x").status().reason() == Reject::kTrailingBytes);

  CHECK_FALSE(DecodePing(std::string(9, 'p')).ok());
  CHECK_FALSE(CheckPayload(MessageType::kConsensus, "").ok());
  // A tx payload must be a canonical ledger transaction.
  const std::string tx = ledger::Encode(SampleTx());
  CHECK_FALSE(CheckPayload(MessageType::kTx, tx.substr(0, tx.size() - 1)).ok());
  CHECK_FALSE(CheckPayload(MessageType::kTx, tx + "x").ok());
  CHECK_FALSE(CheckPayload(MessageType::kTx, "garbage").ok());
}

TEST_CASE("messages: a txs batch is refused whole when its count, a length or a transaction is bad", "[p2p]") {
  const std::string tx = ledger::Encode(SampleTx());
  const std::string two = EncodeTxsPayload({tx, tx});
  REQUIRE(DecodeTxsPayload(two).ok());
  auto u32 = [](uint32_t v) {
    std::string out;
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return out;
  };
  for (size_t n = 0; n < two.size(); ++n) {
    INFO("prefix " << n);
    CHECK_FALSE(DecodeTxsPayload(two.substr(0, n)).ok());
  }
  CHECK(DecodeTxsPayload(two + "x").status().reason() == Reject::kTrailingBytes);
  // An empty batch, one over the count limit, and a count the payload cannot hold.
  CHECK(DecodeTxsPayload(u32(0)).status().reason() == Reject::kOversized);
  CHECK(DecodeTxsPayload(u32(limits::kMaxTxsPerFrame + 1) + two.substr(4)).status().reason() == Reject::kOversized);
  CHECK(DecodeTxsPayload(u32(3) + two.substr(4)).status().reason() == Reject::kMalformed);
  CHECK(DecodeTxsPayload(u32(limits::kMaxTxsPerFrame)).status().reason() == Reject::kMalformed);
  // A transaction length over the ledger's limit, and a garbled transaction inside.
  CHECK(DecodeTxsPayload(u32(1) + u32(static_cast<uint32_t>(ledger::limits::kMaxTxBytes) + 1) + tx).status().reason() ==
        Reject::kOversized);
  std::string bad = two;
  bad[4 + 4 + 1] ^= 0x7f;  // the second byte of the first transaction: its version
  CHECK_FALSE(DecodeTxsPayload(bad).ok());
  CHECK_FALSE(CheckPayload(MessageType::kTxs, bad).ok());
  CHECK_FALSE(CheckPayload(MessageType::kTxs, std::string(limits::kMaxTxsFrameBytes + 1, 'x')).ok());
}

TEST_CASE("frame: the fuzz seeds are streams of valid frames", "[p2p]") {
  const std::filesystem::path dir = std::filesystem::path(CIRCULEDGER_SOURCE_DIR) / "tests/fuzz/corpus/p2p";
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    INFO(entry.path());
    std::ifstream f(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string_view in = ss.view();
    size_t frames = 0;
    while (!in.empty()) {
      auto h = ParseFrameHeader(in.substr(0, limits::kFrameHeaderBytes));
      REQUIRE(h.ok());
      in.remove_prefix(limits::kFrameHeaderBytes);
      REQUIRE(in.size() >= h->payload_bytes);
      CHECK(CheckPayload(h->type, in.substr(0, h->payload_bytes)).ok());
      in.remove_prefix(h->payload_bytes);
      ++frames;
    }
    CHECK(frames >= 1);
    ++files;
  }
  CHECK(files >= 8);
}

}  // namespace
}  // namespace circuledger::network

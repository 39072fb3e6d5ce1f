// The Noise XX handshake of network/handshake.h and network/noise.h without sockets: two
// Handshake objects talk directly. Frozen vectors pin the bytes of every message and the keys
// derived from fixed static and ephemeral keys: a change to them is a protocol change. The same
// values come out of tests/network/noise_vectors.py, an independent implementation (pure-Python
// secp256k1, hashlib/hmac, the `cryptography` package's ChaCha20-Poly1305).
#include <catch2/catch.hpp>

#include "network/handshake.h"
#include "network/noise.h"

namespace circuledger::network {
namespace {

ledger::SecretKey Key(uint8_t seed) { return *ledger::SecretKey::FromBytes(std::string(31, '\0') + char(seed)); }
auto AllowAll() {
  return [](const ledger::PubKey&) { return true; };
}

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// The vectors' chain: its id and a genesis hash of 32 bytes 0xab.
ChainBinding VectorChain() {
  ledger::Hash256 genesis;
  genesis.bytes.fill(0xab);
  return ChainBinding("circuledger-test", genesis);
}

struct Transcript {
  std::string m1, m2, m3;
  noise::Session initiator, responder;
};

// a (initiator) and b (responder) with fixed ephemeral keys.
Transcript Run(const ledger::SecretKey& a, const ledger::SecretKey& b, const ChainBinding& chain = VectorChain()) {
  Handshake ha(true, chain, a, AllowAll(), Key(0x11));
  Handshake hb(false, chain, b, AllowAll(), Key(0x22));
  Transcript t;
  t.m1 = ha.Start();
  auto s2 = hb.OnMessage(t.m1);
  REQUIRE(s2.error == DisconnectReason::kNone);
  REQUIRE_FALSE(s2.done);
  t.m2 = s2.reply;
  auto s3 = ha.OnMessage(t.m2);
  REQUIRE(s3.error == DisconnectReason::kNone);
  REQUIRE(s3.done);
  CHECK(*ha.peer_key() == b.Public());
  t.m3 = s3.reply;
  auto s4 = hb.OnMessage(t.m3);
  REQUIRE(s4.error == DisconnectReason::kNone);
  REQUIRE(s4.done);
  REQUIRE(s4.reply.empty());
  CHECK(*hb.peer_key() == a.Public());
  t.initiator = ha.Split();
  t.responder = hb.Split();
  return t;
}

std::string Seal(noise::CipherState& c, std::string_view plaintext) {
  std::string out;
  REQUIRE(c.Seal({}, plaintext, out));
  return out;
}

TEST_CASE("handshake: test vectors (fixed static and ephemeral keys)", "[p2p]") {
  Transcript t = Run(Key(1), Key(2));
  CHECK(t.m1.size() == limits::kHandshakeMessage1Bytes);
  CHECK(t.m2.size() == limits::kHandshakeMessage2Bytes);
  CHECK(t.m3.size() == limits::kHandshakeMessage3Bytes);
  // Message 1 in clear: version 2, the ephemeral key of Key(0x11), the chain tag.
  CHECK(Hex(t.m1) == "02" + Key(0x11).Public().ToHex() + ChainTag(VectorChain()).ToHex());
  CHECK(Hex(t.m1) ==
        "02defdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34ebc5323c70dfd602e9e0083c3a18ec"
        "a1ae43d8a96fbf57aaeb18ce49b12d0d31");
  CHECK(Hex(t.m2) ==
        "1be68a5a028f2601d0e80d468c344ba331d611b96c358b6032e8b4da0547fc11b481c12aea509db6d4ce9f98b88f5b4d"
        "61d21aceaf1f2d47a7abb86868164b4913c72e63a4276264e87bea8d93ccd376cde00f91866b22bc131df98039b9a2ba");
  CHECK(Hex(t.m3) ==
        "29a03f78fdc891a3f17ed320352e8da706695478ad66353858f733327d69b1ed430b73066e558a39abd02ad633a97445"
        "e7324d63a4d15e02a828f002d6c93bdb");
  CHECK(t.initiator.handshake_hash.ToHex() == "449b38bce9d38ab6295dea07678816bdc8d6cdef3de7ff22f75a28ff1711c35f");
  CHECK(t.responder.handshake_hash == t.initiator.handshake_hash);
  // The first transport message each way: ping nonce 1 as a sealed frame header then payload.
  const std::string header("\x08\x00\x00\x00\x07", 5), payload("\x01\0\0\0\0\0\0\0", 8);
  // (Sealed one statement at a time: the header takes nonce 0 and the payload nonce 1.)
  std::string i2r = Seal(t.initiator.send, header);
  i2r += Seal(t.initiator.send, payload);
  std::string r2i = Seal(t.responder.send, header);
  r2i += Seal(t.responder.send, payload);
  CHECK(Hex(i2r) ==
        "a8947c24ca4651ed628bcd515ee892f8f88d567b1363baabcf5c2cceda4f01e46cdd930b160780a8671080ed33");
  CHECK(Hex(r2i) ==
        "fb35e81b231db58706e77de5df6c9df28f32ec5b9051b8969b9a161f726f81ca983d6601da4a7687f22d3c7665");
}

TEST_CASE("handshake: both ends derive the same session, and only one session", "[p2p]") {
  Transcript t = Run(Key(1), Key(2));
  for (int i = 0; i < 3; ++i) {
    const std::string msg = "frame " + std::to_string(i);
    std::string opened;
    REQUIRE(t.responder.recv.Open({}, Seal(t.initiator.send, msg), opened));
    CHECK(opened == msg);
    REQUIRE(t.initiator.recv.Open({}, Seal(t.responder.send, msg), opened));
    CHECK(opened == msg);
  }
  // Fresh ephemeral keys: another session with other keys, though the static keys are the same.
  Handshake ha(true, "circuledger-test", Key(1), AllowAll());
  Handshake hb(false, "circuledger-test", Key(2), AllowAll());
  auto s2 = hb.OnMessage(ha.Start());
  auto s3 = ha.OnMessage(s2.reply);
  REQUIRE(hb.OnMessage(s3.reply).done);
  noise::Session other = ha.Split();
  CHECK(other.handshake_hash != t.initiator.handshake_hash);
  std::string opened;
  CHECK_FALSE(t.responder.recv.Open({}, Seal(other.send, "x"), opened));
}

TEST_CASE("handshake: refusals", "[p2p]") {
  const auto a = Key(1), b = Key(2), c = Key(3);
  auto only = [](ledger::PubKey k) { return [k](const ledger::PubKey& x) { return x == k; }; };

  SECTION("another chain is named by the responder") {
    Handshake ha(true, "chain", a, AllowAll());
    Handshake hb(false, "other", b, AllowAll());
    CHECK(hb.OnMessage(ha.Start()).error == DisconnectReason::kWrongChain);
  }
  SECTION("the same chain id with another genesis is another chain") {
    ledger::Hash256 g1, g2;
    g2.bytes[31] = 1;
    Handshake ha(true, ChainBinding("chain", g1), a, AllowAll());
    Handshake hb(false, ChainBinding("chain", g2), b, AllowAll());
    CHECK(hb.OnMessage(ha.Start()).error == DisconnectReason::kWrongChain);
    // And were the chain tag forged, the prologue still differs: message 2 does not verify.
    Handshake hc(true, ChainBinding("chain", g1), a, AllowAll());
    Handshake hd(false, ChainBinding("chain", g2), b, AllowAll());
    std::string m1 = hc.Start();
    m1.replace(1 + 32, 32, ChainTag(ChainBinding("chain", g2)).View());
    auto s2 = hd.OnMessage(m1);
    REQUIRE(s2.error == DisconnectReason::kNone);
    CHECK(hc.OnMessage(s2.reply).error == DisconnectReason::kHandshakeFailed);
  }
  SECTION("another version") {
    Handshake ha(true, "chain", a, AllowAll());
    Handshake hb(false, "chain", b, AllowAll());
    std::string m1 = ha.Start();
    m1[0] = 1;
    CHECK(hb.OnMessage(m1).error == DisconnectReason::kIncompatibleVersion);
  }
  SECTION("an unknown key, refused only after its proof, on both sides") {
    Handshake ha(true, "chain", c, only(b.Public()));
    Handshake hb(false, "chain", b, only(a.Public()));
    auto s2 = hb.OnMessage(ha.Start());
    REQUIRE(s2.error == DisconnectReason::kNone);
    CHECK(ha.OnMessage(s2.reply).error == DisconnectReason::kNone);  // c accepts b
    Handshake hc(true, "chain", c, AllowAll());
    Handshake hb2(false, "chain", b, only(a.Public()));
    auto t2 = hb2.OnMessage(hc.Start());
    auto t3 = hc.OnMessage(t2.reply);
    REQUIRE(t3.done);
    CHECK(hb2.OnMessage(t3.reply).error == DisconnectReason::kUnknownKey);  // b refuses c
    Handshake hd(true, "chain", a, only(c.Public()));
    Handshake he(false, "chain", b, AllowAll());
    CHECK(hd.OnMessage(he.OnMessage(hd.Start()).reply).error == DisconnectReason::kUnknownKey);  // a refuses b
  }
  SECTION("a connection to oneself") {
    Handshake h1(true, "chain", a, AllowAll());
    Handshake h2(false, "chain", a, AllowAll());
    CHECK(h1.OnMessage(h2.OnMessage(h1.Start()).reply).error == DisconnectReason::kSelfConnection);
  }
  SECTION("wrong sizes, a key off the curve, and messages after the end") {
    Handshake ha(true, "chain", a, AllowAll());
    Handshake hb(false, "chain", b, AllowAll());
    const std::string m1 = ha.Start();
    CHECK(Handshake(false, "chain", b, AllowAll()).OnMessage(m1 + "x").error == DisconnectReason::kHandshakeFailed);
    std::string off_curve = m1;
    for (size_t i = 1; i < 33; ++i) off_curve[i] = '\xff';  // x >= p
    CHECK(Handshake(false, "chain", b, AllowAll()).OnMessage(off_curve).error == DisconnectReason::kHandshakeFailed);
    auto s2 = hb.OnMessage(m1);
    CHECK(ha.OnMessage(s2.reply.substr(1)).error == DisconnectReason::kHandshakeFailed);
    CHECK(ha.OnMessage(s2.reply).error == DisconnectReason::kUnexpectedMessage);  // dead after a failure
  }
}

TEST_CASE("handshake: a changed byte anywhere in messages 2 and 3 fails the proof", "[p2p]") {
  const auto a = Key(1), b = Key(2);
  const Transcript t = Run(a, b);
  for (size_t i = 0; i < t.m2.size(); ++i) {
    Handshake ha(true, VectorChain(), a, AllowAll(), Key(0x11));
    ha.Start();
    std::string m2 = t.m2;
    m2[i] = static_cast<char>(m2[i] ^ 0x01);
    INFO("message 2 byte " << i);
    CHECK(ha.OnMessage(m2).error == DisconnectReason::kHandshakeFailed);
  }
  for (size_t i = 0; i < t.m3.size(); ++i) {
    Handshake hb(false, VectorChain(), b, AllowAll(), Key(0x22));
    REQUIRE(hb.OnMessage(t.m1).error == DisconnectReason::kNone);
    std::string m3 = t.m3;
    m3[i] = static_cast<char>(m3[i] ^ 0x01);
    INFO("message 3 byte " << i);
    CHECK(hb.OnMessage(m3).error == DisconnectReason::kHandshakeFailed);
  }
}

TEST_CASE("handshake: a relay that swaps in its own ephemeral key cannot complete either side", "[p2p]") {
  const auto a = Key(1), b = Key(2), relay = Key(9);
  Handshake ha(true, "chain", a, AllowAll());   // the honest dialer
  Handshake hb(false, "chain", b, AllowAll());  // the honest listener
  // The relay forwards message 1 with its own ephemeral key, so that it shares ee with b ...
  std::string m1 = ha.Start();
  m1.replace(1, 32, relay.Public().View());
  auto s2 = hb.OnMessage(m1);
  REQUIRE(s2.error == DisconnectReason::kNone);
  // ... but b's message 2 is keyed to the relay's ephemeral key: a cannot open it, and the relay
  // cannot re-key it for a without b's static secret (es).
  CHECK(ha.OnMessage(s2.reply).error == DisconnectReason::kHandshakeFailed);
  // Claiming b's key with the relay's own proof: a message 3 built by a handshake of the relay's
  // key fails at b, whatever static key it names.
  Handshake hr(true, "chain", relay, AllowAll());
  Handshake hb2(false, "chain", b, AllowAll());
  auto r2 = hb2.OnMessage(hr.Start());
  auto r3 = hr.OnMessage(r2.reply);
  REQUIRE(r3.done);
  Handshake hb3(false, "chain", b, AllowAll());
  REQUIRE(hb3.OnMessage(Handshake(true, "chain", a, AllowAll()).Start()).error == DisconnectReason::kNone);
  CHECK(hb3.OnMessage(r3.reply).error == DisconnectReason::kHandshakeFailed);
}

TEST_CASE("noise: x-only ECDH agrees whatever the y parity of either key", "[p2p]") {
  for (uint8_t i = 1; i <= 8; ++i) {
    for (uint8_t j = i + 1; j <= 8; ++j) {
      const auto x = noise::Dh(Key(i), Key(j).Public());
      const auto y = noise::Dh(Key(j), Key(i).Public());
      REQUIRE(x);
      REQUIRE(y);
      CHECK(*x == *y);
    }
  }
  ledger::PubKey off_curve;
  off_curve.bytes.fill(0xff);
  CHECK_FALSE(noise::Dh(Key(1), off_curve));
}

TEST_CASE("noise: a cipher state never reuses or wraps its nonce, and refuses any changed byte", "[p2p]") {
  noise::Key k;
  k.bytes.fill(0x5a);
  noise::CipherState send(k, noise::kMaxNonce - 1), recv(k, noise::kMaxNonce - 1);
  std::string sealed;
  REQUIRE(send.Seal("ad", "last message", sealed));
  CHECK(sealed.size() == 12 + noise::kTagBytes);
  std::string out = "unchanged";
  CHECK_FALSE(send.Seal("ad", "one too many", out));  // 2^64 - 1 is reserved
  CHECK(out == "unchanged");
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x80);
    CHECK_FALSE(recv.Open("ad", bad, out));
  }
  CHECK_FALSE(recv.Open("other ad", sealed, out));
  CHECK_FALSE(recv.Open("ad", sealed.substr(0, noise::kTagBytes - 1), out));
  REQUIRE(recv.Open("ad", sealed, out));  // failures did not advance the counter
  CHECK(out == "last message");
  CHECK_FALSE(recv.Open("ad", sealed, out));  // and now it is exhausted
}

}  // namespace
}  // namespace circuledger::network

// The handshake of network/handshake.h without sockets: two Handshake objects talk directly.
#include <catch2/catch.hpp>

#include "network/handshake.h"

namespace circuledger::network {
namespace {

ledger::SecretKey Key(char seed) { return *ledger::SecretKey::FromBytes(std::string(31, '\0') + seed); }

TEST_CASE("handshake: two allowed nodes on one chain authenticate each other", "[p2p]") {
  const auto a = Key(1), b = Key(2);
  Handshake ha("chain", a, [&](const ledger::PubKey& k) { return k == b.Public(); });
  Handshake hb("chain", b, [&](const ledger::PubKey& k) { return k == a.Public(); });
  CHECK(ha.our_hello().nonce != hb.our_hello().nonce);
  auto sa = ha.OnHello(hb.our_hello());
  auto sb = hb.OnHello(ha.our_hello());
  REQUIRE(sa.error == DisconnectReason::kNone);
  REQUIRE(sb.error == DisconnectReason::kNone);
  CHECK(ha.OnAuth(sb.auth) == DisconnectReason::kNone);
  CHECK(hb.OnAuth(sa.auth) == DisconnectReason::kNone);
  CHECK(ha.peer_key() == b.Public());
  // The signature is over the digest of the verifier's nonce and both keys.
  CHECK(ledger::VerifySchnorr(a.Public(), AuthDigest("chain", hb.our_hello().nonce, a.Public(), b.Public()).View(),
                              sa.auth.sig));
}

TEST_CASE("handshake: the auth digest binds chain, nonce, direction and both keys", "[p2p]") {
  const auto a = Key(1).Public(), b = Key(2).Public();
  Nonce n;
  n.bytes.fill(7);
  Nonce n2 = n;
  n2.bytes[31] = 8;
  const auto d = AuthDigest("chain", n, a, b);
  CHECK(d != AuthDigest("chain2", n, a, b));
  CHECK(d != AuthDigest("chain", n2, a, b));
  CHECK(d != AuthDigest("chain", n, b, a));
  // Length-prefixed: moving a byte between the chain id and what follows changes the digest.
  CHECK(AuthDigest("ab", n, a, b) != AuthDigest("a", n, a, b));
  CHECK(d == AuthDigest("chain", n, a, b));
}

TEST_CASE("handshake: refusals", "[p2p]") {
  const auto a = Key(1), b = Key(2), c = Key(3);
  auto allow_b = [&](const ledger::PubKey& k) { return k == b.Public(); };

  SECTION("wrong chain") {
    Handshake ha("chain", a, allow_b);
    Handshake hb("other", b, allow_b);
    CHECK(ha.OnHello(hb.our_hello()).error == DisconnectReason::kWrongChain);
  }
  SECTION("unknown key") {
    Handshake ha("chain", a, allow_b);
    Handshake hc("chain", c, allow_b);
    CHECK(ha.OnHello(hc.our_hello()).error == DisconnectReason::kUnknownKey);
  }
  SECTION("a connection to oneself") {
    Handshake h1("chain", a, [](const ledger::PubKey&) { return true; });
    Handshake h2("chain", a, [](const ledger::PubKey&) { return true; });
    CHECK(h1.OnHello(h2.our_hello()).error == DisconnectReason::kSelfConnection);
    Handshake h3("chain", a, [](const ledger::PubKey&) { return true; });
    CHECK(h3.OnHello(h3.our_hello()).error == DisconnectReason::kSelfConnection);
  }
  SECTION("incompatible version") {
    Handshake ha("chain", a, allow_b);
    Hello h = Handshake("chain", b, allow_b).our_hello();
    h.version = 2;
    CHECK(ha.OnHello(h).error == DisconnectReason::kIncompatibleVersion);
  }
  SECTION("auth before hello, a second hello") {
    Handshake ha("chain", a, allow_b);
    CHECK(ha.OnAuth(Auth{}) == DisconnectReason::kUnexpectedMessage);
    Handshake hb("chain", b, allow_b);
    CHECK(ha.OnHello(hb.our_hello()).error == DisconnectReason::kNone);
    CHECK(ha.OnHello(hb.our_hello()).error == DisconnectReason::kUnexpectedMessage);
  }
  SECTION("a claimed key without its secret, a replayed or reflected signature") {
    auto allow_all = [](const ledger::PubKey&) { return true; };
    Handshake ha("chain", a, allow_all);
    Handshake hb("chain", b, allow_all);
    // The attacker (holding c) claims b's key in its hello and signs with c.
    Hello forged = hb.our_hello();
    ha.OnHello(forged);
    Auth by_c{c.Sign(AuthDigest("chain", ha.our_hello().nonce, b.Public(), a.Public()).View())};
    CHECK(ha.OnAuth(by_c) == DisconnectReason::kBadSignature);
    // b's genuine auth from another session (another nonce) does not verify here.
    Handshake ha2("chain", a, allow_all);
    auto sb = hb.OnHello(ha2.our_hello());
    CHECK(ha.OnAuth(sb.auth) == DisconnectReason::kBadSignature);
    CHECK(ha2.OnHello(hb.our_hello()).error == DisconnectReason::kNone);
    CHECK(ha2.OnAuth(sb.auth) == DisconnectReason::kNone);
    // a's own auth reflected back to a does not verify as b's.
    Handshake ha3("chain", a, allow_all);
    Handshake hb3("chain", b, allow_all);
    auto s3 = ha3.OnHello(hb3.our_hello());
    CHECK(ha3.OnAuth(s3.auth) == DisconnectReason::kBadSignature);
  }
}

}  // namespace
}  // namespace circuledger::network

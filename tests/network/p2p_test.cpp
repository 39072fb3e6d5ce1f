// P2pNodes in one process on 127.0.0.1: handshake, messages both ways, broadcast, one connection
// per pair, refusals of unknown keys and wrong chains (tag [p2p]).
#include <catch2/catch.hpp>

#include "ledger/encoding.h"
#include "network/messages.h"
#include "tests/network/p2p_fixture.h"

namespace circuledger::network::test {
namespace {

std::set<ledger::PubKey> Keys(std::initializer_list<uint8_t> seeds) {
  std::set<ledger::PubKey> out;
  for (uint8_t s : seeds) out.insert(KeyFromSeed(s).Public());
  return out;
}

std::string SignedTx(const ledger::SecretKey& key, uint64_t nonce) {
  ledger::TxBody body;
  body.genesis_hash = ledger::Sha256(kChain);
  body.signer = key.Public();
  body.nonce = nonce;
  body.op = ledger::Transfer{"urn:lot:" + std::to_string(nonce), "recycler"};
  return ledger::Encode(ledger::SignTx(body, key));
}

TEST_CASE("p2p: two nodes authenticate and exchange messages both ways", "[p2p]") {
  auto a = StartNode(1, TestOptions(Keys({1, 2})));
  P2pOptions ob = TestOptions(Keys({1, 2}));
  ob.listen = false;
  ob.dial = {a->Address()};
  auto b = StartNode(2, ob);

  REQUIRE(WaitUntil([&] { return a->inbox->UpPeers().count(b->pub()) && b->inbox->UpPeers().count(a->pub()); }));
  REQUIRE(a->node->Peers().size() == 1);
  CHECK(a->node->Peers()[0].key == b->pub());
  CHECK_FALSE(a->node->Peers()[0].outbound);
  CHECK(b->node->Peers()[0].outbound);

  const std::string tx = SignedTx(a->key, 0);
  const std::string request = EncodeSyncRequest({5, 3});
  const std::string response = EncodeSyncResponse({5, "block-bytes", "certificate-bytes"});
  REQUIRE(a->node->Send(b->pub(), MessageType::kTx, tx).ok());
  REQUIRE(a->node->Send(b->pub(), MessageType::kConsensus, "vote from a").ok());
  REQUIRE(b->node->Send(a->pub(), MessageType::kSyncRequest, request).ok());
  REQUIRE(a->node->Send(b->pub(), MessageType::kSyncResponse, response).ok());
  REQUIRE(b->node->Send(a->pub(), MessageType::kConsensus, "vote from b").ok());

  REQUIRE(WaitUntil([&] { return b->inbox->Messages().size() == 3 && a->inbox->Messages().size() == 2; }));
  const auto at_b = b->inbox->Messages();
  CHECK(at_b[0].from == a->pub());
  CHECK(at_b[0].type == MessageType::kTx);
  CHECK(at_b[0].payload == tx);
  CHECK(at_b[1].payload == "vote from a");
  CHECK(at_b[2].type == MessageType::kSyncResponse);
  CHECK(*DecodeSyncResponse(at_b[2].payload) == SyncResponse{5, "block-bytes", "certificate-bytes"});
  CHECK(a->inbox->CountFrom(b->pub(), request) == 1);
  CHECK(a->inbox->CountFrom(b->pub(), "vote from b") == 1);

  SECTION("the owner can only send application messages a peer would accept") {
    CHECK(a->node->Send(b->pub(), MessageType::kHello, "x").IsInvalidArgument());
    CHECK(a->node->Send(b->pub(), MessageType::kPing, std::string(8, '\0')).IsInvalidArgument());
    CHECK(a->node->Send(b->pub(), MessageType::kTx, "not a tx").IsInvalidArgument());
    CHECK(a->node->Send(b->pub(), MessageType::kSyncRequest, EncodeSyncRequest({1, 0})).IsInvalidArgument());
    CHECK(a->node->Send(KeyFromSeed(9).Public(), MessageType::kConsensus, "x").IsNotFound());
    CHECK(a->node->Broadcast(MessageType::kAuth, std::string(64, 's')) == 0);
  }
  SECTION("a peer that stops goes down, and comes back up when it restarts") {
    b.reset();
    REQUIRE(WaitUntil([&] { return a->inbox->UpPeers().empty() && a->inbox->downs() == 1; }));
    CHECK(a->node->Peers().empty());
    auto b2 = StartNode(2, ob);
    REQUIRE(WaitUntil([&] { return a->inbox->UpPeers().count(b2->pub()) == 1; }));
    REQUIRE(b2->node->Send(a->pub(), MessageType::kConsensus, "back").ok());
    REQUIRE(WaitUntil([&] { return a->inbox->CountFrom(b2->pub(), "back") == 1; }));
  }
}

TEST_CASE("p2p: three nodes dialing each other keep one connection per pair and broadcast reaches all",
          "[p2p]") {
  const auto allowed = Keys({1, 2, 3});
  std::vector<std::unique_ptr<TestNode>> n;
  for (uint8_t s = 1; s <= 3; ++s) n.push_back(StartNode(s, TestOptions(allowed)));
  // Every node dials every other at once: six dials for three pairs.
  for (auto& from : n) {
    for (auto& to : n) {
      if (from != to) REQUIRE(from->node->AddPeer(to->Address()).ok());
    }
  }
  // Both ends of every pair settle on the connection dialed by the smaller key.
  auto settled = [&] {
    for (auto& x : n) {
      const auto peers = x->node->Peers();
      if (peers.size() != 2) return false;
      for (const PeerInfo& p : peers) {
        if (p.outbound != (x->pub() < p.key)) return false;
      }
    }
    return true;
  };
  REQUIRE(WaitUntil(settled));
  for (size_t i = 0; i < n.size(); ++i) {
    REQUIRE(n[i]->node->Broadcast(MessageType::kConsensus, "from " + std::to_string(i)) == 2);
  }
  REQUIRE(WaitUntil([&] {
    for (auto& x : n) {
      if (x->inbox->Messages().size() < 2) return false;
    }
    return true;
  }));
  for (size_t i = 0; i < n.size(); ++i) {
    for (size_t j = 0; j < n.size(); ++j) {
      if (i != j) CHECK(n[j]->inbox->CountFrom(n[i]->pub(), "from " + std::to_string(i)) == 1);
    }
  }
  for (auto& x : n) CHECK(x->inbox->UpPeers().size() == 2);
}

TEST_CASE("p2p: a node with an unregistered key is refused and cannot inject", "[p2p]") {
  auto a = StartNode(1, TestOptions(Keys({1, 2})));
  P2pOptions oc = TestOptions(Keys({1, 3}));  // the intruder would accept a
  oc.listen = false;
  oc.dial = {a->Address()};
  auto c = StartNode(3, oc);
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kUnknownKey) >= 1; }));
  CHECK(c->node->Broadcast(MessageType::kConsensus, "injected") == 0);
  CHECK(c->inbox->UpPeers().empty());
  CHECK(a->node->Peers().empty());

  SECTION("raw frames after a refused hello are never delivered") {
    RawPeer raw;
    REQUIRE(raw.Connect(a->node->port()));
    REQUIRE(raw.Handshake(KeyFromSeed(3)));
    raw.SendAll(EncodeFrame(MessageType::kConsensus, "injected"));
    CHECK(raw.WaitClosed());
  }
  SECTION("a registered key claimed without its secret fails the auth and is banned") {
    RawPeer raw;
    REQUIRE(raw.Connect(a->node->port()));
    auto theirs = raw.ReadFrame();
    REQUIRE(theirs);
    Hello claim;
    claim.chain_id = kChain;
    claim.node_key = KeyFromSeed(2).Public();
    claim.nonce.bytes.fill(5);
    raw.SendAll(EncodeFrame(MessageType::kHello, EncodeHello(claim)));
    Auth forged;
    forged.sig = KeyFromSeed(3).Sign(AuthDigest(kChain, DecodeHello(theirs->payload)->nonce, claim.node_key,
                                                a->pub()).View());
    raw.SendAll(EncodeFrame(MessageType::kAuth, EncodeAuth(forged)));
    raw.SendAll(EncodeFrame(MessageType::kConsensus, "injected"));
    CHECK(raw.WaitClosed());
    REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kBadSignature) == 1; }));
    CHECK(a->node->IsAddressBanned("127.0.0.1"));
    CHECK_FALSE(a->node->IsKeyBanned(claim.node_key));  // the claim was never proven
  }
  SECTION("an application message before the auth is a violation") {
    RawPeer raw;
    REQUIRE(raw.Connect(a->node->port()));
    REQUIRE(raw.ReadFrame());
    Hello claim;
    claim.chain_id = kChain;
    claim.node_key = KeyFromSeed(2).Public();
    claim.nonce.bytes.fill(6);
    raw.SendAll(EncodeFrame(MessageType::kHello, EncodeHello(claim)));
    raw.SendAll(EncodeFrame(MessageType::kConsensus, "injected"));
    CHECK(raw.WaitClosed());
    REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kUnexpectedMessage) == 1; }));
  }
  CHECK(a->inbox->Messages().empty());
}

TEST_CASE("p2p: a node on another chain is refused by both ends", "[p2p]") {
  auto a = StartNode(1, TestOptions(Keys({1, 2})));
  P2pOptions ob = TestOptions(Keys({1, 2}));
  ob.chain_id = "another-chain";
  ob.listen = false;
  ob.dial = {a->Address()};
  auto b = StartNode(2, ob);
  REQUIRE(WaitUntil([&] {
    return a->EventsWith(DisconnectReason::kWrongChain) >= 1 && b->EventsWith(DisconnectReason::kWrongChain) >= 1;
  }));
  CHECK(a->inbox->UpPeers().empty());
  CHECK(b->inbox->UpPeers().empty());
  CHECK_FALSE(a->node->IsAddressBanned("127.0.0.1"));  // a misconfiguration, not an attack
}

TEST_CASE("p2p: a node that dials itself refuses the connection and stops dialing it", "[p2p]") {
  auto a = StartNode(1, TestOptions(Keys({1})));
  REQUIRE(a->node->AddPeer(a->Address()).ok());
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kSelfConnection) >= 1; }));
  CHECK(a->node->Peers().empty());
  CHECK(a->node->AddPeer("no-port").IsInvalidArgument());
  CHECK(a->node->AddPeer("127.0.0.1:99999").IsInvalidArgument());
}

}  // namespace
}  // namespace circuledger::network::test

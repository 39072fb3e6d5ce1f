// A relay between two real P2pNodes (tag [p2p]): what a man in the middle sees and what it can do
// on an encrypted, authenticated session (network/P2P.md, "Handshake").
#include <catch2/catch.hpp>

#include "tests/network/p2p_fixture.h"
#include "tests/network/relay.h"

namespace circuledger::network::test {
namespace {

std::set<ledger::PubKey> AllowOneAndTwo() { return {KeyFromSeed(1).Public(), KeyFromSeed(2).Public()}; }

// b dials a through the relay.
std::unique_ptr<TestNode> DialThrough(const Relay& relay) {
  P2pOptions ob = TestOptions(AllowOneAndTwo());
  ob.listen = false;
  ob.dial = {relay.Address()};
  return StartNode(2, ob);
}

TEST_CASE("p2p relay: forwarded bytes are ciphertext, and a changed byte ends the session without a ban", "[p2p]") {
  auto a = StartNode(1, TestOptions(AllowOneAndTwo()));
  Relay relay(a->node->port());
  auto b = DialThrough(relay);
  REQUIRE(WaitUntil([&] { return a->HasPeer(b->pub()) && b->HasPeer(a->pub()); }));

  const std::string lot = "urn:lot:relay-secret-7f3a";
  REQUIRE(a->node->Send(b->pub(), MessageType::kConsensus, "proposal moving " + lot).ok());
  REQUIRE(b->node->Send(a->pub(), MessageType::kConsensus, "vote on " + lot).ok());
  REQUIRE(WaitUntil([&] {
    return b->inbox->CountFrom(a->pub(), "proposal moving " + lot) == 1 &&
           a->inbox->CountFrom(b->pub(), "vote on " + lot) == 1;
  }));
  const std::string seen = relay.Captured();
  CHECK(seen.size() > 2 * lot.size());
  CHECK(seen.find("relay-secret") == std::string::npos);
  CHECK(seen.find("urn:lot") == std::string::npos);
  // Nor which nodes talk: both static keys travel encrypted.
  CHECK(seen.find(a->pub().View()) == std::string::npos);
  CHECK(seen.find(b->pub().View()) == std::string::npos);

  // The relay flips one bit of the next bytes b sends: a cannot open the frame and closes the
  // session. Nobody is banned (the bytes were not b's), and b's redial brings it back.
  bool flipped = false;
  relay.SetTamper([&](Relay::Direction dir, size_t, std::string& chunk) {
    if (flipped || dir != Relay::Direction::kToTarget) return;
    chunk[chunk.size() / 2] = static_cast<char>(chunk[chunk.size() / 2] ^ 0x04);
    flipped = true;
  });
  REQUIRE(b->node->Send(a->pub(), MessageType::kConsensus, "tampered " + lot).ok());
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kDecryptFailed) == 1; }));
  relay.SetTamper(nullptr);
  CHECK(a->inbox->CountFrom(b->pub(), "tampered " + lot) == 0);
  CHECK_FALSE(a->node->IsKeyBanned(b->pub()));
  CHECK_FALSE(b->node->IsKeyBanned(a->pub()));
  CHECK_FALSE(a->node->IsAddressBanned("127.0.0.1"));
  REQUIRE(WaitUntil([&] { return a->HasPeer(b->pub()) && b->HasPeer(a->pub()); }));
  REQUIRE(b->node->Send(a->pub(), MessageType::kConsensus, "after").ok());
  REQUIRE(WaitUntil([&] { return a->inbox->CountFrom(b->pub(), "after") == 1; }));
}

TEST_CASE("p2p relay: a relay that swaps in its own ephemeral key completes no handshake and bans nobody", "[p2p]") {
  auto a = StartNode(1, TestOptions(AllowOneAndTwo()));
  Relay relay(a->node->port());
  // Message 1 is `u32 length | u8 type | u8 version | 32 ephemeral key | 32 chain tag`: the relay
  // puts its own ephemeral key in, to share ee with a and speak to each side with its own keys.
  const std::string relay_e(KeyFromSeed(9).Public().View());
  relay.SetTamper([&](Relay::Direction dir, size_t offset, std::string& chunk) {
    if (dir != Relay::Direction::kToTarget) return;
    for (size_t i = 0; i < chunk.size(); ++i) {
      const size_t at = offset + i;
      if (at >= 6 && at < 6 + 32) chunk[i] = relay_e[at - 6];
    }
  });
  auto b = DialThrough(relay);
  // a answers with message 2 keyed to the relay's ephemeral key: b cannot open it. The relay
  // cannot make a message 2 that b accepts without a's static secret, nor a message 3 that a
  // accepts without b's.
  REQUIRE(WaitUntil([&] { return b->EventsWith(DisconnectReason::kHandshakeFailed) >= 2; }));
  CHECK(a->node->Peers().empty());
  CHECK(b->node->Peers().empty());
  CHECK(a->inbox->UpPeers().empty());
  CHECK(b->inbox->UpPeers().empty());
  CHECK_FALSE(a->node->IsKeyBanned(b->pub()));
  CHECK_FALSE(b->node->IsKeyBanned(a->pub()));
  CHECK_FALSE(a->node->IsAddressBanned("127.0.0.1"));
  CHECK_FALSE(b->node->IsAddressBanned("127.0.0.1"));

  // Once the relay stops interfering, the same two nodes connect through it.
  relay.SetTamper(nullptr);
  REQUIRE(WaitUntil([&] { return a->HasPeer(b->pub()) && b->HasPeer(a->pub()); }));
}

}  // namespace
}  // namespace circuledger::network::test

// The hostile-peer suite (tag [hostile]): a test peer that speaks the p2p protocol
// (HostilePeer, tests/cluster/hostile_peer.h) attacks real circuledgerd processes of a
// `circuledgerd testnet` of four validators (Cluster). Each test checks that the attacked node
// keeps running, that what it banned (GET /v1/peers: recent disconnects and bans with reasons) is
// the attacker and never the honest peer it claimed to be or relayed, and that heights keep
// rising on the honest nodes. Attacks: garbage before the handshake; a relay that changes one
// byte of the handshake or of a sealed frame; an authenticated peer (the testnet's full node key,
// its process killed) sending an unrequested sync response with a real certified block whose
// transaction signature has one bit flipped, an oversized consensus frame (its key is banned,
// not its address), forged votes and proposals (signatures that do not verify); replays of a sealed frame, of an old vote and of a committed transaction.
//
// The attacker connects from its own loopback address (127.0.0.66): a ban of its address must not
// fall on the honest nodes, which all dial from 127.0.0.1. Each test stays well under 20 s.
#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <thread>

#include "consensus/encoding.h"
#include "ledger/block.h"
#include "ledger/encoding.h"
#include "network/messages.h"
#include "tests/cluster/cluster.h"
#include "tests/cluster/hostile_peer.h"

using namespace circuledger;
using namespace circuledger::cluster;
using namespace std::chrono_literals;
using network::MessageType;
using nlohmann::json;

namespace {

constexpr const char* kAttackerIp = "127.0.0.66";
constexpr size_t kFullNode = 4;  // the testnet's first full node: its key is the attacker's
constexpr std::chrono::milliseconds kRead{5000};

// Four validators and a full node; the full node is killed once the chain moves, so that its
// registered key (allowed by every validator through peer_keys) is free for the attacker.
struct HostileNet {
  Cluster cluster;

  explicit HostileNet(bool proxy_links = false, uint32_t full_nodes = 1)
      : cluster(Options(proxy_links, full_nodes)) {
    cluster.WaitHeight(cluster.All(), 2, 20s);
    for (size_t i = kFullNode; i < cluster.size(); ++i) cluster.Kill(i);
  }
  static ClusterOptions Options(bool proxy_links, uint32_t full_nodes) {
    ClusterOptions o;
    o.proxy_links = proxy_links;
    o.full_nodes = full_nodes;
    return o;
  }

  std::vector<size_t> Validators() const { return {0, 1, 2, 3}; }

  ledger::SecretKey NodeKey(size_t i) const {
    std::ifstream in(cluster.node(i).home() + "/node_key");
    std::string hex;
    in >> hex;
    auto bytes = ledger::HexDecode(hex);
    REQUIRE(bytes);
    auto key = ledger::SecretKey::FromBytes(*bytes);
    REQUIRE(key);
    return *key;
  }
  std::string KeyHex(size_t i) const { return NodeKey(i).Public().ToHex(); }

  json GetJson(size_t i, const std::string& target) const {
    const RawResponse r = Get(cluster.node(i).port(), target);
    INFO(target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return json::parse(r.body);
  }
  uint16_t P2pPort(size_t i) const { return GetJson(i, "/v1/status")["consensus"]["p2p_port"].get<uint16_t>(); }
  json Peers(size_t i) const { return GetJson(i, "/v1/peers"); }
  // What the handshake binds: the chain id and the genesis hash node0 reports.
  network::ChainBinding Chain() const {
    auto genesis = ledger::Hash256::FromHex(GetJson(0, "/v1/status")["genesis_hash"].get<std::string>());
    REQUIRE(genesis);
    return network::ChainBinding(Cluster::kChainId, *genesis);
  }

  // The node answers, and its heights rise by `blocks` within `timeout` on every validator.
  void RequireHeightsRise(uint64_t blocks = 3, std::chrono::milliseconds timeout = 10s) {
    for (size_t i : Validators()) REQUIRE(cluster.Tip(i).has_value());
    cluster.WaitHeight(Validators(), cluster.MaxHeight(Validators()) + blocks, timeout);
  }
};

// Events of node `peers` (a /v1/peers answer) that banned `key_hex`.
size_t BansOfKey(const json& peers, const std::string& key_hex) {
  size_t n = 0;
  for (const json& e : peers["events"]) n += (e["banned"] == true && e["key"] == key_hex) ? 1 : 0;
  return n;
}
// Events that banned an address starting with `ip` + ":".
size_t BansOfAddress(const json& peers, const std::string& ip) {
  size_t n = 0;
  for (const json& e : peers["events"]) {
    n += (e["banned"] == true && e["address"].get<std::string>().rfind(ip + ":", 0) == 0) ? 1 : 0;
  }
  return n;
}
// How many disconnects with this reason were seen (repeats of one event included).
size_t EventsWith(const json& peers, const std::string& reason) {
  size_t n = 0;
  for (const json& e : peers["events"]) n += e["reason"] == reason ? e["repeats"].get<size_t>() : 0;
  return n;
}
// A handshake refused because the proven key is banned. (A refusal on accept, for a banned
// address, carries no key.)
bool RefusedKey(const json& peers, const std::string& key_hex) {
  for (const json& e : peers["events"]) {
    if (e["reason"] == "banned" && e["key"] == key_hex) return true;
  }
  return false;
}
bool HasPeer(const json& peers, const std::string& key_hex) {
  for (const json& p : peers["peers"]) {
    if (p["key"] == key_hex) return true;
  }
  return false;
}

// Polls node i's /v1/peers until pred holds (true) or `timeout` passes (false).
template <typename Pred>
bool WaitPeers(const HostileNet& net, size_t i, Pred pred, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred(net.Peers(i))) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// No validator banned another validator's key, nor an address of the honest nodes.
void RequireNoHonestBanned(const HostileNet& net) {
  for (size_t i : net.Validators()) {
    const json peers = net.Peers(i);
    INFO("node" << i << " /v1/peers: " << peers.dump());
    for (size_t j : net.Validators()) {
      if (i != j) CHECK(BansOfKey(peers, net.KeyHex(j)) == 0);
    }
    CHECK(BansOfAddress(peers, "127.0.0.1") == 0);
  }
}

}  // namespace

TEST_CASE("hostile peer: garbage before the handshake bans the sender's address, honest links stay",
          "[cluster][hostile]") {
  HostileNet net;
  const uint16_t port = net.P2pPort(0);

  // Random bytes instead of a handshake.
  {
    HostilePeer peer;
    REQUIRE(peer.Connect(port, kAttackerIp));
    std::mt19937 rng(16);
    std::string junk(4096, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    junk[4] = static_cast<char>(0xee);  // an unknown type: the header alone is refused
    peer.SendAll(junk);
    CHECK(peer.WaitClosed(kRead));
  }
  // A handshake frame header announcing a gigabyte (from another attacker address: the first is
  // banned now and would be closed on accept).
  {
    HostilePeer peer;
    REQUIRE(peer.Connect(port, "127.0.0.67"));
    const std::string header("\x00\x00\x00\x40\x01", 5);
    peer.SendAll(header);
    CHECK(peer.WaitClosed(kRead));
  }
  // A transaction frame in clear before the handshake.
  {
    HostilePeer peer;
    REQUIRE(peer.Connect(port, "127.0.0.68"));
    peer.SendFrame(MessageType::kPing, std::string(8, '\0'));
    CHECK(peer.WaitClosed(kRead));
  }
  // The banned address is closed at once on a new connection.
  {
    HostilePeer peer;
    REQUIRE(peer.Connect(port, kAttackerIp));
    CHECK(peer.WaitClosed(kRead));
  }

  const json peers = net.Peers(0);
  INFO("node0 /v1/peers: " << peers.dump());
  CHECK(BansOfAddress(peers, kAttackerIp) >= 1);
  CHECK(BansOfAddress(peers, "127.0.0.67") == 1);
  CHECK(BansOfAddress(peers, "127.0.0.68") == 1);
  CHECK(EventsWith(peers, "bad-frame") >= 1);
  CHECK(EventsWith(peers, "oversized-frame") >= 1);
  for (size_t j : {1, 2, 3}) CHECK(HasPeer(peers, net.KeyHex(j)));
  RequireNoHonestBanned(net);
  net.RequireHeightsRise();
}

TEST_CASE("hostile peer: a relay that changes one byte of the handshake or of a sealed frame bans no one",
          "[cluster][hostile]") {
  HostileNet net(/*proxy_links=*/true);
  // node1 reaches node0 only through the relay (node0's own link to node1 is cut), and the relay
  // changes one byte on each of its next three connections: in the responder's message 2 (the
  // encrypted static key), in node0's first sealed frame (its confirming ping), and in node1's
  // first sealed frame to node0.
  constexpr uint64_t kMessage1 = 5 + 65, kMessage2 = 5 + 96, kMessage3 = 5 + 64;
  TcpProxy& relay = net.cluster.Link(1, 0);
  relay.FlipByte(ProxyDirection::kFromTarget, 5 + 40);
  relay.FlipByte(ProxyDirection::kFromTarget, kMessage2 + 3);
  relay.FlipByte(ProxyDirection::kToTarget, kMessage1 + kMessage3 + 3);
  net.cluster.Link(0, 1).Cut();
  relay.Cut();
  relay.Heal();

  CHECK(WaitPeers(net, 1, [&](const json& p) { return EventsWith(p, "handshake-failed") >= 1; }));
  CHECK(WaitPeers(net, 1, [&](const json& p) { return EventsWith(p, "decrypt-failed") >= 1; }));
  CHECK(WaitPeers(net, 0, [&](const json& p) { return EventsWith(p, "decrypt-failed") >= 1; }));
  // After the relay stops tampering, node1 gets through to node0 again.
  CHECK(WaitPeers(net, 0, [&](const json& p) { return HasPeer(p, net.KeyHex(1)); }));
  CHECK(relay.Stats().bytes_flipped == 3);
  net.cluster.Link(0, 1).Heal();

  RequireNoHonestBanned(net);
  net.RequireHeightsRise();
}

TEST_CASE(
    "hostile peer: an unrequested sync response with a certified block whose tx signature has one "
    "bit flipped bans the sender's key",
    "[cluster][hostile]") {
  HostileNet net;
  // A block holding a transaction.
  LedgerClient client = net.cluster.Client(0);
  const json committed = client.Commit("mine", ledger::CreateLot{"hostile-lot", Comp({{"Co", 1000}})});
  const uint64_t height = committed["height"].get<uint64_t>();
  const ledger::SecretKey attacker = net.NodeKey(kFullNode);

  // The attacker, a registered full node, asks node1 for it over the protocol.
  network::SyncResponse real;
  {
    HostilePeer peer;
    REQUIRE(peer.Connect(net.P2pPort(1), kAttackerIp));
    REQUIRE(peer.Handshake(attacker, net.Chain()));
    REQUIRE(peer.SendFrame(MessageType::kSyncRequest, network::EncodeSyncRequest({height, 1})));
    auto frame = peer.ReadFrameOf(MessageType::kSyncResponse, kRead);
    REQUIRE(frame);
    auto decoded = network::DecodeSyncResponse(frame->payload);
    REQUIRE(decoded.ok());
    real = *decoded;
  }
  REQUIRE(real.height == height);
  auto block = ledger::Decode<ledger::Block>(real.block);
  REQUIRE(block.ok());
  REQUIRE(!block->txs.empty());
  block->txs[0].sig.bytes[17] ^= 0x04;
  network::SyncResponse forged = real;
  forged.height = height + 1000;  // beyond every tip: nobody asked for it
  forged.block = ledger::Encode(*block);

  // Sent to node0, which never asked the attacker for anything at that height.
  HostilePeer peer;
  REQUIRE(peer.Connect(net.P2pPort(0), kAttackerIp));
  REQUIRE(peer.Handshake(attacker, net.Chain()));
  REQUIRE(peer.SendFrame(MessageType::kSyncResponse, network::EncodeSyncResponse(forged)));
  CHECK(peer.WaitClosed(kRead));
  CHECK(WaitPeers(net, 0, [&](const json& p) { return BansOfKey(p, attacker.Public().ToHex()) >= 1; }));
  const json peers = net.Peers(0);
  INFO("node0 /v1/peers: " << peers.dump());
  CHECK(EventsWith(peers, "unrequested-message") + EventsWith(peers, "invalid-block") >= 1);
  // The key is banned, not the address: a fresh handshake with it is refused once it is proven.
  {
    HostilePeer again;
    REQUIRE(again.Connect(net.P2pPort(0), kAttackerIp));
    CHECK(!again.Handshake(attacker, net.Chain()));
  }
  CHECK(WaitPeers(net, 0, [&](const json& p) { return RefusedKey(p, attacker.Public().ToHex()); }));
  RequireNoHonestBanned(net);
  net.RequireHeightsRise();
  CHECK(net.cluster.Tip(0)->height > height);
}

namespace {

// A handshake of `key` with node i from the attacker's address (REQUIREs that it succeeds).
void Authenticate(HostilePeer& peer, const HostileNet& net, size_t i, const ledger::SecretKey& key) {
  REQUIRE(peer.Connect(net.P2pPort(i), kAttackerIp));
  REQUIRE(peer.Handshake(key, net.Chain()));
}
}  // namespace

TEST_CASE("hostile peer: an authenticated peer's oversized consensus frame bans its key, not its address",
          "[cluster][hostile]") {
  HostileNet net;
  const ledger::SecretKey attacker = net.NodeKey(kFullNode);
  HostilePeer peer;
  Authenticate(peer, net, 0, attacker);
  // A sealed header announcing 2 GiB of consensus message: refused before a payload byte.
  CHECK(peer.SendSealedHeader(std::string("\xff\xff\xff\x7f\x04", 5)));
  CHECK(peer.WaitClosed(kRead));
  CHECK(WaitPeers(net, 0, [&](const json& p) { return BansOfKey(p, attacker.Public().ToHex()) >= 1; }));
  const json peers = net.Peers(0);
  INFO("node0 /v1/peers: " << peers.dump());
  CHECK(EventsWith(peers, "oversized-frame") == 1);
  CHECK(BansOfAddress(peers, kAttackerIp) == 1);  // the event that banned the key
  // Its address is not banned: another connection from it gets through the handshake, and a
  // proven banned key is refused (the node closes instead of confirming).
  {
    HostilePeer again;
    REQUIRE(again.Connect(net.P2pPort(0), kAttackerIp));
    CHECK(!again.Handshake(attacker, net.Chain()));
  }
  CHECK(WaitPeers(net, 0, [&](const json& p) { return RefusedKey(p, attacker.Public().ToHex()); }));
  RequireNoHonestBanned(net);
  net.RequireHeightsRise();
}

namespace {

// Sends make(height being decided) until node i closes the connection (the height moves fast:
// a message for a height just committed is ignored, not punished). True when it closed.
template <typename Make>
bool SendUntilClosed(HostilePeer& peer, const HostileNet& net, size_t i, Make make) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    const uint64_t h = net.GetJson(i, "/v1/status")["consensus"]["height"].get<uint64_t>();
    if (!peer.SendFrame(MessageType::kConsensus, consensus::EncodeMessage(make(h)))) return true;
    if (peer.WaitClosed(250ms)) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("hostile peer: forged consensus votes and proposals ban the sender's key",
          "[cluster][hostile]") {
  HostileNet net(/*proxy_links=*/false, /*full_nodes=*/2);  // two registered keys to spend
  const ledger::SecretKey vote_forger = net.NodeKey(kFullNode);
  const ledger::SecretKey proposal_forger = net.NodeKey(kFullNode + 1);
  const auto node1 = net.NodeKey(1).Public();

  // A prevote in node1's name with a signature that does not verify.
  {
    HostilePeer peer;
    Authenticate(peer, net, 0, vote_forger);
    CHECK(SendUntilClosed(peer, net, 0, [&](uint64_t h) {
      consensus::Vote v;
      v.type = consensus::VoteType::kPrevote;
      v.height = h;
      v.round = 0;
      v.validator = node1;
      v.signature.bytes.fill(0x5a);
      return consensus::Message(v);
    }));
  }
  // A proposal in node1's name: garbage for a block, a signature that does not verify.
  {
    HostilePeer peer;
    Authenticate(peer, net, 0, proposal_forger);
    CHECK(SendUntilClosed(peer, net, 0, [&](uint64_t h) {
      consensus::Proposal p;
      p.height = h;
      p.round = 0;
      p.value = std::string(4096, '\x7f');
      p.proposer = node1;
      p.signature.bytes.fill(0x33);
      return consensus::Message(p);
    }));
  }
  // The client sees the close before the node has recorded it: wait for both bans.
  CHECK(WaitPeers(net, 0, [&](const json& p) {
    return BansOfKey(p, vote_forger.Public().ToHex()) >= 1 && BansOfKey(p, proposal_forger.Public().ToHex()) >= 1;
  }));
  const json peers = net.Peers(0);
  INFO("node0 /v1/peers: " << peers.dump());
  CHECK(BansOfKey(peers, vote_forger.Public().ToHex()) >= 1);
  CHECK(BansOfKey(peers, proposal_forger.Public().ToHex()) >= 1);
  CHECK(EventsWith(peers, "bad-consensus-signature") >= 2);
  RequireNoHonestBanned(net);
  net.RequireHeightsRise();
}

TEST_CASE("hostile peer: replayed sealed frames, an old vote and an old transaction change nothing",
          "[cluster][hostile]") {
  HostileNet net;
  const ledger::SecretKey attacker = net.NodeKey(kFullNode);
  LedgerClient client = net.cluster.Client(0);
  const ledger::Tx tx = client.Sign("mine", ledger::CreateLot{"replayed-lot", Comp({{"Co", 1000}})});
  const json committed = [&] {
    const RawResponse r = client.Submit(tx);
    REQUIRE(r.status == 200);
    return client.WaitFinal(ledger::TxId(tx.body).ToHex());
  }();
  REQUIRE(committed["status"] == "committed");
  const std::string tx_path = "/v1/tx/" + ledger::TxId(tx.body).ToHex();
  const uint64_t nonce = net.GetJson(0, "/v1/accounts/" + tx.body.signer.ToHex())["next_nonce"].get<uint64_t>();

  // A sealed frame sent twice on its session: the second copy's nonce is stale, it does not open,
  // the session closes and nobody is banned (the bytes could come from anyone on the path).
  {
    HostilePeer peer;
    Authenticate(peer, net, 0, attacker);
    const std::string sealed = peer.SealFrame(MessageType::kTx, ledger::Encode(tx));
    REQUIRE(peer.SendAll(sealed));
    REQUIRE(peer.SendAll(sealed));
    CHECK(peer.WaitClosed(kRead));
    CHECK(WaitPeers(net, 0, [&](const json& p) { return EventsWith(p, "decrypt-failed") >= 1; }));
  }

  // The committed transaction and an old vote, replayed by an authenticated peer: old news.
  HostilePeer peer;
  Authenticate(peer, net, 1, attacker);
  std::optional<network::Frame> vote;
  for (int i = 0; i < 50 && !vote; ++i) {
    vote = peer.ReadFrameOf(MessageType::kConsensus, kRead);
    if (vote && !consensus::DecodeMessage(vote->payload).ok()) vote.reset();
  }
  REQUIRE(vote);
  const uint64_t vote_height = std::visit([](const auto& m) { return m.height; }, *consensus::DecodeMessage(vote->payload));
  net.cluster.WaitHeight(net.Validators(), vote_height + 2, 10s);
  HostilePeer to0;
  Authenticate(to0, net, 0, attacker);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(to0.SendFrame(MessageType::kTx, ledger::Encode(tx)));
    REQUIRE(to0.SendFrame(MessageType::kConsensus, vote->payload));
    REQUIRE(peer.SendFrame(MessageType::kConsensus, vote->payload));
  }
  net.RequireHeightsRise();
  const json again = net.GetJson(0, tx_path);
  CHECK(again["status"] == "committed");
  CHECK(again["height"] == committed["height"]);
  CHECK(net.GetJson(0, "/v1/accounts/" + tx.body.signer.ToHex())["next_nonce"].get<uint64_t>() == nonce);
  for (size_t i : {0, 1}) {
    const json peers = net.Peers(i);
    INFO("node" << i << " /v1/peers: " << peers.dump());
    CHECK(BansOfKey(peers, attacker.Public().ToHex()) == 0);
    CHECK(HasPeer(peers, attacker.Public().ToHex()));
  }
  RequireNoHonestBanned(net);
}

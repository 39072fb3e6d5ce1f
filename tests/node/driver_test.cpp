// The consensus driver inside a running node, against a peer that speaks the protocol over
// loopback: what a forged consensus message costs its sender. Tag [node][driver].
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "consensus/application.h"
#include "consensus/encoding.h"
#include "ledger/genesis.h"
#include "network/p2p.h"
#include "node/testnet.h"
#include <nlohmann/json.hpp>
#include "node/node.h"

using namespace circuledger;
using namespace circuledger::ledger;
using namespace std::chrono_literals;

namespace {

bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10000ms) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

// node0 of a two-validator testnet, listening for peers, with one extra peer key allowed: the
// attacker's. node1 never runs, so node0 can start a height but never decide one: its height
// stays put while it judges what the attacker sends.
struct Attacked {
  std::string dir;
  std::string home;
  node::Logger log{std::cerr, node::Logger::Level::kError};
  std::unique_ptr<node::Node> n;
  SecretKey attacker_key = *SecretKey::FromBytes(TaggedHash("circuledger/test", "driver-test attacker").View());
  std::atomic<int> ups{0}, downs{0};
  std::unique_ptr<network::P2pNode> attacker;

  Attacked() {
    std::random_device rd;
    dir = (std::filesystem::temp_directory_path() / ("circuledger-driver-" + std::to_string(rd()))).string();
    node::TestnetOptions o;
    o.home = dir;
    o.validators = 2;
    REQUIRE(node::InitTestnet(o).ok());
    home = dir + "/node0";

    // The attacker listens and the node dials it (the node is the handshake's initiator).
    network::P2pOptions po;
    po.chain_id = "pending";
    po.allowed = [](const PubKey&) { return true; };
    network::P2pCallbacks cb;
    cb.on_peer_up = [this](const PubKey&) { ++ups; };
    cb.on_peer_down = [this](const PubKey&) { ++downs; };
    {
      // The chain the node will be on: the genesis of the testnet.
      Result<Genesis> genesis = GenesisFromFile(dir + "/genesis.json");
      REQUIRE(genesis.ok());
      po.chain_id = genesis->chain_id;
      po.genesis_hash = GenesisHash(*genesis);
    }
    attacker = std::make_unique<network::P2pNode>(po, attacker_key, cb);
    REQUIRE(attacker->Start().ok());

    nlohmann::json config;
    std::ifstream(home + "/config.json") >> config;
    config["p2p_listen"] = "127.0.0.1:0";
    config["http_listen"] = "127.0.0.1:0";
    config["peers"] = {"127.0.0.1:" + std::to_string(attacker->port())};
    config["peer_keys"] = {attacker_key.Public().ToHex()};
    config["create_empty_blocks"] = false;
    config["sync_writes"] = false;
    config["log_level"] = "error";
    std::ofstream(home + "/config.json") << config.dump();
    auto opened = node::Node::Open(home, log);
    REQUIRE(opened.ok());
    n = std::move(opened).value();
    REQUIRE(n->Start().ok());
    const bool up = WaitUntil([&] { return ups.load() == 1; });
    for (const network::PeerEvent& e : attacker->RecentEvents()) {
      UNSCOPED_INFO("attacker event: " << network::ReasonString(e.reason) << " " << e.address);
    }
    REQUIRE(up);
  }
  ~Attacked() {
    attacker->Stop();
    n->Stop();
    n.reset();
    std::filesystem::remove_all(dir);
  }
  uint64_t Height() { return n->store().Tip().height; }
  void Send(const consensus::Message& m) {
    REQUIRE(attacker->Send(n->node_key(), network::MessageType::kConsensus, consensus::EncodeMessage(m)).ok());
  }
};

}  // namespace

TEST_CASE("driver: a peer sending a forged vote or proposal is disconnected and banned, and the node goes on",
          "[node][driver]") {
  Attacked a;
  const uint64_t height = a.Height() + 1;
  const PubKey validator = a.n->node_key();
  SECTION("a vote in the validator's name with a signature that does not verify") {
    consensus::Vote v;
    v.type = consensus::VoteType::kPrevote;
    v.height = height;
    v.validator = validator;
    v.signature.bytes[0] = 1;
    a.Send(v);
  }
  SECTION("a proposal in the proposer's name with a signature that does not verify") {
    consensus::Proposal p;
    p.height = height;
    p.value = std::string(1000, 'x');
    std::vector<PubKey> keys;
    for (const Validator& v : a.n->genesis().validators) keys.push_back(v.key);
    p.proposer = consensus::RoundRobinProposer().Proposer(*consensus::ValidatorSet::Make(keys), height, 0);
    p.signature.bytes[0] = 1;
    a.Send(p);
  }
  REQUIRE(WaitUntil([&] { return a.n->consensus_status().banned_peers == 1; }));
  REQUIRE(WaitUntil([&] { return a.downs.load() == 1; }));
  CHECK_FALSE(a.n->Fatal());
  CHECK(a.Height() == height - 1);
  // It stays cut off while banned.
  CHECK(a.n->consensus_status().peers == 0);
}

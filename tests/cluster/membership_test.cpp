// Who may join a network (tag [consensus][handshake]): real circuledgerd processes, a testnet of
// four validators and one full node. The full node is turned into an intruder — first with a
// node key nobody registered, then with the registered key on a chain of another id — and must
// get no peer, no block and no transaction into the validators. Then, restored, the same node
// joins and catches up: the refusals above come from the key and the chain id, nothing else.
// And the legitimate way in (tag [governance]): admins add the full node as a validator, every
// node counts five validators from the activation height on, and the new one's vote is needed.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "consensus/certificate.h"
#include "consensus/encoding.h"
#include "ledger/crypto.h"
#include "tests/cluster/cluster.h"
#include "tests/cluster/files.h"

using namespace circuledger;
using namespace circuledger::cluster;
using namespace std::chrono_literals;

namespace {

constexpr size_t kFull = 4;  // the full node's index: validators are 0..3

nlohmann::json Status(const Cluster& c, size_t i) { return LedgerClient(c.node(i)).GetJson("/v1/status"); }

// The intruder (node kFull) sends a valid transaction of its chain; it stays the intruder's own:
// after a while no validator knows it, the intruder has no peer and no block.
void RequireShutOut(Cluster& c) {
  const uint64_t validators_before = c.MinHeight({0, 1, 2, 3});
  LedgerClient intruder(c.node(kFull));  // signs for the intruder's own genesis
  const ledger::Tx tx = intruder.Sign("mine", ledger::CreateLot{"intruder-lot", Comp({{"Co", 1000}})}, 0);
  const RawResponse submitted = intruder.Submit(tx);
  INFO(submitted.body);
  REQUIRE(submitted.status == 200);  // valid for the intruder's own view of the chain
  const std::string id = ledger::TxId(tx.body).ToHex();

  c.WaitHeight({0, 1, 2, 3}, validators_before + 4, 20s);  // the network moves on without it
  for (size_t v = 0; v < 4; ++v) {
    INFO("validator " << v);
    const RawResponse r = c.Client(v).Get("/v1/tx/" + id);
    CHECK(r.status == 404);
  }
  const nlohmann::json st = Status(c, kFull);
  INFO(st.dump() << "\n" << c.Describe());
  CHECK(st["consensus"]["peers"] == 0);
  CHECK(st["height"] == 0);
}

}  // namespace

TEST_CASE("consensus cluster: a node with an unregistered key or of another chain cannot join or inject - restored it joins",
          "[cluster][consensus][handshake]") {
  ClusterOptions options;
  options.validators = 4;
  options.full_nodes = 1;
  Cluster c(options);
  c.WaitHeight(c.All(), 2, 20s);
  const std::string home = c.net_dir() + "/full0";
  const std::string key_file = home + "/node_key";
  const std::string config_file = home + "/config.json";
  const std::string registered_key = ReadFile(key_file);
  const std::string config = ReadFile(config_file);

  SECTION("a key nobody registered") {
    c.Stop(kFull);
    c.WipeData(kFull);
    WriteFile(key_file, ledger::HexEncode(ledger::SecretKey::Generate().Bytes()) + "\n");
    c.Start(kFull);
    RequireShutOut(c);
  }
  SECTION("the registered key on a chain of another id") {
    c.Stop(kFull);
    c.WipeData(kFull);
    nlohmann::json genesis = nlohmann::json::parse(ReadFile(c.net_dir() + "/genesis.json"));
    genesis["chain_id"] = "circuledger-elsewhere";
    WriteFile(home + "/genesis-elsewhere.json", genesis.dump(2));
    nlohmann::json cfg = nlohmann::json::parse(config);
    cfg["genesis_file"] = "genesis-elsewhere.json";
    WriteFile(config_file, cfg.dump(2));
    c.Start(kFull);
    RequireShutOut(c);
  }

  // Restored, the same node joins and catches up with the validators.
  c.Stop(kFull);
  c.WipeData(kFull);
  WriteFile(key_file, registered_key);
  WriteFile(config_file, config);
  c.Start(kFull);
  c.WaitCaughtUp(c.All(), 30s);
  const nlohmann::json st = Status(c, kFull);
  CHECK(st["consensus"]["peers"] > 0);
  CHECK(st["consensus"]["validator"] == false);

  // What it synced is provably final: each block's certificate, as the full node serves it,
  // verifies against the genesis validators, and not for another block.
  std::vector<ledger::PubKey> keys;
  const nlohmann::json genesis = nlohmann::json::parse(ReadFile(c.net_dir() + "/genesis.json"));
  for (const nlohmann::json& v : genesis["validators"]) {
    keys.push_back(*ledger::PubKey::FromHex(v["key"].get<std::string>()));
  }
  const std::optional<consensus::ValidatorSet> validators = consensus::ValidatorSet::Make(keys);
  REQUIRE(validators.has_value());
  LedgerClient full(c.node(kFull));
  for (uint64_t h = 1; h <= 3; ++h) {
    const nlohmann::json block = full.GetJson("/v1/blocks/" + std::to_string(h));
    INFO("height " << h << ": " << block.dump().substr(0, 400));
    REQUIRE(block.contains("certificate"));
    const std::optional<std::string> bytes = ledger::HexDecode(block["certificate"]["hex"].get<std::string>());
    REQUIRE(bytes.has_value());
    ledger::Result<consensus::CommitCertificate> cert = consensus::DecodeCertificate(*bytes);
    REQUIRE(cert.ok());
    CHECK(cert->height == h);
    CHECK(cert->value_id.ToHex() == block["hash"]);
    CHECK(consensus::VerifyCommitCertificate(*cert, *validators, Cluster::kChainId) == consensus::CertCheck::kOk);
    CHECK(consensus::VerifyCommitCertificate(*cert, *validators, "circuledger-elsewhere") != consensus::CertCheck::kOk);
  }
  const std::vector<std::string> problems = c.Audit({});
  INFO(c.Describe());
  CHECK(problems.empty());
}

TEST_CASE("consensus cluster: a validator added by governance votes from its activation height on",
          "[cluster][consensus][governance]") {
  ClusterOptions options;
  options.validators = 4;
  options.full_nodes = 1;
  Cluster c(options);
  c.WaitHeight(c.All(), 2, 20s);
  const std::string home = c.net_dir() + "/full0";
  const std::optional<std::string> secret = ledger::HexDecode(ReadFile(home + "/node_key").substr(0, 64));
  REQUIRE(secret.has_value());
  const ledger::PubKey key = ledger::SecretKey::FromBytes(*secret)->Public();
  const std::string p2p = nlohmann::json::parse(ReadFile(home + "/config.json"))["p2p_listen"];
  CHECK(Status(c, kFull)["consensus"]["validator"] == false);

  // admin-1 proposes, admin-2 approves (threshold 2): the change applies two heights later.
  LedgerClient admin(c.node(0));
  const ledger::Tx propose =
      admin.Sign("admin-1", ledger::Propose{ledger::AddValidator{ledger::Validator{key, "full0", p2p}}});
  REQUIRE(admin.Submit(propose).status == 200);
  REQUIRE(admin.WaitFinal(ledger::TxId(propose.body).ToHex())["status"] == "committed");
  const ledger::Tx approve = admin.Sign("admin-2", ledger::Approve{ledger::TxId(propose.body)});
  REQUIRE(admin.Submit(approve).status == 200);
  const nlohmann::json approved = admin.WaitFinal(ledger::TxId(approve.body).ToHex());
  REQUIRE(approved["status"] == "committed");
  const uint64_t applied_at = approved["height"].get<uint64_t>() + 2;

  c.WaitHeight(c.All(), applied_at + 1, 20s);
  for (size_t i : c.All()) {
    INFO("node " << i);
    CHECK(Status(c, i)["consensus"]["validators"] == 5);
  }
  CHECK(Status(c, kFull)["consensus"]["validator"] == true);

  // Five validators need four votes: with validator 1 down, blocks are made only if the new
  // validator votes.
  c.Kill(1);
  const uint64_t at_kill = c.MaxHeight({0, 2, 3, kFull});
  c.WaitHeight({0, 2, 3, kFull}, at_kill + 3, 40s);
  const std::vector<std::string> problems = c.Audit({});
  INFO(c.Describe());
  CHECK(problems.empty());
}

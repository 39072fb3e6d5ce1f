// wallet/builder: operations from user arguments, and the Submitter against a fake node
// (genesis hash and nonce look-up, local signing, bad-nonce retry, commit polling, rejects, timeout).
#include "wallet/builder.h"

#include <atomic>
#include <catch2/catch.hpp>

#include "ledger/encoding.h"
#include "tests/wallet/fake_http.h"

using namespace circuledger;
using circuledger::testing::FakeHttpServer;
using circuledger::testing::FakeRequest;
using circuledger::testing::FakeResponse;
using nlohmann::json;

namespace {

constexpr const char* kSecret3 = "0000000000000000000000000000000000000000000000000000000000000003";
constexpr const char* kPublic3 = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";

// The genesis hash a fake node presents.
const std::string kGenesisA = std::string(62, 'a') + "01";

ledger::SecretKey Key3() { return *ledger::SecretKey::FromBytes(*ledger::HexDecode(kSecret3)); }

wallet::Client ClientFor(const FakeHttpServer& s) {
  wallet::ClientOptions o;
  o.base_url = s.url();
  return *wallet::Client::Create(o);
}

wallet::SubmitOptions Fast(bool wait = true, uint32_t timeout_ms = 5000) {
  wallet::SubmitOptions o;
  o.wait = wait;
  o.wait_timeout_ms = timeout_ms;
  o.poll_interval_ms = 10;
  return o;
}

}  // namespace

TEST_CASE("builder: attributes are sorted by name and checked", "[wallet]") {
  wallet::AssembleArgs a;
  a.inputs = {"cell-1", "cell-2"};
  a.product_id = "urn:epc:id:sgtin:4012345.011111.1";
  a.category = "battery.ev";
  a.model = "VM-75";
  a.composition = "Co=12.5kg,Li=3kg";
  a.attributes = {"spare_parts_years=10", "capacity_wh=75000", "carbon_footprint_g=-5"};
  auto op = wallet::MakeAssemble(a);
  REQUIRE(op.ok());
  const auto& as = std::get<ledger::Assemble>(*op);
  REQUIRE(as.product.attributes.size() == 3);
  CHECK(as.product.attributes[0] == ledger::Attribute{"capacity_wh", 75000});
  CHECK(as.product.attributes[1] == ledger::Attribute{"carbon_footprint_g", -5});
  CHECK(as.product.attributes[2] == ledger::Attribute{"spare_parts_years", 10});
  CHECK(as.allocation == ledger::Allocation::kControlledBlending);

  for (const char* bad : {"x=1.5", "x=", "=3", "x", "x=99999999999999999999"}) {
    INFO(bad);
    a.attributes = {bad};
    CHECK(wallet::MakeAssemble(a).status().IsInvalidArgument());
  }
  a.attributes = {"x=1", "x=2"};
  CHECK_THAT(wallet::MakeAssemble(a).status().message(), Catch::Contains("given twice"));
}

TEST_CASE("builder: recycled parts only where the transaction may declare them", "[wallet]") {
  const std::vector<std::string> in = {"ore-1"};
  CHECK(wallet::MakeTransform(in, {"cathode-1@Co=1kg,recycled=1g"}, false)
            .status()
            .IsInvalidArgument());
  auto mb = wallet::MakeTransform(in, {"cathode-1@Co=1kg,recycled=1g"}, true);
  REQUIRE(mb.ok());
  CHECK(std::get<ledger::Transform>(*mb).allocation == ledger::Allocation::kMassBalance);
  CHECK(std::get<ledger::Transform>(*mb).outputs[0].composition.entries[0].recycled_mg == 1000);
  CHECK(wallet::MakeRecycle({"battery-1"}, {"rco-1@Co=1kg/1kg"}).status().IsInvalidArgument());
  CHECK(wallet::MakeRecycle({"battery-1"}, {"rco-1@Co=1kg"}).ok());
  CHECK(wallet::MakeRepair("battery-1", {"old-cell@Co=1kg/1g"}, {}).status().IsInvalidArgument());
  CHECK(wallet::MakeRepair("battery-1", {}, {}).status().IsInvalidArgument());
  CHECK(wallet::MakeTransform({}, {"x@Co=1kg"}, false).status().IsInvalidArgument());
  CHECK(wallet::MakeTransform(in, {}, false).status().IsInvalidArgument());

  auto lot = wallet::MakeCreateLot("urn:epc:id:sgtin:1", "Co=12.5kg,recycled=2kg");
  REQUIRE(lot.ok());
  CHECK(std::get<ledger::CreateLot>(*lot).composition.entries[0] ==
        ledger::MaterialAmount{"Co", 12'500'000, 2'000'000});
}

TEST_CASE("builder: repair authorizations name a product, a repairer and an end", "[wallet]") {
  auto grant = wallet::MakeAuthorizeRepair("battery-1", "fixit", 1'780'000'000'000);
  REQUIRE(grant.ok());
  CHECK(std::get<ledger::AuthorizeRepair>(*grant) ==
        ledger::AuthorizeRepair{"battery-1", "fixit", 1'780'000'000'000});
  CHECK(wallet::MakeAuthorizeRepair("battery-1", "fixit", 0).status().IsInvalidArgument());
  CHECK(wallet::MakeAuthorizeRepair("", "fixit", 1).status().IsInvalidArgument());
  CHECK(wallet::MakeAuthorizeRepair("battery-1", "", 1).status().IsInvalidArgument());
  auto revoke = wallet::MakeRevokeRepair("battery-1", "fixit");
  REQUIRE(revoke.ok());
  CHECK(std::get<ledger::RevokeRepair>(*revoke) == ledger::RevokeRepair{"battery-1", "fixit"});
  CHECK(wallet::MakeRevokeRepair("battery-1", "").status().IsInvalidArgument());
}

TEST_CASE("builder: roles, keys and proposals", "[wallet]") {
  auto roles = wallet::ParseRoles("supplier,manufacturer");
  REQUIRE(roles.ok());
  CHECK(*roles == (static_cast<uint32_t>(ledger::Role::kSupplier) |
                   static_cast<uint32_t>(ledger::Role::kManufacturer)));
  CHECK_THAT(wallet::ParseRoles("supplier,pirate").status().message(),
             Catch::Contains("unknown role \"pirate\""));
  CHECK(wallet::ParseRoles("").status().IsInvalidArgument());
  CHECK(wallet::ParsePubKey(kPublic3).ok());
  CHECK(
      wallet::ParsePubKey(std::string(64, 'f')).status().IsInvalidArgument());  // not on the curve
  auto add = wallet::MakeProposeAddOrg("smelter", "Smelter Ltd", "supplier", {kPublic3});
  REQUIRE(add.ok());
  const auto& change = std::get<ledger::AddOrg>(std::get<ledger::Propose>(*add).change);
  CHECK(change.keys.size() == 1);
  CHECK(wallet::MakeProposeAddOrg("smelter", "Smelter Ltd", "supplier", {})
            .status()
            .IsInvalidArgument());
  CHECK(wallet::MakeApprove("abc").status().IsInvalidArgument());
  CHECK(wallet::MakeApprove(std::string(64, 'a')).ok());
  CHECK(wallet::MakeProposeAddValidator(kPublic3, "v1", "no-port").status().IsInvalidArgument());
}

TEST_CASE("builder: a set-params proposal changes only the named parameters, within their bounds", "[wallet]") {
  ledger::Params current;  // the defaults: max_block_txs 5000, proposal_ttl_blocks 100000, ...
  auto op = wallet::MakeProposeSetParams(current, {"timeout_vote_ms=1200", "proposal_ttl_blocks=5000"});
  REQUIRE(op.ok());
  const auto& change = std::get<ledger::SetParams>(std::get<ledger::Propose>(*op).change);
  ledger::Params expected = current;
  expected.timeout_vote_ms = 1200;
  expected.proposal_ttl_blocks = 5000;
  CHECK(change.params == expected);
  const auto error = [&](std::vector<std::string> sets) {
    auto r = wallet::MakeProposeSetParams(current, sets);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsInvalidArgument());
    return r.status().message();
  };
  CHECK_THAT(error({}), Catch::Contains("at least one"));
  CHECK_THAT(error({"block_size=1"}), Catch::Contains("unknown parameter \"block_size\"") &&
                                          Catch::Contains("timeout_delta_ms"));
  CHECK_THAT(error({"gov_threshold=2", "gov_threshold=3"}), Catch::Contains("set twice"));
  CHECK_THAT(error({"gov_threshold"}), Catch::Contains("NAME=VALUE"));
  CHECK_THAT(error({"timeout_vote_ms=-5"}), Catch::Contains("non-negative integer"));
  CHECK_THAT(error({"timeout_vote_ms=4294967296"}), Catch::Contains("at most 4294967295"));  // u32
  CHECK_THAT(error({"gov_threshold=0"}), Catch::Contains("gov_threshold"));  // ValidateParams
  CHECK_THAT(error({"max_block_txs=20001"}), Catch::Contains("max_block_txs"));
}

TEST_CASE("builder: the parameters in force are read from the node's JSON, every one and no other", "[wallet]") {
  json j = {{"max_block_txs", 2000},       {"max_block_bytes", 4194304}, {"gov_threshold", 2},
            {"proposal_ttl_blocks", 50},   {"max_time_drift_ms", 1000},  {"timeout_propose_ms", 3000},
            {"timeout_vote_ms", 1000},     {"timeout_delta_ms", 500}};
  auto p = wallet::ParamsFromJson(j);
  REQUIRE(p.ok());
  CHECK(p->max_block_txs == 2000);
  CHECK(p->gov_threshold == 2);
  CHECK(p->proposal_ttl_blocks == 50);
  json missing = j;
  missing.erase("timeout_delta_ms");
  CHECK(wallet::ParamsFromJson(missing).status().IsInvalidArgument());
  json extra = j;
  extra["new_param"] = 1;
  CHECK(wallet::ParamsFromJson(extra).status().IsInvalidArgument());
  json negative = j;
  negative["gov_threshold"] = -1;
  CHECK(wallet::ParamsFromJson(negative).status().IsInvalidArgument());
  CHECK(wallet::ParamsFromJson(json::array()).status().IsInvalidArgument());
}

TEST_CASE("submitter: signs locally with the node's genesis hash and pending nonce; retries bad-nonce",
          "[wallet]") {
  std::atomic<int> posts{0};
  std::atomic<int> polls{0};
  FakeHttpServer node([&](const FakeRequest& r) -> FakeResponse {
    if (r.target == "/v1/status") return {200, json{{"chain_id", "test-chain"}, {"genesis_hash", kGenesisA}, {"height", 4}}.dump()};
    if (r.target == std::string("/v1/accounts/") + kPublic3) {
      return {200, R"({"key":"x","org":"mine","next_nonce":5,"pending_nonce":7,"revoked":false})"};
    }
    if (r.method == "POST" && r.target == "/v1/tx") {
      if (posts++ == 0) return {400, R"({"error":{"code":"bad-nonce","message":"raced"}})"};
      const std::string hex = json::parse(r.body)["tx"];
      auto tx = ledger::Decode<ledger::Tx>(*ledger::HexDecode(hex));
      if (!tx.ok()) return {400, R"({"error":{"code":"malformed","message":""}})"};
      return {200, json{{"id", ledger::TxId(tx->body).ToHex()}, {"status", "pending"}}.dump()};
    }
    if (r.target.rfind("/v1/tx/", 0) == 0) {
      if (polls++ < 2) return {200, R"({"status":"pending"})"};
      return {200, json{{"id", r.target.substr(7)}, {"status", "committed"}, {"height", 5}}.dump()};
    }
    return {404, R"({"error":{"code":"not-found","message":"?"}})"};
  });
  const wallet::Client client = ClientFor(node);
  const wallet::Submitter sub(client, Fast());
  auto op = wallet::MakeTransfer("ore-1", "refinery");
  REQUIRE(op.ok());
  auto out = sub.Send(*op, Key3());
  INFO(out.status().ToString());
  REQUIRE(out.ok());
  CHECK(out->state == "committed");
  CHECK(out->height == 5);
  CHECK(posts == 2);

  // What reached the node: the second POST, a valid signed transaction with pending_nonce.
  std::string posted;
  for (const FakeRequest& r : node.requests()) {
    if (r.method == "POST") posted = r.body;
  }
  auto tx =
      ledger::Decode<ledger::Tx>(*ledger::HexDecode(json::parse(posted)["tx"].get<std::string>()));
  REQUIRE(tx.ok());
  CHECK(tx->body.genesis_hash.ToHex() == kGenesisA);
  CHECK(tx->body.nonce == 7);
  CHECK(tx->body.signer.ToHex() == kPublic3);
  CHECK(tx->body.op == *op);
  CHECK(ledger::VerifyTxSignature(*tx, ledger::TxId(tx->body)));
  CHECK(out->id == ledger::TxId(tx->body));
}

TEST_CASE("submitter: rejects, unknown accounts, --no-wait and timeouts", "[wallet]") {
  std::string tx_state =
      R"({"status":"rejected","reject":{"code":"lot-already-consumed","message":"ore-1"}})";
  FakeHttpServer node([&](const FakeRequest& r) -> FakeResponse {
    if (r.target == "/v1/status") return {200, json{{"chain_id", "c"}, {"genesis_hash", kGenesisA}}.dump()};
    if (r.target.rfind("/v1/accounts/", 0) == 0)
      return {404, R"({"error":{"code":"not-found","message":"unknown account"}})"};
    if (r.method == "POST") {
      const std::string hex = json::parse(r.body)["tx"];
      auto tx = ledger::Decode<ledger::Tx>(*ledger::HexDecode(hex));
      if (std::holds_alternative<ledger::Dispose>(tx->body.op)) {
        return {400, R"({"error":{"code":"unknown-item","message":"no such lot"}})"};
      }
      return {200, json{{"id", ledger::TxId(tx->body).ToHex()}, {"status", "pending"}}.dump()};
    }
    return {200, tx_state};
  });
  const wallet::Client client = ClientFor(node);
  const auto op = *wallet::MakeTransfer("ore-1", "refinery");

  SECTION("rejected while executing: the reject string survives") {
    auto r = wallet::Submitter(client, Fast()).Send(op, Key3());
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsRejected());
    CHECK(r.status().reject() == "lot-already-consumed");
    CHECK(r.status().ToString() == "rejected: lot-already-consumed (ore-1)");
  }
  SECTION("rejected at admission") {
    auto r = wallet::Submitter(client, Fast()).Send(*wallet::MakeDispose("nothing"), Key3());
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().reject() == "unknown-item");
  }
  SECTION("an unknown account signs with nonce 0; --no-wait returns the pending id") {
    auto r = wallet::Submitter(client, Fast(false)).Send(op, Key3());
    REQUIRE(r.ok());
    CHECK(r->state == "pending");
  }
  SECTION("never committed: Timeout") {
    tx_state = R"({"status":"pending"})";
    auto r = wallet::Submitter(client, Fast(true, 200)).Send(op, Key3());
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsTimeout());
    CHECK_THAT(r.status().message(), Catch::Contains("may still commit"));
  }
}

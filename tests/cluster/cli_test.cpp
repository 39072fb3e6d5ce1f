// The `circuledger` CLI against a real circuledgerd: the binary itself is forked and exec'd with a
// controlled environment (HOME, CIRCULEDGER_NODE, CIRCULEDGER_KEYSTORE, CIRCULEDGER_PASSWORD and
// nothing else; stdin is /dev/null, so a missing password source fails instead of prompting), its
// stdout, stderr and exit code captured, every run bounded by a timeout. Effects are checked with
// `circuledger ... --json` and with GET over raw HTTP (LedgerClient), never with the wallet
// library.
//
// 1. every operation of the CLI exits 0 and does what it says (wallet/README.md, scripts/demo);
// 2. ledger rejects exit 2 with the reject string and leave height and state root as they were;
// 3. keystore, connection, not-found and usage failures exit 4, 3, 6 and 1 and submit nothing.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>
#include <vector>

#include "tests/cluster/cli_runner.h"
#include "tests/cluster/ledger_client.h"

#ifndef CIRCULEDGER_CLI_BIN
#error "CIRCULEDGER_CLI_BIN must name the circuledger binary"
#endif

using namespace circuledger;
using namespace circuledger::cluster;
using nlohmann::json;

namespace {

using Triples = std::vector<std::tuple<std::string, uint64_t, uint64_t>>;

// The (material, total_mg, recycled_mg) triples of a composition JSON array.
Triples Masses(const json& composition) {
  Triples out;
  for (const json& m : composition) {
    out.emplace_back(m.at("material").get<std::string>(), m.at("total_mg").get<uint64_t>(),
                     m.at("recycled_mg").get<uint64_t>());
  }
  return out;
}

std::set<std::pair<std::string, std::string>> Edges(const json& trace) {
  std::set<std::pair<std::string, std::string>> out;
  for (const json& e : trace.at("edges"))
    out.emplace(e.at("from").get<std::string>(), e.at("to").get<std::string>());
  return out;
}

std::map<std::string, uint64_t> NodeDepths(const json& trace) {
  std::map<std::string, uint64_t> out;
  for (const json& n : trace.at("nodes"))
    out[n.at("id").get<std::string>()] = n.at("depth").get<uint64_t>();
  return out;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr uint64_t kKg = 1000 * 1000;  // mg

const char* const kDevOrgs[] = {"admin-1", "admin-2",  "mine",      "refinery",  "cellmaker",
                                "oem",     "repairer", "fleet",     "collector", "recycler",
                                "petchem", "bottler",  "certifier", "regulator"};

}  // namespace

TEST_CASE("cli: every operation through the circuledger binary commits and shows its effect",
          "[cluster]") {
  NodeProcess node;
  LedgerClient api(node);
  Wallet w(node);

  // Keys: every dev org's secret imported, encrypted, listed with the genesis public keys.
  for (const char* org : kDevOrgs) w.Import(org);
  {
    const json list = w.Ok({"key", "list"});
    std::map<std::string, std::string> listed;
    for (const json& k : list.at("keys")) listed[k.at("name")] = k.at("public_key");
    REQUIRE(listed.size() == std::size(kDevOrgs));
    for (const char* org : kDevOrgs) CHECK(listed[org] == node.Key(org).Public().ToHex());
    // Files 0600 in a 0700 directory (wallet/README.md, keystore file format).
    namespace fs = std::filesystem;
    CHECK((fs::status(w.keystore()).permissions() & fs::perms::all) == fs::perms::owner_all);
    CHECK((fs::status(w.keystore() + "/mine.json").permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
  }

  // Lot ids are GS1 URNs and Digital Link URIs in places: they travel percent-encoded.
  const std::string co_v = "urn:epc:id:sgtin:4012345.100001.7";
  const std::string bat = "https://id.voltmotive.example/01/04012345000017/21/VM-0001";

  // lot create: virgin lots by the mine, recycled lots by the recycler.
  {
    const CliRun r = w.Run({"lot", "create", co_v, "--composition", "Co=600kg", "--as", "mine"});
    INFO(r.Describe());
    REQUIRE(r.code == 0);
    // Human output: "committed <txid> at height <h>", the same tx `show tx` finds.
    REQUIRE(r.out.rfind("committed ", 0) == 0);
    const std::string txid = r.out.substr(10, 64);
    const json tx = w.Ok({"show", "tx", txid});
    CHECK(tx["status"] == "committed");
    CHECK(Contains(r.out, " at height " + std::to_string(tx["height"].get<uint64_t>())));
    CHECK(tx["tx"]["op"]["type"] == "create_lot");
    CHECK(tx["tx"]["signer"] == node.Key("mine").Public().ToHex());
  }
  w.Commit({"lot", "create", "co-w", "--composition", "Co=100kg", "--as", "mine"});
  w.Commit(
      {"lot", "create", "co-r", "--composition", "Co=400kg,recycled=400kg", "--as", "recycler"});
  w.Commit({"lot", "create", "co-r2", "--composition", "Co=100kg/100kg", "--as", "recycler"});
  {
    const json lot = w.Ok({"show", "lot", co_v});
    CHECK(lot["id"] == co_v);
    CHECK(lot["owner"] == "mine");
    CHECK(lot["status"] == "active");
    CHECK(lot["custody"] == "none");
    CHECK(Masses(lot["composition"]) == Triples{{"Co", 600 * kKg, 0}});
    const json r = w.Ok({"show", "lot", "co-r"});
    CHECK(r["owner"] == "recycler");
    CHECK(r["custody"] == "recycled");
    CHECK(Masses(r["composition"]) == Triples{{"Co", 400 * kKg, 400 * kKg}});
  }

  // transfer
  w.Commit({"transfer", co_v, "--to", "oem", "--as", "mine"});
  w.Commit({"transfer", "co-r", "--to", "oem", "--as", "recycler"});
  w.Commit({"transfer", "co-w", "--to", "refinery", "--as", "mine"});
  w.Commit({"transfer", "co-r2", "--to", "refinery", "--as", "recycler"});
  CHECK(w.Ok({"show", "lot", co_v})["owner"] == "oem");
  CHECK(api.GetJson("/v1/lots/co-r2")["owner"] == "refinery");

  // transform, controlled blending: each output gets floor(T_out * R_in / T_in) recycled; the
  // scrap output (pre-consumer waste) too.
  const json blend =
      w.Commit({"transform", "--input", "co-w", "--input", "co-r2", "--output",
                "co-blend-a@Co=150kg", "--scrap", "co-blend-b@Co=49kg", "--as", "refinery"});
  {
    const json a = w.Ok({"show", "lot", "co-blend-a"});
    CHECK(Masses(a["composition"]) == Triples{{"Co", 150 * kKg, 75 * kKg}});
    CHECK(a["custody"] == "controlled_blending");
    CHECK(a["owner"] == "refinery");
    CHECK(a["parents"] == json::array({"co-w", "co-r2"}));
    const json scrap = w.Ok({"show", "lot", "co-blend-b"});
    CHECK(Masses(scrap["composition"]) == Triples{{"Co", 49 * kKg, 24500 * 1000}});
    CHECK(scrap["waste"] == "pre_consumer");
    CHECK(a["waste"] == "none");
    CHECK(blend["tx"]["op"]["scrap"][0]["id"] == "co-blend-b");
    const json in = w.Ok({"show", "lot", "co-w"});
    CHECK(in["status"] == "consumed");
    CHECK(in["consumed_by"] == blend["id"]);
    CHECK(blend["tx"]["op"]["allocation"] == "controlled_blending");
  }

  // transform --mass-balance: the output declares its recycled part, up to the full credit
  // floor(75 kg * 140 / 150) = 70 kg.
  const json mb = w.Commit({"transform", "--input", "co-blend-a", "--output",
                            "pcam-1@Co=140kg,recycled=70kg", "--mass-balance", "--as", "refinery"});
  CHECK(mb["tx"]["op"]["allocation"] == "mass_balance");
  {
    const json p = w.Ok({"show", "lot", "pcam-1"});
    CHECK(Masses(p["composition"]) == Triples{{"Co", 140 * kKg, 70 * kKg}});
    CHECK(p["custody"] == "mass_balance");
  }

  // assemble from 600 kg virgin + 400 kg recycled Co: a 900 kg product holds exactly
  // 900 * 400 / 1000 = 360 kg recycled; the 90 kg leftover 36 kg.
  // Flag and value pairs read better together.
  // clang-format off
  const std::vector<std::string> assemble = {
      "assemble", "--input", co_v, "--input", "co-r", "--product", bat,
      "--category", "battery.ev", "--model", "VM-75", "--composition", "Co=900kg",
      "--attr", "spare_parts_years=10", "--attr", "capacity_wh=75000",
      "--leftover", "co-left@Co=90kg", "--as", "oem"};
  // clang-format on
  const json asm_tx = w.Commit(assemble);
  {
    const json p = w.Ok({"show", "product", bat});
    CHECK(p["id"] == bat);
    CHECK(p["kind"] == "product");
    CHECK(p["category"] == "battery.ev");
    CHECK(p["model"] == "VM-75");
    CHECK(p["manufacturer"] == "oem");
    CHECK(p["owner"] == "oem");
    CHECK(p["status"] == "active");
    CHECK(p["custody"] == "controlled_blending");
    CHECK(Masses(p["composition"]) == Triples{{"Co", 900 * kKg, 360 * kKg}});
    CHECK(p["composition"][0]["recycled_mg"].get<uint64_t>() == 360000000);
    CHECK(p["composition"][0]["recycled_percent"] == "40.00");
    CHECK(p["attributes"] == json({{"capacity_wh", 75000}, {"spare_parts_years", 10}}));
    CHECK(p["parents"] == json::array({co_v, "co-r"}));
    CHECK(p["created_by"] == asm_tx["id"]);
    const json left = w.Ok({"show", "lot", "co-left"});
    CHECK(Masses(left["composition"]) == Triples{{"Co", 90 * kKg, 36 * kKg}});
    CHECK(left["owner"] == "oem");
    CHECK(w.Ok({"show", "lot", "co-r"})["status"] == "consumed");
    // The human passport shows the same figures.
    const CliRun h = w.Run({"show", "product", bat});
    INFO(h.Describe());
    CHECK(h.code == 0);
    CHECK(Contains(h.out, "360 kg"));
    CHECK(Contains(h.out, "40.00%"));
    CHECK(Contains(h.out, "capacity_wh=75000"));
  }

  // attest
  w.Commit({"attest", bat, "--kind", "battery-passport-audit", "--reference", "IRCA-2026-0042",
            "--as", "certifier"});
  {
    const json a = w.Ok({"show", "product", bat})["attestations"];
    REQUIRE(a.size() == 1);
    CHECK(a[0]["kind"] == "battery-passport-audit");
    CHECK(a[0]["reference"] == "IRCA-2026-0042");
    CHECK(a[0]["issuer"] == "certifier");
    CHECK(a[0]["expiry_ms"] == 0);
  }

  // repair: a 100 kg part out (it carries the product's blend, floor(100 * 360 / 900) = 40 kg
  // recycled, and becomes the repairer's lot), the mass-balance lot in.
  w.Commit({"transfer", "pcam-1", "--to", "repairer", "--as", "refinery"});
  // The owner lets the repairer repair its battery (until 2100).
  w.Commit({"authorize-repair", bat, "--repairer", "repairer", "--expires-ms", "4102444800000", "--as", "oem"});
  const json repair = w.Commit(
      {"repair", bat, "--remove", "old-module-1@Co=100kg", "--add", "pcam-1", "--as", "repairer"});
  {
    const json p = w.Ok({"show", "product", bat});
    CHECK(Masses(p["composition"]) == Triples{{"Co", 940 * kKg, 390 * kKg}});
    CHECK(p["custody"] == "mass_balance");  // a mass-balance part makes the claim mass balance
    CHECK(p["owner"] == "oem");
    REQUIRE(p["repairs"].size() == 1);
    CHECK(p["repair_count"] == 1);
    CHECK(p["repairs"][0]["tx"] == repair["id"]);
    CHECK(p["repairs"][0]["repairer"] == "repairer");
    CHECK(p["repairs"][0]["removed_lots"] == json::array({"old-module-1"}));
    CHECK(p["repairs"][0]["added_lots"] == json::array({"pcam-1"}));
    const json old = w.Ok({"show", "lot", "old-module-1"});
    CHECK(old["owner"] == "repairer");
    CHECK(Masses(old["composition"]) == Triples{{"Co", 100 * kKg, 40 * kKg}});
    CHECK(old["parents"] == json::array({bat}));
    CHECK(w.Ok({"show", "lot", "pcam-1"})["status"] == "consumed");
  }

  // dispose
  w.Commit({"dispose", "old-module-1", "--as", "repairer"});
  CHECK(w.Ok({"show", "lot", "old-module-1"})["status"] == "disposed");

  // Sold to a fleet, end of life to a collector, handed on to the recycler.
  w.Commit({"transfer", bat, "--to", "fleet", "--as", "oem"});
  CHECK(w.Ok({"show", "product", bat})["owner"] == "fleet");
  w.Commit({"end-of-life", bat, "--to", "collector", "--as", "fleet"});
  {
    const json p = w.Ok({"show", "product", bat});
    CHECK(p["status"] == "collected");
    CHECK(p["owner"] == "collector");
  }
  w.Commit({"transfer", bat, "--to", "recycler", "--as", "collector"});
  {
    const json p = api.GetJson("/v1/products/" + PercentEncode(bat));
    CHECK(p["status"] == "collected");
    CHECK(p["owner"] == "recycler");
  }

  // recycle: 900 kg of the 940 kg recovered, wholly recycled; recovery per material on record.
  const json rec =
      w.Commit({"recycle", "--input", bat, "--output", "r-co-1@Co=900kg", "--as", "recycler"});
  const std::string rec_id = rec["id"];
  {
    const json r = api.GetJson("/v1/recycling/" + rec_id);
    CHECK(r["tx"] == rec_id);
    CHECK(r["recycler"] == "recycler");
    CHECK(r["height"] == rec["height"]);
    REQUIRE(r["materials"].size() == 1);
    CHECK(r["materials"][0]["material"] == "Co");
    CHECK(r["materials"][0]["input_mg"].get<uint64_t>() == 940 * kKg);
    CHECK(r["materials"][0]["recovered_mg"].get<uint64_t>() == 900 * kKg);
    CHECK(r["materials"][0]["recovered_percent"] == "95.74");
    CHECK(w.Ok({"show", "product", bat})["status"] == "recycled");
    const json out = w.Ok({"show", "lot", "r-co-1"});
    CHECK(Masses(out["composition"]) == Triples{{"Co", 900 * kKg, 900 * kKg}});
    CHECK(out["custody"] == "recycled");
    CHECK(out["owner"] == "recycler");
  }

  // Governance: a new org with a key made by the CLI, proposed by one admin, approved by the
  // second (threshold 2), then signing with its own key.
  const std::string newco_key = w.Ok({"key", "new", "newco"})["public_key"];
  const json proposal =
      w.Commit({"gov", "propose", "add-org", "--id", "newco", "--name", "NewCo Metals", "--roles",
                "supplier,recycler", "--key", "newco", "--as", "admin-1"});
  {
    const CliRun before = w.Run({"show", "org", "newco"});
    INFO(before.Describe());
    CHECK(before.code == 6);  // one approval of two: not applied yet
  }
  w.Commit({"gov", "approve", proposal["id"].get<std::string>(), "--as", "admin-2"});
  {
    const json org = w.Ok({"show", "org", "newco"});
    CHECK(org["name"] == "NewCo Metals");
    CHECK(org["status"] == "active");
    CHECK(org["keys"] == json::array({newco_key}));
    CHECK(org["roles"].get<std::set<std::string>>() ==
          std::set<std::string>{"supplier", "recycler"});
    w.Commit({"lot", "create", "newco-lot-1", "--composition", "Cu=1kg", "--as", "newco"});
    CHECK(api.GetJson("/v1/lots/newco-lot-1")["owner"] == "newco");
    const json org2 = w.Ok({"show", "org", "mine"});
    CHECK(org2["keys"] == json::array({node.Key("mine").Public().ToHex()}));
  }

  // Chain parameters: a set-params proposal keeps every parameter it does not name.
  {
    const json before = w.Ok({"show", "params"});
    REQUIRE(before.contains("timeout_vote_ms"));
    const CliRun bad = w.Run({"gov", "propose", "set-params", "--set", "gov_threshold=0", "--as", "admin-1"});
    INFO(bad.Describe());
    CHECK(bad.code == 1);  // refused before signing: the ledger would refuse it too
    const json pp = w.Commit({"gov", "propose", "set-params", "--set", "proposal_ttl_blocks=5000", "--as", "admin-1"});
    CHECK(w.Ok({"show", "params"}) == before);  // one approval of two
    w.Commit({"gov", "approve", pp["id"].get<std::string>(), "--as", "admin-2"});
    json expected = before;
    expected["proposal_ttl_blocks"] = 5000;
    CHECK(w.Ok({"show", "params"}) == expected);
  }

  // show block / tx
  {
    const uint64_t h = rec["height"];
    const json b = w.Ok({"show", "block", std::to_string(h)});
    CHECK(b["header"]["height"] == h);
    bool found = false;
    for (const json& tx : b["txs"]) found = found || tx["id"] == rec_id;
    CHECK(found);
    const json t = w.Ok({"show", "tx", rec_id});
    CHECK(t["status"] == "committed");
    CHECK(t["height"] == h);
    CHECK(t["tx"]["op"]["type"] == "recycle");
    CHECK(t["tx"]["signer"] == node.Key("recycler").Public().ToHex());
    const json latest = w.Ok({"show", "block", "latest"});
    CHECK(latest["header"]["height"] == api.Tip().height);
    CHECK(w.Ok({"show", "block", "0"}).contains("genesis_hash"));
  }

  // trace --backward: the recycled lot goes back through the battery, its repair part and the
  // blend to the first lots; exactly these edges, nothing else.
  {
    const json t = w.Ok({"trace", "r-co-1", "--backward"});
    CHECK(t["truncated"] == false);
    CHECK(Edges(t) == std::set<std::pair<std::string, std::string>>{{bat, "r-co-1"},
                                                                    {co_v, bat},
                                                                    {"co-r", bat},
                                                                    {"pcam-1", bat},
                                                                    {"co-blend-a", "pcam-1"},
                                                                    {"co-w", "co-blend-a"},
                                                                    {"co-r2", "co-blend-a"}});
    CHECK(NodeDepths(t) == std::map<std::string, uint64_t>{{"r-co-1", 0},
                                                           {bat, 1},
                                                           {co_v, 2},
                                                           {"co-r", 2},
                                                           {"pcam-1", 2},
                                                           {"co-blend-a", 3},
                                                           {"co-w", 4},
                                                           {"co-r2", 4}});
    const CliRun h = w.Run({"trace", "r-co-1", "--backward"});
    INFO(h.Describe());
    CHECK(h.code == 0);
    CHECK(Contains(h.out, "backward trace of r-co-1: 8 nodes, 7 edges"));
  }
  // trace --forward: what the recycled cobalt became (the product id is a URI: percent-encoded).
  {
    const json t = w.Ok({"trace", "co-r", "--forward"});
    CHECK(Edges(t) ==
          std::set<std::pair<std::string, std::string>>{
              {"co-r", bat}, {"co-r", "co-left"}, {bat, "old-module-1"}, {bat, "r-co-1"}});
    const json p = w.Ok({"trace", bat, "--forward"});
    CHECK(p["root"] == bat);
    CHECK(NodeDepths(p) ==
          std::map<std::string, uint64_t>{{bat, 0}, {"old-module-1", 1}, {"r-co-1", 1}});
  }

  // status
  {
    const json s = w.Ok({"status"});
    const StatusTip tip = api.Tip();
    CHECK(s["chain_id"] == "circuledger-dev");
    CHECK(s["height"] == tip.height);
    CHECK(s["state_root"] == tip.state_root);
    const CliRun h = w.Run({"status"});
    INFO(h.Describe());
    CHECK(h.code == 0);
    CHECK(Contains(h.out, "circuledger-dev"));
    CHECK(Contains(h.out, tip.state_root));
  }
}

TEST_CASE("cli: ledger rejects exit 2 with the reject string and change nothing", "[cluster]") {
  NodeProcess node;
  LedgerClient api(node);
  Wallet w(node);
  for (const char* org : {"mine", "refinery", "fleet", "recycler"}) w.Import(org);

  // The state the rejects run against, built over HTTP (fast: no keystore unlocks).
  api.Commit("mine", ledger::CreateLot{"ore-1", Comp({{"Co", 1000 * kKg}})});
  api.Commit("mine", ledger::CreateLot{"ore-2", Comp({{"Co", 1000 * kKg}, {"Ni", 500 * kKg}})});
  api.Commit("mine", ledger::CreateLot{"ore-3", Comp({{"Co", 10 * kKg}})});
  api.Commit("mine", ledger::Transform{
                         {"ore-1"}, {ledger::OutputLot{"ore-1a", Comp({{"Co", 900 * kKg}})}}, {}, {}});
  REQUIRE(api.GetJson("/v1/lots/ore-1")["status"] == "consumed");
  // Issue 17's laundering: virgin cobalt from a mine, handed to a recycler to "recycle".
  api.Commit("mine", ledger::CreateLot{"v1", Comp({{"Co", 5 * kKg}})});
  api.Commit("mine", ledger::Transfer{"v1", "recycler"});

  struct Case {
    std::string code;
    std::string signer;
    std::vector<std::string> args;
  };
  const std::vector<Case> cases = {
      {"lot-already-consumed", "mine", {"transfer", "ore-1", "--to", "refinery"}},
      {"mass-created",
       "mine",
       {"transform", "--input", "ore-2", "--output", "x-1@Co=1000.001kg,Ni=500kg"}},
      {"role-not-allowed", "fleet", {"lot", "create", "f-1", "--composition", "Co=1kg"}},
      {"recycled-not-allowed",
       "mine",
       {"lot", "create", "r-1", "--composition", "Co=5kg,recycled=1kg"}},
      {"not-owner", "refinery", {"transfer", "ore-3", "--to", "fleet"}},
      {"id-exists", "mine", {"lot", "create", "ore-2", "--composition", "Co=1kg"}},
      {"not-waste", "recycler", {"recycle", "--input", "v1", "--output", "l1@Co=5kg"}},
  };
  for (const Case& c : cases) {
    for (const bool as_json : {false, true}) {
      std::vector<std::string> args = c.args;
      args.insert(args.end(), {"--as", c.signer});
      if (as_json) args.push_back("--json");
      const StatusTip before = api.Tip();
      const uint64_t nonce = api.PendingNonce(c.signer);
      const CliRun r = w.Run(args);
      INFO("expected " << c.code << "\n" << r.Describe());
      CHECK(r.code == 2);
      CHECK(Contains(r.err, "rejected: " + c.code));
      if (as_json) {
        const json j = r.Json();
        CHECK(j["error"]["code"] == c.code);
      } else {
        CHECK(r.out.empty());
      }
      CHECK(api.Tip() == before);
      CHECK(api.PendingNonce(c.signer) == nonce);
    }
  }
  CHECK(api.GetJson("/v1/status")["mempool_size"] == 0);
  const CliRun none = w.Run({"show", "lot", "f-1"});
  CHECK(none.code == 6);
}

TEST_CASE("cli: keystore, connection, not-found and usage failures have their exit codes",
          "[cluster]") {
  NodeProcess node;
  LedgerClient api(node);
  Wallet w(node);
  const std::string mine_pub = node.Key("mine").Public().ToHex();
  Env env_a = w.BaseEnv();
  env_a["CIRCULEDGER_PASSWORD"] = "password-A";
  w.Import("mine", env_a);

  const auto account = [&] { return api.GetJson("/v1/accounts/" + mine_pub); };
  const StatusTip tip0 = api.Tip();
  const json acc0 = account();
  const std::vector<std::string> create = {"lot",    "create", "w-1", "--composition",
                                           "Co=1kg", "--as",   "mine"};

  SECTION("a wrong password exits 4, names the key and submits nothing") {
    Env env_b = w.BaseEnv();
    env_b["CIRCULEDGER_PASSWORD"] = "password-B";
    const CliRun r = RunCli(create, env_b);
    INFO(r.Describe());
    CHECK(r.code == 4);
    CHECK(Contains(r.err, "wrong password for key mine"));
    // The same through --password-file, with the environment variable unset.
    const std::string pw_file = node.home() + "/password-b";
    std::ofstream(pw_file) << "password-B\n";
    Env env_none = w.BaseEnv();
    env_none.erase("CIRCULEDGER_PASSWORD");
    std::vector<std::string> with_file = create;
    with_file.insert(with_file.end(), {"--password-file", pw_file, "--json"});
    const CliRun f = RunCli(with_file, env_none);
    INFO(f.Describe());
    CHECK(f.code == 4);
    CHECK(Contains(f.err, "wrong password for key mine"));
    CHECK(f.Json()["error"]["code"] == "wrong-password");
    // No password source at all (stdin is not a terminal): a usage error, not a hang.
    const CliRun n = RunCli(create, env_none);
    INFO(n.Describe());
    CHECK(n.code == 1);
    CHECK(Contains(n.err, "CIRCULEDGER_PASSWORD"));

    CHECK(api.Tip() == tip0);
    const json acc = account();
    CHECK(acc["next_nonce"] == acc0["next_nonce"]);
    CHECK(acc["pending_nonce"] == acc0["pending_nonce"]);
    CHECK(w.Run({"show", "lot", "w-1"}).code == 6);

    // Control: the right password commits the very same command.
    const CliRun ok = RunCli(create, env_a);
    INFO(ok.Describe());
    REQUIRE(ok.code == 0);
    CHECK(account()["next_nonce"] == acc0["next_nonce"].get<uint64_t>() + 1);
    CHECK(w.Ok({"show", "lot", "w-1"})["owner"] == "mine");
  }

  SECTION("an unknown key name exits 4") {
    std::vector<std::string> args = create;
    args.back() = "nosuchkey";
    const CliRun r = w.Run(args);
    INFO(r.Describe());
    CHECK(r.code == 4);
    CHECK(Contains(r.err, "nosuchkey"));
    CHECK(api.Tip() == tip0);
  }

  SECTION("an unreachable node exits 3") {
    const CliRun s = w.Run({"status", "--node", "http://127.0.0.1:1"});
    INFO(s.Describe());
    CHECK(s.code == 3);
    std::vector<std::string> args = create;
    args.insert(args.end(), {"--node", "http://127.0.0.1:1"});
    const CliRun op = RunCli(args, env_a);
    INFO(op.Describe());
    CHECK(op.code == 3);
    CHECK(api.Tip() == tip0);
  }

  SECTION("show or trace of an unknown id exits 6") {
    const CliRun r = w.Run({"show", "lot", "nosuchlot"});
    INFO(r.Describe());
    CHECK(r.code == 6);
    CHECK(r.out.empty());
    CHECK_FALSE(r.err.empty());
    const CliRun j = w.Run({"show", "lot", "nosuchlot", "--json"});
    CHECK(j.code == 6);
    CHECK(j.Json()["error"]["code"] == "not-found");
    CHECK(w.Run({"show", "product", "nosuchproduct"}).code == 6);
    CHECK(w.Run({"trace", "nosuchlot"}).code == 6);
  }

  SECTION("a malformed composition spec exits 1 with a message") {
    const std::pair<std::string, std::string> specs[] = {
        {"Co=12.5", "bad mass \"12.5\": missing unit"},
        {"Co=-1kg", "bad mass \"-1kg\": negative"},
        {"Co=0.0001g", "finer than one milligram"},
        {"Co12kg", "is not MATERIAL=MASS"},
        {"Co=1kg,Co=2kg", "material Co given twice"},
        {"Co=12.5kg,recycled=13kg", "recycled part of Co (13 kg) exceeds its total"},
    };
    for (const auto& [spec, message] : specs) {
      const CliRun r =
          RunCli({"lot", "create", "m-1", "--composition", spec, "--as", "mine"}, env_a);
      INFO(r.Describe());
      CHECK(r.code == 1);
      CHECK(Contains(r.err, message));
      CHECK(r.out.empty());
    }
    const CliRun o =
        RunCli({"transform", "--input", "x", "--output", "y@Co=1kk", "--as", "mine"}, env_a);
    INFO(o.Describe());
    CHECK(o.code == 1);
    CHECK(Contains(o.err, "unknown unit \"kk\""));
    CHECK(api.Tip() == tip0);
    CHECK(account()["next_nonce"] == acc0["next_nonce"]);
  }
}

TEST_CASE("cli: a node URL that now serves another chain (same chain id) is refused with exit 7 until re-pinned",
          "[cluster]") {
  NodeProcess chain_a;
  NodeProcess chain_b;  // another dev chain: the same chain id, another genesis
  const std::string hash_a = LedgerClient(chain_a).GetJson("/v1/status").at("genesis_hash");
  const std::string hash_b = LedgerClient(chain_b).GetJson("/v1/status").at("genesis_hash");
  REQUIRE(LedgerClient(chain_b).GetJson("/v1/status").at("chain_id") ==
          LedgerClient(chain_a).GetJson("/v1/status").at("chain_id"));
  REQUIRE(hash_a != hash_b);

  // First use pins the node's genesis hash.
  Wallet wa(chain_a);
  wa.Import("mine");
  const CliRun first = wa.Run({"lot", "create", "p-1", "--composition", "Co=1kg", "--as", "mine"});
  INFO(first.Describe());
  REQUIRE(first.code == 0);
  const std::string url_a = "http://127.0.0.1:" + std::to_string(chain_a.port());
  CHECK(Contains(first.err, "pinned genesis hash " + hash_a + " for " + url_a));
  CHECK(wa.Ok({"node", "pins"})["pins"][url_a] == hash_a);
  const CliRun second = wa.Run({"lot", "create", "p-2", "--composition", "Co=1kg", "--as", "mine"});
  INFO(second.Describe());
  CHECK(second.code == 0);
  CHECK_FALSE(Contains(second.err, "pinned"));

  // A wallet that pinned chain A for the URL that now serves chain B (a relaunch under the same
  // chain id, or a lying node): nothing is signed, exit 7, both hashes named.
  Wallet wb(chain_b);
  wb.Import("mine");
  const std::string url_b = "http://127.0.0.1:" + std::to_string(chain_b.port());
  std::ofstream(wb.keystore() + "/genesis.pins")
      << json{{"version", 1}, {"pins", {{url_b, hash_a}}}}.dump();
  LedgerClient api_b(chain_b);
  const StatusTip tip_b = api_b.Tip();
  const std::vector<std::string> create = {"lot", "create", "p-3", "--composition", "Co=1kg", "--as", "mine"};
  const CliRun refused = wb.Run(create);
  INFO(refused.Describe());
  CHECK(refused.code == 7);
  CHECK(Contains(refused.err, hash_a));
  CHECK(Contains(refused.err, hash_b));
  CHECK(Contains(refused.err, "circuledger node trust --genesis-hash " + hash_b));
  std::vector<std::string> create_json = create;
  create_json.push_back("--json");
  CHECK(wb.Run(create_json).Json()["error"]["code"] == "wrong-chain");
  CHECK(api_b.Tip() == tip_b);
  CHECK(api_b.GetJson("/v1/accounts/" + chain_b.Key("mine").Public().ToHex())["pending_nonce"] == 0);

  // `node trust` does not replace a pin unless told the new hash, which the node must present.
  CHECK(wb.Run({"node", "trust"}).code == 7);
  CHECK(wb.Run({"node", "trust", "--genesis-hash", hash_a}).code == 7);
  CHECK(wb.Run({"node", "trust", "--genesis-hash", "abc"}).code == 1);
  CHECK(wb.Ok({"node", "pins"})["pins"][url_b] == hash_a);
  const json trusted = wb.Ok({"node", "trust", "--genesis-hash", hash_b});
  CHECK(trusted["genesis_hash"] == hash_b);
  CHECK(trusted["result"] == "replaced the pin");
  CHECK(wb.Ok({"node", "pins"})["pins"][url_b] == hash_b);
  const CliRun after = wb.Run(create);
  INFO(after.Describe());
  CHECK(after.code == 0);
}

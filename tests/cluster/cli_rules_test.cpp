// The rules and compliance commands of the `circuledger` CLI against a real circuledgerd:
// offline `rules check` (compile errors with their position, evaluation against a passport file,
// exit codes), `rules register` by a regulator and refused for others, `rules list|show`, and
// `compliance` as of 18 Aug 2031.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/cluster/cli_runner.h"
#include "tests/cluster/ledger_client.h"

using namespace circuledger;
using namespace circuledger::cluster;
using namespace circuledger::ledger;
using nlohmann::json;

namespace {

const std::string kArt8 = std::string(CIRCULEDGER_SOURCE_DIR) + "/examples/rules/eu-battery-2023-1542-art8.rules";

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// A battery of 1,000,000 mg cobalt with `recycled` mg recycled, assembled by oem.
void MakeBattery(LedgerClient& c, const std::string& id, uint64_t recycled) {
  c.Commit("recycler", CreateLot{"r-" + id, Composition{{MaterialAmount{"Co", recycled, recycled}}}});
  c.Commit("recycler", Transfer{"r-" + id, "oem"});
  c.Commit("mine", CreateLot{"v-" + id, Comp({{"Co", 1'000'000 - recycled}})});
  c.Commit("mine", Transfer{"v-" + id, "oem"});
  c.Commit("oem", Assemble{{"r-" + id, "v-" + id}, NewProduct{id, "battery.ev", "EVB", Comp({{"Co", 1'000'000}}), {}}, {}, {}, {}});
}

}  // namespace

TEST_CASE("cli: rules check, register, list, show and compliance", "[cluster]") {
  NodeProcess node;
  LedgerClient c(node);
  Wallet w(node);
  w.Import("regulator");
  w.Import("oem");

  SECTION("offline check") {
    const json listed = w.Ok({"rules", "check", kArt8});
    CHECK(listed["rule_set"] == "eu.battery.2023-1542.art8");
    CHECK(listed["rules"].size() == 8);
    const std::string bad = node.home() + "/bad.rules";
    WriteFile(bad, "ruleset \"x\" version 1\nrule \"r\" {\n  mode enforce\n  categories \"battery.*\"\n"
                   "  require recycled_share(\"Co\") >= 16.125%\n}\n");
    const CliRun r = w.Run({"rules", "check", bad});
    INFO(r.Describe());
    CHECK(r.code == 2);
    CHECK(r.err.find("rules-invalid") != std::string::npos);
    CHECK(r.err.find(bad + ":5:35: percentages have at most two decimals") != std::string::npos);
  }

  SECTION("register, query and check a passport") {
    const CliRun refused = w.Run({"rules", "register", kArt8, "--as", "oem"});
    INFO(refused.Describe());
    CHECK(refused.code == 2);
    CHECK(refused.err.find("role-not-allowed") != std::string::npos);
    w.Commit({"rules", "register", kArt8, "--as", "regulator"});
    const json list = w.Ok({"rules", "list"});
    REQUIRE(list["rule_sets"].size() == 1);
    CHECK(list["rule_sets"][0]["version"] == 1);
    CHECK(w.Ok({"rules", "show", "eu.battery.2023-1542.art8"})["rules"].size() == 8);
    const CliRun unknown = w.Run({"rules", "show", "no.such.set"});
    CHECK(unknown.code == 6);

    MakeBattery(c, "bat-short", 159'999);
    MakeBattery(c, "bat-ok", 160'000);
    const json today = w.Ok({"compliance", "bat-short"});
    CHECK(today["rules"].empty());
    const json then = w.Ok({"compliance", "bat-short", "--at", "2031-08-18"});
    CHECK(then["compliant"] == false);
    const json human_run = w.Ok({"compliance", "bat-ok", "--at", "2031-08-18"});
    CHECK(human_run["compliant"] == true);
    const CliRun table = w.Run({"compliance", "bat-short", "--at", "2031-08-18"});
    CHECK(table.code == 0);
    CHECK(table.out.find("NOT compliant") != std::string::npos);
    CHECK(table.out.find("recycled_share(\"Co\") >= 16%: 15.99% vs 16.00%") != std::string::npos);

    // Offline: the passport as `show product --json` writes it, checked against the file.
    for (const auto& [id, code, outcome] :
         std::vector<std::tuple<std::string, int, std::string>>{{"bat-short", 2, "fail"}, {"bat-ok", 0, "pass"}}) {
      const std::string passport = node.home() + "/" + id + ".json";
      WriteFile(passport, w.Ok({"show", "product", id}).dump());
      const CliRun r = w.Run({"rules", "check", kArt8, "--product", passport, "--at", "2031-08-18", "--json"});
      INFO(r.Describe());
      CHECK(r.code == code);
      const json j = r.Json();
      REQUIRE(j["rules"].size() == 4);
      CHECK(j["rules"][0]["rule"] == "art8-2-cobalt");
      CHECK(j["rules"][0]["outcome"] == outcome);
    }
  }
}

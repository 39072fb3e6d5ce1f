// Provenance traces of a real circuledgerd against the test's own model: a small circular chain
// (mined metals -> refinery -> cells -> modules -> an EV battery -> repair -> end of life ->
// recycling -> a second battery partly from secondary material) played over HTTP; then, for
// every item in both directions, the trace's nodes (with depth, kind, owner, status) and edges
// must be exactly the model's reachable subgraph, and paging must give the same as one page.
#include <catch2/catch.hpp>

#include "tests/cluster/ledger_client.h"
#include "tests/cluster/provenance_model.h"

using namespace circuledger::cluster;
using namespace circuledger::ledger;
using nlohmann::json;

namespace {

// Plays operations over HTTP and into the model.
struct Player {
  LedgerClient& client;
  ProvenanceModel& model;
  void operator()(const std::string& org, const Op& op) {
    client.Commit(org, op);
    model.Apply(org, op);
  }
};

std::string TracePath(const ProvenanceModel& m, const std::string& id) {
  return std::string(m.items().at(id).product ? "/v1/products/" : "/v1/lots/") + PercentEncode(id) +
         "/trace";
}

std::string Dir(bool backward) { return backward ? "backward" : "forward"; }

// The trace from the node must equal the model's subgraph (nodes, depths, attributes, edges).
void CheckTrace(LedgerClient& c, const ProvenanceModel& m, const std::string& root, bool backward,
                uint32_t depth) {
  INFO("trace of " << root << " " << Dir(backward) << " depth " << depth);
  const json t = c.GetJson(TracePath(m, root) + "?direction=" + Dir(backward) +
                           "&depth=" + std::to_string(depth));
  const Subgraph want = m.Reach(root, backward, depth);
  CHECK(t["root"] == root);
  CHECK(t["direction"] == Dir(backward));
  CHECK(t["truncated"] == false);
  REQUIRE(!t["nodes"].empty());
  CHECK(t["nodes"][0]["id"] == root);
  std::map<std::string, uint32_t> got_depth;
  for (const json& n : t["nodes"]) {
    const std::string id = n["id"];
    INFO("node " << id << ": " << n.dump());
    CHECK(got_depth.emplace(id, n["depth"].get<uint32_t>()).second);  // each node once
    const auto item = m.items().find(id);
    REQUIRE(item != m.items().end());
    CHECK(n["kind"] == (item->second.product ? "product" : "lot"));
    CHECK(n["owner"] == item->second.owner);
    CHECK(n["status"] == item->second.status);
  }
  CHECK(got_depth == want.depth);
  EdgeSet got_edges;
  for (const json& e : t["edges"]) got_edges.emplace(e["from"], e["to"]);
  CHECK(got_edges.size() == t["edges"].size());  // no edge twice
  CHECK(got_edges == want.edges);
}

// Pages of `limit` nodes, offset += limit while truncated: the same nodes in the same order and
// the same edges as one big page.
void CheckPaging(LedgerClient& c, const ProvenanceModel& m, const std::string& root, bool backward,
                 uint32_t limit) {
  INFO("paging " << root << " " << Dir(backward) << " limit " << limit);
  const std::string base = TracePath(m, root) + "?direction=" + Dir(backward);
  const json all = c.GetJson(base + "&limit=10000");
  std::vector<std::string> order;
  EdgeSet edges;
  size_t pages = 0;
  for (uint32_t offset = 0;; offset += limit) {
    REQUIRE(++pages <= 100);
    const json p =
        c.GetJson(base + "&limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset));
    CHECK(p["nodes"].size() <= limit);
    for (const json& n : p["nodes"]) order.push_back(n["id"]);
    for (const json& e : p["edges"]) edges.emplace(e["from"], e["to"]);
    if (!p["truncated"].get<bool>()) break;
  }
  std::vector<std::string> all_order;
  for (const json& n : all["nodes"]) all_order.push_back(n["id"]);
  EdgeSet all_edges;
  for (const json& e : all["edges"]) all_edges.emplace(e["from"], e["to"]);
  CHECK(order == all_order);
  CHECK(edges == all_edges);
  CHECK(edges == m.Reach(root, backward).edges);
  // Past the end: an empty, final page.
  const json beyond = c.GetJson(base + "&limit=" + std::to_string(limit) +
                                "&offset=" + std::to_string(all_order.size()));
  CHECK(beyond["nodes"].empty());
  CHECK(beyond["edges"].empty());
  CHECK(beyond["truncated"] == false);
}

}  // namespace

TEST_CASE("cluster: traces over HTTP equal the provenance graph of a circular battery chain",
          "[cluster]") {
  NodeProcess node;
  LedgerClient c(node);
  ProvenanceModel model;
  Player play{c, model};

  const std::string co1 = "urn:epc:class:lgtin:4012345.000001.CO-2026-001";
  const std::string ni1 = "urn:epc:class:lgtin:4012345.000002.NI-2026-001";
  const std::string li1 = "urn:epc:class:lgtin:4012345.000003.LI-2026-001";
  const std::string co2 = "urn:epc:class:lgtin:4012345.000001.CO-2026-002";
  const std::string bat1 = "https://id.gs1.org/01/04012345000019/21/VIN-0001";
  const std::string bat2 = "https://id.gs1.org/01/04012345000019/21/VIN-0002";
  const std::vector<Attribute> attrs = {{"capacity_wh", 75000}, {"spare_parts_years", 10}};

  // Primary metals, refined into cathode material.
  play("mine", CreateLot{co1, Comp({{"Co", 10'000'000}})});
  play("mine", CreateLot{ni1, Comp({{"Ni", 20'000'000}})});
  play("mine", CreateLot{li1, Comp({{"Li", 5'000'000}})});
  for (const std::string& lot : {co1, ni1, li1}) play("mine", Transfer{lot, "refinery"});
  const Composition cathode = Comp({{"Co", 4'000'000}, {"Li", 2'000'000}, {"Ni", 8'000'000}});
  play("refinery",
       Transform{{co1, ni1, li1},
                 {OutputLot{"cathode-a", cathode}, OutputLot{"cathode-b", cathode},
                  OutputLot{"cathode-spare",
                            Comp({{"Co", 1'000'000}, {"Li", 500'000}, {"Ni", 2'000'000}})}},
                 {}, {}});
  play("refinery", Transfer{"cathode-a", "cellmaker"});
  play("refinery", Transfer{"cathode-b", "cellmaker"});
  play("refinery", Transfer{"cathode-spare", "repairer"});
  // Modules (one with a leftover lot), then the battery from the modules.
  play("cellmaker",
       Assemble{{"cathode-a"},
                NewProduct{"module-1",
                           "battery.module",
                           "CM-12",
                           Comp({{"Co", 3'900'000}, {"Li", 2'000'000}, {"Ni", 8'000'000}}),
                           {}},
                {OutputLot{"scrap-a", Comp({{"Co", 100'000}})}},
                {}, {}});
  play("cellmaker",
       Assemble{
           {"cathode-b"}, NewProduct{"module-2", "battery.module", "CM-12", cathode, {}}, {}, {}, {}});
  play("cellmaker", Transfer{"module-1", "oem"});
  play("cellmaker", Transfer{"module-2", "oem"});
  play("oem",
       Assemble{{"module-1", "module-2"},
                NewProduct{bat1, "battery.ev", "VM-75",
                           Comp({{"Co", 7'900'000}, {"Li", 4'000'000}, {"Ni", 16'000'000}}), attrs},
                {},
                {}, {}});
  // Sold, repaired with the spare cathode lot, returned at end of life, recycled with the worn
  // part.
  play("oem", Transfer{bat1, "fleet"});
  play("fleet", AuthorizeRepair{bat1, "repairer", 4'102'444'800'000});  // the owner lets it repair
  play("repairer", Repair{bat1,
                          {OutputLot{"worn-cell-1", Comp({{"Co", 500'000}, {"Ni", 1'000'000}})}},
                          {"cathode-spare"}});
  play("fleet", EndOfLife{bat1, "collector"});
  play("collector", Transfer{bat1, "recycler"});
  play("repairer", Transfer{"worn-cell-1", "recycler"});
  play("recycler", Recycle{{bat1, "worn-cell-1"},
                           {OutputLot{"sec-co-1", Comp({{"Co", 8'000'000}})},
                            OutputLot{"sec-ni-1", Comp({{"Ni", 16'000'000}})},
                            OutputLot{"sec-li-1", Comp({{"Li", 3'000'000}})}}});
  // A second battery, partly from the secondary lots.
  play("recycler", Transfer{"sec-co-1", "refinery"});
  play("recycler", Transfer{"sec-ni-1", "refinery"});
  play("mine", CreateLot{co2, Comp({{"Co", 10'000'000}})});
  play("mine", Transfer{co2, "refinery"});
  const Composition cathode2 = Comp({{"Co", 5'000'000}, {"Ni", 8'000'000}});
  play("refinery", Transform{{"sec-co-1", "sec-ni-1", co2},
                             {OutputLot{"cathode-c", cathode2}, OutputLot{"cathode-d", cathode2}},
                             {}, {}});
  play("refinery", Transfer{"cathode-c", "cellmaker"});
  play("cellmaker",
       Assemble{
           {"cathode-c"}, NewProduct{"module-3", "battery.module", "CM-12", cathode2, {}}, {}, {}, {}});
  play("cellmaker", Transfer{"module-3", "oem"});
  play("oem",
       Assemble{{"module-3"}, NewProduct{bat2, "battery.ev", "VM-75", cathode2, attrs}, {}, {}, {}});

  {  // Every item, both directions, equals the model.
    // The circle closed: the first battery's metal reaches the second battery.
    CHECK(model.Reach(co1, false).depth.count(bat2) == 1);
    CHECK(model.Reach(bat2, true).depth.count(bat1) == 1);
    for (const auto& [id, item] : model.items()) {
      CheckTrace(c, model, id, /*backward=*/true, 64);
      CheckTrace(c, model, id, /*backward=*/false, 64);
    }
    // Depth bounds the walk.
    for (uint32_t depth : {0u, 1u, 2u, 5u}) {
      CheckTrace(c, model, co1, false, depth);
      CheckTrace(c, model, bat2, true, depth);
    }
  }
  {  // Passports name their parents in operation order.
    CHECK(c.GetJson("/v1/products/" + PercentEncode(bat1))["parents"] ==
          json({"module-1", "module-2", "cathode-spare"}));
    CHECK(c.GetJson("/v1/lots/sec-co-1")["parents"] == json({bat1, "worn-cell-1"}));
    CHECK(c.GetJson("/v1/lots/worn-cell-1")["parents"] == json({bat1}));
  }
  {  // Paging gives the same nodes, order and edges as one page.
    for (uint32_t limit : {1u, 2u, 3u, 7u}) {
      CheckPaging(c, model, co1, false, limit);
      CheckPaging(c, model, bat2, true, limit);
      CheckPaging(c, model, bat1, true, limit);
      CheckPaging(c, model, "cathode-spare", false, limit);
    }
  }
  CHECK(node.Stop() == 0);
}

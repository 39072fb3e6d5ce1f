// Every state-dependent reject string reachable through POST /v1/tx of a real circuledgerd
// (ledger/REJECTS.md): each is answered 400 with that code, counted in /metrics, and leaves the
// ledger as it was (height, state root, the signer's nonce, an empty mempool).
#include <catch2/catch.hpp>
#include <thread>

#include "ledger/encoding.h"
#include "tests/cluster/ledger_client.h"

using namespace circuledger;
using namespace circuledger::cluster;
using namespace circuledger::ledger;
using nlohmann::json;

namespace {

struct BadTx {
  std::string code;  // the expected reject string
  std::string org;   // the signer
  Op op;
};

Composition WithRecycled(const std::string& material, uint64_t total_mg, uint64_t recycled_mg) {
  return Composition{{MaterialAmount{material, total_mg, recycled_mg}}};
}

}  // namespace

TEST_CASE("cluster: every state-dependent reject string comes back over HTTP and changes nothing",
          "[cluster]") {
  NodeProcess node;
  LedgerClient c(node);

  // The ledger the rejects run against.
  c.Commit("mine", CreateLot{"ore-1", Comp({{"Co", 1000}})});
  c.Commit("mine", CreateLot{"ore-2", Comp({{"Co", 1000}, {"Ni", 500}})});
  c.Commit("mine",
           Transform{{"ore-1"}, {OutputLot{"ore-1a", Comp({{"Co", 900}})}}, {}, {}});  // ore-1 consumed
  c.Commit("mine", CreateLot{"ore-3", Comp({{"Co", 2000}, {"Li", 300}, {"Ni", 1000}})});
  c.Commit("mine", CreateLot{"ore-4", Comp({{"Co", 100}})});
  c.Commit("mine", Transfer{"ore-3", "oem"});
  c.Commit("mine", Transfer{"ore-4", "oem"});
  c.Commit(
      "oem",
      Assemble{
          {"ore-3"},
          NewProduct{
              "bat-1", "battery.ev", "VM-1", Comp({{"Co", 2000}, {"Li", 300}, {"Ni", 1000}}), {}},
          {},
          {}, {}});
  c.Commit(
      "oem",
      Assemble{
          {"ore-4"}, NewProduct{"bat-2", "battery.ev", "VM-1", Comp({{"Co", 100}}), {}}, {}, {}, {}});
  c.Commit("oem", EndOfLife{"bat-2", "collector"});  // bat-2 is collected, owned by the collector
  c.Commit("oem", AuthorizeRepair{"bat-1", "repairer", 4'102'444'800'000});  // until 2100
  // A pending proposal (admin-1 approved it by proposing; the threshold is 2) ...
  const json pending = c.Commit("admin-1", Propose{SetOrgRoles{"fleet", 0}});
  const Hash256 pending_id = *Hash256::FromHex(pending["id"].get<std::string>());
  // ... and an applied one that suspends petchem.
  const json applied = c.Commit("admin-1", Propose{SetOrgStatus{"petchem", OrgStatus::kSuspended}});
  const Hash256 applied_id = *Hash256::FromHex(applied["id"].get<std::string>());
  c.Commit("admin-2", Approve{applied_id});
  REQUIRE(c.GetJson("/v1/orgs/petchem")["status"] == "suspended");

  const std::vector<BadTx> cases = {
      {"lot-already-consumed", "mine", Transfer{"ore-1", "refinery"}},
      {"lot-already-consumed", "mine",
       Transform{{"ore-1"}, {OutputLot{"x0", Comp({{"Co", 1}})}}, {}, {}}},
      {"mass-created", "mine",
       Transform{{"ore-2"}, {OutputLot{"x1", Comp({{"Co", 1001}, {"Ni", 500}})}}, {}, {}}},
      {"mass-created", "mine",
       Transform{{"ore-2"}, {OutputLot{"x1", Comp({{"Co", 10}, {"Li", 1}})}}, {}, {}}},
      {"role-not-allowed", "fleet", CreateLot{"f-1", Comp({{"Co", 1}})}},
      {"role-not-allowed", "mine",
       Assemble{{"ore-2"}, NewProduct{"p-9", "battery.ev", "X", Comp({{"Co", 1}}), {}}, {}, {}, {}}},
      {"role-not-allowed", "oem", Recycle{{"ore-2"}, {OutputLot{"x2", Comp({{"Co", 1}})}}}},
      {"role-not-allowed", "mine", Attest{"ore-2", "iso14001", "cert-1", 0}},
      {"role-not-allowed", "mine", Propose{SetOrgRoles{"fleet", 0}}},
      {"recycled-not-allowed", "mine", CreateLot{"r-1", WithRecycled("Co", 5, 5)}},
      {"recycled-declared", "mine",
       Transform{{"ore-2"}, {OutputLot{"x3", WithRecycled("Co", 500, 1)}}, {}, {}}},
      {"recycled-over-allocation", "mine",
       Transform{
           {"ore-2"}, {OutputLot{"x4", WithRecycled("Co", 500, 1)}}, Allocation::kMassBalance, {}}},
      {"not-owner", "refinery", Transfer{"ore-2", "oem"}},
      {"not-owner", "refinery", Transform{{"ore-2"}, {OutputLot{"x5", Comp({{"Co", 1}})}}, {}, {}}},
      {"not-owner", "fleet", EndOfLife{"bat-1", "collector"}},
      {"id-exists", "mine", CreateLot{"ore-2", Comp({{"Co", 1}})}},
      {"id-exists", "mine", CreateLot{"bat-1", Comp({{"Co", 1}})}},  // lots and products share ids
      {"id-exists", "mine", Transform{{"ore-2"}, {OutputLot{"ore-1a", Comp({{"Co", 1}})}}, {}, {}}},
      {"unknown-item", "mine", Transfer{"no-such-lot", "refinery"}},
      {"unknown-item", "mine",
       Transform{{"bat-1"}, {OutputLot{"x6", Comp({{"Co", 1}})}}, {}, {}}},  // a product
      {"unknown-item", "repairer",
       Repair{"no-such-product", {OutputLot{"x7", Comp({{"Co", 1}})}}, {}}},
      {"unknown-org", "mine", Transfer{"ore-2", "nobody"}},
      {"receiver-inactive", "mine", Transfer{"ore-2", "petchem"}},
      {"org-suspended", "petchem", CreateLot{"pet-1", Comp({{"PET", 1}})}},
      {"bad-status", "collector", EndOfLife{"bat-2", "recycler"}},
      {"bad-status", "repairer", Repair{"bat-2", {OutputLot{"x8", Comp({{"Co", 1}})}}, {}}},
      {"receiver-not-allowed", "oem", EndOfLife{"bat-1", "fleet"}},
      {"receiver-not-allowed", "collector", Transfer{"bat-2", "fleet"}},
      {"removed-exceeds-content", "repairer",
       Repair{"bat-1", {OutputLot{"worn", Comp({{"Co", 2001}})}}, {}}},
      {"removed-exceeds-content", "repairer",
       Repair{"bat-1", {OutputLot{"worn", Comp({{"Pb", 1}})}}, {}}},
      {"duplicate-approval", "admin-1", Approve{pending_id}},
      {"proposal-closed", "admin-2", Approve{applied_id}},
      {"unknown-proposal", "admin-2", Approve{Sha256("no such proposal")}},
      {"bad-gov-change", "admin-1",
       Propose{RevokeMemberKey{"mine", c.Public("mine")}}},  // its last key
      {"key-in-use", "admin-1", Propose{AddMemberKey{"mine", c.Public("refinery")}}},
      {"threshold-unreachable", "admin-1", Propose{SetOrgRoles{"admin-2", 0}}},
      {"id-exists", "admin-1",
       Propose{AddOrg{"mine", "Another Mine", 2, {SecretKey::Generate().Public()}}}},
      {"bad-composition", "mine", CreateLot{"bc-1", Composition{}}},
      {"bad-composition", "mine", CreateLot{"bc-2", Comp({{"Co", 0}})}},
      {"bad-composition", "mine",
       CreateLot{"bc-3", Composition{{{"Ni", 1, 0}, {"Co", 1, 0}}}}},  // unsorted
      {"bad-composition", "mine", CreateLot{"bc-4", Comp({{"Co", 1'000'000'000'000'001ull}})}},
      {"bad-composition", "mine", CreateLot{"bc-5", Comp({{"C o", 1}})}},
      {"bad-composition", "repairer",
       Repair{"bat-1", {OutputLot{"all", Comp({{"Co", 2000}, {"Li", 300}, {"Ni", 1000}})}}, {}}},
      {"bad-id", "mine", CreateLot{"has space", Comp({{"Co", 1}})}},
      {"bad-id", "mine", CreateLot{"", Comp({{"Co", 1}})}},
      {"oversized", "mine",
       CreateLot{std::string(129, 'x'),
                 Comp({{"Co", 1}})}},  // over the id limit: refused by the decoder
      {"bad-id", "mine", Transfer{"ore-2", "Not An Org"}},
      {"bad-id", "oem",
       Assemble{{"ore-2"}, NewProduct{"p-1", "Battery EV", "X", Comp({{"Co", 1}}), {}}, {}, {}, {}}},
      {"duplicate-input", "mine",
       Transform{{"ore-2", "ore-2"}, {OutputLot{"x9", Comp({{"Co", 1}})}}, {}, {}}},
      {"duplicate-input", "mine",
       Transform{
           {"ore-2"}, {OutputLot{"y", Comp({{"Co", 1}})}, OutputLot{"y", Comp({{"Co", 1}})}}, {}, {}}},
      {"duplicate-input", "mine",
       Transform{{"ore-2"}, {OutputLot{"ore-2", Comp({{"Co", 1}})}}, {}, {}}},
      {"too-many-items", "mine", Transform{{}, {OutputLot{"x10", Comp({{"Co", 1}})}}, {}, {}}},
      {"too-many-items", "mine", Transform{{"ore-2"}, {}, {}, {}}},
      {"bad-attribute", "oem",
       Assemble{
           {"ore-2"},
           NewProduct{"p-2", "battery.ev", "X", Comp({{"Co", 1}}), {{"z_years", 1}, {"a_wh", 2}}},
           {},
           {}, {}}},
      {"bad-attribute", "oem",
       Assemble{{"ore-2"},
                NewProduct{"p-3", "battery.ev", "X", Comp({{"Co", 1}}), {{"Bad Name", 1}}},
                {},
                {}, {}}},
      {"bad-expiry", "certifier", Attest{"ore-2", "recycled-content-audit", "cert-1", 1}},
      {"bad-expiry", "regulator", Attest{"bat-1", "inspection", "ref-7", 1000}},
  };

  const StatusTip before = c.Tip();
  for (const BadTx& b : cases) {
    const uint64_t nonce = c.PendingNonce(b.org);
    const Tx tx = c.Sign(b.org, b.op, nonce);
    const RawResponse r = c.Submit(tx);
    INFO(b.org << " " << OpName(b.op) << " expecting " << b.code << " -> " << r.Describe());
    REQUIRE(r.ok());
    CHECK(r.status == 400);
    CHECK(r.Json()["error"]["code"] == b.code);
    CHECK(c.PendingNonce(b.org) == nonce);
    CHECK(c.Tip() == before);
    // Never admitted: unknown (or, if the node remembers admission rejects, rejected for this).
    const RawResponse st = c.Get("/v1/tx/" + TxId(tx.body).ToHex());
    if (st.status == 200) {
      CHECK(st.Json()["status"] == "rejected");
      CHECK(st.Json()["reject"]["code"] == b.code);
    } else {
      CHECK(st.status == 404);
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // several block intervals
  CHECK(c.Tip() == before);
  CHECK(c.GetJson("/v1/status")["mempool_size"] == 0);

  // Each reject was counted under its reason.
  const RawResponse metrics = c.Get("/metrics");
  REQUIRE(metrics.status == 200);
  for (const BadTx& b : cases) {
    INFO(b.code);
    CHECK(metrics.body.find("circuledger_tx_rejected_total{reason=\"" + b.code + "\"}") !=
          std::string::npos);
  }
  // The objects the rejects aimed at are as they were.
  const json ore2 = c.GetJson("/v1/lots/ore-2");
  CHECK(ore2["owner"] == "mine");
  CHECK(ore2["status"] == "active");
  const json bat1 = c.GetJson("/v1/products/bat-1");
  CHECK(bat1["repair_count"] == 0);
  CHECK(bat1["attestations"].empty());
  CHECK(c.GetJson("/v1/products/bat-2")["status"] == "collected");
  CHECK(c.Get("/v1/lots/x1").status == 404);

  // A transaction ahead of its signer's nonce is admitted unchecked; when its turn comes in a
  // block and it is invalid, it is left out and GET /v1/tx reports why.
  const uint64_t next = c.PendingNonce("mine");
  const Tx later = c.Sign("mine", Transfer{"no-such-lot", "refinery"}, next + 1);
  const RawResponse admitted = c.Submit(later);
  INFO(admitted.Describe());
  CHECK(admitted.status == 200);
  CHECK(admitted.Json()["status"] == "pending");
  const Tx now = c.Sign("mine", CreateLot{"ore-5", Comp({{"Co", 5}})}, next);
  REQUIRE(c.Submit(now).status == 200);
  CHECK(c.WaitFinal(TxId(now.body).ToHex())["status"] == "committed");
  const json rejected = c.WaitFinal(TxId(later.body).ToHex());
  CHECK(rejected["status"] == "rejected");
  CHECK(rejected["reject"]["code"] == "unknown-item");
  CHECK(c.PendingNonce("mine") == next + 1);
  CHECK(c.Tip().height == before.height + 1);
  CHECK(node.Stop() == 0);
}

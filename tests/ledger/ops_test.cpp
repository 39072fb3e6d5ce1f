// Each material operation of DESIGN.md section 3: its success and every reject it can give.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/test_chain.h"

using namespace circuledger::testkit;

namespace {

OutputLot Out(std::string id, std::string_view spec) { return OutputLot{std::move(id), Comp(spec)}; }

std::string RejectOf(const Status& s) { return s.RejectString(); }

// Expects the operation to be rejected with `reject` and the chain to stay exactly as it was.
void ExpectRejected(TestChain& c, const std::string& org, Op op, const std::string& reject) {
  const ChainTip before = c.store().Tip();
  const Status s = c.Apply(org, std::move(op));
  INFO(s.ToString());
  CHECK(RejectOf(s) == reject);
  CHECK(c.store().Tip() == before);
}

// A mine lot of cobalt and nickel, and a recycler's secondary cobalt, both sent to the refinery.
void SeedLots(TestChain& c) {
  REQUIRE(c.Apply("mine", CreateLot{"ore-1", Comp("Co:1000000:0,Ni:2000000:0")}).ok());
  REQUIRE(c.Apply("recycler", CreateLot{"rco-1", Comp("Co:500000:500000")}).ok());
  REQUIRE(c.Apply("mine", Transfer{"ore-1", "refinery"}).ok());
  REQUIRE(c.Apply("recycler", Transfer{"rco-1", "refinery"}).ok());
}

}  // namespace

TEST_CASE("create_lot: owner is the signer's org, recycled mass only from recyclers", "[ops]") {
  TestChain c;
  REQUIRE(c.Apply("mine", CreateLot{"urn:epc:id:sgtin:0614141.107346.2017", Comp("Co:1000:0")}).ok());
  auto lot = c.GetLot("urn:epc:id:sgtin:0614141.107346.2017");
  REQUIRE(lot);
  CHECK(lot->owner == "mine");
  CHECK(lot->custody == Custody::kNone);
  CHECK(lot->status == LotStatus::kActive);

  REQUIRE(c.Apply("recycler", CreateLot{"r-1", Comp("Co:1000:400")}).ok());
  CHECK(c.GetLot("r-1")->custody == Custody::kRecycled);

  ExpectRejected(c, "mine", CreateLot{"m-2", Comp("Co:1000:1")}, "recycled-not-allowed");
  ExpectRejected(c, "oem", CreateLot{"m-3", Comp("Co:1000:1")}, "recycled-not-allowed");
  ExpectRejected(c, "mine", CreateLot{"r-1", Comp("Co:1:0")}, "id-exists");
  ExpectRejected(c, "collector", CreateLot{"c-1", Comp("Co:1:0")}, "role-not-allowed");
  ExpectRejected(c, "regulator", CreateLot{"c-2", Comp("Co:1:0")}, "role-not-allowed");
  ExpectRejected(c, "mine", CreateLot{"bad id", Comp("Co:1:0")}, "bad-id");
  ExpectRejected(c, "mine", CreateLot{"", Comp("Co:1:0")}, "bad-id");
  ExpectRejected(c, "mine", CreateLot{"x", Composition{}}, "bad-composition");
  ExpectRejected(c, "mine", CreateLot{"x", Comp("Co:0:0")}, "bad-composition");
  ExpectRejected(c, "recycler", CreateLot{"x", Comp("Co:10:11")}, "bad-composition");
  ExpectRejected(c, "mine", CreateLot{"x", Comp("Co:1000000000000001:0")}, "bad-composition");
  Composition unsorted{{{"Ni", 1, 0}, {"Co", 1, 0}}};
  ExpectRejected(c, "mine", CreateLot{"x", unsorted}, "bad-composition");
  Composition dup{{{"Co", 1, 0}, {"Co", 1, 0}}};
  ExpectRejected(c, "mine", CreateLot{"x", dup}, "bad-composition");
  Composition badcode{{{"C o", 1, 0}}};
  ExpectRejected(c, "mine", CreateLot{"x", badcode}, "bad-composition");
}

TEST_CASE("transfer: only the owner, only to an active org", "[ops]") {
  TestChain c;
  REQUIRE(c.Apply("mine", CreateLot{"l-1", Comp("Co:1000:0")}).ok());
  ExpectRejected(c, "refinery", Transfer{"l-1", "refinery"}, "not-owner");  // someone else's lot
  ExpectRejected(c, "mine", Transfer{"l-1", "nobody"}, "unknown-org");
  ExpectRejected(c, "mine", Transfer{"nothing", "refinery"}, "unknown-item");
  ExpectRejected(c, "mine", Transfer{"l-1", "Bad Org"}, "bad-id");
  REQUIRE(c.Apply("mine", Transfer{"l-1", "refinery"}).ok());
  CHECK(c.GetLot("l-1")->owner == "refinery");
  ExpectRejected(c, "mine", Transfer{"l-1", "mine"}, "not-owner");
}

TEST_CASE("transform, controlled blending: the ledger computes the recycled share", "[ops]") {
  TestChain c;
  SeedLots(c);
  // In: Co 1,000,000 (0 recycled) + Co 500,000 (500,000 recycled) => R/T = 1/3 for Co.
  Transform t{{"ore-1", "rco-1"}, {Out("blend-1", "Co:900000:0,Ni:1500000:0"), Out("blend-2", "Co:600000:0")},
              Allocation::kControlledBlending, {}};
  REQUIRE(c.Apply("refinery", t).ok());
  auto b1 = c.GetLot("blend-1");
  auto b2 = c.GetLot("blend-2");
  CHECK(b1->composition.Recycled("Co") == 300000);  // floor(900000 * 500000 / 1500000)
  CHECK(b1->composition.Recycled("Ni") == 0);
  CHECK(b2->composition.Recycled("Co") == 200000);
  CHECK(b1->custody == Custody::kControlledBlending);
  CHECK(b1->parents == std::vector<std::string>{"ore-1", "rco-1"});
  CHECK(c.GetLot("ore-1")->status == LotStatus::kConsumed);
  CHECK(c.store().Children("ore-1", 10) == std::vector<std::string>{"blend-1", "blend-2"});
  CHECK(c.store().Parents("blend-2", 10) == std::vector<std::string>{"ore-1", "rco-1"});

  // Consuming a lot twice.
  ExpectRejected(c, "refinery", Transform{{"ore-1"}, {Out("again", "Co:1:0")}, {}, {}}, "lot-already-consumed");
}

TEST_CASE("transform: mass may not be created, per material", "[ops]") {
  TestChain c;
  SeedLots(c);
  // Total mass is conserved, but Co grows by 1 mg at Ni's expense: still refused.
  ExpectRejected(c, "refinery", Transform{{"ore-1", "rco-1"}, {Out("o", "Co:1500001:0,Ni:1999999:0")}, {}, {}},
                 "mass-created");
  ExpectRejected(c, "refinery", Transform{{"ore-1"}, {Out("o", "Co:1000000:0,Cu:1:0")}, {}, {}}, "mass-created");
  ExpectRejected(c, "refinery", Transform{{"ore-1"}, {Out("o", "Co:600000:0"), Out("p", "Co:400001:0")}, {}, {}},
                 "mass-created");
  // Declaring recycled mass in a controlled-blending output is a claim the ledger does not take.
  ExpectRejected(c, "refinery", Transform{{"rco-1"}, {Out("o", "Co:100:100")}, {}, {}}, "recycled-declared");
  ExpectRejected(c, "refinery", Transform{{"ore-1", "ore-1"}, {Out("o", "Co:1:0")}, {}, {}}, "duplicate-input");
  ExpectRejected(c, "refinery", Transform{{"ore-1"}, {Out("ore-1", "Co:1:0")}, {}, {}}, "duplicate-input");
  ExpectRejected(c, "refinery", Transform{{"ore-1"}, {Out("rco-1", "Co:1:0")}, {}, {}}, "id-exists");
  ExpectRejected(c, "refinery", Transform{{"nope"}, {Out("o", "Co:1:0")}, {}, {}}, "unknown-item");
  ExpectRejected(c, "mine", Transform{{"ore-1"}, {Out("o", "Co:1:0")}, {}, {}}, "not-owner");
  ExpectRejected(c, "refinery", Transform{{"ore-1"}, {}, {}, {}}, "too-many-items");
  // Exactly the input mass is fine.
  REQUIRE(c.Apply("refinery", Transform{{"ore-1"}, {Out("o", "Co:1000000:0,Ni:2000000:0")}, {}, {}}).ok());
}

TEST_CASE("transform, mass balance: allocation bounded by floor(R_in * T_out / T_in)", "[ops]") {
  TestChain c;
  SeedLots(c);
  // Co in: T=1,500,000 R=500,000. Out T=1,200,000: credit = floor(500000*1200000/1500000) = 400,000.
  const Op over = Transform{{"ore-1", "rco-1"}, {Out("mb-1", "Co:600000:400001"), Out("mb-2", "Co:600000:0")},
                            Allocation::kMassBalance, {}};
  ExpectRejected(c, "refinery", over, "recycled-over-allocation");
  const Op over_split = Transform{{"ore-1", "rco-1"},
                                  {Out("mb-1", "Co:600000:200001"), Out("mb-2", "Co:600000:200000")},
                                  Allocation::kMassBalance, {}};
  ExpectRejected(c, "refinery", over_split, "recycled-over-allocation");
  ExpectRejected(c, "refinery", Transform{{"ore-1"}, {Out("mb-1", "Co:10:11")}, Allocation::kMassBalance, {}},
                 "bad-composition");
  const Op exact = Transform{{"ore-1", "rco-1"}, {Out("mb-1", "Co:600000:400000"), Out("mb-2", "Co:600000:0")},
                             Allocation::kMassBalance, {}};
  REQUIRE(c.Apply("refinery", exact).ok());
  CHECK(c.GetLot("mb-1")->composition.Recycled("Co") == 400000);
  CHECK(c.GetLot("mb-1")->custody == Custody::kMassBalance);
  CHECK(c.GetLot("mb-2")->custody == Custody::kNone);
}

TEST_CASE("assemble: manufacturer only, products from lots and sub-assemblies", "[ops]") {
  TestChain c;
  REQUIRE(c.Apply("recycler", CreateLot{"rco", Comp("Co:400000:400000")}).ok());
  REQUIRE(c.Apply("recycler", Transfer{"rco", "oem"}).ok());
  REQUIRE(c.Apply("mine", CreateLot{"co", Comp("Co:600000:0,Li:300000:0")}).ok());
  REQUIRE(c.Apply("mine", Transfer{"co", "oem"}).ok());
  Assemble a;
  a.inputs = {"co", "rco"};
  a.product = NewProduct{"battery-1", "battery.ev", "EVB-75", Comp("Co:900000:0,Li:300000:0"),
                         {{"capacity_wh", 75000}, {"spare_parts_years", 10}}};
  a.leftovers = {Out("scrap", "Co:100000:0")};
  ExpectRejected(c, "mine", a, "role-not-allowed");
  NewProduct heavy = a.product;
  heavy.composition = Comp("Co:900001:0,Li:300000:0");
  Assemble a_heavy = a;
  a_heavy.product = heavy;
  ExpectRejected(c, "oem", a_heavy, "mass-created");
  Assemble a_attr = a;
  a_attr.product.attributes = {{"spare_parts_years", 10}, {"capacity_wh", 75000}};
  ExpectRejected(c, "oem", a_attr, "bad-attribute");
  Assemble a_cat = a;
  a_cat.product.category = "Battery EV";
  ExpectRejected(c, "oem", a_cat, "bad-id");

  REQUIRE(c.Apply("oem", a).ok());
  auto p = c.GetProduct("battery-1");
  REQUIRE(p);
  CHECK(p->composition.Recycled("Co") == 360000);  // floor(900000 * 400000 / 1000000)
  CHECK(p->manufacturer == "oem");
  CHECK(p->owner == "oem");
  CHECK(p->status == ProductStatus::kActive);
  CHECK(c.GetLot("scrap")->composition.Recycled("Co") == 40000);
  ExpectRejected(c, "oem", a, "lot-already-consumed");

  // A sub-assembly: the battery goes into a vehicle and becomes incorporated.
  REQUIRE(c.Apply("mine", CreateLot{"steel", Comp("Fe:1000000000:0")}).ok());
  REQUIRE(c.Apply("mine", Transfer{"steel", "oem"}).ok());
  Assemble car;
  car.inputs = {"battery-1", "steel"};
  car.product = NewProduct{"car-1", "vehicle.ev", "EV-1", Comp("Co:900000:0,Fe:1000000000:0,Li:300000:0"), {}};
  ExpectRejected(c, "oem", Assemble{car.inputs, NewProduct{"battery-1", "x", "m", Comp("Co:1:0"), {}}, {}, {}, {}},
                 "duplicate-input");
  REQUIRE(c.Apply("oem", car).ok());
  CHECK(c.GetProduct("battery-1")->status == ProductStatus::kIncorporated);
  CHECK(c.GetProduct("car-1")->composition.Recycled("Co") == 360000);
  ExpectRejected(c, "oem", Transfer{"battery-1", "mine"}, "bad-status");
}

TEST_CASE("repair: parts out become lots, parts in are consumed, history grows", "[ops]") {
  TestChain c;
  REQUIRE(c.Apply("recycler", CreateLot{"rco", Comp("Co:250000:250000")}).ok());
  REQUIRE(c.Apply("recycler", Transfer{"rco", "oem"}).ok());
  REQUIRE(c.Apply("mine", CreateLot{"co", Comp("Co:750000:0,Ni:100000:0")}).ok());
  REQUIRE(c.Apply("mine", Transfer{"co", "oem"}).ok());
  REQUIRE(c.Apply("oem", Assemble{{"co", "rco"}, NewProduct{"b", "battery.ev", "m", Comp("Co:1000000:0,Ni:100000:0"), {}},
                                  {}, {}, {}}).ok());
  REQUIRE(c.Apply("oem", Transfer{"b", "fixit"}).ok());  // sold to a repair shop's customer chain
  REQUIRE(c.Apply("mine", CreateLot{"module", Comp("Co:200000:0")}).ok());
  REQUIRE(c.Apply("mine", Transfer{"module", "fixit"}).ok());

  ExpectRejected(c, "fixit", Repair{"b", {Out("old", "Co:1000001:0")}, {}}, "removed-exceeds-content");
  ExpectRejected(c, "fixit", Repair{"b", {Out("old", "Cu:1:0")}, {}}, "removed-exceeds-content");
  ExpectRejected(c, "fixit", Repair{"b", {Out("old", "Co:10:10")}, {}}, "recycled-declared");
  ExpectRejected(c, "fixit", Repair{"b", {}, {"co"}}, "lot-already-consumed");
  ExpectRejected(c, "fixit", Repair{"b", {}, {}}, "too-many-items");
  ExpectRejected(c, "fixit", Repair{"nope", {Out("old", "Co:1:0")}, {}}, "unknown-item");
  ExpectRejected(c, "mine", Repair{"b", {Out("old", "Co:1:0")}, {}}, "role-not-allowed");
  ExpectRejected(c, "fixit", Repair{"b", {Out("old", "Co:1000000:0,Ni:100000:0")}, {}}, "bad-composition");

  REQUIRE(c.Apply("fixit", Repair{"b", {Out("old-module", "Co:200000:0")}, {"module"}}).ok());
  auto p = c.GetProduct("b");
  CHECK(p->repairs.size() == 1);
  CHECK(p->repairs[0].repairer == "fixit");
  CHECK(p->composition.Total("Co") == 1000000);
  CHECK(p->composition.Recycled("Co") == 200000);  // 250000 - floor(200000 * 250000 / 1000000)
  auto old = c.GetLot("old-module");
  CHECK(old->owner == "fixit");
  CHECK(old->composition.Recycled("Co") == 50000);
  CHECK(old->parents == std::vector<std::string>{"b"});
  CHECK(c.GetLot("module")->status == LotStatus::kConsumed);
  CHECK(c.store().Parents("b", 10) == std::vector<std::string>{"co", "module", "rco"});
}

TEST_CASE("repair: the owner repairs its product; another repairer only with the owner's authorization",
          "[ops][authorize]") {
  TestChain c;
  REQUIRE(c.Apply("mine", CreateLot{"co", Comp("Co:1000000:0")}).ok());
  REQUIRE(c.Apply("mine", Transfer{"co", "oem"}).ok());
  REQUIRE(c.Apply("oem", Assemble{{"co"}, NewProduct{"b", "battery.ev", "m", Comp("Co:1000000:0"), {}}, {}, {}, {}}).ok());
  const Repair take_out{"b", {Out("part-1", "Co:1:0")}, {}};
  // A repairer that does not own the product, without a grant.
  ExpectRejected(c, "fixit", take_out, "repair-not-authorized");
  ExpectRejected(c, "mine", take_out, "role-not-allowed");

  const uint64_t expiry = c.NextTime() + 3'600'000;
  ExpectRejected(c, "fixit", AuthorizeRepair{"b", "fixit", expiry}, "not-owner");
  ExpectRejected(c, "oem", AuthorizeRepair{"b", "mine", expiry}, "receiver-not-allowed");  // not a repairer
  ExpectRejected(c, "oem", AuthorizeRepair{"b", "ghost", expiry}, "unknown-org");
  ExpectRejected(c, "oem", AuthorizeRepair{"b", "fixit", c.NextTime()}, "bad-expiry");
  ExpectRejected(c, "oem", AuthorizeRepair{"nope", "fixit", expiry}, "unknown-item");
  ExpectRejected(c, "oem", AuthorizeRepair{"b", "Fix It", expiry}, "bad-id");
  ExpectRejected(c, "oem", RevokeRepair{"b", "fixit"}, "unknown-item");  // nothing to revoke

  REQUIRE(c.Apply("oem", AuthorizeRepair{"b", "fixit", expiry}).ok());
  REQUIRE(c.Apply("fixit", take_out).ok());
  CHECK(c.GetLot("part-1")->owner == "fixit");
  CHECK(c.GetProduct("b")->repairs.back().repairer == "fixit");
  // The owner itself needs no grant.
  REQUIRE(c.Apply("oem", Repair{"b", {Out("part-2", "Co:1:0")}, {}}).ok());

  // Revoked: refused again.
  ExpectRejected(c, "fixit", RevokeRepair{"b", "fixit"}, "not-owner");
  REQUIRE(c.Apply("oem", RevokeRepair{"b", "fixit"}).ok());
  ExpectRejected(c, "fixit", Repair{"b", {Out("part-3", "Co:1:0")}, {}}, "repair-not-authorized");

  // Granted again, then expired at block time.
  const uint64_t short_expiry = c.NextTime() + 10'000;
  REQUIRE(c.Apply("oem", AuthorizeRepair{"b", "fixit", short_expiry}).ok());
  c.SetNextTime(short_expiry - 1);
  REQUIRE(c.Apply("fixit", Repair{"b", {Out("part-3", "Co:1:0")}, {}}).ok());
  c.SetNextTime(short_expiry);
  ExpectRejected(c, "fixit", Repair{"b", {Out("part-4", "Co:1:0")}, {}}, "repair-not-authorized");

  // A grant of a former owner does not count: the buyer decides who repairs.
  REQUIRE(c.Apply("oem", AuthorizeRepair{"b", "fixit", c.NextTime() + 3'600'000}).ok());
  REQUIRE(c.Apply("oem", Transfer{"b", "cellmaker"}).ok());
  ExpectRejected(c, "fixit", Repair{"b", {Out("part-4", "Co:1:0")}, {}}, "repair-not-authorized");
  REQUIRE(c.Apply("cellmaker", Repair{"b", {Out("part-4", "Co:1:0")}, {}}).ok());
}

TEST_CASE("end_of_life, recycle and dispose", "[ops]") {
  TestChain c;
  REQUIRE(c.Apply("mine", CreateLot{"co", Comp("Co:1000000:0,Li:100000:0")}).ok());
  REQUIRE(c.Apply("mine", Transfer{"co", "oem"}).ok());
  REQUIRE(c.Apply("oem", Assemble{{"co"}, NewProduct{"b", "battery.ev", "m", Comp("Co:1000000:0,Li:100000:0"), {}},
                                  {}, {}, {}}).ok());
  ExpectRejected(c, "recycler", Recycle{{"b"}, {Out("s", "Co:1:0")}}, "bad-status");  // not collected yet
  ExpectRejected(c, "oem", EndOfLife{"b", "mine"}, "receiver-not-allowed");
  ExpectRejected(c, "mine", EndOfLife{"b", "collector"}, "not-owner");
  ExpectRejected(c, "oem", EndOfLife{"b", "ghost"}, "unknown-org");
  REQUIRE(c.Apply("oem", EndOfLife{"b", "collector"}).ok());
  CHECK(c.GetProduct("b")->status == ProductStatus::kCollected);
  CHECK(c.GetProduct("b")->owner == "collector");
  ExpectRejected(c, "collector", EndOfLife{"b", "recycler"}, "bad-status");
  ExpectRejected(c, "collector", Recycle{{"b"}, {Out("s", "Co:1:0")}}, "role-not-allowed");
  // A collected product moves on only to collectors and recyclers.
  ExpectRejected(c, "collector", Transfer{"b", "oem"}, "receiver-not-allowed");
  REQUIRE(c.Apply("collector", Transfer{"b", "recycler"}).ok());
  CHECK(c.GetProduct("b")->status == ProductStatus::kCollected);
  REQUIRE(c.Apply("recycler", Transfer{"b", "collector"}).ok());
  REQUIRE(c.Apply("collector", Dispose{"b"}).ok());
  CHECK(c.GetProduct("b")->status == ProductStatus::kDisposed);
  ExpectRejected(c, "collector", Dispose{"b"}, "bad-status");
}

TEST_CASE("recycle: outputs are fully recycled, recovery recorded per material", "[ops]") {
  TestChain c;
  REQUIRE(c.Apply("mine", CreateLot{"co", Comp("Co:1000000:0,Li:100000:0")}).ok());
  REQUIRE(c.Apply("mine", Transfer{"co", "oem"}).ok());
  REQUIRE(c.Apply("oem", Assemble{{"co"}, NewProduct{"b", "battery.ev", "m", Comp("Co:1000000:0,Li:100000:0"), {}},
                                  {}, {}, {}}).ok());
  REQUIRE(c.Apply("oem", EndOfLife{"b", "recycler"}).ok());
  ExpectRejected(c, "recycler", Recycle{{"b"}, {Out("s", "Co:1000001:0")}}, "mass-created");
  ExpectRejected(c, "recycler", Recycle{{"b"}, {Out("s", "Co:10:10")}}, "recycled-declared");
  ExpectRejected(c, "oem", Recycle{{"b"}, {Out("s", "Co:1:0")}}, "role-not-allowed");
  ExpectRejected(c, "recycler", Recycle{{"b"}, {}}, "too-many-items");
  const Tx tx = c.Sign("recycler", Recycle{{"b"}, {Out("s-co", "Co:950000:0"), Out("s-li", "Li:50000:0")}});
  REQUIRE(c.Commit(tx).ok());
  c.member("recycler").nonce++;
  CHECK(c.GetProduct("b")->status == ProductStatus::kRecycled);
  auto s = c.GetLot("s-co");
  CHECK(s->composition.Recycled("Co") == 950000);
  CHECK(s->custody == Custody::kRecycled);
  CHECK(s->owner == "recycler");
  WorkingState st(c.store());
  const RecyclingRecord* rec = st.GetRecycling(TxId(tx.body));
  REQUIRE(rec);
  REQUIRE(rec->materials.size() == 2);
  CHECK(rec->materials[0].material == "Co");
  CHECK(rec->materials[0].input_mg == 1000000);
  CHECK(rec->materials[0].recovered_mg == 950000);
  CHECK(rec->materials[1].recovered_mg == 50000);
  ExpectRejected(c, "recycler", Recycle{{"b"}, {Out("s2", "Co:1:0")}}, "bad-status");
  // Recycled material may be recycled further (black mass refined): it is recycled already.
  REQUIRE(c.Apply("recycler", Recycle{{"s-co"}, {Out("co-refined", "Co:900000:0")}}).ok());
  CHECK(c.GetLot("co-refined")->composition.Recycled("Co") == 900000);
}

// Issue 17: virgin cobalt bought from a mine became 100% recycled cobalt in one recycle.
TEST_CASE("recycle: a lot that is not waste is refused (not-waste), changing nothing", "[ops]") {
  TestChain c;
  REQUIRE(c.Apply("mine", CreateLot{"v1", Comp("Co:5000000:0")}).ok());
  REQUIRE(c.Apply("mine", Transfer{"v1", "recycler"}).ok());
  ExpectRejected(c, "recycler", Recycle{{"v1"}, {Out("l1", "Co:5000000:0")}}, "not-waste");
  CHECK(c.GetLot("v1")->status == LotStatus::kActive);
  CHECK_FALSE(c.GetLot("l1"));
  // Nor a recycler's own lot without recycled mass (its own "scrap" with no origin on the ledger).
  REQUIRE(c.Apply("recycler", CreateLot{"own", Comp("Cu:1000:0")}).ok());
  ExpectRejected(c, "recycler", Recycle{{"own"}, {Out("cu", "Cu:900:0")}}, "not-waste");
  // Nor a transform's ordinary output: only what it declared as scrap.
  REQUIRE(c.Apply("refinery", CreateLot{"ore", Comp("Co:1000:0")}).ok());
  REQUIRE(c.Apply("refinery", Transform{{"ore"}, {Out("co-out", "Co:800:0")}, {}, {Out("co-scrap", "Co:200:0")}}).ok());
  REQUIRE(c.Apply("refinery", Transfer{"co-out", "recycler"}).ok());
  ExpectRejected(c, "recycler", Recycle{{"co-out"}, {Out("x", "Co:800:0")}}, "not-waste");
}

TEST_CASE("scrap: a transform's and an assembly's declared scrap is pre-consumer waste a recycler takes", "[ops]") {
  TestChain c;
  REQUIRE(c.Apply("refinery", CreateLot{"ore", Comp("Co:1000:0,Ni:500:0")}).ok());
  // Mass balance counts scrap as an output: 800 + 201 Co > 1000 creates mass.
  ExpectRejected(c, "refinery", Transform{{"ore"}, {Out("a", "Co:800:0")}, {}, {Out("s", "Co:201:0")}}, "mass-created");
  // Scrap ids are output ids: distinct from the outputs and the inputs.
  ExpectRejected(c, "refinery", Transform{{"ore"}, {Out("a", "Co:800:0")}, {}, {Out("a", "Co:200:0")}}, "duplicate-input");
  ExpectRejected(c, "refinery", Transform{{"ore"}, {}, {}, {Out("s", "Co:200:0")}}, "too-many-items");
  REQUIRE(c.Apply("refinery", Transform{{"ore"}, {Out("a", "Co:800:0,Ni:500:0")}, {}, {Out("s", "Co:200:0")}}).ok());
  CHECK(c.GetLot("a")->waste == WasteOrigin::kNone);
  CHECK(c.GetLot("s")->waste == WasteOrigin::kPreConsumer);
  CHECK(c.GetLot("s")->parents == std::vector<std::string>{"ore"});
  // An assembly's scrap: beside the product and its leftovers.
  REQUIRE(c.Apply("refinery", Transfer{"a", "oem"}).ok());
  REQUIRE(c.Apply("oem", Assemble{{"a"}, NewProduct{"p", "battery.ev", "m", Comp("Co:700:0,Ni:500:0"), {}},
                                  {Out("left", "Co:50:0")}, {}, {Out("cell-scrap", "Co:50:0")}}).ok());
  CHECK(c.GetLot("left")->waste == WasteOrigin::kNone);
  CHECK(c.GetLot("cell-scrap")->waste == WasteOrigin::kPreConsumer);
  REQUIRE(c.Apply("refinery", Transfer{"s", "recycler"}).ok());
  REQUIRE(c.Apply("oem", Transfer{"cell-scrap", "recycler"}).ok());
  REQUIRE(c.Apply("recycler", Recycle{{"s", "cell-scrap"}, {Out("r", "Co:240:0")}}).ok());
  CHECK(c.GetLot("r")->composition.Recycled("Co") == 240);
  CHECK(c.GetLot("r")->custody == Custody::kRecycled);
}

TEST_CASE("repair: removed parts are post-consumer waste a recycler takes", "[ops]") {
  TestChain c;
  REQUIRE(c.Apply("mine", CreateLot{"co", Comp("Co:1000:0")}).ok());
  REQUIRE(c.Apply("mine", Transfer{"co", "oem"}).ok());
  REQUIRE(c.Apply("oem", Assemble{{"co"}, NewProduct{"b", "battery.ev", "m", Comp("Co:1000:0"), {}}, {}, {}, {}}).ok());
  REQUIRE(c.Apply("oem", Repair{"b", {Out("worn", "Co:100:0")}, {}}).ok());
  CHECK(c.GetLot("worn")->waste == WasteOrigin::kPostConsumer);
  REQUIRE(c.Apply("oem", Transfer{"worn", "recycler"}).ok());
  REQUIRE(c.Apply("recycler", Recycle{{"worn"}, {Out("r", "Co:90:0")}}).ok());
  CHECK(c.GetLot("r")->composition.Recycled("Co") == 90);
}

TEST_CASE("attest: certifiers and regulators attach attestations", "[ops]") {
  TestChain c;
  REQUIRE(c.Apply("mine", CreateLot{"co", Comp("Co:1:0")}).ok());
  ExpectRejected(c, "mine", Attest{"co", "iso14001", "cert-1", 0}, "role-not-allowed");
  ExpectRejected(c, "certifier", Attest{"nope", "iso14001", "cert-1", 0}, "unknown-item");
  ExpectRejected(c, "certifier", Attest{"co", "ISO 14001", "cert-1", 0}, "bad-id");
  ExpectRejected(c, "certifier", Attest{"co", "iso14001", "cert-1", 1}, "bad-expiry");
  REQUIRE(c.Apply("certifier", Attest{"co", "iso14001", "cert-1", 0}).ok());
  REQUIRE(c.Apply("regulator", Attest{"co", "audit", "https://example.org/a/1", c.NextTime() + 86400000}).ok());
  auto lot = c.GetLot("co");
  REQUIRE(lot->attestations.size() == 2);
  CHECK(lot->attestations[0].issuer == "certifier");
  CHECK(lot->attestations[1].issuer == "regulator");
}

TEST_CASE("dispose: lots and products, owner only, terminal", "[ops]") {
  TestChain c;
  REQUIRE(c.Apply("mine", CreateLot{"co", Comp("Co:1:0")}).ok());
  ExpectRejected(c, "refinery", Dispose{"co"}, "not-owner");
  REQUIRE(c.Apply("mine", Dispose{"co"}).ok());
  CHECK(c.GetLot("co")->status == LotStatus::kDisposed);
  ExpectRejected(c, "mine", Dispose{"co"}, "lot-already-consumed");
  ExpectRejected(c, "mine", Transfer{"co", "refinery"}, "lot-already-consumed");
  ExpectRejected(c, "mine", Dispose{"ghost"}, "unknown-item");
}

TEST_CASE("envelope: nonces, signatures, chain id, signer", "[ops]") {
  TestChain c;
  REQUIRE(c.Apply("mine", CreateLot{"a", Comp("Co:1:0")}).ok());
  // Replayed nonce: nonce 0 again.
  CHECK(c.Commit(c.Sign("mine", CreateLot{"b", Comp("Co:1:0")}, 0)).RejectString() == "bad-nonce");
  // Skipped nonce: 2 when 1 is next.
  CHECK(c.Commit(c.Sign("mine", CreateLot{"b", Comp("Co:1:0")}, 2)).RejectString() == "bad-nonce");
  // Replaying the very same signed transaction.
  const Tx first = c.Sign("mine", CreateLot{"b", Comp("Co:1:0")});
  REQUIRE(c.Commit(first).ok());
  c.member("mine").nonce++;
  CHECK(c.Commit(first).RejectString() == "bad-nonce");
  // A flipped signature bit.
  Tx flipped = c.Sign("mine", CreateLot{"c", Comp("Co:1:0")});
  flipped.sig.bytes[10] ^= 0x01;
  CHECK(c.Commit(flipped).RejectString() == "bad-signature");
  // A flipped body bit after signing.
  Tx changed = c.Sign("mine", CreateLot{"c", Comp("Co:1:0")});
  std::get<CreateLot>(changed.body.op).composition.entries[0].total_mg = 2;
  CHECK(c.Commit(changed).RejectString() == "bad-signature");
  // Wrong genesis hash (signed correctly, for another chain).
  TxBody body;
  body.genesis_hash = TaggedHash("other", "chain");
  body.signer = c.member("mine").pub;
  body.nonce = c.member("mine").nonce;
  body.op = CreateLot{"c", Comp("Co:1:0")};
  CHECK(c.Commit(SignTx(body, c.member("mine").key)).RejectString() == "wrong-chain");
  // A key that belongs to no org.
  const SecretKey stranger = KeyFor("stranger");
  body.genesis_hash = c.genesis_hash();
  body.signer = stranger.Public();
  body.nonce = 0;
  CHECK(c.Commit(SignTx(body, stranger)).RejectString() == "unknown-signer");
  // Nothing of the rejected ones landed.
  CHECK_FALSE(c.GetLot("c"));
  REQUIRE(c.Apply("mine", CreateLot{"c", Comp("Co:1:0")}).ok());
}

TEST_CASE("every reject string is documented in ledger/REJECTS.md", "[ops]") {
  std::ifstream in(CIRCULEDGER_SOURCE_DIR "/ledger/REJECTS.md");
  REQUIRE(in);
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (uint8_t i = 1; i < circuledger::ledger::RejectCount(); ++i) {
    const std::string text(RejectInfoOf(static_cast<Reject>(i)).text);
    INFO(text);
    CHECK(doc.find("`" + text + "`") != std::string::npos);
  }
}

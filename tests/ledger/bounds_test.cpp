// Every state object has a bounded size, checked when it is written (issue 16, item 4): a
// transaction that would make an object unreadable is refused with a reject string, and the
// object stays readable.
#include <catch2/catch.hpp>

#include "ledger/limits.h"
#include "tests/support/test_chain.h"

using namespace circuledger::testkit;
namespace L = circuledger::ledger::limits;

namespace {

OutputLot Out(std::string id, std::string_view spec) { return OutputLot{std::move(id), Comp(spec)}; }

// An item id of the longest allowed length, unique per (prefix, a, b).
std::string LongId(const std::string& prefix, size_t a, size_t b) {
  std::string id = prefix + "-" + std::to_string(a) + "-" + std::to_string(b) + "-";
  id.resize(L::kMaxIdLen, 'x');
  return id;
}

// "M00:1:0,M01:1:0,..." : `n` materials of 1 mg each, sorted.
std::string ManyMaterials(size_t n, const std::string& prefix) {
  std::string spec;
  for (size_t i = 0; i < n; ++i) {
    if (!spec.empty()) spec += ",";
    spec += prefix + (i < 10 ? "0" : "") + std::to_string(i) + ":1000:0";
  }
  return spec;
}

// The same spec with every material wholly recycled ("X:1000:0" -> "X:1000:1000").
std::string Recycled(std::string spec) {
  for (size_t at = spec.find(":1000:0"); at != std::string::npos; at = spec.find(":1000:0", at + 1)) {
    spec.replace(at, 7, ":1000:1000");
  }
  return spec;
}

}  // namespace

TEST_CASE("bounds: a repair that would give a product more than 64 materials is refused; it stays readable",
          "[ops][bounds]") {
  TestChain c;
  REQUIRE(c.Apply("oem", CreateLot{"body", Comp(ManyMaterials(L::kMaxMaterials, "M"))}).ok());
  REQUIRE(c.Apply("oem", Assemble{{"body"}, NewProduct{"p", "battery.ev", "m", Comp(ManyMaterials(L::kMaxMaterials, "M")), {}},
                                  {}, {}, {}}).ok());
  REQUIRE(c.Apply("oem", CreateLot{"part", Comp("Zn:5:0")}).ok());
  const Status s = c.Apply("oem", Repair{"p", {Out("old", "M00:1:0")}, {"part"}});
  CHECK(s.RejectString() == "too-many-materials");
  const std::optional<Product> p = c.GetProduct("p");  // throws StorageError when unreadable
  REQUIRE(p);
  CHECK(p->composition.entries.size() == L::kMaxMaterials);
  CHECK(p->repairs.empty());
  CHECK(c.GetLot("part")->status == LotStatus::kActive);
  // The same part replacing a whole material keeps the count at 64: accepted.
  REQUIRE(c.Apply("oem", Repair{"p", {Out("old", "M00:1000:0")}, {"part"}}).ok());
  CHECK(c.GetProduct("p")->composition.Total("Zn") == 5);
}

TEST_CASE("bounds: a recycling of more than 64 materials in total is refused; its record would not read back",
          "[ops][bounds]") {
  TestChain c;
  // Recycled material a recycler holds (recycling takes only waste or recycled material).
  REQUIRE(c.Apply("recycler", CreateLot{"a", Comp(Recycled(ManyMaterials(L::kMaxMaterials, "A")))}).ok());
  REQUIRE(c.Apply("recycler", CreateLot{"b", Comp(Recycled(ManyMaterials(1, "B")))}).ok());
  const Status s = c.Apply("recycler", Recycle{{"a", "b"}, {Out("s", "A00:1:0")}});
  CHECK(s.RejectString() == "too-many-materials");
  CHECK(c.GetLot("a")->status == LotStatus::kActive);
  REQUIRE(c.Apply("recycler", Recycle{{"a"}, {Out("s", "A00:1:0")}}).ok());
}

TEST_CASE("bounds: repair history grows a product to the 4 MiB object limit and no further; it stays readable",
          "[ops][bounds]") {
  TestChain c;
  // Each round: the owner splits its stock into 63 lots with the longest ids, then repairs the
  // product with them, taking out 64 parts with the longest ids: about 25 KB of history each.
  REQUIRE(c.Apply("oem", CreateLot{"stock-0", Comp("Co:100000000:0")}).ok());
  REQUIRE(c.Apply("oem", CreateLot{"body", Comp("Co:100000000:0")}).ok());
  REQUIRE(c.Apply("oem", Assemble{{"body"}, NewProduct{"p", "battery.ev", "m", Comp("Co:100000000:0"), {}}, {}, {}, {}}).ok());
  constexpr size_t kRoundsPerBlock = 16;
  size_t round = 0;
  std::optional<Status> refused;
  while (!refused && round < L::kMaxRepairs) {
    std::vector<Tx> txs;
    for (size_t i = 0; i < kRoundsPerBlock; ++i, ++round) {
      Transform split;
      split.inputs = {"stock-" + std::to_string(round)};
      Repair repair;
      repair.product = "p";
      for (size_t j = 0; j + 1 < L::kMaxOutputs; ++j) {
        split.outputs.push_back(Out(LongId("in", round, j), "Co:1:0"));
        repair.added.push_back(split.outputs.back().id);
      }
      split.outputs.push_back(Out("stock-" + std::to_string(round + 1), "Co:" + std::to_string(100000000 - 63 * (round + 1)) + ":0"));
      for (size_t j = 0; j < L::kMaxOutputs; ++j) repair.removed.push_back(Out(LongId("out", round, j), "Co:1:0"));
      txs.push_back(c.Sign("oem", split, c.member("oem").nonce + 2 * i));
      txs.push_back(c.Sign("oem", repair, c.member("oem").nonce + 2 * i + 1));
    }
    Result<BuiltBlock> built = c.CommitBlock(txs);
    REQUIRE(built.ok());
    c.member("oem").nonce += built->included.size();
    if (!built->rejected.empty()) {
      // The first refusal is a repair, for the object's size; what follows it fails on its nonce.
      const auto& [index, status] = built->rejected.front();
      CHECK(std::holds_alternative<Repair>(txs[index].body.op));
      refused = status;
    }
  }
  REQUIRE(refused);
  INFO(refused->ToString());
  CHECK(refused->RejectString() == "object-too-large");
  const std::optional<Product> p = c.GetProduct("p");  // throws StorageError when unreadable
  REQUIRE(p);
  CHECK(p->repairs.size() < L::kMaxRepairs);
  CHECK(Encode(*p).size() <= L::kMaxStateObjectBytes);
  CHECK(Encode(*p).size() > L::kMaxStateObjectBytes - 30 * 1024);  // the next round's 25 KB did not fit
}

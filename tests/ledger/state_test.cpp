// WorkingState: the executor's overlay on committed state. Reads, writes, the write set, the undo
// log of one transaction, and the shared item key of lots and products.
#include <catch2/catch.hpp>

#include <map>

#include "ledger/encoding.h"
#include "ledger/state.h"

using namespace circuledger::ledger;

namespace {

// Committed state held in a map; counts its reads.
class MapReader final : public StateReader {
 public:
  std::optional<std::string> Get(const std::string& key) const override {
    ++reads;
    auto it = values.find(key);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  std::map<std::string, std::string> values;
  mutable int reads = 0;
};

Lot MakeLot(const std::string& id, const std::string& owner) {
  Lot lot;
  lot.id = id;
  lot.owner = owner;
  lot.composition.entries.push_back(MaterialAmount{"Co", 1000, 0});
  return lot;
}

Product MakeProduct(const std::string& id) {
  Product p;
  p.id = id;
  p.category = "battery.ev";
  p.owner = "oem";
  return p;
}

PubKey Key(uint8_t b) {
  PubKey k;
  k.bytes.fill(b);
  return k;
}

}  // namespace

TEST_CASE("working state: reads absent keys once, writes only changed objects, sorted by key") {
  MapReader base;
  base.values[statekey::Account(Key(1))] = Encode(Account{"mine", 7, 0});
  WorkingState st(base);
  REQUIRE(st.GetAccount(Key(1)) != nullptr);
  CHECK(st.GetAccount(Key(1))->next_nonce == 7);
  CHECK(st.GetAccount(Key(2)) == nullptr);
  CHECK(st.GetAccount(Key(2)) == nullptr);
  CHECK(base.reads == 2);  // each key once, absent ones included
  CHECK(st.Writes().empty());  // read only

  st.PutLot(MakeLot("lot-b", "mine"));
  st.PutAccount(Key(2), Account{"mine", 1, 0});
  st.PutLot(MakeLot("lot-a", "mine"));
  const WriteSet w = st.Writes();
  REQUIRE(w.size() == 3);
  CHECK(std::is_sorted(w.begin(), w.end()));
  CHECK(w[0].first == statekey::Account(Key(2)));
  CHECK(w[1].first == statekey::Item("lot-a"));
  CHECK(w[2].first == statekey::Item("lot-b"));
}

TEST_CASE("working state: a rolled back transaction leaves nothing, whatever it wrote") {
  MapReader base;
  base.values[statekey::Account(Key(1))] = Encode(Account{"mine", 7, 0});
  WorkingState st(base);
  st.PutLot(MakeLot("kept", "mine"));  // outside any transaction: stays

  st.BeginTx();
  st.PutAccount(Key(1), Account{"mine", 8, 0});  // existed in the base, not read before
  st.PutAccount(Key(1), Account{"mine", 9, 0});  // written twice
  st.PutLot(MakeLot("new", "mine"));             // did not exist
  st.PutLot(MakeLot("kept", "refinery"));        // was written before the transaction
  st.AddEdge("kept", "new");
  CHECK(st.GetAccount(Key(1))->next_nonce == 9);
  st.RollbackTx();

  CHECK(st.GetAccount(Key(1))->next_nonce == 7);  // reloaded from the base
  CHECK(st.GetLot("new") == nullptr);
  CHECK(st.ItemExists("new") == false);
  REQUIRE(st.GetLot("kept") != nullptr);
  CHECK(st.GetLot("kept")->owner == "mine");
  CHECK(st.Edges().empty());
  const WriteSet w = st.Writes();
  REQUIRE(w.size() == 1);
  CHECK(w[0].first == statekey::Item("kept"));

  st.BeginTx();
  st.PutLot(MakeLot("new", "mine"));
  st.CommitTx();
  CHECK(st.Writes().size() == 2);
}

TEST_CASE("working state: objects read stay at their address while thousands more are added") {
  MapReader base;
  WorkingState st(base);
  st.PutLot(MakeLot("first", "mine"));
  const Lot* first = st.GetLot("first");
  for (int i = 0; i < 20000; ++i) st.PutLot(MakeLot("lot-" + std::to_string(i), "mine"));
  CHECK(st.GetLot("first") == first);
  CHECK(first->owner == "mine");
  for (int i = 0; i < 20000; i += 997) {
    REQUIRE(st.GetLot("lot-" + std::to_string(i)) != nullptr);
    CHECK(st.GetLot("lot-" + std::to_string(i))->id == "lot-" + std::to_string(i));
  }
  CHECK(st.Writes().size() == 20001);
}

TEST_CASE("working state: lots and products share one key, tagged with the kind") {
  MapReader base;
  base.values[statekey::Item("cell-1")] = EncodeItem(MakeProduct("cell-1"));
  base.values[statekey::Item("ore-1")] = EncodeItem(MakeLot("ore-1", "mine"));
  WorkingState st(base);
  CHECK(st.GetLot("cell-1") == nullptr);
  REQUIRE(st.GetProduct("cell-1") != nullptr);
  CHECK(st.GetProduct("cell-1")->category == "battery.ev");
  CHECK(st.GetProduct("ore-1") == nullptr);
  REQUIRE(st.GetLot("ore-1") != nullptr);
  CHECK(st.ItemExists("cell-1"));
  CHECK(st.ItemExists("ore-1"));
  CHECK_FALSE(st.ItemExists("nothing"));
  CHECK(base.reads == 3);  // one key per id, whichever kind is asked for

  st.PutProduct(MakeProduct("pack-1"));
  const WriteSet w = st.Writes();
  REQUIRE(w.size() == 1);
  CHECK(w[0].second[0] == 1);  // product
  CHECK(w[0].second.substr(1) == Encode(MakeProduct("pack-1")));
  CHECK(EncodeItem(MakeLot("x", "mine"))[0] == 0);  // lot

  Result<std::variant<Lot, Product>> back = DecodeItem(w[0].second);
  REQUIRE(back.ok());
  CHECK(std::get<Product>(*back) == MakeProduct("pack-1"));
}

TEST_CASE("working state: an item value of an unknown kind or a bad encoding is corruption") {
  std::string bad_kind = EncodeItem(MakeLot("x", "mine"));
  bad_kind[0] = 2;
  CHECK(DecodeItem(bad_kind).status().code() == Status::Code::kCorruption);
  CHECK(DecodeItem("").status().code() == Status::Code::kCorruption);
  std::string cut = EncodeItem(MakeLot("x", "mine"));
  cut.pop_back();
  CHECK(DecodeItem(cut).status().code() == Status::Code::kCorruption);

  MapReader base;
  base.values[statekey::Item("x")] = bad_kind;
  WorkingState st(base);
  CHECK_THROWS_AS(st.GetLot("x"), StorageError);
}

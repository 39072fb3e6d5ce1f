// The real rule sets in examples/rules/ compile, and decide the cases their articles describe.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "contracts/compiler.h"
#include "contracts/evaluator.h"
#include "contracts/time.h"
#include "fake_facts.h"

using namespace circuledger::contracts;
using circuledger::contracts::testing::FakeFacts;

namespace {

struct Loaded {
  std::string source;
  RuleSet set;
};

Loaded Load(const std::string& name) {
  const std::string path = std::string(CIRCULEDGER_SOURCE_DIR) + "/examples/rules/" + name;
  std::ifstream in(path);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  Loaded l{ss.str(), {}};
  auto r = Compile(l.source);
  if (auto* e = std::get_if<CompileError>(&r)) FAIL(path << ":" << e->ToString());
  l.set = std::get<RuleSet>(std::move(r));
  return l;
}

// Outcomes of the enforce rules of `set` in force at `time` for the facts' category, by rule id.
std::map<std::string, Outcome> InForce(const RuleSet& set, const FakeFacts& f, Trigger trigger) {
  std::map<std::string, Outcome> out;
  for (const Rule& r : set.rules) {
    if (r.trigger == trigger && r.InForceAt(f.time_ms) && r.AppliesTo(f.category)) out[r.id] = Evaluate(r, f);
  }
  return out;
}

}  // namespace

TEST_CASE("examples: EU Battery Regulation Art. 8 recycled content", "[contracts]") {
  const Loaded l = Load("eu-battery-2023-1542-art8.rules");
  FakeFacts ev;
  ev.category = "battery.ev";
  ev.materials["Co"] = {10'000'000, 1'600'000, 0};  // 16%
  ev.materials["Li"] = {5'000'000, 300'000, 0};     // 6%
  ev.materials["Ni"] = {40'000'000, 2'400'000, 0};  // 6%
  ev.time_ms = *ParseUtc("2031-08-18") - 1;
  CHECK(InForce(l.set, ev, Trigger::kAssemble).empty());
  ev.time_ms = *ParseUtc("2031-08-18");
  auto in_force = InForce(l.set, ev, Trigger::kAssemble);
  CHECK(in_force.size() == 4);
  for (const auto& [id, o] : in_force) {
    INFO(id);
    CHECK(o == Outcome::kPass);  // lead is absent: its rule passes
  }
  ev.materials["Co"].recycled -= 1;
  in_force = InForce(l.set, ev, Trigger::kAssemble);
  CHECK(std::count_if(in_force.begin(), in_force.end(), [](const auto& kv) { return kv.second == Outcome::kFail; }) == 1);
  // From 2036 the cobalt share rises to 26%.
  ev.time_ms = *ParseUtc("2036-08-18");
  ev.materials["Co"].recycled = 2'599'999;
  in_force = InForce(l.set, ev, Trigger::kAssemble);
  CHECK(in_force.size() == 4);
  CHECK(std::count_if(in_force.begin(), in_force.end(), [](const auto& kv) { return kv.second == Outcome::kFail; }) >= 1);
  // Portable batteries are outside Art. 8(2).
  ev.category = "battery.portable";
  CHECK(InForce(l.set, ev, Trigger::kAssemble).empty());
}

TEST_CASE("examples: EU Battery Regulation recovery targets on recycling", "[contracts]") {
  const Loaded l = Load("eu-battery-2023-1542-recovery.rules");
  FakeFacts batch;
  batch.category = "battery.ev";
  batch.materials["Li"] = {1'000'000, 0, 500'000};  // 50% recovered
  batch.materials["Co"] = {1'000'000, 0, 900'000};  // 90%
  batch.time_ms = *ParseUtc("2028-01-01");
  for (const auto& [id, o] : InForce(l.set, batch, Trigger::kRecycle)) {
    INFO(id);
    CHECK(o == Outcome::kPass);
  }
  batch.time_ms = *ParseUtc("2032-01-01");  // 80% and 95% from end of 2031
  size_t failed = 0;
  for (const auto& [id, o] : InForce(l.set, batch, Trigger::kRecycle)) failed += o == Outcome::kFail;
  CHECK(failed == 2);
}

TEST_CASE("examples: Single-Use Plastics Directive Art. 6(5) bottles", "[contracts]") {
  const Loaded l = Load("eu-sup-2019-904-art6.rules");
  FakeFacts bottle;
  bottle.category = "packaging.beverage-bottle";
  bottle.materials["PET"] = {20'000, 5'000, 0};  // 25%
  bottle.time_ms = *ParseUtc("2025-01-01");
  auto in_force = InForce(l.set, bottle, Trigger::kAssemble);
  REQUIRE(!in_force.empty());
  for (const auto& [id, o] : in_force) CHECK(o == Outcome::kPass);
  bottle.time_ms = *ParseUtc("2030-01-01");
  in_force = InForce(l.set, bottle, Trigger::kAssemble);
  CHECK(std::any_of(in_force.begin(), in_force.end(), [](const auto& kv) { return kv.second == Outcome::kFail; }));
}

TEST_CASE("examples: repairability rule", "[contracts]") {
  const Loaded l = Load("repairability.rules");
  FakeFacts phone;
  phone.category = "electronics.smartphone";
  phone.time_ms = *ParseUtc("2026-01-01");
  phone.attributes["spare_parts_years"] = 7;
  for (const auto& [id, o] : InForce(l.set, phone, Trigger::kAssemble)) CHECK(o == Outcome::kPass);
  phone.attributes["spare_parts_years"] = 6;
  auto in_force = InForce(l.set, phone, Trigger::kAssemble);
  REQUIRE(!in_force.empty());
  CHECK(std::any_of(in_force.begin(), in_force.end(), [](const auto& kv) { return kv.second == Outcome::kFail; }));
}

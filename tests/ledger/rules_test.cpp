// Rule sets on the ledger: register_rules, enforcement on assemble and recycle, versions,
// effective dates, exactness at the boundary, bounds and permissions (DESIGN.md 7).
#include <catch2/catch.hpp>

#include "contracts/limits.h"
#include "contracts/time.h"
#include "ledger/rules.h"
#include "tests/support/test_chain.h"

using namespace circuledger::testkit;
using circuledger::contracts::ParseUtc;

namespace {

const uint64_t k2031 = *ParseUtc("2031-08-18");

std::string CobaltRule(std::string_view id = "co-min", std::string_view extra = "", uint32_t version = 1,
                       std::string_view set = "test.battery") {
  return "ruleset \"" + std::string(set) + "\" version " + std::to_string(version) + "\nrule \"" + std::string(id) +
         "\" {\n  mode enforce\n  categories \"battery.*\"\n" + std::string(extra) +
         "  require mass(\"Co\") == 0 or recycled_share(\"Co\") >= 16%\n}\n";
}

// Gives oem a lot with `recycled` of 1,000,000 mg cobalt recycled (made by the recycler) plus
// virgin cobalt from the mine for the rest, each lot named after `tag`.
void CobaltLots(TestChain& c, const std::string& tag, uint64_t recycled) {
  REQUIRE(c.Apply("recycler", CreateLot{"r-" + tag, Comp("Co:" + std::to_string(recycled) + ":" + std::to_string(recycled))}).ok());
  REQUIRE(c.Apply("recycler", Transfer{"r-" + tag, "oem"}).ok());
  REQUIRE(c.Apply("mine", CreateLot{"v-" + tag, Comp("Co:" + std::to_string(1'000'000 - recycled) + ":0")}).ok());
  REQUIRE(c.Apply("mine", Transfer{"v-" + tag, "oem"}).ok());
}

Assemble Battery(const std::string& tag, std::string category = "battery.ev") {
  return Assemble{{"r-" + tag, "v-" + tag}, NewProduct{"bat-" + tag, std::move(category), "m", Comp("Co:1000000:0"), {}}, {}, {}, {}};
}

std::optional<RuleIndex> IndexOf(TestChain& c) {
  WorkingState st(c.store());
  const RuleIndex* i = st.GetRuleIndex();
  return i ? std::optional<RuleIndex>(*i) : std::nullopt;
}

void ExpectRejected(TestChain& c, const std::string& org, Op op, const std::string& reject) {
  const ChainTip before = c.store().Tip();
  const Status s = c.Apply(org, std::move(op));
  INFO(s.ToString());
  CHECK(s.RejectString() == reject);
  CHECK(c.store().Tip() == before);
}

}  // namespace

TEST_CASE("rules: only a regulator registers, a malformed rule set changes nothing", "[rules]") {
  TestChain c;
  ExpectRejected(c, "oem", RegisterRules{CobaltRule()}, "role-not-allowed");
  ExpectRejected(c, "certifier", RegisterRules{CobaltRule()}, "role-not-allowed");
  const Status bad = c.Apply("regulator", RegisterRules{"ruleset \"x\" version 1\nrule \"r\" { mode enforce }"});
  CHECK(bad.RejectString() == "rules-invalid");
  CHECK(bad.detail().find("2:") == 0);  // line:col of the error
  CHECK_FALSE(IndexOf(c));
  REQUIRE(c.Apply("regulator", RegisterRules{CobaltRule()}).ok());
  const std::optional<RuleIndex> index = IndexOf(c);
  REQUIRE(index);
  REQUIRE(index->entries.size() == 1);
  CHECK(index->entries[0].id == "test.battery");
  CHECK(index->entries[0].version == 1);
  WorkingState st(c.store());
  const RuleSetRecord* rec = st.GetRuleSet("test.battery", 1);
  REQUIRE(rec);
  CHECK(rec->source == CobaltRule());
  CHECK(rec->registered_by == "regulator");
  CHECK(rec->compiled.rules.size() == 1);
}

TEST_CASE("rules: 16% of 1,000,000 mg: 160,000 mg passes, 159,999 is rule-violated", "[rules]") {
  TestChain c;
  REQUIRE(c.Apply("regulator", RegisterRules{CobaltRule()}).ok());
  CobaltLots(c, "ok", 160'000);
  CobaltLots(c, "short", 159'999);
  ExpectRejected(c, "oem", Battery("short"), "rule-violated:co-min");
  CHECK(c.Apply("oem", Battery("ok")).ok());
  CHECK(c.GetProduct("bat-ok")->composition.Recycled("Co") == 160'000);
  // Outside the rule's categories the same product is accepted.
  CHECK(c.Apply("oem", Battery("short", "electronics.smartphone")).ok());
}

// Issue 17: a rule on battery.ev did not cover a battery filed as battery.ev.nmc.
TEST_CASE("rules: a rule listing battery.ev binds its subcategory battery.ev.nmc, not battery.evx", "[rules]") {
  TestChain c;
  const std::string rule = "ruleset \"ev\" version 1\nrule \"ev-co\" {\n  mode enforce\n  categories \"battery.ev\"\n"
                           "  require mass(\"Co\") == 0 or recycled_share(\"Co\") >= 16%\n}\n";
  REQUIRE(c.Apply("regulator", RegisterRules{rule}).ok());
  CobaltLots(c, "nmc", 1);  // 1 mg of 1,000,000 recycled: far under 16%
  ExpectRejected(c, "oem", Battery("nmc", "battery.ev.nmc"), "rule-violated:ev-co");
  CHECK(c.Apply("oem", Battery("nmc", "battery.evx")).ok());
}

TEST_CASE("rules: a material code a rule could not name is refused in compositions (bad-composition)", "[rules]") {
  TestChain c;
  // mass("Co.x") does not compile, so the ledger does not take the code either.
  ExpectRejected(c, "mine", CreateLot{"dotted", Composition{{{"Co.x", 1000, 0}}}}, "bad-composition");
  CHECK_FALSE(c.GetLot("dotted"));
}

TEST_CASE("rules: the boundary holds for a share computed by a mass-balance transform", "[rules]") {
  TestChain c;
  REQUIRE(c.Apply("regulator", RegisterRules{CobaltRule()}).ok());
  // 1,250,000 mg in, 200,000 recycled: a 1,000,000 mg output may claim floor(200,000 * 0.8) = 160,000.
  auto setup = [&](const std::string& tag) {
    REQUIRE(c.Apply("recycler", CreateLot{"mr-" + tag, Comp("Co:200000:200000")}).ok());
    REQUIRE(c.Apply("recycler", Transfer{"mr-" + tag, "refinery"}).ok());
    REQUIRE(c.Apply("mine", CreateLot{"mv-" + tag, Comp("Co:1050000:0")}).ok());
    REQUIRE(c.Apply("mine", Transfer{"mv-" + tag, "refinery"}).ok());
  };
  auto transform = [](const std::string& tag, uint64_t claim) {
    return Transform{{"mr-" + tag, "mv-" + tag},
                     {OutputLot{"mb-" + tag, Comp("Co:1000000:" + std::to_string(claim))}},
                     Allocation::kMassBalance, {}};
  };
  setup("a");
  setup("b");
  ExpectRejected(c, "refinery", transform("a", 160'001), "recycled-over-allocation");
  REQUIRE(c.Apply("refinery", transform("a", 160'000)).ok());
  REQUIRE(c.Apply("refinery", transform("b", 159'999)).ok());
  for (const char* tag : {"a", "b"}) REQUIRE(c.Apply("refinery", Transfer{std::string("mb-") + tag, "oem"}).ok());
  auto battery = [](const std::string& tag) {
    return Assemble{{"mb-" + tag}, NewProduct{"bat-" + tag, "battery.ev", "m", Comp("Co:1000000:0"), {}}, {}, {}, {}};
  };
  ExpectRejected(c, "oem", battery("b"), "rule-violated:co-min");
  CHECK(c.Apply("oem", battery("a")).ok());
  CHECK(c.GetProduct("bat-a")->custody == Custody::kMassBalance);
}

TEST_CASE("rules: not in force one millisecond before the start, in force at it", "[rules]") {
  TestChain c;
  REQUIRE(c.Apply("regulator", RegisterRules{CobaltRule("co-2031", "  from 2031-08-18\n")}).ok());
  CobaltLots(c, "early", 1);
  CobaltLots(c, "late", 1);
  c.SetNextTime(k2031 - 1);
  REQUIRE(c.Apply("oem", Battery("early")).ok());
  REQUIRE(c.store().Tip().time_ms == k2031 - 1);
  c.SetNextTime(k2031);
  REQUIRE(c.NextTime() == k2031);
  ExpectRejected(c, "oem", Battery("late"), "rule-violated:co-2031");
}

TEST_CASE("rules: a new version supersedes the old one from its effective date", "[rules]") {
  TestChain c;
  REQUIRE(c.Apply("regulator", RegisterRules{CobaltRule("co-v1")}).ok());
  // Version 2 relaxes the rule from 2031 on.
  const std::string v2 = "ruleset \"test.battery\" version 2 from 2031-08-18\n"
                         "rule \"co-v2\" { mode enforce categories \"battery.*\" require recycled_share(\"Co\") >= 10% }\n";
  ExpectRejected(c, "regulator", RegisterRules{CobaltRule("co-v1b", "", 1)}, "rules-version-not-newer");
  ExpectRejected(c, "regulator", RegisterRules{"ruleset \"test.battery\" version 3 from 2026-01-01\n"
                                               "rule \"x\" { mode report categories \"a\" require true }"},
                 "rules-effective-in-past");
  ExpectRejected(c, "regulator", RegisterRules{CobaltRule("co-v1", "", 1, "other.set")}, "rule-id-taken");
  REQUIRE(c.Apply("regulator", RegisterRules{v2}).ok());
  ExpectRejected(c, "regulator", RegisterRules{CobaltRule("co-v1", "", 2)}, "rules-version-not-newer");
  CobaltLots(c, "a", 120'000);
  CobaltLots(c, "b", 120'000);
  ExpectRejected(c, "oem", Battery("a"), "rule-violated:co-v1");  // version 1 still in force
  c.SetNextTime(k2031);
  CHECK(c.Apply("oem", Battery("b")).ok());  // 12% >= 10% under version 2
  REQUIRE(IndexOf(c)->entries.size() == 2);
}

TEST_CASE("rules: a rule at the size limit registers and evaluates, one over is refused", "[rules]") {
  TestChain c;
  // "mass(\"Co\") >= - - 0mg and true and ... and true": 3 instructions, one per minus sign, and
  // 3 per "and true".
  auto source = [](size_t instructions) {
    const size_t ands = (instructions - 3) / 3;
    std::string e = "mass(\"Co\") >= ";
    for (size_t i = 0; i < (instructions - 3) % 3; ++i) e += "- ";
    e += "0mg";
    for (size_t i = 0; i < ands; ++i) e += " and true";
    return "ruleset \"big\" version 1\nrule \"big\" { mode enforce categories \"battery.*\" require " + e + " }";
  };
  const size_t limit = circuledger::contracts::limits::kMaxInstructions;
  const Status over = c.Apply("regulator", RegisterRules{source(limit + 1)});
  CHECK(over.RejectString() == "rules-invalid");
  CHECK(over.detail().find("more than the limit") != std::string::npos);
  CHECK_FALSE(IndexOf(c));
  REQUIRE(c.Apply("regulator", RegisterRules{source(limit)}).ok());
  WorkingState st(c.store());
  REQUIRE(st.GetRuleSet("big", 1)->compiled.rules[0].program.code.size() == limit);
  CobaltLots(c, "x", 1);
  CHECK(c.Apply("oem", Battery("x")).ok());  // evaluated within the step limit: passes
}

TEST_CASE("rules: recovery rules are evaluated and recorded on recycle", "[rules]") {
  TestChain c;
  REQUIRE(c.Apply("regulator", RegisterRules{"ruleset \"test.recovery\" version 1\n"
                                             "rule \"li-50\" { mode report on recycle categories \"battery.*\" "
                                             "require mass(\"Li\") == 0 or recovered_share(\"Li\") >= 50% }\n"
                                             "rule \"co-90\" { mode report on recycle categories \"battery.*\" "
                                             "require mass(\"Co\") == 0 or recovered_share(\"Co\") >= 90% }\n"
                                             "rule \"pet\" { mode report on recycle categories \"packaging.*\" "
                                             "require false }\n"}).ok());
  REQUIRE(c.Apply("mine", CreateLot{"ore", Comp("Co:1000000:0,Li:1000000:0")}).ok());
  REQUIRE(c.Apply("mine", Transfer{"ore", "oem"}).ok());
  REQUIRE(c.Apply("oem", Assemble{{"ore"}, NewProduct{"bat", "battery.ev", "m", Comp("Co:1000000:0,Li:1000000:0"), {}}, {}, {}, {}}).ok());
  REQUIRE(c.Apply("oem", EndOfLife{"bat", "recycler"}).ok());
  const Tx tx = c.Sign("recycler", Recycle{{"bat"}, {OutputLot{"sec", Comp("Co:950000:0,Li:400000:0")}}});
  REQUIRE(c.Commit(tx).ok());
  WorkingState st(c.store());
  const RecyclingRecord* rec = st.GetRecycling(TxId(tx.body));
  REQUIRE(rec);
  REQUIRE(rec->rules.size() == 2);  // the packaging rule does not apply to a battery
  CHECK(rec->rules[0].rule == "li-50");
  CHECK(rec->rules[0].outcome == static_cast<uint8_t>(circuledger::contracts::Outcome::kFail));  // 40%
  CHECK(rec->rules[1].rule == "co-90");
  CHECK(rec->rules[1].outcome == static_cast<uint8_t>(circuledger::contracts::Outcome::kPass));  // 95%
  CHECK(rec->rules[1].rule_set == "test.recovery");
}

TEST_CASE("rules: an enforced recovery rule rejects the recycling", "[rules]") {
  TestChain c;
  REQUIRE(c.Apply("regulator", RegisterRules{"ruleset \"strict\" version 1\n"
                                             "rule \"co-95\" { mode enforce on recycle categories \"battery.*\" "
                                             "require recovered_share(\"Co\") >= 95% }\n"}).ok());
  REQUIRE(c.Apply("mine", CreateLot{"ore", Comp("Co:1000000:0")}).ok());
  REQUIRE(c.Apply("mine", Transfer{"ore", "oem"}).ok());
  REQUIRE(c.Apply("oem", Assemble{{"ore"}, NewProduct{"bat", "battery.ev", "m", Comp("Co:1000000:0"), {}}, {}, {}, {}}).ok());
  REQUIRE(c.Apply("oem", EndOfLife{"bat", "recycler"}).ok());
  ExpectRejected(c, "recycler", Recycle{{"bat"}, {OutputLot{"sec", Comp("Co:949999:0")}}}, "rule-violated:co-95");
  CHECK(c.Apply("recycler", Recycle{{"bat"}, {OutputLot{"sec", Comp("Co:950000:0")}}}).ok());
}

TEST_CASE("rules: compliance lists every rule in force with its figures", "[rules]") {
  TestChain c;
  REQUIRE(c.Apply("regulator", RegisterRules{CobaltRule("co-min") +
                                             "rule \"spare\" { title \"Spare parts\" mode report categories \"battery.ev\" "
                                             "require has_attr(\"spare_parts_years\") and attr(\"spare_parts_years\") >= 7 }\n"
                                             "rule \"later\" { mode report categories \"battery.*\" from 2031-08-18 require false }\n"}).ok());
  CobaltLots(c, "p", 160'000);
  REQUIRE(c.Apply("oem", Battery("p")).ok());
  WorkingState st(c.store());
  const Product p = *c.GetProduct("bat-p");
  std::vector<ComplianceItem> items = ExplainCompliance(st, p, c.store().Tip().time_ms);
  REQUIRE(items.size() == 2);
  CHECK(items[0].rule.id == "co-min");
  CHECK(items[0].evaluation.outcome == circuledger::contracts::Outcome::kPass);
  REQUIRE(items[0].evaluation.figures.size() == 2);
  CHECK(items[0].evaluation.figures[1].expr == "recycled_share(\"Co\") >= 16%");
  CHECK(items[0].evaluation.figures[1].left == "16.00%");
  CHECK(items[0].evaluation.figures[1].right == "16.00%");
  CHECK(items[1].rule.title == "Spare parts");
  CHECK(items[1].evaluation.outcome == circuledger::contracts::Outcome::kFail);  // not declared: has_attr is false
  items = ExplainCompliance(st, p, k2031);
  CHECK(items.size() == 3);
}

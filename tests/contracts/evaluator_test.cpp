// The evaluator: exactness at the boundaries, defined cases, errors, effective dates, bounds.
#include <catch2/catch.hpp>

#include "contracts/compiler.h"
#include "contracts/evaluator.h"
#include "contracts/limits.h"
#include "contracts/time.h"
#include "fake_facts.h"

using namespace circuledger::contracts;
using circuledger::contracts::testing::FakeFacts;

namespace {

struct Compiled {
  std::string source;
  RuleSet set;
};

Compiled CompileRule(std::string_view expr, std::string_view extra = "", std::string_view on = "assemble") {
  Compiled c;
  c.source = "ruleset \"t\" version 1\nrule \"r\" {\n  mode enforce\n  on " + std::string(on) +
             "\n  categories \"battery.*\"\n" + std::string(extra) + "  require " + std::string(expr) + "\n}\n";
  auto r = Compile(c.source);
  if (auto* e = std::get_if<CompileError>(&r)) FAIL("compile error " << e->ToString());
  c.set = std::get<RuleSet>(std::move(r));
  return c;
}

Outcome Eval(std::string_view expr, const FakeFacts& f) {
  const Compiled c = CompileRule(expr);
  std::string err;
  const Outcome o = Evaluate(c.set.rules[0], f, &err);
  INFO("error: " << err);
  return o;
}

FakeFacts Cobalt(uint64_t total, uint64_t recycled) {
  FakeFacts f;
  f.materials["Co"] = {total, recycled, 0};
  return f;
}

}  // namespace

TEST_CASE("evaluator: 16% of 1,000,000 mg is 160,000 mg exactly", "[contracts]") {
  CHECK(Eval("recycled_share(\"Co\") >= 16%", Cobalt(1'000'000, 160'000)) == Outcome::kPass);
  CHECK(Eval("recycled_share(\"Co\") >= 16%", Cobalt(1'000'000, 159'999)) == Outcome::kFail);
  CHECK(Eval("recycled_mass(\"Co\") >= 16% * mass(\"Co\")", Cobalt(1'000'000, 160'000)) == Outcome::kPass);
  CHECK(Eval("recycled_mass(\"Co\") >= 16% * mass(\"Co\")", Cobalt(1'000'000, 159'999)) == Outcome::kFail);
  // Decimals of a percent are exact too: 12.34% of 10,000,000 mg is 1,234,000 mg.
  CHECK(Eval("recycled_share(\"Co\") >= 12.34%", Cobalt(10'000'000, 1'234'000)) == Outcome::kPass);
  CHECK(Eval("recycled_share(\"Co\") >= 12.34%", Cobalt(10'000'000, 1'233'999)) == Outcome::kFail);
  // Largest masses the ledger allows still compare exactly.
  const uint64_t big = 64'000'000'000'000'000ull;
  CHECK(Eval("recycled_share(\"Co\") >= 16%", Cobalt(big, big / 100 * 16)) == Outcome::kPass);
  CHECK(Eval("recycled_share(\"Co\") >= 16%", Cobalt(big, big / 100 * 16 - 1)) == Outcome::kFail);
}

TEST_CASE("evaluator: a material the product lacks has mass 0 and share 0", "[contracts]") {
  const FakeFacts none = Cobalt(0, 0);
  CHECK(Eval("mass(\"Ni\") == 0", none) == Outcome::kPass);
  CHECK(Eval("recycled_share(\"Ni\") == 0%", none) == Outcome::kPass);
  CHECK(Eval("recycled_share(\"Ni\") >= 6%", none) == Outcome::kFail);
  CHECK(Eval("mass(\"Ni\") == 0 or recycled_share(\"Ni\") >= 6%", none) == Outcome::kPass);
}

TEST_CASE("evaluator: arithmetic is exact and errors are outcomes, not crashes", "[contracts]") {
  FakeFacts f = Cobalt(3, 1);
  f.attributes["spare_parts_years"] = 7;
  CHECK(Eval("recycled_mass(\"Co\") / mass(\"Co\") * 3 == 1mg / 1mg", f) == Outcome::kPass);  // 1/3 * 3 == 1
  CHECK(Eval("-attr(\"spare_parts_years\") + 10 == 3", f) == Outcome::kPass);
  CHECK(Eval("attr(\"spare_parts_years\") >= 7 and has_attr(\"spare_parts_years\")", f) == Outcome::kPass);
  CHECK(Eval("not has_attr(\"capacity_wh\")", f) == Outcome::kPass);
  std::string err;
  const Compiled div0 = CompileRule("mass(\"Co\") / mass(\"Ni\") > 0");
  CHECK(Evaluate(div0.set.rules[0], f, &err) == Outcome::kError);
  CHECK(err == "division by zero");
  const Compiled undeclared = CompileRule("attr(\"capacity_wh\") > 2000");
  CHECK(Evaluate(undeclared.set.rules[0], f, &err) == Outcome::kError);
  CHECK(err.find("not declared") != std::string::npos);
  // Short-circuit: the right side is not evaluated when the left decides.
  CHECK(Eval("not has_attr(\"capacity_wh\") or attr(\"capacity_wh\") > 2000", f) == Outcome::kPass);
  CHECK(Eval("mass(\"Ni\") > 0 and mass(\"Co\") / mass(\"Ni\") > 0", f) == Outcome::kFail);
  // 10^18^3 overflows 128 bits: an error.
  const Compiled overflow = CompileRule("1000000000000000000 * 1000000000000000000 * 1000000000000000000 > 0");
  CHECK(Evaluate(overflow.set.rules[0], f, &err) == Outcome::kError);
  CHECK(err == "arithmetic overflow");
}

TEST_CASE("evaluator: the one 128-bit value without a negation is an error, not undefined behaviour",
          "[contracts]") {
  // (0 - 2^59 * 2^59) * 2^9 is exactly -2^127 (INT128_MIN): representable, so it compares...
  const std::string min = "((0 - 576460752303423488 * 576460752303423488) * 512)";
  FakeFacts f;
  CHECK(Eval(min + " < 0", f) == Outcome::kPass);
  CHECK(Eval(min + " == " + min, f) == Outcome::kPass);
  // ...but nothing that negates it: subtracting it (the subtrahend is negated), dividing by it (a
  // negative denominator is negated) and unary minus are arithmetic overflow.
  for (const std::string& expr : {"1 - " + min + " > 0", "1 / " + min + " < 0", "-" + min + " > 0"}) {
    const Compiled c = CompileRule(expr);
    std::string err;
    INFO(expr);
    CHECK(Evaluate(c.set.rules[0], f, &err) == Outcome::kError);
    CHECK(err == "arithmetic overflow");
  }
}

TEST_CASE("evaluator: categories, attestations, repairs and time", "[contracts]") {
  FakeFacts f;
  f.category = "battery.ev";
  f.repairs = 2;
  f.attestations.push_back({"recycled-content-audit", "certifier", 0});
  f.time_ms = *ParseUtc("2031-08-18");
  CHECK(Eval("category == \"battery.ev\" and category != \"battery.sli\"", f) == Outcome::kPass);
  CHECK(Eval("category matches \"battery.*\"", f) == Outcome::kPass);
  CHECK(Eval("category matches \"packaging.*\"", f) == Outcome::kFail);
  CHECK(Eval("has_attestation(\"recycled-content-audit\") and repair_count == 2", f) == Outcome::kPass);
  CHECK(Eval("time >= 2031-08-18", f) == Outcome::kPass);
  CHECK(Eval("time > 2031-08-18", f) == Outcome::kFail);
}

TEST_CASE("evaluator: has_attestation with an issuer counts only that org's unexpired attestations", "[contracts]") {
  FakeFacts f;
  f.time_ms = 1'000;
  f.attestations.push_back({"audit", "cheap-certs", 0});
  CHECK(Eval("has_attestation(\"audit\")", f) == Outcome::kPass);  // anyone's
  CHECK(Eval("has_attestation(\"audit\", \"tuv\")", f) == Outcome::kFail);
  CHECK(Eval("has_attestation(\"audit\", \"cheap-certs\")", f) == Outcome::kPass);
  // The named org's attestation of another kind does not count, nor one that has expired.
  f.attestations.push_back({"iso", "tuv", 0});
  f.attestations.push_back({"audit", "tuv", 1'000});
  CHECK(Eval("has_attestation(\"audit\", \"tuv\")", f) == Outcome::kFail);
  CHECK(Eval("has_attestation(\"iso\", \"tuv\") and not has_attestation(\"iso\", \"cheap-certs\")", f) == Outcome::kPass);
  f.attestations.push_back({"audit", "tuv", 1'001});
  CHECK(Eval("has_attestation(\"audit\", \"tuv\")", f) == Outcome::kPass);
  f.time_ms = 1'001;
  CHECK(Eval("has_attestation(\"audit\", \"tuv\")", f) == Outcome::kFail);
}

TEST_CASE("evaluator: a damaged has_attestation issuer index is an error, not a crash", "[contracts]") {
  Compiled c = CompileRule("has_attestation(\"audit\", \"tuv\")");
  Program& p = c.set.rules[0].program;
  REQUIRE(p.code.size() == 1);
  FakeFacts f;
  f.attestations.push_back({"audit", "tuv", 0});
  CHECK(Evaluate(c.set.rules[0], f) == Outcome::kPass);
  for (uint32_t arg : {PackStrings(0, 2), PackStrings(2, 1), PackStrings(0, 0xffff), 0xffffffffu}) {
    INFO("arg " << arg);
    p.code[0].arg = arg;
    std::string err;
    CHECK(Evaluate(c.set.rules[0], f, &err) == Outcome::kError);
    CHECK(err == "malformed program: string index");
  }
}

TEST_CASE("rule: category patterns", "[contracts]") {
  CHECK(CategoryMatches("battery.*", "battery.ev"));
  CHECK(CategoryMatches("battery.*", "battery.ev.lfp"));
  CHECK_FALSE(CategoryMatches("battery.*", "battery"));
  CHECK_FALSE(CategoryMatches("battery.*", "batteryx.ev"));
  CHECK(CategoryMatches("battery.ev", "battery.ev"));
  CHECK(CategoryMatches("*", "anything"));
}

// Issue 17: a battery filed as battery.ev.nmc escaped every rule that listed battery.ev.
TEST_CASE("rule: an exact category covers its subcategories, and nothing that merely starts with it",
          "[contracts]") {
  CHECK(CategoryMatches("battery.ev", "battery.ev.nmc"));
  CHECK(CategoryMatches("battery.ev", "battery.ev.nmc.811"));
  CHECK(CategoryMatches("battery", "battery.ev"));
  CHECK_FALSE(CategoryMatches("battery.ev", "battery.evx"));
  CHECK_FALSE(CategoryMatches("battery.ev", "battery.e"));
  CHECK_FALSE(CategoryMatches("battery.ev", "battery.ev."));  // no empty subcategory
  CHECK_FALSE(CategoryMatches("battery.ev", "battery"));
  Rule r;
  r.categories = {"battery.ev", "packaging.beverage-bottle"};
  CHECK(r.AppliesTo("battery.ev.nmc"));
  CHECK(r.AppliesTo("packaging.beverage-bottle.pet"));
  CHECK_FALSE(r.AppliesTo("battery.industrial"));
}

TEST_CASE("material codes: one syntax for compositions and rules", "[contracts]") {
  for (const char* ok : {"Co", "PET", "HDPE", "Li2CO3", "rPET-food", "a_b", "ABCDEFGHIJKLMNOP"}) {
    INFO(ok);
    CHECK(IsValidMaterialCode(ok));
  }
  for (const char* bad : {"", "Co.x", "C o", "Co/", "ABCDEFGHIJKLMNOPQ", "Cö"}) {
    INFO(bad);
    CHECK_FALSE(IsValidMaterialCode(bad));
  }
}

TEST_CASE("rule: not in force one millisecond before its start, in force at it", "[contracts]") {
  const Compiled c = CompileRule("true", "  from 2031-08-18\n  until 2036-08-18\n");
  const Rule& r = c.set.rules[0];
  const uint64_t start = *ParseUtc("2031-08-18");
  const uint64_t end = *ParseUtc("2036-08-18");
  CHECK_FALSE(r.InForceAt(start - 1));
  CHECK(r.InForceAt(start));
  CHECK(r.InForceAt(end - 1));
  CHECK_FALSE(r.InForceAt(end));
}

TEST_CASE("explain: the figures a rule used", "[contracts]") {
  const Compiled c = CompileRule("mass(\"Co\") == 0 or recycled_share(\"Co\") >= 16%");
  const Evaluation e = Explain(c.set.rules[0], Cobalt(1'000'000, 159'999), c.source);
  CHECK(e.outcome == Outcome::kFail);
  REQUIRE(e.figures.size() == 2);
  CHECK(e.figures[0].expr == "mass(\"Co\") == 0");
  CHECK(e.figures[0].left == "1000000 mg");
  CHECK(e.figures[0].right == "0 mg");
  CHECK_FALSE(e.figures[0].holds);
  CHECK(e.figures[1].expr == "recycled_share(\"Co\") >= 16%");
  CHECK(e.figures[1].left == "15.99%");
  CHECK(e.figures[1].right == "16.00%");
  CHECK_FALSE(e.figures[1].holds);
  CHECK(e.steps == c.set.rules[0].program.code.size());
}

// The longest rule the compiler accepts evaluates within the step limit; one instruction more is
// refused at compile time (and so at registration).
TEST_CASE("bounds: a rule at the size limit evaluates, one over is refused", "[contracts]") {
  // "true and true and ... and true" with k operands is 3k - 2 instructions (an operand, and a
  // jump and a pop per 'and'); each leading 'not' adds one.
  auto rule_of_size = [](size_t instructions) {
    const size_t k = (instructions + 2) / 3;
    std::string e(instructions - (3 * k - 2), '!');
    std::string out;
    for (char c : e) out += (c == '!') ? "not " : "";
    out += "true";
    for (size_t i = 1; i < k; ++i) out += " and true";
    return out;
  };
  const Compiled at_limit = CompileRule(rule_of_size(limits::kMaxInstructions));
  REQUIRE(at_limit.set.rules[0].program.code.size() == limits::kMaxInstructions);
  FakeFacts f;
  const Evaluation e = Explain(at_limit.set.rules[0], f, at_limit.source);
  INFO(e.error);
  CHECK(e.outcome != Outcome::kError);
  CHECK(e.steps == limits::kMaxInstructions);
  CHECK(e.steps <= limits::kMaxEvalSteps);

  const std::string over_src = "ruleset \"t\" version 1\nrule \"r\" { mode enforce categories \"a\" require " +
                               rule_of_size(limits::kMaxInstructions + 1) + " }";
  auto over = Compile(over_src);
  REQUIRE(std::holds_alternative<CompileError>(over));
  CHECK(std::get<CompileError>(over).message.find("compiles to " + std::to_string(limits::kMaxInstructions + 1) +
                                                  " instructions") != std::string::npos);
}

TEST_CASE("evaluator: a damaged program is an error, never a crash", "[contracts]") {
  Compiled c = CompileRule("mass(\"Co\") >= 1kg");
  FakeFacts f = Cobalt(2'000'000, 0);
  std::string err;
  Rule bad = c.set.rules[0];
  bad.program.code[0].arg = 99;  // string index out of range
  CHECK(Evaluate(bad, f, &err) == Outcome::kError);
  bad = c.set.rules[0];
  bad.program.code.pop_back();  // leaves two numbers on the stack
  CHECK(Evaluate(bad, f, &err) == Outcome::kError);
  bad = c.set.rules[0];
  bad.program.code.insert(bad.program.code.begin(), Instr{OpCode::kJumpIfTrueKeep, 0});  // backward jump
  CHECK(Evaluate(bad, f, &err) == Outcome::kError);
  bad = c.set.rules[0];
  bad.program.code.assign(limits::kMaxEvalSteps + 1, Instr{OpCode::kPushBool, 1});
  CHECK(Evaluate(bad, f, &err) == Outcome::kError);
  CHECK(Evaluate(c.set.rules[0], f, &err) == Outcome::kPass);
}

// The rule language's lexer and compiler: valid programs, and each kind of error with its position.
#include <catch2/catch.hpp>

#include "contracts/compiler.h"
#include "contracts/limits.h"
#include "contracts/time.h"

using namespace circuledger::contracts;

namespace {

RuleSet MustCompile(std::string_view src) {
  auto r = Compile(src);
  if (auto* e = std::get_if<CompileError>(&r)) FAIL("unexpected compile error " << e->ToString());
  return std::get<RuleSet>(std::move(r));
}

CompileError MustFail(std::string_view src) {
  auto r = Compile(src);
  REQUIRE(std::holds_alternative<CompileError>(r));
  return std::get<CompileError>(r);
}

// A one-rule set around an expression.
std::string WithRequire(std::string_view expr, std::string_view on = "assemble") {
  return "ruleset \"t\" version 1\nrule \"r\" {\n  mode enforce\n  on " + std::string(on) +
         "\n  categories \"battery.*\"\n  require " + std::string(expr) + "\n}\n";
}

}  // namespace

TEST_CASE("compiler: a full rule set with every clause", "[contracts]") {
  const RuleSet set = MustCompile(R"(# EU Battery Regulation, Art. 8(2)
ruleset "eu.battery.art8" version 2 from 2027-01-01

rule "co-2031" {
  title "Recycled cobalt in EV batteries"
  mode enforce
  on assemble
  categories "battery.ev", "battery.industrial", "battery.sli"
  from 2031-08-18
  until 2036-08-18
  require mass("Co") == 0 or recycled_share("Co") >= 16%
}

rule "recovery-li" {
  mode report
  on recycle
  categories "battery.*"
  require recovered_share("Li") >= 50%
}
)");
  CHECK(set.id == "eu.battery.art8");
  CHECK(set.version == 2);
  CHECK(set.from_ms == *ParseUtc("2027-01-01"));
  REQUIRE(set.rules.size() == 2);
  const Rule& co = set.rules[0];
  CHECK(co.id == "co-2031");
  CHECK(co.title == "Recycled cobalt in EV batteries");
  CHECK(co.mode == Mode::kEnforce);
  CHECK(co.trigger == Trigger::kAssemble);
  CHECK(co.categories == std::vector<std::string>{"battery.ev", "battery.industrial", "battery.sli"});
  CHECK(co.from_ms == *ParseUtc("2031-08-18"));
  CHECK(co.until_ms == *ParseUtc("2036-08-18"));
  CHECK(co.program.spans.size() == 2);
  CHECK(co.program.max_stack == 2);
  const Rule& li = set.rules[1];
  CHECK(li.trigger == Trigger::kRecycle);
  CHECK(li.from_ms == set.from_ms);  // a rule without `from` starts with its rule set
  CHECK(li.until_ms == kNoEnd);
}

TEST_CASE("compiler: the same source compiles to the same program", "[contracts]") {
  const std::string src = WithRequire("(mass(\"Co\") + 2kg) * 3 / 4 >= 1.5t - recycled_mass(\"Ni\") and not has_attestation(\"audit\")");
  CHECK(MustCompile(src) == MustCompile(src));
}

TEST_CASE("compiler: has_attestation names whose attestations count, or keeps meaning anyone's", "[contracts]") {
  // One argument: the kind alone, as before the issuer form existed (registered sources keep
  // compiling to the same program).
  const Program any = MustCompile(WithRequire("has_attestation(\"audit\")")).rules[0].program;
  CHECK(any.code == std::vector<Instr>{{OpCode::kHasAttestation, 0}});
  CHECK(any.strings == std::vector<std::string>{"audit"});
  // Two: the kind and the issuing org, both in the string pool, packed into one argument.
  const Program by = MustCompile(WithRequire("has_attestation(\"audit\", \"tuv-sud.de\") and has_attestation(\"iso\", \"tuv-sud.de\")"))
                         .rules[0]
                         .program;
  CHECK(by.strings == std::vector<std::string>{"audit", "tuv-sud.de", "iso"});
  REQUIRE(by.code.size() == 4);
  CHECK(by.code[0] == Instr{OpCode::kHasAttestationBy, PackStrings(0, 1)});
  CHECK(by.code[3] == Instr{OpCode::kHasAttestationBy, PackStrings(2, 1)});
  CHECK(LowString(by.code[3].arg) == 2);
  CHECK(HighString(by.code[3].arg) == 1);
  // An org id of the ledger's longest length is accepted.
  MustCompile(WithRequire("has_attestation(\"audit\", \"" + std::string(limits::kMaxOrgIdLen, 'o') + "\")"));
  // Only on assemble, like the one-argument form.
  CHECK(MustFail(WithRequire("has_attestation(\"audit\", \"tuv\")", "recycle")).message.find("only defined in rules 'on assemble'") !=
        std::string::npos);

  struct Case {
    std::string expr;
    uint32_t col;
    std::string message_part;
  };
  const std::string too_long(limits::kMaxOrgIdLen + 1, 'o');
  const std::vector<Case> cases = {
      {"has_attestation(\"audit\", \"\")", 36, "an org id is 1 to 32 of [a-z0-9._-]"},
      {"has_attestation(\"audit\", \"TUV\")", 36, "an org id is 1 to 32"},
      {"has_attestation(\"audit\", \"tuv sud\")", 36, "an org id is 1 to 32"},
      {"has_attestation(\"audit\", \"" + too_long + "\")", 36, "an org id is 1 to 32"},
      {"has_attestation(\"audit\", tuv)", 36, "expected the issuing org's id"},
      {"has_attestation(\"audit\", 7)", 36, "expected the issuing org's id"},
      {"has_attestation(\"audit\",)", 35, "expected the issuing org's id"},
      {"has_attestation(\"audit\", \"tuv\", \"x\")", 41, "expected ')', found ','"},
      {"has_attestation(\"Audit\", \"tuv\")", 27, "a name is 1 to 64"},
      {"mass(\"Co\", \"tuv\")", 20, "expected ')', found ','"},
      {"has_attr(\"x\", \"tuv\")", 23, "expected ')', found ','"},
      // Tokens are checked before names, as before the issuer form: the first error is unchanged.
      {"mass(\"\" > 0", 19, "expected ')', found '>'"},
      {"has_attestation(\"Audit\" and true", 35, "expected ')', found 'and'"},
      {"has_attestation(\"Audit\", \"TUV\")", 27, "a name is 1 to 64"},
  };
  for (const Case& c : cases) {
    INFO("expression: " << c.expr);
    const CompileError e = MustFail(WithRequire(c.expr));
    INFO("error: " << e.ToString());
    CHECK(e.line == 6);
    CHECK(e.col == c.col);
    CHECK(e.message.find(c.message_part) != std::string::npos);
  }
}

TEST_CASE("compiler: literals", "[contracts]") {
  auto const_of = [](std::string_view lit) {
    const RuleSet s = MustCompile(WithRequire("mass(\"Co\") >= " + std::string(lit)));
    REQUIRE(s.rules[0].program.consts.size() == 1);
    return s.rules[0].program.consts[0];
  };
  CHECK(const_of("16%") == Const{1600, 10000, Unit::kShare});
  CHECK(const_of("12.5%") == Const{1250, 10000, Unit::kShare});
  CHECK(const_of("15.99%") == Const{1599, 10000, Unit::kShare});
  CHECK(const_of("1.5kg") == Const{1'500'000, 1, Unit::kMass});
  CHECK(const_of("2t") == Const{2'000'000'000, 1, Unit::kMass});
  CHECK(const_of("250mg") == Const{250, 1, Unit::kMass});
  CHECK(const_of("0.001g") == Const{1, 1, Unit::kMass});
  CHECK(const_of("7") == Const{7, 1, Unit::kPlain});
  CHECK(const_of("2031-08-18") == Const{1'944'777'600'000, 1, Unit::kTime});
  CHECK(const_of("2031-08-18T00:00:01Z") == Const{1'944'777'601'000, 1, Unit::kTime});
}

TEST_CASE("compiler: errors name the line and column", "[contracts]") {
  struct Case {
    std::string src;
    uint32_t line;
    uint32_t col;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"", 1, 1, "expected 'ruleset'"},
      {"ruleset t version 1", 1, 9, "expected the rule set id"},
      {"ruleset \"T!\" version 1", 1, 9, "rule set id"},
      {"ruleset \"t\" version 0 rule", 1, 21, "versions are"},
      {"ruleset \"t\" version 1", 1, 22, "at least one rule"},
      {"ruleset \"t\" version 1 from 2031-02-30", 1, 28, "bad date"},
      {"ruleset \"t\" version 1\nrule \"r\" {\n  mode strict\n}", 3, 8, "mode is"},
      {"ruleset \"t\" version 1\nrule \"r\" {\n  colour red\n}", 3, 3, "unknown clause"},
      {"ruleset \"t\" version 1\nrule \"r\" {\n  mode report\n  mode report\n}", 4, 3, "given twice"},
      {"ruleset \"t\" version 1\nrule \"r\" {\n  mode report\n  require true\n}", 5, 1, "no categories"},
      {"ruleset \"t\" version 1\nrule \"r\" {\n  categories \"a\"\n  require true\n}", 5, 1, "no mode"},
      {"ruleset \"t\" version 1\nrule \"r\" {\n  categories \"a\"\n  mode report\n}", 5, 1, "no require"},
      {"ruleset \"t\" version 1\nrule \"r\" {\n  categories \"Battery\"\n", 3, 14, "a category is"},
      {"ruleset \"t\" version 1\nrule \"r\" {\n  categories \"a\", \"a\"\n", 3, 19, "listed twice"},
      {"ruleset \"t\" version 1\nrule \"r\" { mode report categories \"a\" require true from 2030-01-01 until 2029-01-01 }", 2,
       85, "ends before it starts"},
      {"ruleset \"t\" version 1\nrule \"r\" { mode report categories \"a\" require true }\nrule \"r\" { mode report categories \"a\" require true }",
       3, 1, "defined twice"},
      {WithRequire("mass(\"Co\") >= 16.5"), 6, 25, "must be an integer"},
      {WithRequire("recycled_share(\"Co\") >= 16.125%"), 6, 35, "two decimals"},
      {WithRequire("mass(\"Co\") >= 0.0001g"), 6, 25, "whole milligrams"},
      {WithRequire("mass(\"Co\") >= 3 lb"), 6, 27, "unknown clause 'lb'"},
      {WithRequire("mass(\"Co\") >= 3lb"), 6, 25, "unknown unit"},
      {WithRequire("mass(\"Co\")"), 6, 11, "require needs a condition"},
      {WithRequire("mass(\"Co\") and true"), 6, 22, "needs conditions"},
      {WithRequire("true >= false"), 6, 16, "cannot compare"},
      {WithRequire("mass(\"Co\") == true"), 6, 22, "cannot compare"},
      {WithRequire("1 < 2 < 3"), 6, 17, "do not chain"},
      {WithRequire("mass(Co) > 0"), 6, 16, "expected a quoted name"},
      {WithRequire("mass(\"\") > 0"), 6, 16, "material code"},
      {WithRequire("weight(\"Co\") > 0"), 6, 11, "unknown name 'weight'"},
      {WithRequire("(mass(\"Co\") > 0"), 7, 1, "expected ')'"},
      {WithRequire("mass(\"Co\") > 0 }"), 7, 1, "expected 'rule', found '}'"},
      {WithRequire("mass(\"Co\") >"), 7, 1, "expected a value"},
      {WithRequire("mass(\"Co\") > \"x\""), 6, 24, "expected a value"},
      {WithRequire("mass(\"Co\") > 0 @"), 6, 26, "unexpected character '@'"},
      {WithRequire("\"abc"), 6, 11, "unterminated string"},
      {WithRequire("recovered_share(\"Co\") > 0"), 6, 11, "only defined in rules 'on recycle'"},
      {WithRequire("attr(\"spare_parts_years\") > 0", "recycle"), 6, 11, "only defined in rules 'on assemble'"},
      {WithRequire("category > \"x\""), 6, 20, "compared with"},
      {WithRequire("category == \"battery.*\""), 6, 23, "a category is"},
      {WithRequire("mass(\"Co\") >= 99999999999999999999"), 6, 25, "number too large"},
      {WithRequire("mass(\"Co\") >= 1000000000000000001"), 6, 25, "number too large"},
      {"ruleset \"t\" version 1\nrule \"r\" { mode report\xff }", 2, 23, "printable ASCII"},
  };
  for (const Case& c : cases) {
    INFO("source:\n" << c.src);
    const CompileError e = MustFail(c.src);
    INFO("error: " << e.ToString());
    CHECK(e.line == c.line);
    CHECK(e.col == c.col);
    CHECK(e.message.find(c.message_part) != std::string::npos);
  }
}

TEST_CASE("compiler: nesting, stack and size limits are compile errors", "[contracts]") {
  SECTION("parentheses nested past the limit") {
    const std::string deep(limits::kMaxNesting + 1, '(');
    const CompileError e = MustFail(WithRequire(deep + "true" + std::string(limits::kMaxNesting + 1, ')')));
    CHECK(e.message.find("nested too deeply") != std::string::npos);
  }
  SECTION("the source size limit") {
    std::string src = WithRequire("true");
    src += std::string(limits::kMaxSourceBytes - src.size(), '\n');
    MustCompile(src);
    src += "\n";
    CHECK(MustFail(src).message.find("larger than") != std::string::npos);
  }
  SECTION("more rules than allowed") {
    std::string src = "ruleset \"t\" version 1\n";
    for (size_t i = 0; i <= limits::kMaxRules; ++i) {
      src += "rule \"r" + std::to_string(i) + "\" { mode report categories \"a\" require true }\n";
    }
    const CompileError e = MustFail(src);
    CHECK(e.line == limits::kMaxRules + 2);
    CHECK(e.message.find("more than") != std::string::npos);
  }
}

TEST_CASE("time: UTC dates convert exactly both ways", "[contracts]") {
  CHECK(ParseUtc("1970-01-01") == 0u);
  CHECK(ParseUtc("2000-02-29") == 951'782'400'000u);
  CHECK(ParseUtc("2031-08-18") == 1'944'777'600'000u);
  CHECK(ParseUtc("2036-08-18T23:59:59Z") == 2'102'716'799'000u);
  CHECK_FALSE(ParseUtc("2100-02-29"));
  CHECK_FALSE(ParseUtc("1969-12-31"));
  CHECK_FALSE(ParseUtc("2031-13-01"));
  CHECK_FALSE(ParseUtc("2031-08-18T24:00:00Z"));
  CHECK_FALSE(ParseUtc("2031-8-18"));
  CHECK(FormatUtc(1'944'777'600'000u) == "2031-08-18");
  CHECK(FormatUtc(1'944'777'600'001u) == "2031-08-18T00:00:00.001Z");
  for (uint64_t day = 0; day < 80'000; day += 7) {
    const uint64_t ms = day * 86'400'000u;
    REQUIRE(ParseUtc(FormatUtc(ms)) == ms);
  }
}

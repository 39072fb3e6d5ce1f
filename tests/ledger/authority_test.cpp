// Authority that matches ownership (issue 16, item 5): a rule set id belongs to the regulator
// that first registered it and moves only through governance; shared bounds have per-org shares
// so that no org can fill them for everyone.
#include <catch2/catch.hpp>

#include "ledger/limits.h"
#include "ledger/rules.h"
#include "tests/support/test_chain.h"

using namespace circuledger::testkit;
namespace L = circuledger::ledger::limits;

namespace {

std::string RuleSet(std::string_view set, uint32_t version, std::string_view rule) {
  return "ruleset \"" + std::string(set) + "\" version " + std::to_string(version) + "\nrule \"" + std::string(rule) +
         "\" {\n  mode report\n  categories \"battery.*\"\n  require mass(\"Co\") >= 0mg\n}\n";
}

void ExpectRejected(TestChain& c, const std::string& org, Op op, const std::string& reject) {
  const ChainTip before = c.store().Tip();
  const Status s = c.Apply(org, std::move(op));
  INFO(s.ToString());
  CHECK(s.RejectString() == reject);
  CHECK(c.store().Tip() == before);
}

// Passes a governance change with the test genesis's threshold of two admin orgs.
void Govern(TestChain& c, GovChange change) {
  const Tx tx = c.Sign("admin-a", Propose{std::move(change)});
  REQUIRE(c.Commit(tx).ok());
  c.member("admin-a").nonce++;
  REQUIRE(c.Apply("admin-b", Approve{TxId(tx.body)}).ok());
}

uint32_t RolesOf(TestChain& c, const std::string& org) { return c.GetOrg(org)->roles; }

}  // namespace

TEST_CASE("rule sets: an id belongs to the regulator that registered it first; governance moves it",
          "[rules][authorize]") {
  TestChain c;
  // A second regulator: the certifier org takes the role as well.
  Govern(c, SetOrgRoles{"certifier", RolesOf(c, "certifier") | static_cast<uint32_t>(Role::kRegulator)});
  REQUIRE(c.Apply("regulator", RegisterRules{RuleSet("eu.battery", 1, "r1")}).ok());
  // Another regulator may not supersede it with a higher version...
  ExpectRejected(c, "certifier", RegisterRules{RuleSet("eu.battery", 2, "r1")}, "rule-set-owned");
  // ...but registers ids of its own, and the owner goes on versioning its set.
  REQUIRE(c.Apply("certifier", RegisterRules{RuleSet("other.set", 1, "o1")}).ok());
  REQUIRE(c.Apply("regulator", RegisterRules{RuleSet("eu.battery", 2, "r1")}).ok());

  // Governance gives the id to the other regulator; only it versions the set from then on.
  const Status not_regulator =
      c.Apply("admin-a", Propose{SetRuleSetOwner{"eu.battery", "oem"}});
  CHECK(not_regulator.RejectString() == "bad-gov-change");
  const Status no_set = c.Apply("admin-a", Propose{SetRuleSetOwner{"no.such.set", "certifier"}});
  CHECK(no_set.RejectString() == "bad-gov-change");
  Govern(c, SetRuleSetOwner{"eu.battery", "certifier"});
  ExpectRejected(c, "regulator", RegisterRules{RuleSet("eu.battery", 3, "r1")}, "rule-set-owned");
  REQUIRE(c.Apply("certifier", RegisterRules{RuleSet("eu.battery", 3, "r1")}).ok());
}

TEST_CASE("rule sets: one regulator registers at most its share of the versions; others still can",
          "[rules][authorize]") {
  TestChain c;
  Govern(c, SetOrgRoles{"certifier", RolesOf(c, "certifier") | static_cast<uint32_t>(Role::kRegulator)});
  for (uint32_t v = 1; v <= L::kMaxRuleSetVersionsPerOrg; ++v) {
    INFO("version " << v);
    REQUIRE(c.Apply("regulator", RegisterRules{RuleSet("flood", v, "f")}).ok());
  }
  ExpectRejected(c, "regulator", RegisterRules{RuleSet("flood", L::kMaxRuleSetVersionsPerOrg + 1, "f")},
                 "limit-reached");
  // The chain-wide bound is far from full: another regulator is not blocked.
  REQUIRE(c.Apply("certifier", RegisterRules{RuleSet("other.set", 1, "o1")}).ok());
}

TEST_CASE("attestations: one issuer fills at most its share of a subject's list", "[ops][authorize]") {
  TestChain c;
  REQUIRE(c.Apply("mine", CreateLot{"co", Comp("Co:1:0")}).ok());
  for (size_t i = 0; i < L::kMaxAttestationsPerIssuer; ++i) {
    REQUIRE(c.Apply("certifier", Attest{"co", "iso14001", "cert-" + std::to_string(i), 0}).ok());
  }
  ExpectRejected(c, "certifier", Attest{"co", "iso14001", "cert-x", 0}, "limit-reached");
  // Another issuer still attests the same lot.
  REQUIRE(c.Apply("regulator", Attest{"co", "audit", "ref-1", 0}).ok());
  CHECK(c.GetLot("co")->attestations.size() == L::kMaxAttestationsPerIssuer + 1);
}

TEST_CASE("rules: has_attestation naming an org counts that org's attestation, not another certifier's",
          "[rules][authorize]") {
  using circuledger::contracts::Outcome;
  TestChain c;
  // A second certifier besides "certifier".
  Govern(c, SetOrgRoles{"fixit", RolesOf(c, "fixit") | static_cast<uint32_t>(Role::kCertifier)});
  REQUIRE(c.Apply("regulator", RegisterRules{"ruleset \"audit\" version 1\n"
                                             "rule \"by-anyone\" { mode report categories \"battery.*\" "
                                             "require has_attestation(\"rc-audit\") }\n"
                                             "rule \"by-certifier\" { mode report categories \"battery.*\" "
                                             "require has_attestation(\"rc-audit\", \"certifier\") }\n"}).ok());
  REQUIRE(c.Apply("mine", CreateLot{"co", Comp("Co:1000:0")}).ok());
  REQUIRE(c.Apply("mine", Transfer{"co", "oem"}).ok());
  REQUIRE(c.Apply("oem", Assemble{{"co"}, NewProduct{"bat", "battery.ev", "m", Comp("Co:1000:0"), {}}, {}, {}, {}}).ok());
  // Outcomes of the two rules, as GET /v1/products/{id}/compliance computes them.
  auto outcomes = [&](uint64_t at) {
    WorkingState st(c.store());
    const std::vector<ComplianceItem> items = ExplainCompliance(st, *c.GetProduct("bat"), at);
    REQUIRE(items.size() == 2);
    REQUIRE(items[0].rule.id == "by-anyone");
    return std::pair{items[0].evaluation.outcome, items[1].evaluation.outcome};
  };
  CHECK(outcomes(c.store().Tip().time_ms) == std::pair{Outcome::kFail, Outcome::kFail});

  // The other certifier's attestation satisfies the rule that names no one, not the one naming "certifier".
  REQUIRE(c.Apply("fixit", Attest{"bat", "rc-audit", "fx-1", 0}).ok());
  CHECK(outcomes(c.store().Tip().time_ms) == std::pair{Outcome::kPass, Outcome::kFail});

  // The named org's attestation does, until it expires.
  const uint64_t expiry = c.NextTime() + 60'000;
  REQUIRE(c.Apply("certifier", Attest{"bat", "rc-audit", "cert-1", expiry}).ok());
  CHECK(outcomes(c.store().Tip().time_ms) == std::pair{Outcome::kPass, Outcome::kPass});
  CHECK(outcomes(expiry - 1) == std::pair{Outcome::kPass, Outcome::kPass});
  CHECK(outcomes(expiry) == std::pair{Outcome::kPass, Outcome::kFail});
}

#include "bench/rules.h"

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <iostream>

#include "bench/flags.h"
#include "bench/verify_limit.h"
#include "bench/workload.h"
#include "contracts/compiler.h"
#include "contracts/evaluator.h"
#include "contracts/time.h"
#include "ledger/rules.h"
#include "tests/support/test_chain.h"

namespace circuledger::bench {

using namespace ledger;
using Clock = std::chrono::steady_clock;

namespace {

double NsPer(Clock::time_point t0, uint64_t n) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(n);
}

// A battery of the validate --battery-rules workload: Co 33%, Li 9.09%, Ni 9.09% recycled.
Product CompliantBattery() {
  Product p;
  p.id = "urn:epc:id:sgtin:4034567.000041.1";
  p.category = "battery.ev";
  p.composition = testkit::Comp("Co:1400000:466666,Li:450000:40908,Ni:2000000:181818");
  p.attributes = {{"capacity_wh", 75000}, {"spare_parts_years", 10}};
  return p;
}

}  // namespace

int RunRules(const std::vector<std::string>& args) {
  uint64_t evals = 2'000'000;
  Flags flags;
  flags.AddUint("evals", &evals, 1000, 1'000'000'000, "evaluations timed per measurement");
  if (Status s = flags.Parse(args); !s.ok()) {
    std::cerr << s.ToString() << "\nusage: circuledger-bench rules [flags]\n" << flags.Usage();
    return 2;
  }
  Result<std::string> source = BatteryRulesSource();
  if (!source.ok()) {
    std::cerr << source.status().ToString() << "\n";
    return 1;
  }
  Clock::time_point t0 = Clock::now();
  const int compiles = 200;
  std::variant<contracts::RuleSet, contracts::CompileError> compiled;
  for (int i = 0; i < compiles; ++i) compiled = contracts::Compile(*source);
  const double compile_us = NsPer(t0, compiles) / 1000;
  if (auto* e = std::get_if<contracts::CompileError>(&compiled)) {
    std::cerr << "compile: " << e->ToString() << "\n";
    return 1;
  }
  const contracts::RuleSet& set = std::get<contracts::RuleSet>(compiled);
  const contracts::Rule& cobalt = set.rules.front();
  const uint64_t at = *contracts::ParseUtc("2031-09-01");
  const Product battery = CompliantBattery();
  const ProductFactsView facts(battery, at);

  // One rule.
  uint64_t passed = 0;
  t0 = Clock::now();
  for (uint64_t i = 0; i < evals; ++i) passed += contracts::Evaluate(cobalt, facts) == contracts::Outcome::kPass;
  const double eval_ns = NsPer(t0, evals);
  if (passed != evals) {
    std::cerr << "the cobalt rule did not pass\n";
    return 1;
  }

  // The whole check of an assemble against the rule set on the ledger.
  testkit::TestChain chain;
  if (Status s = chain.Apply("regulator", RegisterRules{*source}); !s.ok()) {
    std::cerr << "register: " << s.ToString() << "\n";
    return 1;
  }
  WorkingState state(chain.store());
  RuleCache cache;
  const uint64_t checks = evals / 4;
  uint64_t violations = 0;
  t0 = Clock::now();
  for (uint64_t i = 0; i < checks; ++i) violations += FirstAssembleViolation(state, &cache, battery, at).has_value();
  const double check_ns = NsPer(t0, checks);
  if (violations != 0) {
    std::cerr << "the battery broke a rule\n";
    return 1;
  }

  // One raw verification, on one thread, for scale.
  const SecretKey key = testkit::KeyFor("bench");
  std::vector<SigTriple> triples;
  for (uint8_t i = 0; i < 64; ++i) {
    Hash256 msg;
    msg.bytes.fill(i);
    triples.push_back(SigTriple{key.Public(), msg, key.Sign(msg.View(), msg)});
  }
  Result<VerifyLimit> limit = MeasureVerifyLimit(triples, 1, 1.0);
  if (!limit.ok()) {
    std::cerr << limit.status().ToString() << "\n";
    return 1;
  }
  const double verify_ns = 1e9 / limit->per_s;
  std::printf("rule set %s: %zu rules, compiled in %.1f us; cobalt rule: %zu instructions\n", set.id.c_str(),
              set.rules.size(), compile_us, cobalt.program.code.size());
  std::printf("one rule evaluation: %.1f ns; one assemble check (4 rules in force, index + cache): %.1f ns; "
              "one raw verify: %.0f ns (1 thread)\n",
              eval_ns, check_ns, verify_ns);
  std::printf("rule_eval_ns=%.1f assemble_check_ns=%.1f verify_ns=%.0f check_to_verify=%.4f\n", eval_ns, check_ns,
              verify_ns, check_ns / verify_ns);
  return 0;
}

}  // namespace circuledger::bench

// bench/rules.h: `circuledger-bench rules` — the cost of compliance rules in the hot path.
//
// Compiles examples/rules/eu-battery-2023-1542-art8.rules, registers it on a scratch chain, then
// times on one thread: one rule evaluation (Art. 8(2) cobalt on a compliant EV battery), the
// whole check an `assemble` makes (FirstAssembleViolation: index, cache, the 4 rules in force),
// and a raw signature verification for scale. Last line:
//   rule_eval_ns=<n> assemble_check_ns=<n> verify_ns=<n> check_to_verify=<r>
#pragma once

#include <string>
#include <vector>

namespace circuledger::bench {

int RunRules(const std::vector<std::string>& args);

}  // namespace circuledger::bench

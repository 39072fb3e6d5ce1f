// node/rules_views.h: the JSON shapes of rule sets and compliance verdicts (docs/api.md).
//
// Times are given both as ms since the epoch and as UTC dates; shares as percent strings with two
// decimals, rounded down (display only: verdicts are computed exactly). Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "ledger/rules.h"

namespace circuledger::node {

// One rule set version: header, source, and each rule's clauses.
nlohmann::json RuleSetJson(const ledger::RuleSetRecord& r);
// The index of registered versions.
nlohmann::json RuleIndexJson(const ledger::RuleIndex& index);
// A product's compliance at a time: every rule in force for its category, pass/fail/error and the
// figures each used; "compliant" is false when any rule in force does not pass.
nlohmann::json ComplianceJson(const ledger::Product& p, uint64_t time_ms, const std::vector<ledger::ComplianceItem>& items);
// A recycling's recorded rule outcomes.
nlohmann::json RuleOutcomesJson(const std::vector<ledger::RuleOutcome>& outcomes);

}  // namespace circuledger::node

#include "node/rules_views.h"

#include "contracts/time.h"

namespace circuledger::node {

using nlohmann::json;

namespace {

json RuleJson(const contracts::Rule& r) {
  json j = {{"id", r.id},
            {"title", r.title},
            {"mode", contracts::ModeName(r.mode)},
            {"on", contracts::TriggerName(r.trigger)},
            {"categories", r.categories},
            {"from_ms", r.from_ms},
            {"from", contracts::FormatUtc(r.from_ms)}};
  if (r.until_ms != contracts::kNoEnd) {
    j["until_ms"] = r.until_ms;
    j["until"] = contracts::FormatUtc(r.until_ms);
  }
  return j;
}

}  // namespace

json RuleSetJson(const ledger::RuleSetRecord& r) {
  json rules = json::array();
  for (const contracts::Rule& rule : r.compiled.rules) rules.push_back(RuleJson(rule));
  return {{"id", r.id},
          {"version", r.version},
          {"effective_ms", r.effective_ms},
          {"effective", contracts::FormatUtc(r.effective_ms)},
          {"registered_by", r.registered_by},
          {"tx", r.tx.ToHex()},
          {"height", r.height},
          {"rules", rules},
          {"source", r.source}};
}

json RuleIndexJson(const ledger::RuleIndex& index) {
  json out = json::array();
  for (const ledger::RuleSetRef& e : index.entries) {
    out.push_back({{"id", e.id},
                   {"version", e.version},
                   {"effective_ms", e.effective_ms},
                   {"effective", contracts::FormatUtc(e.effective_ms)},
                   {"tx", e.tx.ToHex()}});
  }
  return {{"rule_sets", out}};
}

json ComplianceJson(const ledger::Product& p, uint64_t time_ms, const std::vector<ledger::ComplianceItem>& items) {
  json rules = json::array();
  bool compliant = true;
  for (const ledger::ComplianceItem& it : items) {
    json figures = json::array();
    for (const contracts::Figure& f : it.evaluation.figures) {
      figures.push_back({{"expr", f.expr}, {"left", f.left}, {"right", f.right}, {"holds", f.holds}});
    }
    json j = RuleJson(it.rule);
    j["rule_set"] = it.rule_set;
    j["version"] = it.version;
    j["outcome"] = contracts::OutcomeName(it.evaluation.outcome);
    if (it.evaluation.outcome == contracts::Outcome::kError) j["error"] = it.evaluation.error;
    j["figures"] = figures;
    compliant &= it.evaluation.outcome == contracts::Outcome::kPass;
    rules.push_back(std::move(j));
  }
  return {{"product", p.id},
          {"category", p.category},
          {"time_ms", time_ms},
          {"time", contracts::FormatUtc(time_ms)},
          {"compliant", compliant},
          {"rules", rules}};
}

json RuleOutcomesJson(const std::vector<ledger::RuleOutcome>& outcomes) {
  json out = json::array();
  for (const ledger::RuleOutcome& o : outcomes) {
    out.push_back({{"rule_set", o.rule_set},
                   {"version", o.version},
                   {"rule", o.rule},
                   {"outcome", contracts::OutcomeName(static_cast<contracts::Outcome>(o.outcome))}});
  }
  return out;
}

}  // namespace circuledger::node

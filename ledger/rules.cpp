#include "ledger/rules.h"

#include <algorithm>

#include "ledger/encoding.h"

namespace circuledger::ledger {
namespace {

// Facts of one recycling: what went in (Mass) and what was recovered into output lots.
class RecyclingFacts final : public contracts::ProductFacts {
 public:
  RecyclingFacts(const RecyclingRecord& rec, std::string_view category) : rec_(rec), category_(category) {}
  std::string_view Category() const override { return category_; }
  uint64_t Mass(std::string_view m) const override { return Find(m) ? Find(m)->input_mg : 0; }
  uint64_t RecycledMass(std::string_view) const override { return 0; }  // not a recycle fact (compiler refuses it)
  uint64_t RecoveredMass(std::string_view m) const override { return Find(m) ? Find(m)->recovered_mg : 0; }
  std::optional<int64_t> Attribute(std::string_view) const override { return std::nullopt; }
  uint64_t RepairCount() const override { return 0; }
  bool HasAttestation(std::string_view) const override { return false; }  // not a recycle fact
  bool HasAttestationBy(std::string_view, std::string_view) const override { return false; }
  uint64_t BlockTimeMs() const override { return rec_.time_ms; }

 private:
  const RecoveryEntry* Find(std::string_view m) const {
    auto it = std::lower_bound(rec_.materials.begin(), rec_.materials.end(), m,
                               [](const RecoveryEntry& e, std::string_view x) { return e.material < x; });
    return it != rec_.materials.end() && it->material == m ? &*it : nullptr;
  }
  const RecyclingRecord& rec_;
  std::string_view category_;
};

std::shared_ptr<const RuleSetRecord> Load(WorkingState& state, const RuleSetRef& ref) {
  const RuleSetRecord* rec = state.GetRuleSet(ref.id, ref.version);
  if (!rec || rec->tx != ref.tx) throw StorageError("rule index names a missing rule set: " + ref.id);
  return std::make_shared<const RuleSetRecord>(*rec);
}

}  // namespace

std::shared_ptr<const RuleSetRecord> RuleCache::Get(WorkingState& state, const RuleSetRef& ref) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sets_.find(ref.tx);
    if (it != sets_.end()) return it->second;
  }
  std::shared_ptr<const RuleSetRecord> rec = Load(state, ref);
  std::lock_guard<std::mutex> lock(mu_);
  if (sets_.size() >= kMaxEntries) sets_.clear();  // rare: more versions than the ledger allows
  sets_.emplace(ref.tx, rec);
  return rec;
}

std::vector<std::shared_ptr<const RuleSetRecord>> RuleSetsInForce(WorkingState& state, RuleCache* cache,
                                                                  uint64_t time_ms) {
  std::vector<std::shared_ptr<const RuleSetRecord>> out;
  const RuleIndex* index = state.GetRuleIndex();
  if (!index) return out;
  // Entries are sorted by (id, version): the last eligible entry of each id is the one in force.
  const std::vector<RuleSetRef>& e = index->entries;
  std::vector<RuleSetRef> chosen;
  for (size_t i = 0; i < e.size(); ++i) {
    if (e[i].effective_ms > time_ms) continue;
    if (!chosen.empty() && chosen.back().id == e[i].id) {
      chosen.back() = e[i];
    } else {
      chosen.push_back(e[i]);
    }
  }
  for (const RuleSetRef& ref : chosen) out.push_back(cache ? cache->Get(state, ref) : Load(state, ref));
  return out;
}

std::optional<std::string> FirstAssembleViolation(WorkingState& state, RuleCache* cache, const Product& product,
                                                  uint64_t time_ms) {
  if (!state.GetRuleIndex()) return std::nullopt;  // the common case before any registration
  const ProductFactsView facts(product, time_ms);
  for (const auto& set : RuleSetsInForce(state, cache, time_ms)) {
    for (const contracts::Rule& r : set->compiled.rules) {
      if (r.mode != contracts::Mode::kEnforce || r.trigger != contracts::Trigger::kAssemble) continue;
      if (!r.InForceAt(time_ms) || !r.AppliesTo(product.category)) continue;
      if (contracts::Evaluate(r, facts) != contracts::Outcome::kPass) return r.id;
    }
  }
  return std::nullopt;
}

std::vector<RuleOutcome> EvaluateRecycleRules(WorkingState& state, RuleCache* cache, const RecyclingRecord& rec,
                                              const std::vector<std::string>& categories,
                                              std::optional<std::string>* violation) {
  std::vector<RuleOutcome> out;
  if (categories.empty() || !state.GetRuleIndex()) return out;
  for (const auto& set : RuleSetsInForce(state, cache, rec.time_ms)) {
    for (const contracts::Rule& r : set->compiled.rules) {
      if (r.trigger != contracts::Trigger::kRecycle || !r.InForceAt(rec.time_ms)) continue;
      auto cat = std::find_if(categories.begin(), categories.end(), [&](const std::string& c) { return r.AppliesTo(c); });
      if (cat == categories.end()) continue;
      const contracts::Outcome o = contracts::Evaluate(r, RecyclingFacts(rec, *cat));
      if (o != contracts::Outcome::kPass && r.mode == contracts::Mode::kEnforce && !*violation) *violation = r.id;
      out.push_back(RuleOutcome{set->id, set->version, r.id, static_cast<uint8_t>(o)});
    }
  }
  return out;
}

std::vector<ComplianceItem> ExplainCompliance(WorkingState& state, const Product& product, uint64_t time_ms) {
  std::vector<ComplianceItem> out;
  const ProductFactsView facts(product, time_ms);
  for (const auto& set : RuleSetsInForce(state, nullptr, time_ms)) {
    for (const contracts::Rule& r : set->compiled.rules) {
      if (r.trigger != contracts::Trigger::kAssemble || !r.InForceAt(time_ms) || !r.AppliesTo(product.category)) continue;
      out.push_back(ComplianceItem{set->id, set->version, r, contracts::Explain(r, facts, set->source)});
    }
  }
  return out;
}

std::optional<int64_t> ProductFactsView::Attribute(std::string_view name) const {
  auto it = std::lower_bound(p_.attributes.begin(), p_.attributes.end(), name,
                             [](const ledger::Attribute& a, std::string_view n) { return a.name < n; });
  if (it == p_.attributes.end() || it->name != name) return std::nullopt;
  return it->value;
}

bool ProductFactsView::HasAttestation(std::string_view kind) const { return HasUnexpired(kind, nullptr); }

bool ProductFactsView::HasAttestationBy(std::string_view kind, std::string_view issuer) const {
  return HasUnexpired(kind, &issuer);
}

bool ProductFactsView::HasUnexpired(std::string_view kind, const std::string_view* issuer) const {
  return std::any_of(p_.attestations.begin(), p_.attestations.end(), [&](const Attestation& a) {
    return a.kind == kind && (!issuer || a.issuer == *issuer) && (a.expiry_ms == 0 || a.expiry_ms > time_ms_);
  });
}

}  // namespace circuledger::ledger

// register_rules: a regulator stores a new rule set version (DESIGN.md 7, contracts/RULES.md).
#include <set>

#include "contracts/compiler.h"
#include "ledger/detail/apply_internal.h"
#include "ledger/limits.h"

namespace circuledger::ledger::detail {

namespace {
Status Reject_(Reject r, std::string detail = {}) { return Status::Rejected(r, std::move(detail)); }
}  // namespace

std::string RuleSetOwnerOf(WorkingState& st, std::string_view id) {
  if (const RuleSetOwner* owner = st.GetRuleSetOwner(id)) return owner->org;
  const RuleIndex* index = st.GetRuleIndex();
  if (!index) return {};
  for (const RuleSetRef& ref : index->entries) {  // sorted by (id, version): the first is the oldest
    if (ref.id != id) continue;
    const RuleSetRecord* first = st.GetRuleSet(ref.id, ref.version);
    if (!first) throw StorageError("rule index names a missing rule set: " + ref.id);
    return first->registered_by;
  }
  return {};
}

Status ApplyRegisterRules(const TxScope& s, const RegisterRules& op) {
  if (!s.Has(Role::kRegulator)) return Reject_(Reject::kRoleNotAllowed, "register_rules needs regulator");
  auto compiled = contracts::Compile(op.source);
  if (auto* e = std::get_if<contracts::CompileError>(&compiled)) return Reject_(Reject::kRulesInvalid, e->ToString());
  contracts::RuleSet& set = std::get<contracts::RuleSet>(compiled);

  // History is not rewritten: which rules were in force at a past block time never changes.
  if (set.from_ms != 0 && set.from_ms < s.ctx.time_ms) {
    return Reject_(Reject::kRulesEffectiveInPast, set.id + " from is before the block time");
  }
  const RuleIndex* found = s.state.GetRuleIndex();
  RuleIndex index = found ? *found : RuleIndex{};
  if (index.entries.size() >= limits::kMaxRuleSetVersions) return Reject_(Reject::kLimitReached, "rule set versions");
  // A rule set id belongs to the regulator that first registered it; others supersede it only
  // through governance (set_rule_set_owner).
  const std::string owner = RuleSetOwnerOf(s.state, set.id);
  if (!owner.empty() && owner != s.org.id) return Reject_(Reject::kRuleSetOwned, set.id + " belongs to " + owner);

  std::set<std::string> new_rule_ids;
  for (const contracts::Rule& r : set.rules) new_rule_ids.insert(r.id);
  size_t mine = 0;  // versions this org registered: its share of the chain's bound
  for (const RuleSetRef& ref : index.entries) {
    if (ref.id == set.id && ref.version >= set.version) {
      return Reject_(Reject::kRulesVersionNotNewer, set.id + " has version " + std::to_string(ref.version));
    }
    const RuleSetRecord* other = s.state.GetRuleSet(ref.id, ref.version);
    if (!other) throw StorageError("rule index names a missing rule set: " + ref.id);
    if (other->registered_by == s.org.id) ++mine;
    if (ref.id == set.id) continue;
    // Reject strings name a rule by its id alone, so another rule set may not reuse one.
    for (const contracts::Rule& r : other->compiled.rules) {
      if (new_rule_ids.count(r.id)) return Reject_(Reject::kRuleIdTaken, r.id + " is a rule of " + ref.id);
    }
  }
  if (mine >= limits::kMaxRuleSetVersionsPerOrg) {
    return Reject_(Reject::kLimitReached, s.org.id + " registered " + std::to_string(mine) + " rule set versions");
  }

  RuleSetRecord rec;
  rec.id = set.id;
  rec.version = set.version;
  rec.effective_ms = set.from_ms != 0 ? set.from_ms : s.ctx.time_ms;
  rec.source = op.source;
  rec.registered_by = s.org.id;
  rec.tx = s.id;
  rec.height = s.ctx.height;
  rec.time_ms = s.ctx.time_ms;
  rec.compiled = std::move(set);
  const RuleSetRef ref{rec.id, rec.version, rec.effective_ms, rec.tx};
  auto pos = std::lower_bound(index.entries.begin(), index.entries.end(), ref, [](const RuleSetRef& a, const RuleSetRef& b) {
    return std::tie(a.id, a.version) < std::tie(b.id, b.version);
  });
  index.entries.insert(pos, ref);
  if (owner.empty()) s.state.PutRuleSetOwner(RuleSetOwner{rec.id, s.org.id, s.id});
  s.state.PutRuleSet(std::move(rec));
  s.state.PutRuleIndex(std::move(index));
  return Status::Ok();
}

}  // namespace circuledger::ledger::detail

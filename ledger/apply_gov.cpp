// Governance: propose / approve by admin orgs, m-of-n threshold from the chain parameters, and
// the changes themselves (DESIGN.md section 2). A change is checked when proposed and again when
// its threshold is met; validator-set changes apply limits::kValidatorChangeDelay heights later.
#include <algorithm>

#include "ledger/detail/apply_internal.h"
#include "ledger/genesis.h"
#include "ledger/limits.h"

namespace circuledger::ledger::detail {

namespace L = limits;

namespace {

Status Bad(std::string detail) { return Status::Rejected(Reject::kBadGovChange, std::move(detail)); }

bool IsAdmin(const Org& org) { return HasRole(org.roles, Role::kAdmin) && org.status == OrgStatus::kActive; }

// The admin set after an org changes roles or status, checked against the threshold.
Status CheckAdminsAfter(WorkingState& st, const Org& changed, uint32_t threshold) {
  std::vector<std::string> admins = st.GetAdmins().orgs;
  admins.erase(std::remove(admins.begin(), admins.end(), changed.id), admins.end());
  if (IsAdmin(changed)) admins.push_back(changed.id);
  if (admins.size() < threshold) {
    return Status::Rejected(Reject::kThresholdUnreachable, std::to_string(admins.size()) + " admin orgs would remain, " +
                                                             std::to_string(threshold) + " approvals needed");
  }
  return Status::Ok();
}

void UpdateAdmins(WorkingState& st, const Org& changed) {
  AdminSet admins = st.GetAdmins();
  admins.orgs.erase(std::remove(admins.orgs.begin(), admins.orgs.end(), changed.id), admins.orgs.end());
  if (IsAdmin(changed)) admins.orgs.insert(std::lower_bound(admins.orgs.begin(), admins.orgs.end(), changed.id), changed.id);
  st.PutAdmins(std::move(admins));
}

// The validator set as it will be once every scheduled change has applied.
std::vector<Validator> ProjectedValidators(const ValidatorSet& set) {
  std::vector<Validator> v = set.active;
  for (const PendingValidatorChange& c : set.pending) {
    auto it = std::find_if(v.begin(), v.end(), [&](const Validator& x) { return x.key == c.validator.key; });
    if (it != v.end()) v.erase(it);
    if (c.add) v.push_back(c.validator);
  }
  return v;
}

// Checks a change against the current state, then applies it. Check and apply are one visitor so
// they cannot drift apart; `apply` false only checks.
class Change {
 public:
  Change(WorkingState& st, const Hash256& tx, uint64_t height, bool apply)
      : st_(st), tx_(tx), height_(height), apply_(apply) {}

  Status operator()(const AddOrg& c) {
    if (!IsValidOrgId(c.id) || !IsValidName(c.name)) return Bad("bad org id or name");
    if ((c.roles & ~kAllRoles) != 0) return Bad("bad roles");
    if (c.keys.empty() || c.keys.size() > L::kMaxOrgKeys) return Bad("an org needs 1.." + std::to_string(L::kMaxOrgKeys) + " keys");
    if (st_.GetOrg(c.id)) return Status::Rejected(Reject::kIdExists, c.id);
    std::vector<PubKey> keys = c.keys;
    std::sort(keys.begin(), keys.end());
    if (std::adjacent_find(keys.begin(), keys.end()) != keys.end()) return Bad("duplicate key");
    for (const PubKey& k : keys) {
      if (!IsValidPubKey(k)) return Bad("key not on the curve");
      if (st_.GetAccount(k)) return Status::Rejected(Reject::kKeyInUse, k.ToHex());
    }
    if (!apply_) return Status::Ok();
    Org org{c.id, c.name, c.roles, keys, OrgStatus::kActive};
    for (const PubKey& k : keys) st_.PutAccount(k, Account{c.id, 0, 0});
    if (IsAdmin(org)) UpdateAdmins(st_, org);
    st_.PutOrg(std::move(org));
    return Status::Ok();
  }

  Status operator()(const SetOrgStatus& c) {
    const Org* found = st_.GetOrg(c.org);
    if (!found) return Status::Rejected(Reject::kUnknownOrg, c.org);
    Org org = *found;
    org.status = c.status;
    if (Status s = CheckAdminsAfter(st_, org, st_.GetParams().gov_threshold); !s.ok()) return s;
    if (!apply_) return Status::Ok();
    UpdateAdmins(st_, org);
    st_.PutOrg(std::move(org));
    return Status::Ok();
  }

  Status operator()(const SetOrgRoles& c) {
    if ((c.roles & ~kAllRoles) != 0) return Bad("bad roles");
    const Org* found = st_.GetOrg(c.org);
    if (!found) return Status::Rejected(Reject::kUnknownOrg, c.org);
    Org org = *found;
    org.roles = c.roles;
    if (Status s = CheckAdminsAfter(st_, org, st_.GetParams().gov_threshold); !s.ok()) return s;
    if (!apply_) return Status::Ok();
    UpdateAdmins(st_, org);
    st_.PutOrg(std::move(org));
    return Status::Ok();
  }

  Status operator()(const AddMemberKey& c) {
    const Org* found = st_.GetOrg(c.org);
    if (!found) return Status::Rejected(Reject::kUnknownOrg, c.org);
    if (!IsValidPubKey(c.key)) return Bad("key not on the curve");
    // A key belongs to one org for ever: a revoked key stays an account and is never reused.
    if (st_.GetAccount(c.key)) return Status::Rejected(Reject::kKeyInUse, c.key.ToHex());
    if (found->members.size() >= L::kMaxOrgKeys) return Status::Rejected(Reject::kLimitReached, "org has the most keys");
    if (!apply_) return Status::Ok();
    Org org = *found;
    org.members.insert(std::lower_bound(org.members.begin(), org.members.end(), c.key), c.key);
    st_.PutAccount(c.key, Account{org.id, 0, 0});
    st_.PutOrg(std::move(org));
    return Status::Ok();
  }

  Status operator()(const RevokeMemberKey& c) {
    const Org* found = st_.GetOrg(c.org);
    if (!found) return Status::Rejected(Reject::kUnknownOrg, c.org);
    auto it = std::find(found->members.begin(), found->members.end(), c.key);
    if (it == found->members.end()) return Bad("key is not a member of " + c.org);
    if (found->members.size() == 1) return Bad("an org keeps at least one key");
    if (!apply_) return Status::Ok();
    Org org = *found;
    org.members.erase(org.members.begin() + (it - found->members.begin()));
    Account acc = *st_.GetAccount(c.key);
    acc.revoked = 1;
    st_.PutAccount(c.key, std::move(acc));
    st_.PutOrg(std::move(org));
    return Status::Ok();
  }

  Status operator()(const AddValidator& c) {
    const Validator& v = c.validator;
    if (!IsValidPubKey(v.key) || !IsValidName(v.name) || v.address.empty() || v.address.size() > L::kMaxTextLen) {
      return Bad("bad validator");
    }
    const ValidatorSet& set = st_.GetValidators();
    std::vector<Validator> projected = ProjectedValidators(set);
    if (std::any_of(projected.begin(), projected.end(), [&](const Validator& x) { return x.key == v.key; })) {
      return Bad("validator already in the set");
    }
    if (projected.size() >= L::kMaxValidators) return Status::Rejected(Reject::kLimitReached, "validator set full");
    return Schedule(set, 1, v);
  }

  Status operator()(const RemoveValidator& c) {
    const ValidatorSet& set = st_.GetValidators();
    std::vector<Validator> projected = ProjectedValidators(set);
    auto it = std::find_if(projected.begin(), projected.end(), [&](const Validator& x) { return x.key == c.key; });
    if (it == projected.end()) return Bad("not a validator");
    if (projected.size() == 1) return Bad("the last validator cannot be removed");
    return Schedule(set, 0, *it);
  }

  Status operator()(const SetRuleSetOwner& c) {
    if (RuleSetOwnerOf(st_, c.rule_set).empty()) return Bad("no rule set " + c.rule_set);
    const Org* org = st_.GetOrg(c.org);
    if (!org) return Status::Rejected(Reject::kUnknownOrg, c.org);
    if (!HasRole(org->roles, Role::kRegulator)) return Bad(c.org + " is not a regulator");
    if (!apply_) return Status::Ok();
    st_.PutRuleSetOwner(RuleSetOwner{c.rule_set, c.org, tx_});
    return Status::Ok();
  }

  Status operator()(const SetParams& c) {
    if (Status s = ValidateParams(c.params); !s.ok()) return Bad(s.detail());
    if (c.params.gov_threshold > st_.GetAdmins().orgs.size()) {
      return Status::Rejected(Reject::kThresholdUnreachable, "threshold above the number of admin orgs");
    }
    if (apply_) st_.PutParams(c.params);
    return Status::Ok();
  }

 private:
  Status Schedule(const ValidatorSet& set, uint8_t add, const Validator& v) {
    if (set.pending.size() >= L::kMaxPendingValidatorChanges) {
      return Status::Rejected(Reject::kLimitReached, "too many pending validator changes");
    }
    if (!apply_) return Status::Ok();
    ValidatorSet next = set;
    next.pending.push_back(PendingValidatorChange{height_ + L::kValidatorChangeDelay, add, v});
    st_.PutValidators(std::move(next));
    return Status::Ok();
  }

  WorkingState& st_;
  Hash256 tx_;  // the transaction that proposes or applies the change
  uint64_t height_ = 0;
  bool apply_ = false;
};

// Counts approvals from orgs that are admins now; applies the change when the threshold is met.
Status MaybeApply(const TxScope& s, Proposal& p) {
  const AdminSet& admins = s.state.GetAdmins();
  size_t count = 0;
  for (const std::string& a : p.approvals) {
    if (std::binary_search(admins.orgs.begin(), admins.orgs.end(), a)) ++count;
  }
  if (count < s.state.GetParams().gov_threshold) return Status::Ok();
  if (Status r = std::visit(Change(s.state, s.id, s.ctx.height, /*apply=*/false), p.change); !r.ok()) return r;
  [[maybe_unused]] Status applied = std::visit(Change(s.state, s.id, s.ctx.height, /*apply=*/true), p.change);
  assert(applied.ok());
  p.status = ProposalStatus::kApplied;
  return Status::Ok();
}

// Counts `p` among its proposer's open proposals, or refuses it (limit-reached) when the org
// already has limits::kMaxOpenProposalsPerOrg open: one admin org must not fill the state with
// proposals the others have to read past. Entries whose proposal has expired are dropped first.
Status CountOpenProposal(const TxScope& s, const Proposal& p) {
  const OrgProposals* found = s.state.GetOrgProposals(p.proposer);
  OrgProposals mine = found ? *found : OrgProposals{p.proposer, {}};
  std::erase_if(mine.open, [&](const OpenProposal& e) { return e.expires_height < s.ctx.height; });
  if (mine.open.size() >= L::kMaxOpenProposalsPerOrg) {
    return Status::Rejected(Reject::kLimitReached, p.proposer + " has " + std::to_string(mine.open.size()) +
                                                       " open proposals, the most one org may have");
  }
  mine.open.push_back(OpenProposal{p.id, p.expires_height});
  s.state.PutOrgProposals(std::move(mine));
  return Status::Ok();
}

// Takes an applied proposal out of its proposer's open proposals.
void UncountOpenProposal(const TxScope& s, const Proposal& p) {
  const OrgProposals* found = s.state.GetOrgProposals(p.proposer);
  if (!found) return;  // proposed before open proposals were counted
  auto it = std::find_if(found->open.begin(), found->open.end(), [&](const OpenProposal& e) { return e.id == p.id; });
  if (it == found->open.end()) return;
  OrgProposals mine = *found;
  mine.open.erase(mine.open.begin() + (it - found->open.begin()));
  s.state.PutOrgProposals(std::move(mine));
}

}  // namespace

Status ApplyPropose(const TxScope& s, const Propose& op) {
  if (!s.IsAdmin()) return Status::Rejected(Reject::kRoleNotAllowed, "propose needs an admin org");
  if (Status r = std::visit(Change(s.state, s.id, s.ctx.height, /*apply=*/false), op.change); !r.ok()) return r;
  Proposal p;
  p.id = s.id;
  p.proposer = s.org.id;
  p.change = op.change;
  p.approvals = {s.org.id};
  p.created_height = s.ctx.height;
  p.expires_height = s.ctx.height + s.state.GetParams().proposal_ttl_blocks;
  if (Status r = MaybeApply(s, p); !r.ok()) return r;
  if (p.status == ProposalStatus::kPending) {
    if (Status r = CountOpenProposal(s, p); !r.ok()) return r;
  }
  s.state.PutProposal(std::move(p));
  return Status::Ok();
}

Status ApplyApprove(const TxScope& s, const Approve& op) {
  if (!s.IsAdmin()) return Status::Rejected(Reject::kRoleNotAllowed, "approve needs an admin org");
  const Proposal* found = s.state.GetProposal(op.proposal);
  if (!found) return Status::Rejected(Reject::kUnknownProposal, op.proposal.ToHex());
  if (found->status != ProposalStatus::kPending) return Status::Rejected(Reject::kProposalClosed, "already applied");
  if (s.ctx.height > found->expires_height) return Status::Rejected(Reject::kProposalClosed, "expired");
  Proposal p = *found;
  auto pos = std::lower_bound(p.approvals.begin(), p.approvals.end(), s.org.id);
  if (pos != p.approvals.end() && *pos == s.org.id) return Status::Rejected(Reject::kDuplicateApproval, s.org.id);
  p.approvals.insert(pos, s.org.id);
  if (Status r = MaybeApply(s, p); !r.ok()) return r;
  if (p.status == ProposalStatus::kApplied) UncountOpenProposal(s, p);
  s.state.PutProposal(std::move(p));
  return Status::Ok();
}

}  // namespace circuledger::ledger::detail

namespace circuledger::ledger {

void ApplyScheduledValidatorChanges(WorkingState& state, uint64_t height) {
  const ValidatorSet& set = state.GetValidators();
  if (set.pending.empty() || set.pending.front().height > height) return;
  ValidatorSet next;
  next.active = set.active;
  for (const PendingValidatorChange& c : set.pending) {
    if (c.height > height) {
      next.pending.push_back(c);
      continue;
    }
    auto it = std::find_if(next.active.begin(), next.active.end(), [&](const Validator& v) { return v.key == c.validator.key; });
    if (it != next.active.end()) next.active.erase(it);
    if (c.add) next.active.insert(std::lower_bound(next.active.begin(), next.active.end(), c.validator), c.validator);
  }
  state.PutValidators(std::move(next));
}

}  // namespace circuledger::ledger

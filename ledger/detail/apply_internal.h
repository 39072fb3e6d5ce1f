// ledger/detail/apply_internal.h: shared pieces of the transaction appliers (apply_*.cpp).
#pragma once

#include "ledger/apply.h"

namespace circuledger::ledger::detail {

// The signer's org as it was when the transaction started (governance may rewrite the org while
// the handler runs). Only what handlers need: copying a whole Org, with its member keys, for every
// transaction was a measurable part of ApplyTx.
struct SignerOrg {
  std::string id;
  uint32_t roles = 0;
};

// What every operation handler gets: the state, the transaction, its id, the block and the
// signer's org (active, looked up by ApplyTx).
struct TxScope {
  WorkingState& state;
  const Tx& tx;
  const Hash256& id;
  const BlockContext& ctx;
  const SignerOrg& org;

  bool Has(Role r) const { return HasRole(org.roles, r); }
  bool IsAdmin() const { return Has(Role::kAdmin); }  // the org is active: ApplyTx checked
};

Status ApplyPropose(const TxScope& s, const Propose& op);
Status ApplyApprove(const TxScope& s, const Approve& op);
Status ApplyRegisterRules(const TxScope& s, const RegisterRules& op);

// The org that owns rule set `id`: its owner record or, for a set registered before owner
// records existed, the regulator of its first version. Empty when no version is registered.
std::string RuleSetOwnerOf(WorkingState& st, std::string_view id);

}  // namespace circuledger::ledger::detail

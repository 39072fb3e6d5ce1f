// ledger/detail/apply_internal.h: shared pieces of the transaction appliers (apply_*.cpp).
#pragma once

#include "ledger/apply.h"

namespace circuledger::ledger::detail {

// What every operation handler gets: the state, the transaction, its id, the block and the
// signer's org (active, looked up by ApplyTx).
struct TxScope {
  WorkingState& state;
  const Tx& tx;
  const Hash256& id;
  const BlockContext& ctx;
  const Org& org;

  bool Has(Role r) const { return HasRole(org.roles, r); }
};

Status ApplyPropose(const TxScope& s, const Propose& op);
Status ApplyApprove(const TxScope& s, const Approve& op);
Status ApplyRegisterRules(const TxScope& s, const RegisterRules& op);

}  // namespace circuledger::ledger::detail

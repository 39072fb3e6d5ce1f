// ledger/apply.h: validity rules and effects of each transaction (DESIGN.md sections 2 and 3).
//
// CheckTxStateless needs no state and runs in parallel before signature verification. ApplyTx
// runs sequentially, in block order, on a WorkingState inside BeginTx/CommitTx: on any reject it
// returns the reason and the caller rolls the transaction back. Deterministic: same state and
// transaction, same result and writes on every machine. Free functions; no shared state.
#pragma once

#include "ledger/rules.h"
#include "ledger/state.h"
#include "ledger/status.h"
#include "ledger/tx.h"

namespace circuledger::ledger {

struct BlockContext {
  std::string_view chain_id;
  uint64_t height = 0;
  uint64_t time_ms = 0;
  RuleCache* rule_cache = nullptr;  // decoded rule sets (borrowed); null: decode from the state
};

// Format checks of a transaction: version, genesis hash (`wrong-chain` when the transaction is
// for another chain), ids, names, compositions, attribute lists, duplicate inputs. Does not
// verify the signature.
Status CheckTxStateless(const Tx& tx, const Hash256& genesis_hash);

// Applies a transaction whose signature was verified: signer, nonce, org status, role and the
// operation's rules. On a non-ok result the caller must RollbackTx.
Status ApplyTx(WorkingState& state, const Tx& tx, const Hash256& tx_id, const BlockContext& ctx);

// Applies validator-set changes scheduled at or before `height`; call before a block's transactions.
void ApplyScheduledValidatorChanges(WorkingState& state, uint64_t height);

// Id rules shared with the CLI and API: lot/product ids are 1..kMaxIdLen printable ASCII with no
// spaces; categories, attribute names and attestation kinds are lower-case [a-z0-9._-].
bool IsValidItemId(std::string_view id);
bool IsValidToken(std::string_view s, size_t max_len);
bool IsPrintable(std::string_view s, size_t max_len);

}  // namespace circuledger::ledger

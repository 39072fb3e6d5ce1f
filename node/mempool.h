// node/mempool.h: transactions waiting for a block, ordered by account nonce.
//
// Bounded (node/limits.h, docs/config.md), each bound with its own reject string:
//   - a nonce must lie in the signer's window [next, next + nonce_window), next being the
//     committed next nonce: below is a used nonce, beyond is a skipped one; both "bad-nonce".
//     The nonce just past a window whose every nonce waits is not skipped: the signer is
//     pipelining ahead of the chain, and it is told to retry ("mempool-account-full");
//   - at most max_per_account waiting transactions of one signer ("mempool-account-full"), at most
//     max_per_org of all signers of one org ("mempool-org-full"), so one org cannot fill the pool
//     for everyone, and at most max_txs in total ("mempool-full");
//   - a transaction waits at most expiry_ms, then it is dropped ("mempool-expired").
// Transactions are admitted only after the executor's stateless and signature checks (the
// caller does those); the caller says whether it also checked the transaction against the tip.
// One it did not check (a future nonce, or a peer's) is checked against the tip when it becomes
// executable, i.e. when its nonce becomes its signer's next after a commit (Prune), and dropped
// if invalid. Every transaction the mempool drops on its own is reported, with its reason, to the
// owner's `dropped` hook (the node records it for GET /v1/tx) before it leaves the mempool.
//
// Ready() hands out, per account, the run of consecutive nonces starting at the account's next
// nonce, accounts in order of first arrival. Prune() after each commit drops what the block
// included or made stale, what expired, and what became executable and is invalid.
// Thread-safe (one mutex); the hooks are called without it, except `dropped`, which is called
// under it and must not call back into the mempool.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ledger/state.h"
#include "ledger/status.h"
#include "ledger/tx.h"
#include "node/limits.h"

namespace circuledger::node {

struct MempoolOptions {
  size_t max_txs = limits::kDefaultMempoolMaxTxs;                   // all accounts together
  size_t max_per_account = limits::kDefaultMempoolMaxPerAccount;    // waiting transactions of one signer
  size_t max_per_org = limits::kDefaultMempoolMaxPerOrg;            // waiting transactions of one org's signers
  uint64_t nonce_window = limits::kDefaultMempoolNonceWindow;       // nonces next .. next + window - 1 wait
  uint64_t expiry_ms = limits::kDefaultMempoolExpiryMs;             // how long a transaction may wait
};

// What the mempool borrows from its owner. Every hook is optional.
struct MempoolHooks {
  // A monotonic clock in ms for expiry; default: std::chrono::steady_clock.
  std::function<uint64_t()> now_ms;
  // Checks a transaction whose nonce just became its signer's next against the committed tip;
  // a reject drops it. Default: none (such transactions are left to the block builder).
  std::function<ledger::Status(const ledger::Tx&, const ledger::Hash256&)> check;
  // Told of each transaction the mempool drops on its own (expired, or invalid when it became
  // executable), with the reason, before the transaction leaves the mempool.
  std::function<void(const ledger::Hash256&, const ledger::Status&)> dropped;
};

// Returns an account's next nonce in committed state.
using NonceLookup = std::function<uint64_t(const ledger::PubKey&)>;
// The lookup over `state` (0 for an unknown account). `state` must outlive the lookup.
NonceLookup NextNonces(ledger::WorkingState& state);

class Mempool {
 public:
  explicit Mempool(const MempoolOptions& options, MempoolHooks hooks = {});

  enum class AddResult { kAdded, kAlreadyKnown };
  // Admits a transaction that passed the stateless and signature checks. `next_nonce` is the
  // signer's committed next nonce, `org` its org; `checked`: the caller also checked it against
  // the tip (only meaningful when its nonce is next_nonce). Rejected "bad-nonce" when the nonce
  // is outside the window or another waiting transaction has it; "mempool-account-full",
  // "mempool-org-full" or "mempool-full" when a bound is reached; kAlreadyKnown for a
  // transaction it holds.
  ledger::Result<AddResult> Add(const ledger::Tx& tx, const ledger::Hash256& id, uint64_t next_nonce,
                                const std::string& org, bool checked);

  // Up to `max` transactions ready for the next block.
  std::vector<ledger::Tx> Ready(size_t max, const NonceLookup& next_nonce) const;

  // After a commit: drops every transaction whose nonce is below its account's next nonce and
  // returns their ids (the caller tells included ones from stale ones); drops expired ones
  // ("mempool-expired"); checks up to limits::kMaxMempoolRechecksPerCommit unchecked
  // transactions that became executable against the tip and drops those the check rejects (with
  // the check's reason). The last two are reported to the `dropped` hook.
  std::vector<ledger::Hash256> Prune(const NonceLookup& next_nonce);
  // Drops one transaction (the block builder found it invalid). Later nonces of the same signer
  // stay: they become ready if the signer sends a valid transaction with the freed nonce (or
  // expire).
  bool Evict(const ledger::Hash256& id);

  // The next nonce a new transaction of `signer` should use: `next_nonce` (committed) advanced
  // past the run of consecutive nonces waiting here.
  uint64_t PendingNonce(const ledger::PubKey& signer, uint64_t next_nonce) const;
  // How many transactions of `signer` wait (future nonces included).
  size_t PendingCount(const ledger::PubKey& signer) const;

  bool Contains(const ledger::Hash256& id) const;
  size_t Size() const;
  const MempoolOptions& options() const { return options_; }

 private:
  struct Entry {
    ledger::Tx tx;
    ledger::Hash256 id;
    uint64_t admitted_ms = 0;  // the hooks' clock when admitted
    bool checked = false;      // checked against the tip with this nonce as the signer's next
  };
  struct Account {
    uint64_t arrival = 0;               // order of the account's first waiting transaction
    std::string org;                    // the signer's org when it was admitted (for the org cap)
    std::map<uint64_t, Entry> by_nonce;  // nonce -> transaction
  };
  // Tx ids are SHA-256 outputs, but a signer can grind ids whose low bits collide; a random key
  // of this mempool, mixed in, keeps its bucket collisions unpredictable.
  struct IdHash {
    uint64_t key = 0;
    size_t operator()(const ledger::Hash256& id) const;
  };
  uint64_t Now() const;
  // Under mu_: every nonce from next_nonce to nonce - 1 of `signer` waits.
  bool WindowFullBefore(const ledger::PubKey& signer, uint64_t next_nonce, uint64_t nonce) const;
  // Under mu_: removes one entry of `acc` (its id, its org count), not the account.
  void EraseLocked(Account& acc, std::map<uint64_t, Entry>::iterator it);
  void EraseAccountIfEmpty(const ledger::PubKey& key);
  // Under mu_: drops (reporting each) every transaction that waited expiry_ms.
  void ExpireLocked(uint64_t now_ms);

  MempoolOptions options_;
  MempoolHooks hooks_;
  mutable std::mutex mu_;
  std::map<ledger::PubKey, Account> accounts_;                          // guarded by mu_
  // id -> (signer, nonce); guarded by mu_. Hashed: the ordered map's 32-byte comparisons were
  // 1.3% of a validator's CPU in the cluster benchmark.
  std::unordered_map<ledger::Hash256, std::pair<ledger::PubKey, uint64_t>, IdHash> ids_;
  std::map<std::string, size_t> per_org_;                               // waiting per org; guarded by mu_
  uint64_t next_arrival_ = 0;                                           // guarded by mu_
  uint64_t last_full_sweep_ms_ = 0;  // a full pool looks for expired ones at most once a second; mu_
};

}  // namespace circuledger::node

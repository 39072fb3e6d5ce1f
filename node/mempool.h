// node/mempool.h: transactions waiting for a block, ordered by account nonce.
//
// Bounded: at most max_txs in total and max_per_account per signer; a nonce more than
// max_nonce_gap ahead of the account's next nonce is refused. Holds future nonces until the gap
// closes. Transactions are admitted only after the executor's stateless and signature checks
// (the caller does those). Ready() hands out, per account, the run of consecutive nonces starting
// at the account's next nonce, accounts in order of first arrival. Prune() after each commit drops
// what the block included or made stale. Thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "ledger/state.h"
#include "ledger/status.h"
#include "ledger/tx.h"

namespace circuledger::node {

struct MempoolOptions {
  size_t max_txs = 20000;        // all accounts together
  size_t max_per_account = 1024;  // pending transactions of one signer
  uint64_t max_nonce_gap = 1024;  // how far ahead of the next nonce a transaction may be
};

// Returns an account's next nonce in committed state.
using NonceLookup = std::function<uint64_t(const ledger::PubKey&)>;
// The lookup over `state` (0 for an unknown account). `state` must outlive the lookup.
NonceLookup NextNonces(ledger::WorkingState& state);

class Mempool {
 public:
  explicit Mempool(const MempoolOptions& options);

  enum class AddResult { kAdded, kAlreadyKnown };
  // Admits a checked transaction. Rejected "bad-nonce" when the nonce is below next_nonce or too
  // far ahead, "mempool-full" when a bound is reached; kAlreadyKnown for a transaction it holds.
  ledger::Result<AddResult> Add(const ledger::Tx& tx, const ledger::Hash256& id, uint64_t next_nonce);

  // Up to `max` transactions ready for the next block.
  std::vector<ledger::Tx> Ready(size_t max, const NonceLookup& next_nonce) const;

  // Drops every transaction whose nonce is below its account's next nonce. Returns their ids.
  std::vector<ledger::Hash256> Prune(const NonceLookup& next_nonce);
  // Drops one transaction (the block builder found it invalid). Later nonces of the same signer
  // stay: they become ready if the signer sends a valid transaction with the freed nonce.
  bool Evict(const ledger::Hash256& id);

  // The next nonce a new transaction of `signer` should use: `next_nonce` (committed) advanced
  // past the run of consecutive nonces waiting here.
  uint64_t PendingNonce(const ledger::PubKey& signer, uint64_t next_nonce) const;

  bool Contains(const ledger::Hash256& id) const;
  size_t Size() const;

 private:
  struct Entry {
    ledger::Tx tx;
    ledger::Hash256 id;
  };
  struct Account {
    uint64_t arrival = 0;               // order of the account's first waiting transaction
    std::map<uint64_t, Entry> by_nonce;  // nonce -> transaction
  };
  // Tx ids are SHA-256 outputs, but a signer can grind ids whose low bits collide; a random key
  // of this mempool, mixed in, keeps its bucket collisions unpredictable.
  struct IdHash {
    uint64_t key = 0;
    size_t operator()(const ledger::Hash256& id) const;
  };
  void EraseAccountIfEmpty(const ledger::PubKey& key);

  MempoolOptions options_;
  mutable std::mutex mu_;
  std::map<ledger::PubKey, Account> accounts_;                          // guarded by mu_
  // id -> (signer, nonce); guarded by mu_. Hashed: the ordered map's 32-byte comparisons were
  // 1.3% of a validator's CPU in the cluster benchmark.
  std::unordered_map<ledger::Hash256, std::pair<ledger::PubKey, uint64_t>, IdHash> ids_;
  uint64_t next_arrival_ = 0;                                           // guarded by mu_
};

}  // namespace circuledger::node

// ledger/executor.h: validates and applies blocks — the validation hot path (DESIGN.md 4, 9).
//
// A block is checked in three stages: header against the tip; then, in parallel on the worker
// pool, every transaction's id, stateless rules and BIP-340 signature (each signature verified at
// most once: a SigCache remembers verified (tx id, signature) pairs from mempool admission or an
// earlier proposal); then, sequentially in block order, ApplyTx on a WorkingState over the store.
// Nothing is written until Commit. Deterministic: same tip and block, same result and state root
// on every machine. The Executor borrows the Store and the rules; it is used from one thread at a
// time, except CheckTx, which is thread-safe.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_set>

#include "ledger/apply.h"
#include "ledger/parallel.h"
#include "ledger/store.h"

namespace circuledger::ledger {

// A bounded, thread-safe set of (tx id, signature) pairs whose signature verified.
class SigCache {
 public:
  explicit SigCache(size_t capacity);
  bool Contains(const Hash256& id, const Signature& sig) const;
  void Insert(const Hash256& id, const Signature& sig);
  size_t Size() const;

 private:
  struct Entry {
    Hash256 id;
    Signature sig;
    bool operator==(const Entry&) const = default;
  };
  struct EntryHash {
    size_t operator()(const Entry& e) const;
  };
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_set<Entry, EntryHash> set;
  };
  Shard& ShardOf(const Hash256& id) const { return shards_[id.bytes[0] % kShards]; }
  size_t per_shard_ = 0;
  mutable std::array<Shard, kShards> shards_;
};

struct ExecutorOptions {
  unsigned threads = 0;                    // worker threads for signature checks; 0 = all cores
  const ProductRules* rules = nullptr;     // compliance rules checked on assemble; null = none
  size_t sig_cache_entries = 1 << 18;
};

// The result of building a block from candidate transactions.
struct BuiltBlock {
  BlockCommit commit;
  std::vector<size_t> included;                      // candidate indexes, in block order
  std::vector<std::pair<size_t, Status>> rejected;   // candidate index and why it was left out
};

class Executor {
 public:
  Executor(Store& store, const ExecutorOptions& options);

  // Mempool admission: stateless rules and signature (verified once, then cached). Thread-safe.
  // On success stores the tx id in *id_out when given.
  Status CheckTx(const Tx& tx, Hash256* id_out = nullptr) const;

  // Checks a transaction against the committed tip as if it were the next block's first one
  // (`time_ms` its block time). Writes nothing. Thread-safe. For early answers at admission:
  // transactions pending before it are not taken into account.
  Status CheckTxAgainstTip(const Tx& tx, const Hash256& id, uint64_t time_ms) const;

  // Validates `block` against the store's tip and executes it. Writes nothing. `now_ms` is the
  // local clock for the drift bound (nullopt skips it, e.g. when replaying stored blocks).
  // Errors: Rejected with the reason (a transaction's own reason when one is invalid), or
  // Corruption when storage fails.
  Result<BlockCommit> ExecuteBlock(const Block& block, std::optional<uint64_t> now_ms) const;

  // Proposer side: executes candidates in order on the tip, leaves out invalid ones, stops at the
  // block limits, and returns a complete valid block (header with roots) ready to Commit.
  Result<BuiltBlock> BuildBlock(const std::vector<Tx>& candidates, uint64_t time_ms, const PubKey& proposer) const;

  // Commits an executed block in one synced write.
  Status Commit(const BlockCommit& commit) { return store_.CommitBlock(commit); }

  const std::string& chain_id() const { return chain_id_; }
  const SigCache& sig_cache() const { return sig_cache_; }

 private:
  // Ids, stateless rules and signatures of txs, in parallel. statuses[i] is each tx's result.
  void CheckAll(const std::vector<Tx>& txs, std::vector<Hash256>& ids, std::vector<Status>& statuses,
                std::vector<size_t>& sizes) const;
  Status CheckOne(const Tx& tx, Hash256* id_out, size_t* size_out) const;
  Status CheckHeader(const BlockHeader& h, const ChainTip& tip, const Params& params, std::optional<uint64_t> now_ms) const;

  Store& store_;
  ExecutorOptions options_;
  std::string chain_id_;
  mutable SigCache sig_cache_;
  mutable WorkerPool pool_;
};

}  // namespace circuledger::ledger

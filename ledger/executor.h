// ledger/executor.h: validates and applies blocks — the validation hot path (DESIGN.md 4, 9).
//
// A block is checked in four stages: header against the tip; then the tx root (over every
// transaction's id and signature, ids hashed in parallel) against the header, before anything
// runs; then, in parallel on the worker pool, every transaction's stateless rules and BIP-340 signature (each signature verified at
// most once: a SigCache remembers verified (tx id, signature) pairs from mempool admission or an
// earlier proposal); then, sequentially in block order, ApplyTx on a WorkingState over the store.
// Nothing is written until Commit. Deterministic: same tip and block, same result and state root
// on every machine. The Executor borrows the Store and owns a cache of decoded rule sets; it is used from one thread at a
// time, except CheckTx and CheckTxAgainstTip, which are thread-safe. A background commit
// (CommitAsync) overlaps the disk write of block n with the validation of block n+1.
#pragma once

#include <array>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_set>

#include "ledger/apply.h"
#include "ledger/parallel.h"
#include "ledger/store.h"

namespace circuledger::ledger {

// A bounded, thread-safe set of (tx id, signature) pairs whose signature verified. It keeps at
// least the capacity / 2 most recent insertions (two generations per shard: when the current one
// is full it becomes the previous one and the oldest generation is dropped), so a transaction
// verified at admission is still found when its block is executed. Each generation is a flat
// open-addressing table (at most 3/4 full) with a 2-byte tag per slot beside it: a probe reads
// the small tag array and touches an entry only when its tag matches, so a miss rarely leaves the
// cache (a node-based set chased pointers: 1.5% of a validator's CPU). Slots and tags come from a
// keyed hash (random key per cache), so grinding tx ids cannot pile them onto one probe chain.
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
  };
  struct Table {
    std::vector<uint16_t> tags;  // 0: a free slot
    std::vector<Entry> slots;
    size_t count = 0;
  };
  struct Probe {
    size_t start = 0;
    uint16_t tag = 0;
  };
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    Table tables[2];
    int current = 0;  // tables[current] takes insertions; the other is the previous generation
  };
  Shard& ShardOf(const Hash256& id) const { return shards_[id.bytes[0] % kShards]; }
  Probe ProbeOf(const Hash256& id) const;
  static bool Find(const Table& t, const Probe& p, const Hash256& id, const Signature& sig);
  // Both generations; the shard's mutex held.
  static bool FindInShard(const Shard& shard, const Probe& p, const Hash256& id, const Signature& sig);
  size_t per_generation_ = 0;
  size_t slots_ = 0;  // per table
  uint64_t key_ = 0;
  mutable std::array<Shard, kShards> shards_;
};

// A bounded, thread-safe cache of parsed signer keys (signers are few and long-lived).
class PubKeyCache {
 public:
  explicit PubKeyCache(size_t capacity) : per_shard_(std::max<size_t>(1, capacity / kShards)) {}
  // The parsed key, or nullopt when it is not on the curve.
  std::optional<ParsedPubKey> Get(const PubKey& key);

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    std::mutex mu;
    std::map<PubKey, ParsedPubKey> keys;
  };
  size_t per_shard_ = 0;
  std::array<Shard, kShards> shards_;
};

struct ExecutorOptions {
  unsigned threads = 0;                    // worker threads for signature checks; 0 = all cores
  size_t sig_cache_entries = 1 << 18;
  size_t pubkey_cache_entries = 1 << 16;
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
  // Waits for a background commit still running.
  ~Executor();

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
  // Corruption when storage fails. The block ends up in the BlockCommit: pass an rvalue to move
  // it there instead of copying (5,000 transactions are many small allocations).
  // `remember`: put the signatures it verifies in the SigCache. For a live proposal: its
  // transactions often arrive again by gossip before the block commits (a cluster run verified 3%
  // of its transactions twice without). Not for replayed or synced blocks, which would only push
  // pending transactions out of the cache.
  Result<BlockCommit> ExecuteBlock(Block block, std::optional<uint64_t> now_ms, bool remember = false) const;

  // Proposer side: executes candidates in order on the tip, leaves out invalid ones, stops at the
  // block limits, and returns a complete valid block (header with roots) ready to Commit.
  Result<BuiltBlock> BuildBlock(const std::vector<Tx>& candidates, uint64_t time_ms, const PubKey& proposer) const;

  // Commits an executed block in one synced write (after any background commit finished).
  Status Commit(const BlockCommit& commit);
  // Starts committing in the background and returns at once; the next ExecuteBlock/BuildBlock
  // already builds on this block (its writes are read from memory until they are on disk).
  // Waits for the previous background commit first and returns its error, if any. Flush()
  // before announcing the block as committed.
  Status CommitAsync(BlockCommit commit);
  // Waits for the background commit, if any; its result.
  Status Flush();
  // The tip including a block still being committed in the background.
  ChainTip Tip() const;

  const std::string& chain_id() const { return chain_id_; }
  // GenesisHash() of the store's genesis: what every transaction must sign (TxBody::genesis_hash).
  const Hash256& genesis_hash() const { return genesis_hash_; }
  const SigCache& sig_cache() const { return sig_cache_; }
  // Signatures this executor verified (cache hits not counted).
  uint64_t signatures_verified() const { return verified_.load(std::memory_order_relaxed); }

 private:
  // Ids, stateless rules and signatures of txs, in parallel. statuses[i] is each tx's result.
  void CheckAll(const std::vector<Tx>& txs, std::vector<Hash256>& ids, std::vector<Status>& statuses,
                std::vector<std::string>& bodies) const;
  // `remember`: put a newly verified signature in the SigCache (admission, proposals built or
  // received; see ExecuteBlock).
  // Fills *body_out (when given) with Encode(tx.body).
  Status CheckOne(const Tx& tx, Hash256* id_out, std::string* body_out, bool remember) const;
  // Size and signature of a transaction whose body is encoded (`body`) and hashed (`id`).
  Status CheckEncoded(const Tx& tx, const std::string& body, const Hash256& id, bool remember) const;
  Status CheckHeader(const BlockHeader& h, const ChainTip& tip, const Params& params, std::optional<uint64_t> now_ms) const;

  Store& store_;
  ExecutorOptions options_;
  std::string chain_id_;
  Hash256 genesis_hash_;
  mutable SigCache sig_cache_;
  mutable PubKeyCache pubkey_cache_;
  mutable std::atomic<uint64_t> verified_{0};
  mutable WorkerPool pool_;
  mutable RuleCache rule_cache_;  // decoded rule sets, shared by every block this executor runs
  // The block being committed in the background, and the commit's result.
  std::shared_ptr<const BlockCommit> pending_;
  std::future<Status> inflight_;
};

}  // namespace circuledger::ledger

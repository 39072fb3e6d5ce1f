#include "ledger/executor.h"

#include <algorithm>
#include <cassert>
#include <future>
#include <thread>

#include "ledger/encoding.h"
#include "ledger/limits.h"
#include "ledger/mass.h"

namespace circuledger::ledger {

// ---- SigCache ----

SigCache::SigCache(size_t capacity)
    : per_generation_(std::max<size_t>(1, capacity / kShards / 2)),
      slots_(per_generation_ * 4 / 3 + 1),
      key_(RandomHashKey()) {}

SigCache::Probe SigCache::ProbeOf(const Hash256& id) const {
  // The slot from a multiply-shift of the hash onto [0, slots), the tag from its low bits (never 0,
  // which marks a free slot).
  const uint64_t x = KeyedIdHash(id, key_);
  return Probe{static_cast<size_t>((static_cast<u128>(x) * slots_) >> 64), static_cast<uint16_t>(x | 1)};
}

bool SigCache::Find(const Table& t, const Probe& p, const Hash256& id, const Signature& sig) {
  const size_t n = t.tags.size();
  if (n == 0) return false;  // not allocated yet
  for (size_t i = p.start;; i = (i + 1 == n ? 0 : i + 1)) {
    const uint16_t tag = t.tags[i];
    if (tag == 0) return false;  // a free slot ends the chain (the table is never full)
    // The same id may be cached with other signatures (BIP-340 signing is randomized).
    if (tag == p.tag && t.slots[i].id == id && t.slots[i].sig == sig) return true;
  }
}

bool SigCache::FindInShard(const Shard& shard, const Probe& p, const Hash256& id, const Signature& sig) {
  return Find(shard.tables[shard.current], p, id, sig) || Find(shard.tables[1 - shard.current], p, id, sig);
}

bool SigCache::Contains(const Hash256& id, const Signature& sig) const {
  Shard& shard = ShardOf(id);
  const Probe p = ProbeOf(id);
  std::lock_guard<std::mutex> lock(shard.mu);
  return FindInShard(shard, p, id, sig);
}

void SigCache::Insert(const Hash256& id, const Signature& sig) {
  Shard& shard = ShardOf(id);
  const Probe p = ProbeOf(id);
  std::lock_guard<std::mutex> lock(shard.mu);
  if (FindInShard(shard, p, id, sig)) return;
  Table* t = &shard.tables[shard.current];
  if (t->count >= per_generation_) {
    // Bounded: the oldest generation goes, and its table takes the insertions from now on.
    shard.current = 1 - shard.current;
    t = &shard.tables[shard.current];
    std::fill(t->tags.begin(), t->tags.end(), uint16_t{0});
    t->count = 0;
  }
  if (t->tags.empty()) {  // on first use: idle caches cost nothing
    t->tags.assign(slots_, 0);
    t->slots.resize(slots_);
  }
  size_t i = p.start;
  while (t->tags[i] != 0) i = (i + 1 == slots_ ? 0 : i + 1);
  t->tags[i] = p.tag;
  t->slots[i] = Entry{id, sig};
  ++t->count;
}

size_t SigCache::Size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    n += s.tables[0].count + s.tables[1].count;
  }
  return n;
}

// ---- PubKeyCache ----

std::optional<ParsedPubKey> PubKeyCache::Get(const PubKey& key) {
  Shard& shard = shards_[key.bytes[0] % kShards];
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.keys.find(key);
    if (it != shard.keys.end()) return it->second;
  }
  std::optional<ParsedPubKey> parsed = ParsePubKey(key);
  if (!parsed) return std::nullopt;
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.keys.size() >= per_shard_) shard.keys.clear();  // bounded; refills with the active signers
  shard.keys.emplace(key, *parsed);
  return parsed;
}

// ---- Executor ----

namespace {

// From this many transactions a block's tx root and bytes are computed on a thread of their own
// (a thread costs tens of microseconds: not worth it for small blocks).
constexpr size_t kConcurrentTailTxs = 512;

// Committed state as it will be once the block in the background commit is on disk: that block's
// writes first, then the store.
class PendingReader final : public StateReader {
 public:
  PendingReader(const BlockCommit* pending, const Store& store) : pending_(pending), store_(store) {}
  std::optional<std::string> Get(const std::string& key) const override {
    if (pending_) {
      const WriteSet& w = pending_->writes;
      auto it = std::lower_bound(w.begin(), w.end(), key, [](const auto& kv, const std::string& k) { return kv.first < k; });
      if (it != w.end() && it->first == key) return it->second;
    }
    return store_.Get(key);
  }

 private:
  const BlockCommit* pending_;
  const Store& store_;
};

// Encoded size of a transaction inside a block: its body and signature, without the archive header.
size_t TxSizeInBlock(size_t encoded_body_size) { return encoded_body_size - 1 + Signature::kSize; }
}  // namespace

Executor::Executor(Store& store, const ExecutorOptions& options)
    : store_(store),
      options_(options),
      sig_cache_(options.sig_cache_entries),
      pubkey_cache_(options.pubkey_cache_entries),
      pool_(options.threads) {
  Result<Genesis> genesis = store.ReadGenesis();
  assert(genesis.ok() && "the executor needs a store with a genesis");
  chain_id_ = genesis->chain_id;
  genesis_hash_ = GenesisHash(*genesis);
}

Status Executor::CheckTx(const Tx& tx, Hash256* id_out) const { return CheckOne(tx, id_out, nullptr, true); }

Status Executor::CheckOne(const Tx& tx, Hash256* id_out, std::string* body_out, bool remember) const {
  if (Status s = CheckTxStateless(tx, genesis_hash_); !s.ok()) return s;
  std::string body = Encode(tx.body);
  const Hash256 id = TxIdOfEncodedBody(body);
  if (Status s = CheckEncoded(tx, body, id, remember); !s.ok()) return s;
  if (id_out) *id_out = id;
  if (body_out) *body_out = std::move(body);
  return Status::Ok();
}

Status Executor::CheckEncoded(const Tx& tx, const std::string& body, const Hash256& id, bool remember) const {
  if (TxSizeInBlock(body.size()) + 1 > limits::kMaxTxBytes) return Status::Rejected(Reject::kOversized, "tx too large");
  if (!sig_cache_.Contains(id, tx.sig)) {
    verified_.fetch_add(1, std::memory_order_relaxed);
    std::optional<ParsedPubKey> key = pubkey_cache_.Get(tx.body.signer);
    if (!key || !VerifySchnorr(*key, id.View(), tx.sig)) return Status::Rejected(Reject::kBadSignature);
    if (remember) sig_cache_.Insert(id, tx.sig);
  }
  return Status::Ok();
}

void Executor::CheckAll(const std::vector<Tx>& txs, std::vector<Hash256>& ids, std::vector<Status>& statuses,
                        std::vector<std::string>& bodies) const {
  ids.assign(txs.size(), Hash256{});
  statuses.assign(txs.size(), Status::Ok());
  bodies.assign(txs.size(), std::string());
  pool_.ParallelFor(txs.size(), [&](size_t i) { statuses[i] = CheckOne(txs[i], &ids[i], &bodies[i], true); });
}

Status Executor::CheckHeader(const BlockHeader& h, const ChainTip& tip, const Params& params,
                             std::optional<uint64_t> now_ms) const {
  if (h.chain_id != chain_id_) return Status::Rejected(Reject::kWrongChain, h.chain_id);
  if (h.height != tip.height + 1) {
    return Status::Rejected(Reject::kBadHeight, "expected " + std::to_string(tip.height + 1));
  }
  if (h.prev_hash != tip.block_hash) return Status::Rejected(Reject::kBadPrevHash);
  if (h.time_ms <= tip.time_ms) return Status::Rejected(Reject::kBadBlockTime, "not after the parent");
  if (now_ms && h.time_ms > *now_ms + params.max_time_drift_ms) {
    return Status::Rejected(Reject::kBadBlockTime, "too far in the future");
  }
  return Status::Ok();
}

Status Executor::CheckTxAgainstTip(const Tx& tx, const Hash256& id, uint64_t time_ms) const {
  try {
    const ChainTip tip = store_.Tip();
    // A snapshot: a block committing meanwhile must not mix its state into this check.
    std::unique_ptr<StoreSnapshot> snapshot = store_.Snapshot();
    WorkingState state(*snapshot);
    const BlockContext ctx{chain_id_, tip.height + 1, std::max(time_ms, tip.time_ms + 1), &rule_cache_};
    state.BeginTx();
    Status s = ApplyTx(state, tx, id, ctx);
    state.RollbackTx();
    return s;
  } catch (const StorageError& e) {
    return Status::Corruption(e.what());
  }
}

Result<BlockCommit> Executor::ExecuteBlock(Block block, std::optional<uint64_t> now_ms, bool remember) const {
  const size_t n = block.txs.size();
  std::vector<Hash256> ids(n);
  std::vector<Status> statuses(n);
  std::vector<std::string> bodies(n);
  std::unique_ptr<std::atomic<uint8_t>[]> checked(new std::atomic<uint8_t>[n]);
  for (size_t i = 0; i < n; ++i) checked[i].store(0, std::memory_order_relaxed);
  std::atomic<bool> cancel{false};
  // Stateless checks and signatures run on the workers while this thread applies, in order,
  // every transaction whose check is done: the sequential part overlaps the verification.
  // Ids and bodies are already computed (the tx root is checked before anything runs).
  const std::function<void(size_t)> check = [&](size_t i) {
    const Tx& tx = block.txs[i];
    if (cancel.load(std::memory_order_relaxed)) {
      statuses[i] = Status::Rejected(Reject::kBadTx, "not checked");
    } else if (Status s = CheckTxStateless(tx, genesis_hash_); !s.ok()) {
      statuses[i] = std::move(s);
    } else {
      statuses[i] = CheckEncoded(tx, bodies[i], ids[i], remember);
    }
    checked[i].store(1, std::memory_order_release);
  };
  bool started = false;
  // Whatever happens below, the workers are done with the locals before this function returns.
  struct Join {
    WorkerPool& pool;
    std::atomic<bool>& cancel;
    bool& started;
    ~Join() {
      cancel.store(true);
      if (started) pool.Wait();
    }
  } join{pool_, cancel, started};

  try {
    const ChainTip tip = Tip();
    PendingReader base(pending_.get(), store_);
    WorkingState state(base);
    state.Reserve(4 * n + 64);  // an account, an org and a few items per transaction
    const Params params = state.GetParams();
    const BlockHeader& h = block.header;
    if (Status s = CheckHeader(h, tip, params, now_ms); !s.ok()) return s;
    if (n > params.max_block_txs) return Status::Rejected(Reject::kBlockTooLarge, "too many transactions");
    // The body must be the one the header (and so a commit certificate) names before anything
    // runs: tx_root commits to every transaction's id and signature, so a block whose signature
    // was damaged on the way is refused here as not matching its header, and the sender, not
    // the block's proposer, is to blame.
    pool_.ParallelFor(n, [&](size_t i) {
      bodies[i] = Encode(block.txs[i].body);
      ids[i] = TxIdOfEncodedBody(bodies[i]);
    });
    if (TxRoot(ids, block.txs) != h.tx_root) {
      return Status::Rejected(Reject::kBadTxRoot, "the transactions' ids and signatures do not match the header's tx_root");
    }
    pool_.Start(n, check);
    started = true;

    ApplyScheduledValidatorChanges(state, h.height);
    const std::vector<Validator>& validators = state.GetValidators().active;
    if (ValidatorSetHash(validators) != h.validator_set_hash) return Status::Rejected(Reject::kBadValidatorSet);
    if (std::none_of(validators.begin(), validators.end(), [&](const Validator& v) { return v.key == h.proposer; })) {
      return Status::Rejected(Reject::kBadValidatorSet, "proposer is not a validator");
    }

    const BlockContext ctx{chain_id_, h.height, h.time_ms, &rule_cache_};
    for (size_t i = 0; i < n;) {
      if (!checked[i].load(std::memory_order_acquire)) {
        if (!pool_.HelpOne()) std::this_thread::yield();
        continue;
      }
      if (!statuses[i].ok()) {
        return Status::Rejected(statuses[i].reason(), "tx " + std::to_string(i) + ": " + statuses[i].detail());
      }
      state.BeginTx();
      Status s = ApplyTx(state, block.txs[i], ids[i], ctx);
      if (!s.ok()) {
        state.RollbackTx();
        // The same transaction twice fails on its nonce; name the real fault.
        if (std::find(ids.begin(), ids.begin() + static_cast<ptrdiff_t>(i), ids[i]) != ids.begin() + static_cast<ptrdiff_t>(i)) {
          return Status::Rejected(Reject::kDuplicateTx, "tx " + std::to_string(i));
        }
        return Status::Rejected(s.reason(), "tx " + std::to_string(i) + ": " + s.detail());
      }
      state.CommitTx();
      ++i;
    }
    // Every check is done: the workers no longer read `block`, so it can be moved below.
    pool_.Wait();
    started = false;

    // The block's tail on both cores: for a large block, the block bytes are computed on another
    // thread while this one and the workers encode the write set and this one hashes the state
    // root (together about 4% of a 5,000-tx block's time, one core idle otherwise). The rejects
    // keep their order: state root, size.
    auto tail = std::async(n >= kConcurrentTailTxs ? std::launch::async : std::launch::deferred,
                           [&] { return EncodeBlockFromBodies(block, bodies); });
    BlockCommit c;
    // The workers are idle by now: they encode the write set with this thread.
    c.writes = state.Writes([this](size_t count, const std::function<void(size_t)>& fn) { pool_.ParallelFor(count, fn); });
    const Hash256 state_root = NextStateRoot(tip.state_root, c.writes);
    std::string block_bytes = tail.get();
    if (state_root != h.state_root) return Status::Rejected(Reject::kBadStateRoot);
    c.block_bytes = std::move(block_bytes);
    if (c.block_bytes.size() > params.max_block_bytes) return Status::Rejected(Reject::kBlockTooLarge, "too many bytes");
    c.block_hash = BlockHash(h);
    c.tip = ChainTip{h.height, c.block_hash, h.state_root, h.time_ms};
    c.tx_ids = std::move(ids);
    c.edges = state.TakeEdges();
    c.block = std::move(block);  // `h` refers into it: last
    return c;
  } catch (const StorageError& e) {
    return Status::Corruption(e.what());
  }
}

Executor::~Executor() { Flush(); }

ChainTip Executor::Tip() const { return pending_ ? pending_->tip : store_.Tip(); }

Status Executor::Flush() {
  if (!inflight_.valid()) return Status::Ok();
  Status s = inflight_.get();
  pending_.reset();
  return s;
}

Status Executor::Commit(const BlockCommit& commit) {
  if (Status s = Flush(); !s.ok()) return s;
  return store_.CommitBlock(commit);
}

Status Executor::CommitAsync(BlockCommit commit) {
  const Status previous_status = inflight_.valid() ? inflight_.get() : Status::Ok();
  // The previous block is on disk; the new background task frees it (thousands of allocations)
  // instead of this thread, which has the next block to validate.
  std::shared_ptr<const BlockCommit> previous = std::move(pending_);
  if (!previous_status.ok()) return previous_status;
  pending_ = std::make_shared<const BlockCommit>(std::move(commit));
  inflight_ = std::async(std::launch::async, [this, p = pending_, old = std::move(previous)]() mutable {
    Status s = store_.CommitBlock(*p);
    old.reset();
    return s;
  });
  return Status::Ok();
}

Result<BuiltBlock> Executor::BuildBlock(const std::vector<Tx>& candidates, uint64_t time_ms,
                                        const PubKey& proposer) const {
  try {
    const ChainTip tip = Tip();
    PendingReader base(pending_.get(), store_);
    WorkingState state(base);
    state.Reserve(4 * candidates.size() + 64);
    const Params params = state.GetParams();
    BuiltBlock out;
    Block& block = out.commit.block;
    BlockHeader& h = block.header;
    h.chain_id = chain_id_;
    h.height = tip.height + 1;
    h.time_ms = time_ms;
    h.prev_hash = tip.block_hash;
    h.proposer = proposer;
    if (Status s = CheckHeader(h, tip, params, std::nullopt); !s.ok()) return s;

    std::vector<Hash256> ids;
    std::vector<Status> statuses;
    std::vector<std::string> bodies;
    CheckAll(candidates, ids, statuses, bodies);
    std::vector<std::string> included_bodies;

    ApplyScheduledValidatorChanges(state, h.height);
    h.validator_set_hash = ValidatorSetHash(state.GetValidators().active);
    const BlockContext ctx{chain_id_, h.height, h.time_ms, &rule_cache_};
    size_t bytes = Encode(block).size();  // header and an empty transaction list
    std::vector<Hash256> included_ids;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (block.txs.size() >= params.max_block_txs) break;
      if (!statuses[i].ok()) {
        out.rejected.emplace_back(i, statuses[i]);
        continue;
      }
      const size_t tx_bytes = TxSizeInBlock(bodies[i].size());
      if (bytes + tx_bytes > params.max_block_bytes) break;
      // A repeated candidate fails on its nonce below, so no separate duplicate check is needed.
      state.BeginTx();
      Status s = ApplyTx(state, candidates[i], ids[i], ctx);
      if (!s.ok()) {
        state.RollbackTx();
        out.rejected.emplace_back(i, std::move(s));
        continue;
      }
      state.CommitTx();
      bytes += tx_bytes;
      block.txs.push_back(candidates[i]);
      included_ids.push_back(ids[i]);
      included_bodies.push_back(std::move(bodies[i]));
      out.included.push_back(i);
    }
    h.tx_root = TxRoot(included_ids, block.txs);
    BlockCommit& c = out.commit;
    c.writes = state.Writes();
    h.state_root = NextStateRoot(tip.state_root, c.writes);
    c.block_bytes = EncodeBlockFromBodies(block, included_bodies);
    c.block_hash = BlockHash(h);
    c.tx_ids = std::move(included_ids);
    c.edges = state.TakeEdges();
    c.tip = ChainTip{h.height, c.block_hash, h.state_root, h.time_ms};
    return out;
  } catch (const StorageError& e) {
    return Status::Corruption(e.what());
  }
}

}  // namespace circuledger::ledger

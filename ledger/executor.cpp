#include "ledger/executor.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "ledger/encoding.h"
#include "ledger/limits.h"

namespace circuledger::ledger {

// ---- SigCache ----

SigCache::SigCache(size_t capacity) : per_shard_(std::max<size_t>(1, capacity / kShards)) {}

size_t SigCache::EntryHash::operator()(const Entry& e) const {
  // Tx ids are SHA-256 outputs: their first bytes are already uniform.
  size_t h = 0;
  std::memcpy(&h, e.id.bytes.data() + 1, sizeof(h));
  size_t s = 0;
  std::memcpy(&s, e.sig.bytes.data(), sizeof(s));
  return h ^ s;
}

bool SigCache::Contains(const Hash256& id, const Signature& sig) const {
  Shard& shard = ShardOf(id);
  std::lock_guard<std::mutex> lock(shard.mu);
  return shard.set.count(Entry{id, sig}) != 0;
}

void SigCache::Insert(const Hash256& id, const Signature& sig) {
  Shard& shard = ShardOf(id);
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.set.size() >= per_shard_) shard.set.erase(shard.set.begin());  // bounded: evict one
  shard.set.insert(Entry{id, sig});
}

size_t SigCache::Size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    n += s.set.size();
  }
  return n;
}

// ---- Executor ----

namespace {
// Encoded size of a transaction inside a block: its body and signature, without the archive header.
size_t TxSizeInBlock(size_t encoded_body_size) { return encoded_body_size - 1 + Signature::kSize; }
}  // namespace

Executor::Executor(Store& store, const ExecutorOptions& options)
    : store_(store), options_(options), sig_cache_(options.sig_cache_entries), pool_(options.threads) {
  Result<Genesis> genesis = store.ReadGenesis();
  assert(genesis.ok() && "the executor needs a store with a genesis");
  chain_id_ = genesis->chain_id;
}

Status Executor::CheckTx(const Tx& tx, Hash256* id_out) const { return CheckOne(tx, id_out, nullptr); }

Status Executor::CheckOne(const Tx& tx, Hash256* id_out, size_t* size_out) const {
  if (Status s = CheckTxStateless(tx, chain_id_); !s.ok()) return s;
  const std::string body = Encode(tx.body);
  if (TxSizeInBlock(body.size()) + 1 > limits::kMaxTxBytes) return Status::Rejected(Reject::kOversized, "tx too large");
  const Hash256 id = TxIdOfEncodedBody(body);
  if (!sig_cache_.Contains(id, tx.sig)) {
    if (!VerifyTxSignature(tx, id)) return Status::Rejected(Reject::kBadSignature);
    sig_cache_.Insert(id, tx.sig);
  }
  if (id_out) *id_out = id;
  if (size_out) *size_out = TxSizeInBlock(body.size());
  return Status::Ok();
}

void Executor::CheckAll(const std::vector<Tx>& txs, std::vector<Hash256>& ids, std::vector<Status>& statuses,
                        std::vector<size_t>& sizes) const {
  ids.assign(txs.size(), Hash256{});
  statuses.assign(txs.size(), Status::Ok());
  sizes.assign(txs.size(), 0);
  pool_.ParallelFor(txs.size(), [&](size_t i) { statuses[i] = CheckOne(txs[i], &ids[i], &sizes[i]); });
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
    WorkingState state(store_);
    const BlockContext ctx{chain_id_, tip.height + 1, std::max(time_ms, tip.time_ms + 1), options_.rules};
    state.BeginTx();
    Status s = ApplyTx(state, tx, id, ctx);
    state.RollbackTx();
    return s;
  } catch (const StorageError& e) {
    return Status::Corruption(e.what());
  }
}

Result<BlockCommit> Executor::ExecuteBlock(const Block& block, std::optional<uint64_t> now_ms) const {
  try {
    const ChainTip tip = store_.Tip();
    WorkingState state(store_);
    const Params params = state.GetParams();
    const BlockHeader& h = block.header;
    if (Status s = CheckHeader(h, tip, params, now_ms); !s.ok()) return s;
    if (block.txs.size() > params.max_block_txs) return Status::Rejected(Reject::kBlockTooLarge, "too many transactions");

    std::vector<Hash256> ids;
    std::vector<Status> statuses;
    std::vector<size_t> sizes;
    CheckAll(block.txs, ids, statuses, sizes);
    for (size_t i = 0; i < statuses.size(); ++i) {
      if (!statuses[i].ok()) {
        return Status::Rejected(statuses[i].reason(), "tx " + std::to_string(i) + ": " + statuses[i].detail());
      }
    }
    std::vector<Hash256> sorted = ids;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) return Status::Rejected(Reject::kDuplicateTx);
    if (MerkleRoot(ids) != h.tx_root) return Status::Rejected(Reject::kBadTxRoot);

    ApplyScheduledValidatorChanges(state, h.height);
    const std::vector<Validator>& validators = state.GetValidators().active;
    if (ValidatorSetHash(validators) != h.validator_set_hash) return Status::Rejected(Reject::kBadValidatorSet);
    if (std::none_of(validators.begin(), validators.end(), [&](const Validator& v) { return v.key == h.proposer; })) {
      return Status::Rejected(Reject::kBadValidatorSet, "proposer is not a validator");
    }

    const BlockContext ctx{chain_id_, h.height, h.time_ms, options_.rules};
    for (size_t i = 0; i < block.txs.size(); ++i) {
      state.BeginTx();
      Status s = ApplyTx(state, block.txs[i], ids[i], ctx);
      if (!s.ok()) {
        state.RollbackTx();
        return Status::Rejected(s.reason(), "tx " + std::to_string(i) + ": " + s.detail());
      }
      state.CommitTx();
    }

    BlockCommit c;
    c.writes = state.Writes();
    if (NextStateRoot(tip.state_root, c.writes) != h.state_root) return Status::Rejected(Reject::kBadStateRoot);
    c.block_bytes = Encode(block);
    if (c.block_bytes.size() > params.max_block_bytes) return Status::Rejected(Reject::kBlockTooLarge, "too many bytes");
    c.block = block;
    c.block_hash = BlockHash(h);
    c.tx_ids = std::move(ids);
    c.edges = state.Edges();
    c.tip = ChainTip{h.height, c.block_hash, h.state_root, h.time_ms};
    return c;
  } catch (const StorageError& e) {
    return Status::Corruption(e.what());
  }
}

Result<BuiltBlock> Executor::BuildBlock(const std::vector<Tx>& candidates, uint64_t time_ms,
                                        const PubKey& proposer) const {
  try {
    const ChainTip tip = store_.Tip();
    WorkingState state(store_);
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
    std::vector<size_t> sizes;
    CheckAll(candidates, ids, statuses, sizes);

    ApplyScheduledValidatorChanges(state, h.height);
    h.validator_set_hash = ValidatorSetHash(state.GetValidators().active);
    const BlockContext ctx{chain_id_, h.height, h.time_ms, options_.rules};
    size_t bytes = Encode(block).size();  // header and an empty transaction list
    std::vector<Hash256> included_ids;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (block.txs.size() >= params.max_block_txs) break;
      if (!statuses[i].ok()) {
        out.rejected.emplace_back(i, statuses[i]);
        continue;
      }
      const size_t tx_bytes = sizes[i];
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
      out.included.push_back(i);
    }
    h.tx_root = MerkleRoot(included_ids);
    BlockCommit& c = out.commit;
    c.writes = state.Writes();
    h.state_root = NextStateRoot(tip.state_root, c.writes);
    c.block_bytes = Encode(block);
    c.block_hash = BlockHash(h);
    c.tx_ids = std::move(included_ids);
    c.edges = state.Edges();
    c.tip = ChainTip{h.height, c.block_hash, h.state_root, h.time_ms};
    return out;
  } catch (const StorageError& e) {
    return Status::Corruption(e.what());
  }
}

}  // namespace circuledger::ledger

#include "ledger/store.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <algorithm>

#include "ledger/detail/big_endian.h"
#include "ledger/encoding.h"

namespace circuledger::ledger {

namespace {

const char kTipKey[] = "mtip";
const char kGenesisKey[] = "mgenesis";
// Format 2: block bytes in block files, `b` keys hold their locations (format 1, before the
// marker, kept the bytes under `b`).
const char kFormatKey[] = "mformat";
const char kFormat[] = "2";

std::string BigEndian64(uint64_t v) {
  std::string out;
  detail::PutBigEndian(out, v, 8);
  return out;
}
uint64_t ReadBigEndian64(std::string_view s) { return detail::GetBigEndian(s, 0, 8); }
std::string BlockKey(uint64_t height) { return "b" + BigEndian64(height); }
std::string CertificateKey(uint64_t height) { return "x" + BigEndian64(height); }
std::string HashKey(const Hash256& h) { return "h" + std::string(h.View()); }
std::string TxKey(const Hash256& id) { return "t" + std::string(id.View()); }
std::string PairKey(char prefix, std::string_view a, std::string_view b) {
  std::string k(1, prefix);
  k.push_back(static_cast<char>(a.size()));  // ids are at most limits::kMaxIdLen (< 256) bytes
  k.append(a);
  k.append(b);
  return k;
}

// Reads nothing: the base of the genesis state.
class EmptyState final : public StateReader {
 public:
  std::optional<std::string> Get(const std::string&) const override { return std::nullopt; }
};

// Every read verifies block checksums, so damage found while running is reported as corruption
// (and stops the node) instead of being read as data.
leveldb::ReadOptions Reads() {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  return ro;
}

}  // namespace

std::string ChildIndexKey(std::string_view parent, std::string_view child) { return PairKey('c', parent, child); }

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, const StoreOptions& options) {
  std::unique_ptr<Store> store(new Store());
  store->options_ = options;
  store->cache_.reset(leveldb::NewLRUCache(options.block_cache_bytes));
  store->filter_.reset(leveldb::NewBloomFilterPolicy(10));
  leveldb::Options o;
  o.create_if_missing = true;
  o.paranoid_checks = true;
  o.block_cache = store->cache_.get();
  o.filter_policy = store->filter_.get();
  o.write_buffer_size = options.write_buffer_bytes;
  o.max_open_files = 500;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(o, dir, &db);
  if (!s.ok()) {
    if (s.IsCorruption()) return Status::Corruption("database " + dir + ": " + s.ToString());
    return Status::IoError("cannot open database " + dir + ": " + s.ToString());
  }
  store->db_.reset(db);
  Result<std::unique_ptr<BlockFiles>> blocks = BlockFiles::Open(dir + "/blocks", options.block_segment_bytes);
  if (!blocks.ok()) return blocks.status();
  store->blocks_ = std::move(blocks).value();
  if (Status st = store->Load(); !st.ok()) return st;
  return store;
}

Store::~Store() { db_.reset(); }

Status Store::Load() {
  std::string raw;
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  leveldb::Status s = db_->Get(ro, kTipKey, &raw);
  if (s.IsNotFound()) return blocks_->Recover(std::nullopt);  // fresh database
  if (!s.ok()) return Status::Corruption("reading tip: " + s.ToString());
  Result<ChainTip> tip = Decode<ChainTip>(raw);
  if (!tip.ok()) return Status::Corruption("tip does not decode: " + tip.status().ToString());
  if (!db_->Get(ro, kGenesisKey, &raw).ok()) return Status::Corruption("tip present but genesis missing");
  std::string format;
  if (!db_->Get(ro, kFormatKey, &format).ok() || format != kFormat) {
    return Status::Corruption("database format " + (format.empty() ? std::string("1") : format) +
                              ", this build reads format " + kFormat +
                              " (block bytes in block files): move the data directory away and sync again");
  }
  std::optional<BlockLocation> last;
  if (tip->height > 0) {
    if (!db_->Get(ro, BlockKey(tip->height), &raw).ok() || !(last = DecodeBlockLocation(raw))) {
      return Status::Corruption("tip block " + std::to_string(tip->height) + " has no location");
    }
  }
  if (Status st = blocks_->Recover(last); !st.ok()) return st;
  if (tip->height > 0) {
    Result<Block> block = ReadBlock(tip->height);
    if (!block.ok()) return Status::Corruption("tip block: " + block.status().ToString());
    if (BlockHash(block->header) != tip->block_hash) return Status::Corruption("tip block hash mismatch");
    if (block->header.state_root != tip->state_root) return Status::Corruption("tip state root mismatch");
  }
  std::lock_guard<std::mutex> lock(tip_mu_);
  tip_ = *tip;
  has_genesis_ = true;
  return Status::Ok();
}

Status Store::InitGenesis(const Genesis& genesis) {
  if (Status st = ValidateGenesis(genesis); !st.ok()) return st;
  const Hash256 hash = GenesisHash(genesis);
  if (has_genesis_) {
    Result<Genesis> stored = ReadGenesis();
    if (!stored.ok()) return stored.status();
    if (GenesisHash(*stored) != hash) {
      return Status::InvalidArgument("database holds another chain (genesis " + GenesisHash(*stored).ToHex() +
                                     ", given " + hash.ToHex() + ")");
    }
    return Status::Ok();
  }
  EmptyState empty;
  WorkingState state(empty);
  state.PutParams(genesis.params);
  state.PutValidators(ValidatorSet{genesis.validators, {}});
  AdminSet admins;
  for (const Org& org : genesis.orgs) {
    if (HasRole(org.roles, Role::kAdmin) && org.status == OrgStatus::kActive) admins.orgs.push_back(org.id);
  }
  std::sort(admins.orgs.begin(), admins.orgs.end());
  state.PutAdmins(std::move(admins));
  for (const Org& org : genesis.orgs) {
    for (const PubKey& key : org.members) state.PutAccount(key, Account{org.id, 0, 0});
    state.PutOrg(org);
  }
  const WriteSet writes = state.Writes();
  ChainTip tip;
  tip.height = 0;
  tip.block_hash = hash;
  tip.state_root = NextStateRoot(Hash256{}, writes);
  tip.time_ms = genesis.genesis_time_ms;

  leveldb::WriteBatch batch;
  for (const auto& [k, v] : writes) batch.Put(k, v);
  batch.Put(kGenesisKey, Encode(genesis));
  batch.Put(kFormatKey, kFormat);
  batch.Put(kTipKey, Encode(tip));
  leveldb::WriteOptions wo;
  wo.sync = options_.sync;
  leveldb::Status s = db_->Write(wo, &batch);
  if (!s.ok()) {
    records_.Clear();
    return Status::IoError("writing genesis: " + s.ToString());
  }
  records_.Update(writes);
  std::lock_guard<std::mutex> lock(tip_mu_);
  tip_ = tip;
  has_genesis_ = true;
  return Status::Ok();
}

Result<Genesis> Store::ReadGenesis() const {
  std::optional<std::string> raw = Get(kGenesisKey);
  if (!raw) return Status::NotFound("no genesis in database");
  Result<Genesis> g = Decode<Genesis>(*raw);
  if (!g.ok()) return Status::Corruption("genesis does not decode: " + g.status().ToString());
  return g;
}

std::optional<std::string> Store::Get(const std::string& key) const {
  const bool cached = RecordCache::Caches(key);
  uint64_t generation = 0;
  if (cached) {
    if (std::optional<std::string> hit = records_.Find(key, &generation)) return hit;
  }
  std::string value;
  leveldb::Status s = db_->Get(Reads(), key, &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) throw StorageError("database read failed: " + s.ToString());
  if (cached) records_.Fill(key, value, generation);
  return value;
}

std::unique_ptr<StoreSnapshot> Store::Snapshot() const {
  return std::unique_ptr<StoreSnapshot>(new StoreSnapshot(db_.get(), db_->GetSnapshot()));
}

StoreSnapshot::~StoreSnapshot() { db_->ReleaseSnapshot(static_cast<const leveldb::Snapshot*>(snapshot_)); }

std::optional<std::string> StoreSnapshot::Get(const std::string& key) const {
  leveldb::ReadOptions ro = Reads();
  ro.snapshot = static_cast<const leveldb::Snapshot*>(snapshot_);
  std::string value;
  leveldb::Status s = db_->Get(ro, key, &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) throw StorageError("database read failed: " + s.ToString());
  return value;
}

ChainTip Store::Tip() const {
  std::lock_guard<std::mutex> lock(tip_mu_);
  return tip_;
}

Status Store::CommitBlock(const BlockCommit& c) {
  std::lock_guard<std::mutex> commit_lock(commit_mu_);
  const ChainTip prev = Tip();
  if (!has_genesis_) return Status::InvalidArgument("commit before genesis");
  if (c.block.header.height != prev.height + 1 || c.block.header.prev_hash != prev.block_hash ||
      c.tip.height != c.block.header.height) {
    return Status::InvalidArgument("block does not extend the tip");
  }
  if (!batch_) batch_ = std::make_unique<leveldb::WriteBatch>();
  leveldb::WriteBatch& batch = *batch_;
  batch.Clear();
  // Put in key order (prefixes b < c < h < m < s < t < x, each group sorted): consecutive inserts
  // into LevelDB's memtable skiplist then walk nearly the same path, which stays in cache. In
  // block order the tx ids and edges land at random places, a cache miss per level.
  const uint64_t h = c.block.header.height;
  Result<BlockLocation> loc = blocks_->Append(c.block_bytes, options_.sync);
  if (!loc.ok()) return Status::IoError("committing block " + std::to_string(h) + ": " + loc.status().ToString());
  batch.Put(BlockKey(h), EncodeBlockLocation(*loc));
  std::vector<std::string> edge_keys;
  edge_keys.reserve(c.edges.size());
  for (const Edge& e : c.edges) edge_keys.push_back(ChildIndexKey(e.parent, e.child));
  std::sort(edge_keys.begin(), edge_keys.end());
  for (const std::string& k : edge_keys) batch.Put(k, "");
  batch.Put(HashKey(c.block_hash), BigEndian64(h));
  batch.Put(kTipKey, Encode(c.tip));
  for (const auto& [k, v] : c.writes) batch.Put(k, v);  // sorted by key already
  std::vector<uint32_t> by_id(c.tx_ids.size());
  for (size_t i = 0; i < by_id.size(); ++i) by_id[i] = static_cast<uint32_t>(i);
  std::sort(by_id.begin(), by_id.end(), [&](uint32_t a, uint32_t b) { return c.tx_ids[a] < c.tx_ids[b]; });
  std::string tx_loc = BigEndian64(h);
  for (const uint32_t idx : by_id) {
    tx_loc.resize(8);
    detail::PutBigEndian(tx_loc, idx, 4);
    batch.Put(TxKey(c.tx_ids[idx]), tx_loc);
  }
  if (!c.certificate.empty()) batch.Put(CertificateKey(h), c.certificate);
  leveldb::WriteOptions wo;
  wo.sync = options_.sync;
  leveldb::Status s = db_->Write(wo, &batch);
  if (!s.ok()) {
    records_.Clear();
    return Status::IoError("committing block " + std::to_string(h) + ": " + s.ToString());
  }
  blocks_->Committed(*loc);
  records_.Update(c.writes);
  std::lock_guard<std::mutex> lock(tip_mu_);
  tip_ = c.tip;
  return Status::Ok();
}

Result<std::string> Store::ReadCertificate(uint64_t height) const {
  std::optional<std::string> raw = Get(CertificateKey(height));
  if (!raw) return Status::NotFound("no commit certificate at height " + std::to_string(height));
  return *raw;
}

Result<std::string> Store::ReadBlockBytes(uint64_t height) const {
  std::optional<std::string> raw = Get(BlockKey(height));
  if (!raw) return Status::NotFound("no block at height " + std::to_string(height));
  const std::optional<BlockLocation> loc = DecodeBlockLocation(*raw);
  if (!loc) return Status::Corruption("bad location of block " + std::to_string(height));
  return blocks_->Read(*loc);
}

Result<Block> Store::ReadBlock(uint64_t height) const {
  Result<std::string> raw = ReadBlockBytes(height);
  if (!raw.ok()) return raw.status();
  Result<Block> block = Decode<Block>(*raw);
  if (!block.ok()) return Status::Corruption("block " + std::to_string(height) + ": " + block.status().ToString());
  return block;
}

std::optional<uint64_t> Store::HeightOfBlock(const Hash256& hash) const {
  std::optional<std::string> raw = Get(HashKey(hash));
  if (!raw) return std::nullopt;
  if (raw->size() != 8) throw StorageError("bad block hash index entry");
  return ReadBigEndian64(*raw);
}

std::optional<TxLocation> Store::FindTx(const Hash256& tx_id) const {
  std::optional<std::string> raw = Get(TxKey(tx_id));
  if (!raw) return std::nullopt;
  if (raw->size() != 12) throw StorageError("bad tx index entry");
  TxLocation loc;
  loc.height = ReadBigEndian64(*raw);
  loc.index = static_cast<uint32_t>(detail::GetBigEndian(*raw, 8, 4));
  return loc;
}

std::vector<std::string> Store::Neighbours(char prefix, std::string_view id, size_t limit) const {
  const std::string start = PairKey(prefix, id, "");
  std::vector<std::string> out;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Reads()));
  for (it->Seek(start); it->Valid() && out.size() < limit; it->Next()) {
    const leveldb::Slice k = it->key();
    if (!k.starts_with(start)) break;
    out.emplace_back(k.data() + start.size(), k.size() - start.size());
  }
  if (!it->status().ok()) throw StorageError("index scan failed: " + it->status().ToString());
  return out;
}

std::vector<std::string> Store::Children(std::string_view id, size_t limit) const { return Neighbours('c', id, limit); }
std::vector<std::string> Store::Parents(std::string_view id, size_t limit) const {
  // Lots and products share one id namespace; their `parents` list is the child -> parents edge set.
  std::vector<std::string> parents;
  if (std::optional<std::string> raw = Get(statekey::Item(id))) {
    Result<std::variant<Lot, Product>> item = DecodeItem(*raw);
    if (!item.ok()) throw StorageError("item " + std::string(id) + " does not decode: " + item.status().ToString());
    parents = std::visit([](auto& v) { return std::move(v.parents); }, *item);
  }
  std::sort(parents.begin(), parents.end());  // the order the former index keys had
  if (parents.size() > limit) parents.resize(limit);
  return parents;
}

}  // namespace circuledger::ledger

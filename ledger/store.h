// ledger/store.h: the node's database on LevelDB (DESIGN.md section 8).
//
// One LevelDB per node, opened with paranoid_checks, and the block files beside it in
// `<dir>/blocks/` (ledger/block_files.h). Keys are prefixed by kind:
//   s...            state objects (ledger/state.h statekey)
//   b<be64 height>  where the block's bytes are in the block files (BlockLocation, 20 bytes)
//   h<hash>         height of a block hash
//   t<tx id>        height and index of a committed transaction
//   c<len8><parent><child>   trace index, parent -> children
//   x<be64 height>  the block's commit certificate (consensus bytes; absent when none)
//   m<name>         meta: tip, genesis, format
// The other direction, child -> parents, is the `parents` list of the lot or product object: the
// same WriteBatch writes it, so a separate key per edge would only repeat it (it was a quarter
// of the keys a block wrote).
// A block's location, its state changes and all its index entries commit in one synced WriteBatch,
// after its bytes were appended to the block files and fdatasynced: after a crash the database
// holds a whole block or none of it (bytes of a block whose batch did not commit are cut off at
// the next open). A read or write failure is fatal: Get()
// throws StorageError, commits return Status::IoError/Corruption, and the node must stop.
// Accounts and orgs, read by every transaction, are served from a RecordCache of committed values
// (ledger/record_cache.h) that each commit updates; snapshots read LevelDB.
// Thread-safe for concurrent reads; CommitBlock must not race with another CommitBlock.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "ledger/block.h"
#include "ledger/block_files.h"
#include "ledger/genesis.h"
#include "ledger/record_cache.h"
#include "ledger/state.h"
#include "ledger/status.h"

namespace leveldb {
class DB;
class Cache;
class FilterPolicy;
class WriteBatch;
}  // namespace leveldb

namespace circuledger::ledger {

// Everything one committed block writes.
struct BlockCommit {
  Block block;
  std::string block_bytes;      // Encode(block)
  Hash256 block_hash;
  std::vector<Hash256> tx_ids;  // in block order
  WriteSet writes;              // state objects, sorted by key
  std::vector<Edge> edges;      // provenance edges the block created
  ChainTip tip;                 // the tip after this block
  std::string certificate;      // the commit certificate (consensus/encoding.h; opaque here), or empty
};

struct TxLocation {
  uint64_t height = 0;
  uint32_t index = 0;
};

struct StoreOptions {
  size_t block_cache_bytes = 64 << 20;   // LevelDB block cache
  size_t write_buffer_bytes = 32 << 20;  // LevelDB memtable size
  bool sync = true;                      // fsync every committed block (off only in tests/benches that say so)
  uint64_t block_segment_bytes = BlockFiles::kDefaultSegmentBytes;  // block file size (small in tests)
};

class Store;

// A consistent read-only view of the store at one moment (a LevelDB snapshot): reads through it
// never mix state from before and after a concurrent commit. Must not outlive its Store.
class StoreSnapshot final : public StateReader {
 public:
  ~StoreSnapshot() override;
  std::optional<std::string> Get(const std::string& key) const override;

 private:
  friend class Store;
  StoreSnapshot(leveldb::DB* db, const void* snapshot) : db_(db), snapshot_(snapshot) {}
  leveldb::DB* db_;
  const void* snapshot_;  // const leveldb::Snapshot*
};

class Store final : public StateReader {
 public:
  // Opens (creating if missing) the database in `dir`. Checks the stored tip when there is one:
  // Corruption when the tip block is missing or does not hash to the recorded tip.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, const StoreOptions& options = {});
  ~Store() override;

  // On an empty database, writes the genesis state and tip (height 0). On a database that has a
  // genesis, checks that it is this one (InvalidArgument otherwise) and changes nothing.
  Status InitGenesis(const Genesis& genesis);
  bool HasGenesis() const { return has_genesis_.load(); }
  Result<Genesis> ReadGenesis() const;

  std::optional<std::string> Get(const std::string& key) const override;

  ChainTip Tip() const;
  // A consistent view for several reads while blocks may be committed.
  std::unique_ptr<StoreSnapshot> Snapshot() const;
  // Writes the block, its state changes, tx and trace indexes and the new tip in one synced batch.
  // The block must extend the current tip.
  Status CommitBlock(const BlockCommit& commit);

  Result<Block> ReadBlock(uint64_t height) const;
  Result<std::string> ReadBlockBytes(uint64_t height) const;
  // The commit certificate stored with the block at `height`; NotFound when there is none.
  Result<std::string> ReadCertificate(uint64_t height) const;
  std::optional<uint64_t> HeightOfBlock(const Hash256& hash) const;
  std::optional<TxLocation> FindTx(const Hash256& tx_id) const;
  // Provenance neighbours of a lot or product id, in byte order, at most `limit` (none for an
  // unknown id).
  std::vector<std::string> Children(std::string_view id, size_t limit) const;
  std::vector<std::string> Parents(std::string_view id, size_t limit) const;

 private:
  Store() = default;
  Status Load();
  std::vector<std::string> Neighbours(char prefix, std::string_view id, size_t limit) const;

  std::unique_ptr<leveldb::DB> db_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  StoreOptions options_;
  std::unique_ptr<BlockFiles> blocks_;
  std::atomic<bool> has_genesis_{false};
  mutable std::mutex tip_mu_;
  ChainTip tip_;  // guarded by tip_mu_
  std::mutex commit_mu_;
  // Reused by every CommitBlock (guarded by commit_mu_): Clear() keeps its buffer, so a block's
  // megabytes are not regrown by doubling, page-faulted and copied again for each block.
  std::unique_ptr<leveldb::WriteBatch> batch_;
  // Committed accounts and orgs read or written since open (at most 65,536, then emptied).
  mutable RecordCache records_{1 << 16};
};

// Trace index key (exposed for tests).
std::string ChildIndexKey(std::string_view parent, std::string_view child);

}  // namespace circuledger::ledger

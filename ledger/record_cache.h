// ledger/record_cache.h: the Store's cache of small, hot state records (accounts and orgs).
//
// Every transaction reads its signer's account and org, at admission and again in its block. From
// LevelDB each read walks the memtable's skiplist and the table filters (1-2% of a validator's
// CPU under load). The Store keeps here the encoded records it read and, after each committed
// block, the new values of the ones the block wrote, so the cache only ever holds committed
// values. A read of LevelDB that raced a commit could have seen the value from before it: the
// generation, bumped by every update, keeps such a read from filling the cache. Bounded: when
// full it is emptied. Absent keys are not cached. Thread-safe; owned by its Store.
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ledger/state.h"

namespace circuledger::ledger {

class RecordCache {
 public:
  explicit RecordCache(size_t capacity) : capacity_(capacity) {}
  RecordCache(const RecordCache&) = delete;
  RecordCache& operator=(const RecordCache&) = delete;

  // Whether keys like this one are cached: accounts and orgs (statekey::Account, statekey::Org).
  static bool Caches(std::string_view key);

  // The cached value of `key`. On a miss, nullopt, and *generation is what Fill needs.
  std::optional<std::string> Find(const std::string& key, uint64_t* generation) const;
  // Stores what the database held for `key` when read after Find returned `generation`; does
  // nothing if a commit updated the cache since.
  void Fill(const std::string& key, std::string_view value, uint64_t generation);
  // After `writes` are committed: new values for the cached keys among them.
  void Update(const WriteSet& writes);
  // Forgets everything (after a failed write, whose effect on the database is unknown).
  void Clear();
  size_t Size() const;

 private:
  const size_t capacity_;
  mutable std::shared_mutex mu_;
  uint64_t generation_ = 0;                             // guarded by mu_
  std::unordered_map<std::string, std::string> values_;  // guarded by mu_
};

}  // namespace circuledger::ledger

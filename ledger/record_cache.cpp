#include "ledger/record_cache.h"

#include <mutex>

namespace circuledger::ledger {

bool RecordCache::Caches(std::string_view key) {
  return key.size() >= 2 && key[0] == 's' && (key[1] == 'a' || key[1] == 'o');
}

std::optional<std::string> RecordCache::Find(const std::string& key, uint64_t* generation) const {
  std::shared_lock lock(mu_);
  auto it = values_.find(key);
  if (it != values_.end()) return it->second;
  *generation = generation_;
  return std::nullopt;
}

void RecordCache::Fill(const std::string& key, std::string_view value, uint64_t generation) {
  std::unique_lock lock(mu_);
  if (generation != generation_) return;  // a commit came between the read and now
  if (values_.size() >= capacity_) values_.clear();
  values_.insert_or_assign(key, std::string(value));
}

void RecordCache::Update(const WriteSet& writes) {
  std::unique_lock lock(mu_);
  ++generation_;
  if (values_.empty()) return;
  for (const auto& [key, value] : writes) {
    if (!Caches(key)) continue;
    auto it = values_.find(key);
    if (it != values_.end()) it->second = value;
  }
}

void RecordCache::Clear() {
  std::unique_lock lock(mu_);
  ++generation_;
  values_.clear();
}

size_t RecordCache::Size() const {
  std::shared_lock lock(mu_);
  return values_.size();
}

}  // namespace circuledger::ledger

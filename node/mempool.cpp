#include "node/mempool.h"

#include <algorithm>

namespace circuledger::node {

NonceLookup NextNonces(ledger::WorkingState& state) {
  return [&state](const ledger::PubKey& key) {
    const ledger::Account* a = state.GetAccount(key);
    return a ? a->next_nonce : 0;
  };
}

using ledger::Hash256;
using ledger::PubKey;
using ledger::Reject;
using ledger::Status;
using ledger::Tx;

Mempool::Mempool(const MempoolOptions& options)
    : options_(options), ids_(0, IdHash{ledger::RandomHashKey()}) {}

size_t Mempool::IdHash::operator()(const Hash256& id) const { return static_cast<size_t>(ledger::KeyedIdHash(id, key)); }

ledger::Result<Mempool::AddResult> Mempool::Add(const Tx& tx, const Hash256& id, uint64_t next_nonce) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ids_.count(id)) return AddResult::kAlreadyKnown;
  const uint64_t nonce = tx.body.nonce;
  if (nonce < next_nonce) {
    return Status::Rejected(Reject::kBadNonce, "nonce " + std::to_string(nonce) + " already used; next is " +
                                                   std::to_string(next_nonce));
  }
  if (nonce - next_nonce > options_.max_nonce_gap) {
    return Status::Rejected(Reject::kBadNonce, "nonce " + std::to_string(nonce) + " too far ahead of " +
                                                   std::to_string(next_nonce));
  }
  if (ids_.size() >= options_.max_txs) return Status::Rejected(Reject::kMempoolFull, "node mempool is full");
  auto [it, fresh] = accounts_.try_emplace(tx.body.signer);
  Account& acc = it->second;
  if (fresh) acc.arrival = next_arrival_++;
  if (acc.by_nonce.count(nonce)) {
    // Another transaction with the same nonce waits already: first come, first served.
    return Status::Rejected(Reject::kBadNonce, "another transaction with nonce " + std::to_string(nonce) + " waits");
  }
  if (acc.by_nonce.size() >= options_.max_per_account) {
    return Status::Rejected(Reject::kMempoolFull, "too many pending transactions from this signer");
  }
  acc.by_nonce.emplace(nonce, Entry{tx, id});
  ids_.emplace(id, std::make_pair(tx.body.signer, nonce));
  return AddResult::kAdded;
}

std::vector<Tx> Mempool::Ready(size_t max, const NonceLookup& next_nonce) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<const std::pair<const PubKey, Account>*> order;
  order.reserve(accounts_.size());
  for (const auto& kv : accounts_) order.push_back(&kv);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->second.arrival < b->second.arrival; });
  std::vector<Tx> out;
  for (auto* kv : order) {
    uint64_t want = next_nonce(kv->first);
    for (auto it = kv->second.by_nonce.find(want); it != kv->second.by_nonce.end() && it->first == want; ++it, ++want) {
      if (out.size() >= max) return out;
      out.push_back(it->second.tx);
    }
  }
  return out;
}

std::vector<Hash256> Mempool::Prune(const NonceLookup& next_nonce) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Hash256> removed;
  std::vector<PubKey> empty;
  for (auto& [key, acc] : accounts_) {
    const uint64_t next = next_nonce(key);
    auto end = acc.by_nonce.lower_bound(next);
    for (auto it = acc.by_nonce.begin(); it != end; ++it) {
      removed.push_back(it->second.id);
      ids_.erase(it->second.id);
    }
    acc.by_nonce.erase(acc.by_nonce.begin(), end);
    if (acc.by_nonce.empty()) empty.push_back(key);
  }
  for (const PubKey& k : empty) accounts_.erase(k);
  return removed;
}

bool Mempool::Evict(const Hash256& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = ids_.find(id);
  if (found == ids_.end()) return false;
  const auto [key, nonce] = found->second;
  ids_.erase(found);
  accounts_.at(key).by_nonce.erase(nonce);
  EraseAccountIfEmpty(key);
  return true;
}

void Mempool::EraseAccountIfEmpty(const PubKey& key) {
  auto it = accounts_.find(key);
  if (it != accounts_.end() && it->second.by_nonce.empty()) accounts_.erase(it);
}

uint64_t Mempool::PendingNonce(const PubKey& signer, uint64_t next_nonce) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = accounts_.find(signer);
  if (it == accounts_.end()) return next_nonce;
  uint64_t n = next_nonce;
  for (auto e = it->second.by_nonce.find(n); e != it->second.by_nonce.end() && e->first == n; ++e) ++n;
  return n;
}

bool Mempool::Contains(const Hash256& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return ids_.count(id) != 0;
}

size_t Mempool::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ids_.size();
}

}  // namespace circuledger::node

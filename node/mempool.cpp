#include "node/mempool.h"

#include <algorithm>
#include <chrono>

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

namespace {
constexpr uint64_t kFullSweepIntervalMs = 1000;
}  // namespace

Mempool::Mempool(const MempoolOptions& options, MempoolHooks hooks)
    : options_(options), hooks_(std::move(hooks)), ids_(0, IdHash{ledger::RandomHashKey()}) {}

size_t Mempool::IdHash::operator()(const Hash256& id) const { return static_cast<size_t>(ledger::KeyedIdHash(id, key)); }

uint64_t Mempool::Now() const {
  if (hooks_.now_ms) return hooks_.now_ms();
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

ledger::Result<Mempool::AddResult> Mempool::Add(const Tx& tx, const Hash256& id, uint64_t next_nonce,
                                                const std::string& org, bool checked) {
  const uint64_t now = Now();
  std::lock_guard<std::mutex> lock(mu_);
  if (ids_.count(id)) return AddResult::kAlreadyKnown;
  const uint64_t nonce = tx.body.nonce;
  if (nonce < next_nonce) {
    return Status::Rejected(Reject::kBadNonce, "nonce " + std::to_string(nonce) + " already used; next is " +
                                                   std::to_string(next_nonce));
  }
  if (nonce - next_nonce >= options_.nonce_window) {
    if (WindowFullBefore(tx.body.signer, next_nonce, nonce)) {
      // Not a skipped nonce: a client pipelining ahead of the chain by the whole window. It may
      // send this again once some of its transactions commit ("busy", not "wrong").
      return Status::Rejected(Reject::kMempoolAccountFull,
                              "nonces " + std::to_string(next_nonce) + " to " + std::to_string(nonce - 1) +
                                  " wait, the whole window this node keeps for a signer: send nonce " +
                                  std::to_string(nonce) + " again after some of them commit");
    }
    return Status::Rejected(Reject::kBadNonce, "nonce " + std::to_string(nonce) + " skips ahead: next is " +
                                                   std::to_string(next_nonce) + ", and this node keeps nonces up to " +
                                                   std::to_string(next_nonce + options_.nonce_window - 1));
  }
  if (ids_.size() >= options_.max_txs && now >= last_full_sweep_ms_ + kFullSweepIntervalMs) {
    last_full_sweep_ms_ = now;
    ExpireLocked(now);
  }
  if (ids_.size() >= options_.max_txs) return Status::Rejected(Reject::kMempoolFull, "node mempool is full");
  auto found = accounts_.find(tx.body.signer);
  if (found != accounts_.end()) {
    const Account& acc = found->second;
    if (acc.by_nonce.count(nonce)) {
      // Another transaction with the same nonce waits already: first come, first served.
      return Status::Rejected(Reject::kBadNonce, "another transaction with nonce " + std::to_string(nonce) + " waits");
    }
    if (acc.by_nonce.size() >= options_.max_per_account) {
      return Status::Rejected(Reject::kMempoolAccountFull, "this signer has " + std::to_string(acc.by_nonce.size()) +
                                                               " transactions waiting, the most this node keeps");
    }
  }
  auto org_count = per_org_.find(org);
  if (org_count != per_org_.end() && org_count->second >= options_.max_per_org) {
    return Status::Rejected(Reject::kMempoolOrgFull, "org " + org + " has " + std::to_string(org_count->second) +
                                                         " transactions waiting, its share of this node's mempool");
  }
  auto [it, fresh] = accounts_.try_emplace(tx.body.signer);
  Account& acc = it->second;
  if (fresh) {
    acc.arrival = next_arrival_++;
    acc.org = org;
  }
  // Counted under the org the account was admitted with: a signer's org never changes (keys
  // are never reused), so this is the org of every waiting transaction of the account.
  acc.by_nonce.emplace(nonce, Entry{tx, id, now, checked && nonce == next_nonce});
  ids_.emplace(id, std::make_pair(tx.body.signer, nonce));
  ++per_org_[acc.org];
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

void Mempool::EraseLocked(Account& acc, std::map<uint64_t, Entry>::iterator it) {
  ids_.erase(it->second.id);
  auto org = per_org_.find(acc.org);
  if (org != per_org_.end() && --org->second == 0) per_org_.erase(org);
  acc.by_nonce.erase(it);
}

void Mempool::ExpireLocked(uint64_t now_ms) {
  std::vector<PubKey> empty;
  for (auto& [key, acc] : accounts_) {
    for (auto it = acc.by_nonce.begin(); it != acc.by_nonce.end();) {
      const Entry& e = it->second;
      if (now_ms - std::min(now_ms, e.admitted_ms) < options_.expiry_ms) {
        ++it;
        continue;
      }
      if (hooks_.dropped) {
        hooks_.dropped(e.id, Status::Rejected(Reject::kMempoolExpired, "waited " + std::to_string(options_.expiry_ms / 1000) +
                                                                       " s in the mempool without becoming executable"));
      }
      EraseLocked(acc, it++);
    }
    if (acc.by_nonce.empty()) empty.push_back(key);
  }
  for (const PubKey& k : empty) accounts_.erase(k);
}

std::vector<Hash256> Mempool::Prune(const NonceLookup& next_nonce) {
  const uint64_t now = Now();
  std::vector<Hash256> removed;
  std::vector<std::pair<Tx, Hash256>> recheck;  // became executable, not checked against the tip yet
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<PubKey> empty;
    for (auto& [key, acc] : accounts_) {
      const uint64_t next = next_nonce(key);
      auto end = acc.by_nonce.lower_bound(next);
      for (auto it = acc.by_nonce.begin(); it != end;) {
        removed.push_back(it->second.id);
        EraseLocked(acc, it++);
      }
      if (acc.by_nonce.empty()) {
        empty.push_back(key);
        continue;
      }
      const Entry& head = acc.by_nonce.begin()->second;
      if (hooks_.check && acc.by_nonce.begin()->first == next && !head.checked &&
          recheck.size() < limits::kMaxMempoolRechecksPerCommit) {
        recheck.emplace_back(head.tx, head.id);
      }
    }
    for (const PubKey& k : empty) accounts_.erase(k);
    ExpireLocked(now);  // may drop some of `recheck`: those are skipped below
  }
  // Checked without the lock (each check reads the store): admissions go on meanwhile. Only this
  // thread (the committer) removes transactions, so each one checked is still here afterwards.
  for (const auto& [tx, id] : recheck) {
    const Status s = hooks_.check(tx, id);
    std::lock_guard<std::mutex> lock(mu_);
    auto found = ids_.find(id);
    if (found == ids_.end()) continue;
    const auto [key, nonce] = found->second;
    Account& acc = accounts_.at(key);
    auto it = acc.by_nonce.find(nonce);
    if (s.ok()) {
      it->second.checked = true;
      continue;
    }
    if (s.IsCorruption() || s.IsIoError()) continue;  // the store failed, not the transaction
    if (hooks_.dropped) hooks_.dropped(id, s);
    EraseLocked(acc, it);
    EraseAccountIfEmpty(key);
  }
  return removed;
}

bool Mempool::Evict(const Hash256& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = ids_.find(id);
  if (found == ids_.end()) return false;
  const auto [key, nonce] = found->second;
  Account& acc = accounts_.at(key);
  EraseLocked(acc, acc.by_nonce.find(nonce));
  EraseAccountIfEmpty(key);
  return true;
}

void Mempool::EraseAccountIfEmpty(const PubKey& key) {
  auto it = accounts_.find(key);
  if (it != accounts_.end() && it->second.by_nonce.empty()) accounts_.erase(it);
}

bool Mempool::WindowFullBefore(const PubKey& signer, uint64_t next_nonce, uint64_t nonce) const {
  auto it = accounts_.find(signer);
  if (it == accounts_.end()) return false;
  uint64_t n = next_nonce;
  for (auto e = it->second.by_nonce.find(n); e != it->second.by_nonce.end() && e->first == n; ++e) ++n;
  return n == nonce;
}

uint64_t Mempool::PendingNonce(const PubKey& signer, uint64_t next_nonce) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = accounts_.find(signer);
  if (it == accounts_.end()) return next_nonce;
  uint64_t n = next_nonce;
  for (auto e = it->second.by_nonce.find(n); e != it->second.by_nonce.end() && e->first == n; ++e) ++n;
  return n;
}

size_t Mempool::PendingCount(const PubKey& signer) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = accounts_.find(signer);
  return it == accounts_.end() ? 0 : it->second.by_nonce.size();
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

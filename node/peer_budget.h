// node/peer_budget.h: the bytes each peer has waiting in one queue, within a share per peer.
//
// The node's queues fed by peers (the consensus inbox, messages of a height not started yet,
// transactions waiting for admission, block sync's buffer) each keep one: a peer over its share
// loses its own new messages, never another peer's room (fairness), and the queue's bytes stay
// below the share times the number of peers. Not synchronized: the owner guards it with the
// queue's lock.
#pragma once

#include <cstddef>
#include <map>

#include "ledger/types.h"

namespace circuledger::node {

class PeerBudget {
 public:
  explicit PeerBudget(size_t bytes_per_peer) : bytes_per_peer_(bytes_per_peer) {}

  // Counts `bytes` against the peer's share; false (and nothing counted) when they do not fit.
  bool TryTake(const ledger::PubKey& peer, size_t bytes) {
    auto it = used_.find(peer);
    const size_t used = it == used_.end() ? 0 : it->second;
    if (bytes > bytes_per_peer_ - used) return false;
    used_[peer] = used + bytes;
    return true;
  }
  // The queue let go of `bytes` of the peer's (at most what it holds).
  void Release(const ledger::PubKey& peer, size_t bytes) {
    auto it = used_.find(peer);
    if (it == used_.end()) return;
    it->second -= std::min(it->second, bytes);
    if (it->second == 0) used_.erase(it);
  }
  void Clear() { used_.clear(); }
  size_t Used(const ledger::PubKey& peer) const {
    auto it = used_.find(peer);
    return it == used_.end() ? 0 : it->second;
  }
  size_t Total() const {
    size_t total = 0;
    for (const auto& [peer, bytes] : used_) total += bytes;
    return total;
  }
  size_t bytes_per_peer() const { return bytes_per_peer_; }

 private:
  size_t bytes_per_peer_ = 0;
  std::map<ledger::PubKey, size_t> used_;  // peers with bytes waiting only
};

}  // namespace circuledger::node

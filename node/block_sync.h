// node/block_sync.h: block sync, the part of the consensus driver that catches a node up from its
// peers: it asks one peer at a time for blocks from its tip on and applies the answers in height
// order, each with a commit certificate (consensus/certificate.h).
//
// Whom it trusts: only answers to the request outstanding to that peer are taken (heights asked
// of that peer and not yet answered). An answer for heights never asked of that peer bans it
// (`unrequested-message`); a late or repeated answer to a request that was asked is dropped (an
// honest peer may answer after the timeout moved the request on). A block that does not apply
// (bad certificate, does not decode, does not execute) is the fault of the peer that sent it: it
// is banned (`invalid-block`), everything it sent is dropped, and the blocks are asked of another
// peer at once. Only a failure of this node's own storage stops it (OnResponse returns it).
//
// Bounds: answers are buffered at most limits::kMaxSyncAhead heights past the tip, within
// limits::kMaxSyncBufferBytesPerPeer bytes per peer (an answer beyond the share is dropped and
// asked again later).
//
// Single-threaded and without a clock of its own: the caller passes the time (its clock, or the
// simulator's virtual one), and owns the transport (SyncPeers) and the chain (SyncTarget) it
// borrows; both outlive it. Not thread-safe: the consensus driver calls it from its thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"
#include "ledger/types.h"
#include "network/messages.h"
#include "network/reasons.h"
#include "node/limits.h"
#include "node/peer_budget.h"

namespace circuledger::node {

// The transport as block sync sees it.
class SyncPeers {
 public:
  virtual ~SyncPeers() = default;
  // The peers connected now (authenticated), in a stable order.
  virtual std::vector<ledger::PubKey> Peers() = 0;
  // Queues a request for `peer`; false when it cannot (no connection, queue full).
  virtual bool SendRequest(const ledger::PubKey& peer, const network::SyncRequest& request) = 0;
  // `peer` misbehaved: disconnect and ban it (network::P2pNode::BanPeer).
  virtual void Ban(const ledger::PubKey& peer, network::DisconnectReason reason) = 0;
};

// What applying one block from a peer came to.
struct SyncApplied {
  enum class Kind : uint8_t {
    kApplied,        // verified, executed and committed: the tip moved to its height
    kPeerFault,      // refused: bad certificate, not a block of that height, does not execute
    kStorageFailed,  // this node's storage failed: the node must stop (status says why)
  };
  Kind kind = Kind::kApplied;
  ledger::Status status;  // why, for kPeerFault and kStorageFailed
};

// The chain block sync extends.
class SyncTarget {
 public:
  virtual ~SyncTarget() = default;
  virtual uint64_t TipHeight() = 0;
  // Verifies, executes and commits the block at `height` (= TipHeight() + 1) with its certificate.
  virtual SyncApplied Apply(uint64_t height, std::string_view block, std::string_view certificate) = 0;
};

struct SyncOptions {
  uint32_t batch_blocks = 64;                        // blocks per request (config sync_batch_blocks)
  uint64_t timeout_ms = limits::kSyncTimeoutMs;      // an unanswered request is given up after this
  size_t buffer_bytes_per_peer = limits::kMaxSyncBufferBytesPerPeer;
  uint64_t ban_ms = limits::kSyncBanMs;              // a banned peer is not asked for this long
};

// Counters, for status and tests.
struct SyncStats {
  uint64_t applied = 0;          // blocks taken from peers
  uint64_t refused_blocks = 0;   // blocks that did not apply (their peer was banned)
  uint64_t unrequested = 0;      // answers for heights never asked of their peer (peer banned)
  uint64_t dropped = 0;          // late, repeated, too far ahead or over the peer's byte share
  uint64_t requests = 0;         // requests sent
};

class BlockSync {
 public:
  BlockSync(SyncOptions options, SyncPeers& peers, SyncTarget& target);

  // Asks `peer` (or, without one or when that one is banned here, the next connected peer in
  // turn) for blocks from the tip on, unless a request is outstanding and not yet timed out.
  void Request(const std::optional<ledger::PubKey>& peer, uint64_t now_ms);
  // An answer from `peer`. Applies what it can in height order. Returns a non-ok status only when
  // this node's storage failed (the node must stop); a bad answer is the peer's fault, never ours.
  ledger::Status OnResponse(const ledger::PubKey& peer, network::SyncResponse response, uint64_t now_ms);

  const SyncStats& stats() const { return stats_; }
  // The peer the outstanding request went to, if one is outstanding at `now_ms`.
  std::optional<ledger::PubKey> OutstandingPeer(uint64_t now_ms) const;
  bool BannedHere(const ledger::PubKey& peer, uint64_t now_ms) const;
  size_t buffered_bytes() const;

 private:
  struct Buffered {
    ledger::PubKey peer;
    std::string block;
    std::string certificate;
    size_t counted_bytes = 0;  // against the peer's share (0 for the next block, applied at once)
  };
  struct Asked {  // the requests sent to one peer
    uint64_t from = 0;                // the last request: heights [from, until]
    uint64_t until = 0;
    uint64_t deadline_ms = 0;
    std::set<uint64_t> answered;      // heights of the last request answered already
    uint64_t ever_from = 0;           // every height ever asked of this peer is in here (requests
    uint64_t ever_until = 0;          // start at the tip, which only grows)
  };

  void Punish(const ledger::PubKey& peer, network::DisconnectReason reason, uint64_t now_ms);
  void Forget(const ledger::PubKey& peer);  // drops its buffered answers

  SyncOptions options_;
  SyncPeers& peers_;
  SyncTarget& target_;
  std::map<ledger::PubKey, Asked> asked_;                  // by peer: the last request to it
  std::optional<ledger::PubKey> current_;                  // the peer of the outstanding request
  std::map<uint64_t, Buffered> buffer_;                    // height -> answer
  PeerBudget buffer_bytes_;                                // each peer's bytes in buffer_
  std::map<ledger::PubKey, uint64_t> banned_until_ms_;     // peers this node banned
  size_t next_peer_ = 0;                                   // round robin over Peers()
  SyncStats stats_;
};

}  // namespace circuledger::node

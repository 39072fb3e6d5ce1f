// node/tx_gossip.h: transaction gossip, the part of the consensus driver that batches this node's
// transactions for its peers and queues its peers' transactions for admission.
//
// Outgoing: a transaction admitted through the API waits in the outbox (its canonical encoding)
// and goes to every peer in one kTxs frame with the others waiting: once the oldest has waited
// limits::kTxGossipDelayMs, or once limits::kTxGossipBatch are waiting. A frame never exceeds
// network::limits::kMaxTxsPerFrame transactions or kMaxTxsFrameBytes bytes: a transaction that
// would overflow it sends the outbox at once (OnLocalTx) and starts the next one.
// Incoming: peers' transactions are admitted here, never relayed. They wait in the inbox, within
// limits::kMaxTxInbox transactions of all peers and limits::kMaxTxInboxBytesPerPeer bytes of each
// peer's frames (node/peer_budget.h): a peer over its share loses its own frame, never another
// peer's room; an overloaded node drops frames, the block of their origin carries them. Next
// takes the whole inbox as one batch (freeing every share) and hands it out in arrival order, in
// chunks of limits::kTxAdmitChunk; the outbox is looked at before each chunk, so admitting a large
// batch (a signature check per transaction) does not hold up this node's own gossip. What arrives
// meanwhile waits in the inbox for the next batch. Every transaction is handed out once.
//
// No I/O: each call returns what the caller must do (broadcast a frame, admit transactions, wake
// the thread that calls Next), so the caller does it outside its lock (admission must not stall
// the API and p2p threads). No clock of its own: the caller passes the time in milliseconds (the
// steady clock, or a test's virtual time). It owns the outbox, the inbox and the batch being
// admitted. Not thread-safe: the consensus driver (node/consensus_driver.h) holds its tx_mu_
// around every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "ledger/tx.h"
#include "ledger/types.h"
#include "node/limits.h"
#include "node/peer_budget.h"

namespace circuledger::node {

// What OnLocalTx asks of the caller.
struct LocalTxGossip {
  // The outbox could not take the transaction without overflowing a frame: broadcast these
  // encodings as one kTxs frame now (empty: nothing to send).
  std::vector<std::string> send_now;
  // Wake the thread that calls Next: the outbox has a deadline now, or a full batch.
  bool wake = false;
};

// What Next asks of the caller, in this order.
struct TxGossipStep {
  // Broadcast as one kTxs frame (network::EncodeTxsPayload); empty: nothing to send.
  std::vector<std::string> send;
  // Then admit these peers' transactions, in order, without relaying them.
  std::vector<ledger::Tx> admit;
  bool empty() const { return send.empty() && admit.empty(); }
};

// The outbox, the inbox and the batch being admitted, with the decisions over them (above).
class TxGossip {
 public:
  // A transaction admitted through the API, as its canonical encoding (at most
  // ledger::limits::kMaxTxBytes, so it fits a frame alone), at now_ms.
  LocalTxGossip OnLocalTx(std::string encoded, uint64_t now_ms);
  // `peer` sent `txs` in a frame of `frame_bytes` bytes. False when the frame is dropped (nothing
  // queued, the peer's share untouched): it is empty, the inbox would hold over kMaxTxInbox
  // transactions, or the peer's frames would exceed its byte share.
  bool OnPeerTxs(const ledger::PubKey& peer, size_t frame_bytes, std::vector<ledger::Tx> txs);
  // What to do at now_ms: the outbox if it is due, and the next chunk of the batch being admitted
  // (the whole inbox becomes the batch once the previous one is handed out). Empty when there is
  // nothing to do before WakeAtMs() or the next OnLocalTx/OnPeerTxs.
  TxGossipStep Next(uint64_t now_ms);
  // When the outbox falls due by time; nullopt when it is empty.
  std::optional<uint64_t> WakeAtMs() const;

  bool OutboxDue(uint64_t now_ms) const;
  size_t outbox_txs() const { return outbox_.size(); }
  size_t queued_txs() const { return inbox_count_; }          // in the inbox, not yet in a batch
  size_t admitting_txs() const { return admitting_.size(); }  // of the batch, not yet handed out

 private:
  std::vector<std::string> TakeOutbox();

  // Local transactions not yet gossiped, their encoded bytes, and when the oldest arrived.
  std::vector<std::string> outbox_;
  size_t outbox_bytes_ = 0;
  uint64_t outbox_since_ms_ = 0;
  // Peers' frames waiting for the next batch (their transactions), how many transactions, and
  // each peer's bytes among them.
  std::deque<std::vector<ledger::Tx>> inbox_;
  size_t inbox_count_ = 0;
  PeerBudget inbox_bytes_{limits::kMaxTxInboxBytesPerPeer};
  // The batch being handed out for admission, in arrival order.
  std::deque<ledger::Tx> admitting_;
};

}  // namespace circuledger::node

#include "node/tx_gossip.h"

#include <algorithm>
#include <cassert>

#include "network/limits.h"
#include "network/messages.h"

namespace circuledger::node {

using ledger::PubKey;
using ledger::Tx;
using limits::kMaxTxInbox;
using limits::kTxAdmitChunk;
using limits::kTxGossipBatch;
using limits::kTxGossipDelayMs;
using network::limits::kMaxTxsFrameBytes;
using network::limits::kMaxTxsPerFrame;

LocalTxGossip TxGossip::OnLocalTx(std::string encoded, uint64_t now_ms) {
  // Our logic: the API admits only transactions within kMaxTxBytes, and a frame holds any one.
  assert(network::TxsPayloadBytes(1, encoded.size()) <= kMaxTxsFrameBytes);
  LocalTxGossip out;
  // Never over a frame's bounds (count and bytes), whatever the caller of Next is busy with.
  if (outbox_.size() >= kMaxTxsPerFrame ||
      (!outbox_.empty() &&
       network::TxsPayloadBytes(outbox_.size() + 1, outbox_bytes_ + encoded.size()) >
           kMaxTxsFrameBytes)) {
    out.send_now = TakeOutbox();
  }
  if (outbox_.empty()) outbox_since_ms_ = now_ms;
  outbox_bytes_ += encoded.size();
  outbox_.push_back(std::move(encoded));
  // The first one sets the deadline, the batch's last one makes it due at once.
  out.wake = outbox_.size() == 1 || outbox_.size() >= kTxGossipBatch;
  return out;
}

bool TxGossip::OnPeerTxs(const PubKey& peer, size_t frame_bytes, std::vector<Tx> txs) {
  // Overloaded (all peers' count, or this peer's byte share): dropped; the origin's block has them.
  if (txs.empty() || inbox_count_ + txs.size() > kMaxTxInbox) return false;
  if (!inbox_bytes_.TryTake(peer, frame_bytes)) return false;
  inbox_count_ += txs.size();
  inbox_.push_back(std::move(txs));
  return true;
}

bool TxGossip::OutboxDue(uint64_t now_ms) const {
  return !outbox_.empty() &&
         (outbox_.size() >= kTxGossipBatch || now_ms >= outbox_since_ms_ + kTxGossipDelayMs);
}

std::optional<uint64_t> TxGossip::WakeAtMs() const {
  if (outbox_.empty()) return std::nullopt;
  return outbox_since_ms_ + kTxGossipDelayMs;
}

TxGossipStep TxGossip::Next(uint64_t now_ms) {
  TxGossipStep step;
  if (admitting_.empty()) {
    // The previous batch is handed out: the inbox becomes the next one, and every peer's share is
    // free again.
    for (std::vector<Tx>& frame : inbox_) {
      for (Tx& tx : frame) admitting_.push_back(std::move(tx));
    }
    inbox_.clear();
    inbox_count_ = 0;
    inbox_bytes_.Clear();
  }
  if (OutboxDue(now_ms)) step.send = TakeOutbox();
  const size_t n = std::min(admitting_.size(), kTxAdmitChunk);
  step.admit.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    step.admit.push_back(std::move(admitting_.front()));
    admitting_.pop_front();
  }
  return step;
}

std::vector<std::string> TxGossip::TakeOutbox() {
  std::vector<std::string> taken;
  taken.swap(outbox_);
  outbox_bytes_ = 0;
  return taken;
}

}  // namespace circuledger::node

#include "node/block_sync.h"

namespace circuledger::node {

using ledger::PubKey;
using ledger::Status;
using network::DisconnectReason;

BlockSync::BlockSync(SyncOptions options, SyncPeers& peers, SyncTarget& target)
    : options_(options), peers_(peers), target_(target), buffer_bytes_(options.buffer_bytes_per_peer) {}

bool BlockSync::BannedHere(const PubKey& peer, uint64_t now_ms) const {
  auto it = banned_until_ms_.find(peer);
  return it != banned_until_ms_.end() && now_ms < it->second;
}

std::optional<PubKey> BlockSync::OutstandingPeer(uint64_t now_ms) const {
  if (!current_) return std::nullopt;
  auto it = asked_.find(*current_);
  if (it == asked_.end() || now_ms >= it->second.deadline_ms) return std::nullopt;
  return current_;
}

size_t BlockSync::buffered_bytes() const { return buffer_bytes_.Total(); }

void BlockSync::Request(const std::optional<PubKey>& peer, uint64_t now_ms) {
  if (OutstandingPeer(now_ms)) return;  // one request at a time
  const std::optional<PubKey> timed_out = current_;
  current_.reset();
  std::optional<PubKey> to;
  if (peer && !BannedHere(*peer, now_ms)) {
    to = peer;
  } else {
    // The next connected peer in turn, not one banned here, and not the one that just let a
    // request time out unless no other is left.
    const std::vector<PubKey> connected = peers_.Peers();
    for (int pass = 0; pass < 2 && !to; ++pass) {
      for (size_t i = 0; i < connected.size() && !to; ++i) {
        const PubKey& candidate = connected[next_peer_++ % connected.size()];
        if (!BannedHere(candidate, now_ms) && (pass == 1 || candidate != timed_out)) to = candidate;
      }
    }
  }
  if (!to) return;
  const uint64_t from = target_.TipHeight() + 1;
  const network::SyncRequest request{from, options_.batch_blocks};
  if (!peers_.SendRequest(*to, request)) return;
  ++stats_.requests;
  auto [it, fresh] = asked_.try_emplace(*to);
  Asked& a = it->second;
  a.from = from;
  a.until = from + options_.batch_blocks - 1;
  a.deadline_ms = now_ms + options_.timeout_ms;
  a.answered.clear();
  a.ever_from = fresh ? from : std::min(a.ever_from, from);
  a.ever_until = fresh ? a.until : std::max(a.ever_until, a.until);
  current_ = *to;
}

void BlockSync::Forget(const PubKey& peer) {
  std::erase_if(buffer_, [&](const auto& entry) { return entry.second.peer == peer; });
  buffer_bytes_.Release(peer, buffer_bytes_.Used(peer));
}

void BlockSync::Punish(const PubKey& peer, DisconnectReason reason, uint64_t now_ms) {
  peers_.Ban(peer, reason);
  std::erase_if(banned_until_ms_, [&](const auto& entry) { return entry.second <= now_ms; });
  banned_until_ms_[peer] = now_ms + options_.ban_ms;
  Forget(peer);
  asked_.erase(peer);
  if (current_ == peer) current_.reset();
}

Status BlockSync::OnResponse(const PubKey& peer, network::SyncResponse response, uint64_t now_ms) {
  const uint64_t h = response.height;
  auto asked = asked_.find(peer);
  if (asked == asked_.end() || h < asked->second.ever_from || h > asked->second.ever_until) {
    // Nobody asked this peer for that height: an honest node never sends it (a forged or
    // replayed answer, meant to make this node execute what it chose).
    ++stats_.unrequested;
    Punish(peer, DisconnectReason::kUnrequested, now_ms);
    return Status::Ok();
  }
  Asked& a = asked->second;
  const bool outstanding = current_ == peer && h >= a.from && h <= a.until;
  if (!outstanding || !a.answered.insert(h).second) {
    ++stats_.dropped;  // late (the request moved on) or repeated
    return Status::Ok();
  }
  const uint64_t batch_until = a.until;
  uint64_t tip = target_.TipHeight();
  const size_t bytes = response.block.size() + response.certificate.size();
  // The next block is applied at once; only blocks ahead of it are held, within the peer's share.
  const size_t counted = h > tip + 1 ? bytes : 0;
  if (h <= tip || h > tip + limits::kMaxSyncAhead || buffer_.count(h) || !buffer_bytes_.TryTake(peer, counted)) {
    ++stats_.dropped;
  } else {
    buffer_.emplace(h, Buffered{peer, std::move(response.block), std::move(response.certificate), counted});
  }

  bool progressed = false;
  while (!buffer_.empty() && buffer_.begin()->first <= tip + 1) {
    auto it = buffer_.begin();
    const uint64_t height = it->first;
    Buffered entry = std::move(it->second);
    buffer_.erase(it);
    buffer_bytes_.Release(entry.peer, entry.counted_bytes);
    if (height <= tip) continue;  // committed meanwhile (by consensus)
    const SyncApplied r = target_.Apply(height, entry.block, entry.certificate);
    if (r.kind == SyncApplied::Kind::kStorageFailed) return r.status;
    if (r.kind == SyncApplied::Kind::kPeerFault) {
      // The sender's fault, never a reason to stop: ban it and ask another peer at once.
      ++stats_.refused_blocks;
      Punish(entry.peer, DisconnectReason::kInvalidBlock, now_ms);
      Request(std::nullopt, now_ms);
      return Status::Ok();
    }
    ++stats_.applied;
    progressed = true;
    tip = std::max(height, target_.TipHeight());  // the target may have moved on by itself
  }
  if (progressed && current_ == peer && tip >= batch_until) {
    // The batch asked for is in: ask for the next one at once (an empty answer costs nothing).
    current_.reset();
    Request(peer, now_ms);
  }
  return Status::Ok();
}

}  // namespace circuledger::node

#include "node/height_driver.h"

#include <algorithm>

#include "consensus/encoding.h"
#include "node/limits.h"

namespace circuledger::node {

using consensus::Message;
using ledger::PubKey;
using ledger::Status;

namespace {

uint64_t HeightOf(const Message& m) {
  return std::visit([](const auto& x) { return x.height; }, m);
}

}  // namespace

HeightDriver::HeightDriver(HeightDriverDeps deps, std::vector<Message> wal_messages)
    : options_(std::move(deps.options)),
      app_(deps.app),
      chain_(deps.chain),
      transport_(deps.transport),
      wal_(deps.wal),
      clock_(deps.clock),
      log_(deps.log),
      sm_(consensus::ConsensusState::Config{options_.chain_id, options_.timeouts}, deps.app,
          deps.proposers, deps.verifier, deps.signer),
      wal_messages_(std::move(wal_messages)),
      early_bytes_(limits::kMaxEarlyBytesPerPeer) {}

void HeightDriver::Begin() {
  const uint64_t now = clock_.NowMs();
  next_gossip_ms_ = now;
  // Mid-height when it stopped (the WAL holds what it signed there): go on at once. Otherwise
  // wait for transactions or the other validators like after any commit.
  height_ = chain_.TipHeight() + 1;
  committed_at_ms_ = now - std::min(now, options_.block_min_interval_ms);
  if (std::any_of(wal_messages_.begin(), wal_messages_.end(),
                  [&](const Message& m) { return HeightOf(m) == height_; })) {
    StartHeight(height_);
  }
}

// ---- Heights ----

void HeightDriver::StartHeight(uint64_t height) {
  ledger::Result<consensus::ValidatorSet> validators = chain_.StartingHeight(height);
  if (!validators.ok()) return Fail(validators.status());
  // The state machine needs only this height's records: earlier heights are committed. The file
  // is rewritten without them once it has grown (a rewrite costs two fsyncs; Start ignores
  // records of other heights, so old ones in the file are harmless).
  std::erase_if(wal_messages_, [&](const Message& m) { return HeightOf(m) < height; });
  if (wal_.size_bytes() > limits::kWalRewriteBytes) {
    std::vector<WalRecord> keep;
    for (const Message& m : wal_messages_) keep.push_back(ConsensusRecord(m));
    if (Status s = wal_.Reset(keep); !s.ok()) return Fail(s);
  }
  height_ = height;
  running_ = true;
  next_height_seen_ = false;
  height_started_at_ms_ = clock_.NowMs();
  Execute(sm_.Start(height, std::move(validators).value(), wal_messages_));
  std::vector<std::pair<PubKey, std::string>> early;
  early.swap(early_);
  early_bytes_.Clear();
  for (const auto& [peer, payload] : early) OnConsensusMessage(peer, payload);
}

bool HeightDriver::IntervalPassed() const {
  return clock_.NowMs() >= committed_at_ms_ + options_.block_min_interval_ms;
}

bool HeightDriver::ReadyToStart() const {
  if (next_height_seen_) return true;
  if (!IntervalPassed()) return false;
  if (options_.create_empty_blocks &&
      clock_.NowMs() >= committed_at_ms_ + options_.empty_block_interval_ms) {
    return true;
  }
  return chain_.HasReadyTxs();
}

void HeightDriver::MaybeStartHeight() {
  if (!running_ && ReadyToStart()) StartHeight(height_);
}

void HeightDriver::Execute(consensus::Output out) {
  // Honest validators propose only valid blocks: blame the proposer of an invalid one.
  for (const consensus::InvalidProposal& bad : sm_.TakeInvalidProposals()) {
    if (chain_.ProposerFault(bad.value_id)) transport_.Ban(bad.proposer, network::DisconnectReason::kInvalidBlock);
  }
  // Everything this output persists is made durable with one sync before any of its messages
  // leaves (state_machine.h: a persist precedes every later action).
  std::vector<WalRecord> records;
  for (const consensus::Action& a : out.actions) {
    if (const auto* p = std::get_if<consensus::PersistMessage>(&a))
      records.push_back(ConsensusRecord(p->message));
  }
  if (!records.empty()) {
    if (Status s = wal_.Append(records); !s.ok()) return Fail(s);
    for (const consensus::Action& a : out.actions) {
      if (const auto* p = std::get_if<consensus::PersistMessage>(&a))
        wal_messages_.push_back(p->message);
    }
  }
  for (consensus::Action& a : out.actions) {
    if (auto* b = std::get_if<consensus::BroadcastMessage>(&a)) {
      transport_.Broadcast(b->message);
    } else if (auto* t = std::get_if<consensus::ScheduleTimeout>(&a)) {
      timers_.push({clock_.NowMs() + t->delay_ms, t->timeout});
    } else if (auto* d = std::get_if<consensus::Decide>(&a)) {
      Commit(*d);
    }
  }
}

void HeightDriver::Commit(const consensus::Decide& d) {
  if (d.height != chain_.TipHeight() + 1) return;  // block sync got there first
  if (Status s = chain_.CommitDecided(d); !s.ok()) return Fail(s);
  OnCommitted(d.height);
}

void HeightDriver::OnCommitted(uint64_t height) {
  early_.clear();
  early_bytes_.Clear();
  committed_at_ms_ = clock_.NowMs();
  running_ = false;
  height_ = height + 1;
  next_height_seen_ = false;
  while (!timers_.empty()) timers_.pop();
}

// ---- Messages ----

void HeightDriver::OnConsensusMessage(const PubKey& peer, std::string_view payload) {
  ledger::Result<Message> m = consensus::DecodeMessage(payload);
  if (!m.ok()) {
    // Peers speak the protocol version the handshake bound: an honest one never sends this.
    log_.Debug("undecodable consensus message from ", peer.ToHex().substr(0, 12), ": ",
               m.status().ToString());
    return transport_.Ban(peer, network::DisconnectReason::kBadMessage);
  }
  const uint64_t h = HeightOf(*m);
  if (h <= chain_.TipHeight()) return;  // committed here already
  if (!running_ && h > height_) {
    // Heights ahead of one this node has not started: others are ahead.
    chain_.RequestSync(peer);
    return;
  }
  if (!running_ && h == height_) {
    // Another validator started the height this one waits to start: follow, and hand the
    // message to the state machine once the height is started.
    next_height_seen_ = true;
    if (early_.size() < limits::kMaxEarlyMessages && early_bytes_.TryTake(peer, payload.size())) {
      early_.push_back({peer, std::string(payload)});
    }
    return;
  }
  if (const auto* p = std::get_if<consensus::Proposal>(&*m)) {
    // Before the state machine decodes the body (node/proposal_check.h).
    switch (chain_.CheckProposal(*p)) {
      case EnvelopeCheck::kOk:
        break;
      case EnvelopeCheck::kBadSignature:
        return transport_.Ban(peer, network::DisconnectReason::kBadConsensusSignature);
      case EnvelopeCheck::kTooLarge:
        return transport_.Ban(peer, network::DisconnectReason::kInvalidBlock);
    }
  }
  consensus::Output out = std::visit(
      [&](const auto& x) {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, consensus::Proposal>) {
          return sm_.OnProposal(x);
        } else {
          return sm_.OnVote(x);
        }
      },
      *m);
  // Honest nodes send and relay only messages they verified (invalid blocks: Execute).
  if (out.verdict == consensus::Verdict::kBadSignature) {
    transport_.Ban(peer, network::DisconnectReason::kBadConsensusSignature);
  }
  if (out.verdict == consensus::Verdict::kFutureHeight) chain_.RequestSync(peer);
  if (out.verdict != consensus::Verdict::kAccepted &&
      out.verdict != consensus::Verdict::kDuplicate &&
      out.verdict != consensus::Verdict::kBuffered &&
      out.verdict != consensus::Verdict::kStaleHeight) {
    log_.Debug("consensus message from ", peer.ToHex().substr(0, 12), ": ",
               consensus::VerdictName(out.verdict));
  }
  Execute(std::move(out));
}

void HeightDriver::OnPeerUp(const PubKey& peer) {
  if (!running_) return;
  for (const Message& m : sm_.GossipMessages()) transport_.Send(peer, m);
}

// ---- Time ----

void HeightDriver::Poll() {
  FireTimers();
  Gossip();
  MaybeStartHeight();
}

void HeightDriver::FireTimers() {
  const uint64_t now = clock_.NowMs();
  while (!timers_.empty() && timers_.top().at_ms <= now) {
    const consensus::Timeout t = timers_.top().timeout;
    timers_.pop();
    if (running_ && t.height == height_) Execute(sm_.OnTimeout(t));
  }
}

void HeightDriver::Gossip() {
  if (!options_.gossip) return;
  const uint64_t now = clock_.NowMs();
  if (now < next_gossip_ms_) return;
  const uint64_t vote_ms = options_.timeouts.Vote(sm_.round());
  next_gossip_ms_ = now + 2 * vote_ms;
  // Messages lost while links were down still arrive: re-send what this node signed.
  if (running_ && now - height_started_at_ms_ >= vote_ms) {
    for (const Message& m : sm_.GossipMessages()) transport_.Broadcast(m);
  }
}

std::optional<uint64_t> HeightDriver::NextWakeMs() const {
  std::optional<uint64_t> wake;
  const auto take = [&](uint64_t at) { wake = wake ? std::min(*wake, at) : at; };
  if (options_.gossip) take(next_gossip_ms_);
  if (!timers_.empty()) take(timers_.top().at_ms);
  if (!running_) {
    // Between heights: when the minimum interval ends (afterwards a transaction or a message of
    // the next height starts it), or when an empty block is due.
    const uint64_t min_next = committed_at_ms_ + options_.block_min_interval_ms;
    if (min_next > clock_.NowMs()) take(min_next);
    if (options_.create_empty_blocks) take(committed_at_ms_ + options_.empty_block_interval_ms);
  }
  return wake;
}

}  // namespace circuledger::node

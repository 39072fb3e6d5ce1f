#include "node/consensus_driver.h"

#include "consensus/certificate.h"
#include "consensus/encoding.h"
#include "ledger/apply.h"
#include "ledger/encoding.h"
#include "network/messages.h"

namespace circuledger::node {

using namespace circuledger::ledger;
using consensus::Message;
using network::MessageType;

namespace {

using limits::kMaxInboxMessages;
using limits::kSyncIntervalMs;

// Block sync's view of the transport.
class P2pSyncPeers final : public SyncPeers {
 public:
  explicit P2pSyncPeers(network::P2pNode& p2p) : p2p_(p2p) {}
  std::vector<PubKey> Peers() override {
    std::vector<PubKey> keys;
    for (const network::PeerInfo& p : p2p_.Peers()) keys.push_back(p.key);
    return keys;
  }
  bool SendRequest(const PubKey& peer, const network::SyncRequest& request) override {
    return p2p_.Send(peer, MessageType::kSyncRequest, network::EncodeSyncRequest(request)).ok();
  }
  void Ban(const PubKey& peer, network::DisconnectReason reason) override { p2p_.BanPeer(peer, reason); }

 private:
  network::P2pNode& p2p_;
};

}  // namespace

ConsensusDriver::ConsensusDriver(DriverDeps deps) : deps_(std::move(deps)) {}

ConsensusDriver::~ConsensusDriver() { Stop(); }

Result<std::unique_ptr<ConsensusDriver>> ConsensusDriver::Open(DriverDeps deps) {
  std::unique_ptr<ConsensusDriver> d(new ConsensusDriver(std::move(deps)));
  const Config& config = d->deps_.config;
  d->chain_id_ = d->deps_.executor.chain_id();
  const std::string& wal_path = d->deps_.wal_path;
  // Never sign twice (node/sign_guard.h): checked before Wal::Open, which creates a missing WAL.
  Result<std::unique_ptr<SignGuard>> guard = OpenSignGuard(wal_path, d->deps_.allow_missing_wal);
  if (!guard.ok()) return guard.status();
  d->guard_ = std::move(guard).value();
  d->signer_.emplace(d->deps_.node_key, *d->guard_, d->deps_.log);
  WalReplay replay;
  Result<std::unique_ptr<Wal>> wal = Wal::Open(wal_path, &replay);
  if (!wal.ok()) return wal.status();
  d->wal_ = std::move(wal).value();
  if (replay.dropped_tail_bytes > 0) {
    d->deps_.log.Warn("consensus WAL ", wal_path, ": dropped an incomplete last record (", replay.dropped_tail_bytes,
                      " bytes; it was never sent)");
  }
  Result<std::vector<Message>> messages = ToConsensusMessages(replay);
  if (!messages.ok()) return Status::Corruption("consensus WAL " + wal_path + ": " + messages.status().ToString());
  if (Status s = d->guard_->AfterWalReplay(LastOwnSlot(*messages, d->signer_->Key())); !s.ok()) return s;

  LedgerAppDeps ad{d->deps_.executor, d->deps_.store,    d->deps_.mempool, d->deps_.log,
                   config.block_max_txs, d->signer_->Key(), d->deps_.now_ms,  d->deps_.left_out};
  d->app_ = std::make_unique<LedgerApp>(std::move(ad));
  ConsensusDriver* self = d.get();
  d->chain_ = std::make_unique<LedgerChain>(LedgerChainDeps{
      d->deps_.executor, d->deps_.store, d->deps_.mempool, *d->app_, d->deps_.left_out,
      [self](const BlockCommit& c, bool synced) { self->LedgerCommitted(c, synced); }});

  WorkingState state(d->deps_.store);
  const Params& params = state.GetParams();
  // Timeouts are read once, at start: a governance change of them applies from the next restart.
  d->timeouts_ = consensus::TimeoutConfig{params.timeout_propose_ms, params.timeout_vote_ms, params.timeout_delta_ms};
  const bool networked = !config.p2p_listen.empty() || !config.peers.empty();
  HeightOptions ho;
  ho.chain_id = d->chain_id_;
  ho.timeouts = d->timeouts_;
  ho.block_min_interval_ms = config.block_min_interval_ms;
  ho.create_empty_blocks = config.create_empty_blocks;
  ho.empty_block_interval_ms = config.empty_block_interval_ms;
  ho.gossip = networked;  // no peers to talk to: never wakes the loop
  ConsensusDriver& self_ref = *d;
  d->heights_ = std::make_unique<HeightDriver>(
      HeightDriverDeps{std::move(ho), *d->app_, d->proposers_, consensus::DefaultVerifier(), &*d->signer_, self_ref,
                       self_ref, *d->wal_, self_ref, d->deps_.log},
      std::move(messages).value());

  const size_t validators = state.GetValidators().active.size();
  if (validators > 1 && !networked) {
    return Status::InvalidArgument("the chain has " + std::to_string(validators) +
                                   " validators: set p2p_listen and peers in config.json (docs/config.md)");
  }
  d->RefreshAllowedKeys();
  if (networked) {
    network::P2pOptions po;
    po.chain_id = d->chain_id_;
    po.genesis_hash = d->deps_.genesis_hash;
    po.allowed = [self](const PubKey& key) {
      std::shared_ptr<const std::set<PubKey>> allowed;
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        allowed = self->allowed_;
      }
      return allowed->count(key) > 0;
    };
    po.listen = !config.p2p_listen.empty();
    if (po.listen) {
      if (Status s = SplitHostPort(config.p2p_listen, &po.listen_host, &po.listen_port); !s.ok()) return s;
    }
    po.dial = config.peers;
    network::P2pCallbacks cb;
    cb.on_message = [self](const PubKey& peer, MessageType type, std::string payload) {
      switch (type) {
        case MessageType::kTx: {
          Result<Tx> tx = network::DecodeTxPayload(payload);
          if (!tx.ok()) return;  // the transport checked it already
          std::vector<Tx> one;
          one.push_back(std::move(tx).value());
          std::lock_guard<std::mutex> lock(self->tx_mu_);
          self->QueuePeerTxsLocked(peer, payload.size(), std::move(one));
          return;
        }
        case MessageType::kTxs: {
          Result<std::vector<Tx>> txs = network::DecodeTxsPayload(payload);
          if (!txs.ok()) return;  // the transport checked it already
          std::lock_guard<std::mutex> lock(self->tx_mu_);
          self->QueuePeerTxsLocked(peer, payload.size(), std::move(txs).value());
          return;
        }
        case MessageType::kConsensus:
          return self->Enqueue({Inbound::Kind::kConsensus, peer, std::move(payload)});
        case MessageType::kSyncRequest:
          return self->Enqueue({Inbound::Kind::kSyncRequest, peer, std::move(payload)});
        case MessageType::kSyncResponse:
          return self->Enqueue({Inbound::Kind::kSyncResponse, peer, std::move(payload)});
        default:
          return;
      }
    };
    cb.on_peer_up = [self](const PubKey& peer) { self->Enqueue({Inbound::Kind::kPeerUp, peer, {}}); };
    d->p2p_ = std::make_unique<network::P2pNode>(std::move(po), d->deps_.node_key, std::move(cb));
    d->sync_peers_ = std::make_unique<P2pSyncPeers>(*d->p2p_);
    d->sync_target_ = std::make_unique<LedgerSyncTarget>(d->deps_.executor, d->deps_.store, d->chain_id_,
                                                         [self](const BlockCommit& c) {
                                                           self->chain_->AfterCommit(c, true);
                                                           self->heights_->OnCommitted(c.block.header.height);
                                                         });
    SyncOptions so;
    so.batch_blocks = config.sync_batch_blocks;
    d->sync_ = std::make_unique<BlockSync>(so, *d->sync_peers_, *d->sync_target_);
  }
  return d;
}

Status ConsensusDriver::Start() {
  if (thread_.joinable()) return Status::Ok();
  if (p2p_) {
    if (Status s = p2p_->Start(); !s.ok()) return s;
    deps_.log.Info("p2p on port ", p2p_->port(), ", ", deps_.config.peers.size(), " peers configured");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  {
    std::lock_guard<std::mutex> lock(tx_mu_);
    tx_stop_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
  tx_thread_ = std::thread([this] { TxLoop(); });
  return Status::Ok();
}

void ConsensusDriver::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  {
    std::lock_guard<std::mutex> lock(tx_mu_);
    tx_stop_ = true;
  }
  tx_cv_.notify_all();
  if (p2p_) p2p_->Stop();  // no callback runs after this
  if (thread_.joinable()) thread_.join();
  if (tx_thread_.joinable()) tx_thread_.join();
}

void ConsensusDriver::OnLocalTx(const Tx& tx) {
  if (p2p_) {
    std::string encoded = Encode(tx);
    LocalTxGossip gossip;
    {
      std::lock_guard<std::mutex> lock(tx_mu_);
      gossip = tx_gossip_.OnLocalTx(std::move(encoded), NowMs());
      // The tx thread sends the batch after the delay, or at once when it is full.
      if (gossip.wake) tx_cv_.notify_one();
    }
    // A batch that would have overflowed a frame goes out now, from this thread.
    if (!gossip.send_now.empty()) BroadcastTxs(std::move(gossip.send_now));
  }
  OnTxsWaiting();
}

void ConsensusDriver::BroadcastTxs(std::vector<std::string> encoded) {
  p2p_->Broadcast(MessageType::kTxs, network::EncodeTxsPayload(encoded));
}

void ConsensusDriver::OnTxsWaiting() {
  // While a height runs, or until the minimum interval since the last commit has passed, the
  // driver does not look at the mempool; once woken it does: one wake-up per height at most.
  if (!waiting_for_txs_.exchange(false)) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    txs_waiting_ = true;
  }
  cv_.notify_one();
}

ConsensusStatus ConsensusDriver::Info() const {
  std::lock_guard<std::mutex> lock(mu_);
  ConsensusStatus s = status_;
  s.peers = p2p_ ? p2p_->Peers().size() : 0;
  return s;
}

void ConsensusDriver::Enqueue(Inbound in) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (inbox_.size() >= kMaxInboxMessages) return;  // overloaded: gossip repeats what matters
    // Each peer within its share of bytes: a peer sending proposals of kMaxBlockBytes faster than
    // the driver takes them loses its own, never another peer's.
    if (!inbox_bytes_.TryTake(in.peer, in.payload.size())) return;
    inbox_.push_back(std::move(in));
  }
  cv_.notify_one();
}

void ConsensusDriver::QueuePeerTxsLocked(const PubKey& peer, size_t bytes, std::vector<Tx> txs) {
  // Dropped when overloaded (all peers' count, or this peer's byte share): the origin's block has them.
  if (tx_gossip_.OnPeerTxs(peer, bytes, std::move(txs))) tx_cv_.notify_one();
}

void ConsensusDriver::TxLoop() {
  for (;;) {
    TxGossipStep step;
    {
      std::unique_lock<std::mutex> lock(tx_mu_);
      for (;;) {
        // A batch taken from the inbox is admitted to its end, also when stopping.
        if (tx_stop_ && tx_gossip_.admitting_txs() == 0) return;
        step = tx_gossip_.Next(NowMs());
        if (!step.empty()) break;
        if (std::optional<uint64_t> at = tx_gossip_.WakeAtMs()) {
          tx_cv_.wait_until(lock, Clock::time_point(std::chrono::milliseconds(*at)));
        } else {
          tx_cv_.wait(lock);
        }
      }
    }
    // Outside tx_mu_: admission checks a signature per transaction, and the API and p2p threads
    // must not wait for it. tx_gossip_ hands out one chunk at a time, with the outbox when due.
    if (!step.send.empty()) BroadcastTxs(std::move(step.send));
    for (const Tx& tx : step.admit) deps_.admit_from_peer(tx);
  }
}

// ---- The driver thread ----

void ConsensusDriver::Loop() {
  next_sync_ = Clock::now() + std::chrono::milliseconds(kSyncIntervalMs);
  heights_->Begin();
  PublishStatus();
  for (;;) {
    std::deque<Inbound> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, NextWake(), [&] { return stop_ || !inbox_.empty() || txs_waiting_; });
      if (stop_) return;
      batch.swap(inbox_);
      inbox_bytes_.Clear();
      txs_waiting_ = false;
    }
    for (Inbound& in : batch) {
      switch (in.kind) {
        case Inbound::Kind::kConsensus:
          heights_->OnConsensusMessage(in.peer, in.payload);
          break;
        case Inbound::Kind::kSyncRequest:
          ServeSync(in.peer, in.payload);
          break;
        case Inbound::Kind::kSyncResponse:
          HandleSyncResponse(in.peer, in.payload);
          break;
        case Inbound::Kind::kPeerUp:
          // A new link: what this node signed at the current height, and a look at its chain.
          heights_->OnPeerUp(in.peer);
          RequestSync(in.peer);
          break;
      }
    }
    heights_->FireTimers();
    heights_->Gossip();
    MaybeSync();
    // Announced before the mempool is looked at: a transaction arriving after the look wakes us.
    // Before the interval has passed the driver wakes itself (NextWake).
    waiting_for_txs_.store(!heights_->running() && heights_->IntervalPassed());
    MaybeStartHeight();
    if (heights_->running()) waiting_for_txs_.store(false);
    if (!app_->storage_error().ok()) Fatal(app_->storage_error());
    PublishStatus();
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
  }
}

ConsensusDriver::Clock::time_point ConsensusDriver::NextWake() const {
  Clock::time_point wake = next_sync_;
  const auto at = [](uint64_t ms) { return Clock::time_point(std::chrono::milliseconds(ms)); };
  if (std::optional<uint64_t> ms = heights_->NextWakeMs()) wake = std::min(wake, at(*ms));
  // Between heights, not yet announced as waiting for transactions (the interval had not passed
  // when the loop looked): wake when it has passed, also if that is now.
  if (!heights_->running() && !waiting_for_txs_.load()) {
    wake = std::min(wake, at(heights_->committed_at_ms() + deps_.config.block_min_interval_ms));
  }
  return wake;
}

uint64_t ConsensusDriver::NowMs() const {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count());
}

void ConsensusDriver::Broadcast(const Message& message) {
  if (p2p_) p2p_->Broadcast(MessageType::kConsensus, consensus::EncodeMessage(message));
}

void ConsensusDriver::Send(const PubKey& peer, const Message& message) {
  if (p2p_) p2p_->Send(peer, MessageType::kConsensus, consensus::EncodeMessage(message));
}

void ConsensusDriver::Ban(const PubKey& peer, network::DisconnectReason reason) {
  deps_.log.Warn("peer ", peer.ToHex().substr(0, 12), " banned: ", network::ReasonString(reason));
  if (p2p_) p2p_->BanPeer(peer, reason);
  std::lock_guard<std::mutex> lock(mu_);
  ++status_.banned_peers;
}

void ConsensusDriver::Fatal(const ledger::Status& s) {
  deps_.log.Error("FATAL: ", s.ToString(), "; consensus stopped, restart the node after checking the disk");
  deps_.fatal(s);
  std::lock_guard<std::mutex> lock(mu_);
  stop_ = true;
}

// ---- Heights ----

void ConsensusDriver::RefreshAllowedKeys() {
  auto allowed = std::make_shared<std::set<PubKey>>();
  WorkingState state(deps_.store);
  const ledger::ValidatorSet& set = state.GetValidators();
  for (const Validator& v : set.active) allowed->insert(v.key);
  for (const PendingValidatorChange& c : set.pending) {
    if (c.add) allowed->insert(c.validator.key);
  }
  for (const std::string& hex : deps_.config.peer_keys) {
    if (auto key = PubKey::FromHex(hex)) allowed->insert(*key);
  }
  // A validator that joined after this node started is dialed at its registered address (the
  // ones known at start are reached through the configured peers).
  for (const Validator& v : set.active) {
    if (initial_validators_.empty()) break;
    if (!p2p_ || v.key == signer_->Key() || initial_validators_.count(v.key) || !dialed_.insert(v.key).second) continue;
    if (Status s = p2p_->AddPeer(v.address); !s.ok()) deps_.log.Warn("validator ", v.name, ": ", s.ToString());
  }
  if (initial_validators_.empty()) {
    for (const Validator& v : set.active) initial_validators_.insert(v.key);
  }
  std::lock_guard<std::mutex> lock(mu_);
  allowed_ = std::move(allowed);
  status_.validators = set.active.size();
  status_.validator = std::any_of(set.active.begin(), set.active.end(), [&](const Validator& v) { return v.key == signer_->Key(); });
}

Result<consensus::ValidatorSet> ConsensusDriver::StartingHeight(uint64_t height) {
  height_started_at_ = Clock::now();
  return chain_->StartingHeight(height);
}

void ConsensusDriver::MaybeStartHeight() {
  try {
    heights_->MaybeStartHeight();
  } catch (const StorageError& e) {
    Fatal(Status::Corruption(e.what()));
  }
}

void ConsensusDriver::PublishStatus() {
  std::lock_guard<std::mutex> lock(mu_);
  status_.height = heights_->height();
  status_.round = heights_->running() ? heights_->state().round() : 0;
  status_.step = heights_->running() ? std::string(consensus::StepName(heights_->state().step())) : "waiting";
}

void ConsensusDriver::LedgerCommitted(const BlockCommit& commit, bool synced) {
  const auto now = Clock::now();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - height_started_at_).count();
  deps_.metrics.BlockCommitted(commit.block.txs.size(), static_cast<uint64_t>(std::max<int64_t>(0, us)));
  deps_.log.Info(synced ? "synced block " : "committed block ", commit.block.header.height, " (",
                 commit.block.txs.size(), " txs", synced ? "" : ", " + std::to_string(us / 1000) + " ms", ")");
  RefreshAllowedKeys();
  std::lock_guard<std::mutex> lock(mu_);
  if (synced) ++status_.synced_blocks;
}

// ---- Block sync ----

void ConsensusDriver::MaybeSync() {
  if (!p2p_) {
    next_sync_ = Clock::now() + std::chrono::hours(1);  // no peers to talk to: never wakes the loop
    return;
  }
  const auto now = Clock::now();
  if (now >= next_sync_) {
    next_sync_ = now + std::chrono::milliseconds(kSyncIntervalMs);
    // No decision for a while: maybe the others are ahead.
    if (heights_->running() && now - height_started_at_ >= std::chrono::milliseconds(2 * kSyncIntervalMs)) {
      RequestSync(std::nullopt);
    }
  }
}

void ConsensusDriver::RequestSync(const std::optional<PubKey>& peer) {
  if (sync_) sync_->Request(peer, NowMs());
}

void ConsensusDriver::ServeSync(const PubKey& peer, std::string_view payload) {
  Result<network::SyncRequest> req = network::DecodeSyncRequest(payload);
  if (!req.ok()) return;
  const uint64_t tip = deps_.store.Tip().height;
  for (uint64_t h = req->from_height; h <= tip && h < req->from_height + req->count; ++h) {
    if (h == 0) continue;
    Result<std::string> block = deps_.store.ReadBlockBytes(h);
    Result<std::string> cert = deps_.store.ReadCertificate(h);
    if (!block.ok() || !cert.ok()) return;  // e.g. blocks made before consensus: nothing to prove them
    network::SyncResponse resp{h, std::move(block).value(), std::move(cert).value()};
    if (!p2p_->Send(peer, MessageType::kSyncResponse, network::EncodeSyncResponse(resp)).ok()) return;
  }
}

void ConsensusDriver::HandleSyncResponse(const PubKey& peer, std::string_view payload) {
  Result<network::SyncResponse> resp = network::DecodeSyncResponse(payload);
  if (!resp.ok() || !sync_) return;  // the transport checked it already
  const uint64_t refused = sync_->stats().refused_blocks;
  const uint64_t unrequested = sync_->stats().unrequested;
  const Status s = sync_->OnResponse(peer, std::move(resp).value(), NowMs());
  if (sync_->stats().refused_blocks != refused) {
    deps_.log.Warn("a synced block was refused; the peer that sent it is banned (invalid-block)");
  }
  if (sync_->stats().unrequested != unrequested) {
    deps_.log.Warn("peer ", peer.ToHex().substr(0, 12), " banned: a sync answer for heights not asked of it");
  }
  if (sync_->stats().refused_blocks != refused || sync_->stats().unrequested != unrequested) {
    std::lock_guard<std::mutex> lock(mu_);
    status_.banned_peers += (sync_->stats().refused_blocks - refused) + (sync_->stats().unrequested - unrequested);
  }
  if (!s.ok()) Fatal(s);
}

}  // namespace circuledger::node

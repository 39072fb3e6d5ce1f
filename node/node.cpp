#include "node/node.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ledger/encoding.h"
#include "ledger/limits.h"
#include "node/limits.h"

namespace circuledger::node {

namespace fs = std::filesystem;
using namespace circuledger::ledger;

namespace {

using limits::kMaxRememberedRejects;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Under(const std::string& home, const std::string& path) {
  return fs::path(path).is_absolute() ? path : (fs::path(home) / path).string();
}

}  // namespace

namespace {

MempoolOptions MempoolOptionsOf(const Config& c) {
  return MempoolOptions{c.mempool_max_txs, c.mempool_max_per_account, c.mempool_max_per_org, c.mempool_nonce_window,
                        c.mempool_expiry_ms};
}

}  // namespace

Node::Node(const Config& config, Logger& log)
    : config_(config),
      log_(log),
      mempool_(MempoolOptionsOf(config),
               MempoolHooks{{},
                            // Opened before any commit can prune (the driver starts after Open).
                            [this](const Tx& tx, const Hash256& id) { return executor_->CheckTxAgainstTip(tx, id, NowMs()); },
                            [this](const Hash256& id, const Status& s) {
                              RecordReject(id, s);
                              log_.Debug("dropped tx ", id.ToHex(), " from the mempool: ", s.ToString());
                            }}) {}

Node::~Node() { Stop(); }

Result<std::unique_ptr<Node>> Node::Open(const std::string& home, Logger& log, const NodeOptions& options) {
  Result<Config> config = LoadConfig(Under(home, "config.json"));
  if (!config.ok()) return config.status();
  log.SetLevel(Logger::ParseLevel(config->log_level));
  std::unique_ptr<Node> node(new Node(*config, log));

  Result<Genesis> genesis = GenesisFromFile(Under(home, config->genesis_file));
  if (!genesis.ok()) return genesis.status();
  node->genesis_ = *genesis;

  const std::string key_path = Under(home, config->node_key_file);
  const std::string key_hex = ReadFile(key_path);
  auto raw = HexDecode(key_hex.substr(0, key_hex.find_first_of(" \r\n")));
  if (!raw) return Status::InvalidArgument("node key " + key_path + " is not hex");
  node->node_key_ = SecretKey::FromBytes(*raw);
  if (!node->node_key_) return Status::InvalidArgument("node key " + key_path + " is not a valid secret key");
  node->node_pub_ = node->node_key_->Public();

  StoreOptions so;
  so.sync = config->sync_writes;
  Result<std::unique_ptr<Store>> store = Store::Open(Under(home, config->data_dir), so);
  if (!store.ok()) return store.status();
  node->store_ = std::move(store).value();
  if (Status s = node->store_->InitGenesis(node->genesis_); !s.ok()) return s;

  ExecutorOptions eo;
  eo.threads = config->verify_threads;
  node->executor_ = std::make_unique<Executor>(*node->store_, eo);

  // Replay check: the stored tip must be what its blocks say (Store::Open checked the tip block).
  const ChainTip tip = node->store_->Tip();
  log.Info("chain ", node->genesis_.chain_id, " at height ", tip.height, ", state root ", tip.state_root.ToHex());

  Node* self = node.get();
  auto now_ms = [self] { return self->NowMs(); };
  auto left_out = [self](const Hash256& id, const Status& s) {
    self->RecordReject(id, s);  // before Evict: StatusOf must find it in one place or the other
    self->mempool_.Evict(id);
    self->log_.Debug("left out tx ", id.ToHex(), ": ", s.ToString());
  };
  auto admit_from_peer = [self](const Tx& tx) { self->SubmitTx(tx, true); };
  auto fatal = [self](const Status&) { self->fatal_.store(true); };
  DriverDeps dd{node->config_, log,  *node->store_, *node->executor_, node->mempool_,  node->metrics_,
                *node->node_key_, Under(home, config->wal_file), now_ms,          left_out,          admit_from_peer, fatal,
                GenesisHash(node->genesis_)};
  dd.allow_missing_wal = options.allow_missing_wal;
  Result<std::unique_ptr<ConsensusDriver>> driver = ConsensusDriver::Open(std::move(dd));
  if (!driver.ok()) return driver.status();
  node->driver_ = std::move(driver).value();
  if (!node->driver_->Info().validator) log.Warn("this node's key is not a validator: it follows the chain without voting");
  return node;
}

uint64_t Node::NowMs() const {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return static_cast<uint64_t>(static_cast<int64_t>(now) + config_.clock_offset_ms);
}

Status Node::Start() { return driver_->Start(); }

void Node::Stop() {
  if (driver_) driver_->Stop();
}

SubmitResult Node::Submit(std::string_view tx_hex) {
  SubmitResult r;
  if (tx_hex.size() > 2 * ledger::limits::kMaxTxBytes) {
    r.status = Status::Rejected(Reject::kOversized, "transaction over " + std::to_string(ledger::limits::kMaxTxBytes) + " bytes");
    return r;
  }
  std::optional<std::string> raw = HexDecode(tx_hex);
  if (!raw) {
    r.status = Status::Rejected(Reject::kMalformed, "transaction is not hex");
    return r;
  }
  Result<Tx> tx = Decode<Tx>(*raw);
  if (!tx.ok()) {
    r.status = tx.status();
    metrics_.TxRejected(r.status.reason());
    return r;
  }
  return SubmitTx(*tx);
}

uint64_t Node::PendingNonce(const PubKey& key) const {
  // The committed nonce and the mempool are read at different moments; a block committing in
  // between (commit, then prune) would lose the pruned run. Read the nonce again until stable.
  uint64_t pending = 0;
  for (int attempt = 0; attempt < 8; ++attempt) {
    const uint64_t before = CommittedNonce(key);
    pending = mempool_.PendingNonce(key, before);
    if (CommittedNonce(key) == before) return pending;
  }
  return std::max(pending, CommittedNonce(key));
}

uint64_t Node::CommittedNonce(const PubKey& key) const {
  WorkingState st(*store_);
  const Account* a = st.GetAccount(key);
  return a ? a->next_nonce : 0;
}

SubmitResult Node::SubmitTx(const Tx& tx, bool from_peer) {
  SubmitResult r;
  // One key, read once: no snapshot needed (a LevelDB read of one key is atomic).
  WorkingState st(*store_);
  const Account* acc = st.GetAccount(tx.body.signer);
  const uint64_t next = acc ? acc->next_nonce : 0;
  // A peer's copy of a transaction whose nonce is used here is dropped before its signature is
  // checked: mostly one that was in a block before its gossip arrived (about 3% of a cluster
  // run's transactions, each verified twice before). No client waits for the answer, and the
  // mempool would refuse it anyway.
  if (from_peer && tx.body.nonce < next) {
    r.status = Status::Rejected(Reject::kBadNonce, "nonce " + std::to_string(tx.body.nonce) + " already used");
    return r;
  }
  r.status = executor_->CheckTx(tx, &r.id);
  if (r.status.ok()) {
    // Already committed: answer as a success so that clients may safely retry. Only a nonce the
    // account has used can belong to a committed transaction (the account and the tx index are
    // written in one batch), so a fresh nonce needs no index lookup: for a missing key LevelDB
    // searches every level, 3% of the api benchmark's CPU when done for every submission.
    if (!from_peer && tx.body.nonce < next && store_->FindTx(r.id)) {
      r.state = TxStatus::State::kCommitted;
      return r;
    }
    // A transaction that could go into the next block is checked against the tip now, so most
    // rejects come back at once; later nonces are checked when their turn comes. A peer's
    // transaction has no client waiting for the answer: the block builder checks it, unless its
    // signer is unknown here (then it is refused at once, so unknown keys cannot fill the pool).
    if (!acc || (!from_peer && tx.body.nonce <= next)) r.status = executor_->CheckTxAgainstTip(tx, r.id, NowMs());
    if (r.status.ok()) {
      const bool checked = !acc || (!from_peer && tx.body.nonce <= next);
      Result<Mempool::AddResult> added = mempool_.Add(tx, r.id, next, acc ? acc->org : std::string(), checked);
      if (!added.ok()) {
        r.status = added.status();
      } else {
        r.state = TxStatus::State::kPending;
        if (*added == Mempool::AddResult::kAdded) {
          metrics_.TxAccepted();
          if (from_peer) {
            driver_->OnTxsWaiting();
          } else {
            driver_->OnLocalTx(tx);
          }
        }
        return r;
      }
    }
  }
  // A retry of a transaction whose block committed while we looked: it is committed, not invalid.
  if (r.status.IsRejected() && r.status.reason() != Reject::kBadSignature && store_->FindTx(r.id)) {
    r.status = Status::Ok();
    r.state = TxStatus::State::kCommitted;
    return r;
  }
  if (r.status.IsCorruption()) {
    log_.Error("storage failure: ", r.status.ToString());
  } else {
    metrics_.TxRejected(r.status.reason());
  }
  return r;
}

TxStatus Node::StatusOf(const Hash256& id) const {
  TxStatus s;
  // Order matters: the producer commits a block before it prunes the mempool, and records a
  // reject before it evicts, so looking in the mempool first never misses a transaction that
  // moves on meanwhile.
  const bool pending = mempool_.Contains(id);
  if (auto loc = store_->FindTx(id)) {
    s.state = TxStatus::State::kCommitted;
    s.height = loc->height;
    s.index = loc->index;
    return s;
  }
  if (pending) {
    s.state = TxStatus::State::kPending;
    return s;
  }
  std::lock_guard<std::mutex> lock(rejects_mu_);
  auto it = rejects_.find(id);
  if (it != rejects_.end()) {
    s.state = TxStatus::State::kRejected;
    s.reject = it->second;
  }
  return s;
}

void Node::RecordReject(const Hash256& id, const Status& s) {
  metrics_.TxRejected(s.reason());
  std::lock_guard<std::mutex> lock(rejects_mu_);
  if (rejects_.emplace(id, s).second) reject_order_.push_back(id);
  while (reject_order_.size() > kMaxRememberedRejects) {
    rejects_.erase(reject_order_.front());
    reject_order_.pop_front();
  }
}

}  // namespace circuledger::node

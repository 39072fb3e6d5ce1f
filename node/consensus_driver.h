// node/consensus_driver.h: runs consensus for circuledgerd — the height driver, its WAL, the
// peer-to-peer transport, block sync and transaction gossip — on real time and its own threads.
//
// The height driver (node/height_driver.h) is single-threaded and owns the ConsensusState; it
// performs the state machine's actions (WAL append with one fsync before any send, timers,
// commits) and keeps the block cadence and the early messages of the next height. This class
// runs it on the driver thread, the only thread that commits blocks, and gives it what it
// injects: the steady clock (DriverClock), the p2p transport (ConsensusTransport), the WAL file
// (node/wal.h) and the ledger (HeightChain through node/ledger_chain.h: validator sets,
// max_block_bytes for the proposal envelope check of node/proposal_check.h, commits through the
// Executor with the LedgerApp's executed blocks; the simulator runs the same LedgerChain). It wakes the driver thread when a message arrives, a transaction waits, or
// the height driver's next wake-up time has come.
// Block sync (node/block_sync.h): a node that hears of a later height, or makes no progress, asks
// a peer for blocks from its tip on; a block is taken only with a commit certificate that verifies
// against the validator set of its height, and only if it executes validly on the node's tip
// (node/ledger_sync.h). A block that does not is its sender's fault: the sender is banned and
// another peer asked; the node stops only when its own storage fails.
// Transaction gossip (node/tx_gossip.h) is single-threaded too and takes the time from its
// caller: it batches the transactions admitted through the API into kTxs frames for every peer
// (within kTxGossipDelayMs, or at once when a batch is full), and queues peers' transactions,
// within a total count and a byte share per peer, for admission (Node::SubmitTx, not relayed) in
// chunks with the outbox sent between them. This class keeps the threading: the API and p2p
// threads call it under tx_mu_, and a second thread, the tx thread, does outside that lock what
// it returns (broadcast a frame, admit a chunk), waiting for the outbox's deadline or a wake-up.
// Peers' messages wait in queues bounded in bytes per peer (node/limits.h), so one peer filling its
// share does not crowd out another. A peer whose vote or proposal signature does not verify, or
// whose proposal is not a valid block, is banned.
//
// With one validator and no peers configured (dev mode) there is no transport; the same code
// path decides every height alone. The driver owns the P2pNode and its threads; it borrows the
// Store, Executor and Mempool from the Node, which outlives it. Public functions are
// thread-safe; Start/Stop are called by the Node only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <thread>

#include "consensus/state_machine.h"
#include "ledger/executor.h"
#include "ledger/genesis.h"
#include "network/p2p.h"
#include "node/block_sync.h"
#include "node/height_driver.h"
#include "node/config.h"
#include "node/ledger_app.h"
#include "node/ledger_chain.h"
#include "node/ledger_sync.h"
#include "node/log.h"
#include "node/mempool.h"
#include "node/peer_budget.h"
#include "node/proposal_check.h"
#include "node/metrics.h"
#include "node/sign_guard.h"
#include "node/tx_gossip.h"
#include "node/wal.h"

namespace circuledger::node {

struct DriverDeps {
  const Config& config;
  Logger& log;
  ledger::Store& store;
  ledger::Executor& executor;
  Mempool& mempool;
  Metrics& metrics;
  ledger::SecretKey node_key;
  std::string wal_path;                              // the consensus WAL (config wal_file, resolved)
  std::function<uint64_t()> now_ms;                  // the node's clock
  std::function<void(const ledger::Hash256&, const ledger::Status&)> left_out;  // record + evict
  std::function<void(const ledger::Tx&)> admit_from_peer;  // Node::SubmitTx without relaying
  std::function<void(const ledger::Status&)> fatal;        // storage failed: the node must stop
  ledger::Hash256 genesis_hash;  // ledger::GenesisHash of the chain: binds the p2p handshake to it
  bool allow_missing_wal = false;  // start although the sign record says it signed and the WAL is gone
};

// What /v1/status shows of consensus.
struct ConsensusStatus {
  uint64_t height = 0;   // the height being decided (or waiting to start)
  uint32_t round = 0;
  std::string step;      // "propose", "prevote", "precommit", or "waiting" between heights
  bool validator = false;
  size_t validators = 0;
  size_t peers = 0;
  uint64_t synced_blocks = 0;  // blocks taken from peers by block sync since start
  uint64_t banned_peers = 0;   // peers banned since start for what they sent (forged or invalid)
};

class ConsensusDriver final : private HeightChain, private ConsensusTransport, private DriverClock {
 public:
  // Opens the WAL (refusing a corrupt one), checks the configuration against the chain
  // (several validators need p2p_listen or peers) and prepares the transport.
  static ledger::Result<std::unique_ptr<ConsensusDriver>> Open(DriverDeps deps);
  ~ConsensusDriver() override;

  // Binds the p2p address and starts the threads. IoError when the address cannot be bound.
  ledger::Status Start();
  void Stop();

  // A transaction was admitted through the API: tell the peers (in a kTxs batch sent within
  // kTxGossipDelayMs), wake the proposer.
  void OnLocalTx(const ledger::Tx& tx);
  // The mempool has something new (from any source).
  void OnTxsWaiting();

  ConsensusStatus Info() const;
  // The bound p2p port (0 without a transport).
  uint16_t p2p_port() const { return p2p_ ? p2p_->port() : 0; }
  // The transport's authenticated peers and its latest disconnects, refusals and bans, oldest
  // first (network::P2pNode::Peers, RecentEvents); empty without a transport. Thread-safe.
  std::vector<network::PeerInfo> Peers() const {
    return p2p_ ? p2p_->Peers() : std::vector<network::PeerInfo>{};
  }
  std::vector<network::PeerEvent> PeerEvents() const {
    return p2p_ ? p2p_->RecentEvents() : std::vector<network::PeerEvent>{};
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Inbound {
    enum class Kind { kConsensus, kSyncRequest, kSyncResponse, kPeerUp } kind;
    ledger::PubKey peer;
    std::string payload;
  };

  explicit ConsensusDriver(DriverDeps deps);
  void Enqueue(Inbound in);
  void Loop();
  void TxLoop();  // the tx thread: does what tx_gossip_ says, outside tx_mu_
  void BroadcastTxs(std::vector<std::string> encoded);
  Clock::time_point NextWake() const;

  // Consensus: the height driver's surroundings.
  void MaybeStartHeight();  // heights_->MaybeStartHeight, a storage error stopping the node
  // A block committed (by the height driver or block sync; LedgerChain pruned the mempool):
  // metrics, log, allowed keys.
  void LedgerCommitted(const ledger::BlockCommit& commit, bool synced);
  void RefreshAllowedKeys();
  void Fatal(const ledger::Status& s) override;
  void PublishStatus();  // status_ from the driver-thread state

  // HeightChain over the ledger (node/ledger_chain.h).
  uint64_t TipHeight() override { return chain_->TipHeight(); }
  ledger::Result<consensus::ValidatorSet> StartingHeight(uint64_t height) override;
  bool HasReadyTxs() override { return chain_->HasReadyTxs(); }
  EnvelopeCheck CheckProposal(const consensus::Proposal& proposal) override { return chain_->CheckProposal(proposal); }
  bool ProposerFault(const ledger::Hash256& value_id) override { return chain_->ProposerFault(value_id); }
  ledger::Status CommitDecided(const consensus::Decide& decide) override { return chain_->CommitDecided(decide); }
  void RequestSync(const std::optional<ledger::PubKey>& peer) override;
  // ConsensusTransport over p2p_ (nothing without a transport).
  void Broadcast(const consensus::Message& message) override;
  void Send(const ledger::PubKey& peer, const consensus::Message& message) override;
  // `peer` sent what an honest node never sends: disconnect and ban it (network::P2pNode::BanPeer).
  void Ban(const ledger::PubKey& peer, network::DisconnectReason reason) override;
  // DriverClock: the steady clock in milliseconds.
  uint64_t NowMs() const override;

  // Block sync.
  void ServeSync(const ledger::PubKey& peer, std::string_view payload);
  void HandleSyncResponse(const ledger::PubKey& peer, std::string_view payload);
  void MaybeSync();

  DriverDeps deps_;
  std::string chain_id_;
  std::unique_ptr<SignGuard> guard_;       // never sign twice (node/sign_guard.h)
  std::optional<GuardedSigner> signer_;
  consensus::RoundRobinProposer proposers_;
  consensus::TimeoutConfig timeouts_;
  std::unique_ptr<LedgerApp> app_;
  std::unique_ptr<LedgerChain> chain_;     // over app_ and the ledger
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<HeightDriver> heights_;  // owns the ConsensusState; driver thread only
  std::unique_ptr<network::P2pNode> p2p_;

  // Driver-thread state.
  Clock::time_point height_started_at_;  // for the block latency metric
  Clock::time_point next_sync_;
  std::unique_ptr<SyncPeers> sync_peers_;          // over p2p_
  std::unique_ptr<LedgerSyncTarget> sync_target_;
  std::unique_ptr<BlockSync> sync_;                 // with a transport only
  std::set<ledger::PubKey> initial_validators_;  // the validators when this node started
  std::set<ledger::PubKey> dialed_;              // validators added later, dialed at their address

  // Shared with other threads.
  // True only while the driver waits for a transaction to start a height (between heights, the
  // minimum interval past): the first transaction then wakes it, and the others need not.
  std::atomic<bool> waiting_for_txs_{true};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Inbound> inbox_;  // guarded by mu_
  PeerBudget inbox_bytes_{limits::kMaxInboxBytesPerPeer};  // each peer's bytes in inbox_; guarded by mu_
  bool txs_waiting_ = false;   // guarded by mu_
  bool stop_ = false;          // guarded by mu_
  ConsensusStatus status_;     // guarded by mu_
  std::shared_ptr<const std::set<ledger::PubKey>> allowed_;  // guarded by mu_

  std::mutex tx_mu_;
  std::condition_variable tx_cv_;
  // The local outbox and the peers' transactions waiting for admission (node/tx_gossip.h);
  // guarded by tx_mu_. The tx thread does what it says: sends kTxs frames, admits.
  TxGossip tx_gossip_;
  // Under tx_mu_: queues a peer's transactions (tx_gossip_) and wakes the tx thread.
  void QueuePeerTxsLocked(const ledger::PubKey& peer, size_t bytes, std::vector<ledger::Tx> txs);
  bool tx_stop_ = false;             // guarded by tx_mu_

  std::thread thread_;
  std::thread tx_thread_;
};

}  // namespace circuledger::node

// node/node.h: a running circuledgerd — the NodeContext that owns every part.
//
// Node owns the Store, the Executor, the Mempool, the ConsensusDriver (consensus, the p2p
// transport, block sync and transaction gossip: node/consensus_driver.h), the record of recently rejected
// transactions and the metrics; the HTTP API (node/api.h) borrows it. One validator (dev mode)
// runs the same consensus code path alone. Submit() and the query functions are thread-safe
// (called from HTTP threads); Start/Stop are called by the owner only.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>

#include "ledger/executor.h"
#include "node/config.h"
#include "node/consensus_driver.h"
#include "node/log.h"
#include "node/mempool.h"
#include "node/metrics.h"

namespace circuledger::node {

// What became of a transaction, as far as this node knows.
struct TxStatus {
  enum class State { kUnknown, kPending, kCommitted, kRejected } state = State::kUnknown;
  uint64_t height = 0;       // when committed
  uint32_t index = 0;        // position in the block, when committed
  ledger::Status reject;     // when rejected
};

// The answer to a submission.
struct SubmitResult {
  ledger::Status status;  // ok, or the reject
  ledger::Hash256 id;     // set when the transaction decoded
  TxStatus::State state = TxStatus::State::kUnknown;  // pending or committed (already known) on success
};

// Options of one run, from the command line (not config.json: they are not meant to persist).
struct NodeOptions {
  // Start although the sign record says this validator signed and its consensus WAL is missing
  // (circuledgerd --allow-missing-wal; node/sign_guard.h). Default false: refuse to start.
  bool allow_missing_wal = false;
};

class Node {
 public:
  // Opens home/config.json, the genesis, the node key and the database (creating it from the
  // genesis when empty). Corruption or IoError when the database cannot be trusted; Corruption
  // when the consensus WAL is missing but the sign record says this validator signed.
  static ledger::Result<std::unique_ptr<Node>> Open(const std::string& home, Logger& log, const NodeOptions& options = {});
  ~Node();

  // Starts consensus and the p2p transport. IoError when the p2p address cannot be bound.
  // Stop() finishes the step in progress and joins the threads.
  ledger::Status Start();
  void Stop();

  // Decodes, checks and admits a transaction (hex of its canonical bytes).
  SubmitResult Submit(std::string_view tx_hex);
  // `from_peer`: it came from another node, which sent it to its peers (it is not relayed).
  SubmitResult SubmitTx(const ledger::Tx& tx, bool from_peer = false);
  TxStatus StatusOf(const ledger::Hash256& id) const;
  // The nonce a new transaction of `key` should use: committed nonce plus the waiting run.
  uint64_t PendingNonce(const ledger::PubKey& key) const;
  uint64_t CommittedNonce(const ledger::PubKey& key) const;

  const Config& config() const { return config_; }
  const ledger::Genesis& genesis() const { return genesis_; }
  ledger::Store& store() { return *store_; }
  const Mempool& mempool() const { return mempool_; }
  const Metrics& metrics() const { return metrics_; }
  uint64_t signatures_verified() const { return executor_->signatures_verified(); }
  const ledger::PubKey& node_key() const { return node_pub_; }
  // True once storage failed: the node must stop (it never runs on with a state it cannot trust).
  bool Fatal() const { return fatal_.load(); }
  ConsensusStatus consensus_status() const { return driver_->Info(); }
  uint16_t p2p_port() const { return driver_->p2p_port(); }
  // The p2p peers and the recent disconnect/ban events (ConsensusDriver::Peers, PeerEvents).
  std::vector<network::PeerInfo> peers() const { return driver_->Peers(); }
  std::vector<network::PeerEvent> peer_events() const { return driver_->PeerEvents(); }
  // The node's clock for block times: wall clock plus the configured offset, in ms since 1970.
  uint64_t NowMs() const;

 private:
  Node(const Config& config, Logger& log);
  void RecordReject(const ledger::Hash256& id, const ledger::Status& s);

  Config config_;
  Logger& log_;
  ledger::Genesis genesis_;
  std::optional<ledger::SecretKey> node_key_;
  ledger::PubKey node_pub_;
  std::unique_ptr<ledger::Store> store_;
  std::unique_ptr<ledger::Executor> executor_;
  Mempool mempool_;
  Metrics metrics_;

  mutable std::mutex rejects_mu_;
  std::map<ledger::Hash256, ledger::Status> rejects_;  // recent rejects of admitted transactions
  std::deque<ledger::Hash256> reject_order_;           // eviction order, bounded

  std::atomic<bool> fatal_{false};  // storage failed: no more blocks
  std::unique_ptr<ConsensusDriver> driver_;  // declared last: stopped and destroyed first
};

}  // namespace circuledger::node

// node/node.h: a running circuledgerd — the NodeContext that owns every part.
//
// Node owns the Store, the Executor, the Mempool, the block producer thread, the record of
// recently rejected transactions and the metrics; the HTTP API (node/api.h) borrows it. With one
// validator (dev mode) the producer proposes and commits blocks itself as soon as transactions
// wait and block_min_interval_ms has passed; consensus (a later issue) plugs in at Produce().
// Submit() and the query functions are thread-safe (called from HTTP threads); Start/Stop are
// called by the owner only.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "ledger/executor.h"
#include "node/config.h"
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

class Node {
 public:
  // Opens home/config.json, the genesis, the node key and the database (creating it from the
  // genesis when empty). Corruption or IoError when the database cannot be trusted.
  static ledger::Result<std::unique_ptr<Node>> Open(const std::string& home, Logger& log);
  ~Node();

  // Starts the block producer. Stop() finishes the block in progress and joins it.
  void Start();
  void Stop();

  // Decodes, checks and admits a transaction (hex of its canonical bytes).
  SubmitResult Submit(std::string_view tx_hex);
  SubmitResult SubmitTx(const ledger::Tx& tx);
  TxStatus StatusOf(const ledger::Hash256& id) const;
  // The nonce a new transaction of `key` should use: committed nonce plus the waiting run.
  uint64_t PendingNonce(const ledger::PubKey& key) const;
  uint64_t CommittedNonce(const ledger::PubKey& key) const;

  const Config& config() const { return config_; }
  const ledger::Genesis& genesis() const { return genesis_; }
  ledger::Store& store() { return *store_; }
  const Mempool& mempool() const { return mempool_; }
  const Metrics& metrics() const { return metrics_; }
  const ledger::PubKey& node_key() const { return node_pub_; }
  // True once storage failed: the node must stop (it never runs on with a state it cannot trust).
  bool Fatal() const {
    std::lock_guard<std::mutex> lock(producer_mu_);
    return fatal_;
  }
  // The node's clock for block times: wall clock plus the configured offset, in ms since 1970.
  uint64_t NowMs() const;

 private:
  Node(const Config& config, Logger& log);
  void ProducerLoop();
  // Builds and commits one block from the ready transactions; false when none was ready.
  bool Produce();
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

  mutable std::mutex producer_mu_;
  std::condition_variable producer_cv_;
  bool stop_ = false;        // guarded by producer_mu_
  bool fatal_ = false;       // storage failed: no more blocks; guarded by producer_mu_
  std::thread producer_;
};

}  // namespace circuledger::node

// tests/sim/sim_ledger.h: the simulated chain is the ledger itself. Every simulated node keeps a
// real ledger (ledger::Store in its own temporary directory, which survives its crashes) and, per
// process, what circuledgerd builds over it: an Executor, a Mempool, the LedgerApp (the consensus
// application), the LedgerChain (the height driver's chain) and the LedgerSyncTarget (block sync's
// target). Clients submit real signed transactions.
//
// SimChain is the chain's description for one seed (genesis, the client's keys); ProcessLedger is
// one node process's ledger objects (owned by its Process, world.h). Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/application.h"
#include "ledger/executor.h"
#include "node/ledger_app.h"
#include "node/ledger_chain.h"
#include "node/ledger_sync.h"
#include "node/log.h"
#include "node/mempool.h"

namespace circuledger::sim {

using consensus::Hash256;

// The chain's bounds, small so that Byzantine oversized proposals stay cheap to simulate.
constexpr uint32_t kSimMaxBlockBytes = 16 * 1024;
constexpr uint32_t kSimMaxBlockTxs = 16;
constexpr uint64_t kSimGenesisTimeMs = 1'767'225'600'000;  // block times: this + virtual time

// One signing key of the simulated clients, with the org it belongs to.
struct ClientKey {
  std::optional<ledger::SecretKey> secret;  // always set (SecretKey has no empty state)
  ledger::PubKey pub;
  std::string org;
};

// The chain of one seed: the validators (each with its address), an admin org "gov" (threshold
// 1: its proposal applies at once) and a manufacturer org "maker" with a few member keys.
struct SimChain {
  ledger::Genesis genesis;
  ledger::Hash256 genesis_hash;
  ClientKey gov;
  std::vector<ClientKey> makers;
  ClientKey forger;  // a key no org has: what Byzantine proposers sign "unsubmitted" transactions with
};
SimChain MakeSimChain(const std::vector<consensus::PubKey>& validators, const consensus::TimeoutConfig& timeouts);

// A transaction signed deterministically (zero auxiliary randomness), so a seed replays bit for bit.
ledger::Tx SignSim(const SimChain& chain, const ClientKey& key, uint64_t nonce, ledger::Op op);

// The consensus application as the height driver sees it: the LedgerApp, watched for values over
// kSimMaxBlockBytes it is asked to read (for an honest node always none: the envelope check
// refuses them before; a checker watches `oversized_read`).
class WatchedApp final : public consensus::Application {
 public:
  explicit WatchedApp(node::LedgerApp& app) : app_(app) {}
  std::string ProposeValue(uint64_t height) override { return app_.ProposeValue(height); }
  Hash256 ValueId(std::string_view value) override;
  bool ValidateValue(uint64_t height, std::string_view value) override;
  uint64_t oversized_read() const { return oversized_read_; }

 private:
  node::LedgerApp& app_;
  uint64_t oversized_read_ = 0;
};

// One node process's ledger: opened on the node's directory when the process starts, closed when
// it dies. `committed` is called after every block this process commits (decided or synced).
struct ProcessLedgerDeps {
  std::string dir;
  const SimChain& chain;
  consensus::PubKey proposer;                  // the node's key
  std::function<uint64_t()> now_ms;            // virtual time, as a wall clock (block times)
  std::function<uint64_t()> monotonic_ms;      // virtual time (mempool expiry)
  const consensus::SignatureVerifier& verifier;
  node::Logger& log;
  std::function<void(const ledger::BlockCommit&, bool synced)> committed;
};

class ProcessLedger {
 public:
  // Opens the store (initialising genesis on first use). Throws std::runtime_error on failure.
  explicit ProcessLedger(ProcessLedgerDeps deps);
  ~ProcessLedger();

  // Node::SubmitTx's admission, simplified: stateless rules and signature, then the mempool with
  // the signer's committed nonce. Returns the transaction's reject (or Ok).
  ledger::Status Admit(const ledger::Tx& tx);
  uint64_t NextNonce(const ledger::PubKey& key);  // committed
  uint64_t PendingNonce(const ledger::PubKey& key) { return mempool_->PendingNonce(key, NextNonce(key)); }

  ledger::Store& store() { return *store_; }
  ledger::Executor& executor() { return *executor_; }
  node::LedgerChain& chain() { return *chain_; }
  node::LedgerSyncTarget& sync_target() { return *sync_target_; }
  WatchedApp& app() { return *watched_; }
  uint64_t Height() const { return executor_->Tip().height; }

 private:
  ProcessLedgerDeps deps_;
  std::unique_ptr<ledger::Store> store_;
  std::unique_ptr<ledger::Executor> executor_;
  std::unique_ptr<node::Mempool> mempool_;
  std::unique_ptr<node::LedgerApp> app_;
  std::unique_ptr<WatchedApp> watched_;
  std::unique_ptr<node::LedgerChain> chain_;
  std::unique_ptr<node::LedgerSyncTarget> sync_target_;
};

}  // namespace circuledger::sim

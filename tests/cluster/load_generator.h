// tests/cluster/load_generator.h: a steady stream of valid transactions from several orgs, sent
// over HTTP to a NodeProcess that may be killed and restarted under it.
//
// One background thread: each round it signs and posts one transaction per org (a new lot, or a
// transfer of a lot the org is known to own on the ledger), then polls GET /v1/tx/{id} of the
// transactions in flight. A transaction the API reports "committed" is recorded with its height;
// one that becomes unknown (404: its node was killed before committing it) is dropped and never
// retried; network errors while the node is down are waited out. Nothing here asserts: the test
// reads the records. Committed(), Stats() and Errors() are thread-safe; Start/Stop belong to the
// owner. The NodeProcess must outlive the generator.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/cluster/node_process.h"

namespace circuledger::cluster {

struct CommittedTx {
  std::string id;
  uint64_t height = 0;
};

struct LoadStats {
  uint64_t submitted = 0;   // accepted by POST /v1/tx (200)
  uint64_t committed = 0;   // reported committed by GET /v1/tx
  uint64_t lost = 0;        // accepted, then unknown after a restart (never reported committed)
  uint64_t rejected = 0;    // answered 400 on submission, or reported rejected later
  uint64_t net_errors = 0;  // requests that found the node down
  // GET /v1/tx answered 404 for an accepted transaction although its node had not restarted,
  // and later "committed": the status lookup raced the commit (a node bug when non-zero).
  uint64_t false_404 = 0;
  // Submissions refused "bad-nonce" with the nonce GET /v1/accounts gave as pending_nonce just
  // before: that answer lagged behind a commit (a node bug when non-zero, see
  // commit_race_test.cpp); the load goes on with a fresh nonce.
  uint64_t stale_nonce = 0;
};

class LoadGenerator {
 public:
  LoadGenerator(const NodeProcess& node, std::vector<std::string> orgs,
                std::chrono::milliseconds round_pause)
      : node_(node), orgs_(std::move(orgs)), round_pause_(round_pause) {}
  ~LoadGenerator() { Stop(); }

  void Start();
  // Stops and joins the thread. Idempotent.
  void Stop();

  std::vector<CommittedTx> Committed() const;
  LoadStats Stats() const;
  // Rejects and other surprises, one line each (valid transactions must never be rejected).
  std::vector<std::string> Errors() const;

 private:
  void Run();

  const NodeProcess& node_;
  const std::vector<std::string> orgs_;
  const std::chrono::milliseconds round_pause_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<CommittedTx> committed_;  // guarded by mu_
  LoadStats stats_;                     // guarded by mu_
  std::vector<std::string> errors_;     // guarded by mu_
};

}  // namespace circuledger::cluster

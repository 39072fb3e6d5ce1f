// Three races between the HTTP API and block commits, found by these tests and fixed in
// node/node.cpp (StatusOf looks in the mempool first; a retried submission whose block committed
// meanwhile answers "committed"; the admission check reads a snapshot; pending_nonce re-reads the
// committed nonce until it is stable). Each runs 4 s by default (CIRCULEDGER_RACE_SECONDS for
// longer hunts):  cluster_tests "[commit-race]"
//
// Six threads keep submitting valid transactions while six others look at the most recently
// accepted ones: every such transaction is pending or committed at every moment, so
//  - GET /v1/tx/{id} must never answer 404 (Node::StatusOf looks in the store, then in the
//    mempool; a block committed and pruned between the two looks makes the tx "unknown");
//  - re-posting it (a client retry, "retries are safe" in docs/api.md) must answer 200 pending
//    or committed, never 400 (Node::SubmitTx looks for it in the store, then checks it against
//    the tip: committed in between, it fails against its own effects, "id-exists" or
//    "bad-nonce"; CheckTxAgainstTip reads the store without a snapshot, so it can even see the
//    account from before the block and the lot from after it);
//  - GET /v1/accounts/{key} must give a pending_nonce that counts every accepted transaction
//    (Node/Api read next_nonce from the store, then count the mempool from there: a block
//    committed and pruned in between makes pending_nonce fall back, and a wallet that signs
//    with it gets "bad-nonce").
#include <atomic>
#include <cstdlib>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "ledger/encoding.h"
#include "tests/cluster/ledger_client.h"

using namespace circuledger;
using namespace circuledger::cluster;
using namespace circuledger::ledger;

namespace {

std::chrono::seconds RaceSeconds() {
  const char* env = std::getenv("CIRCULEDGER_RACE_SECONDS");
  return std::chrono::seconds(env ? std::max(1, std::atoi(env)) : 4);
}

struct Race {
  explicit Race(NodeProcess& n) : node(n) {}
  NodeProcess& node;
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Tx> accepted;            // guarded by mu
  std::vector<std::string> anomalies;  // guarded by mu
  std::atomic<uint64_t> looks{0};

  // Runs submitters and `look` on watcher threads for `duration`. With `api_nonce`, each
  // submitter takes every nonce from GET /v1/accounts/{key} pending_nonce (as a wallet does)
  // and a refused submission is an anomaly; otherwise it counts nonces itself.
  template <class Look>
  void Run(std::chrono::seconds duration, Look look, bool api_nonce = false) {
    std::vector<std::thread> threads;
    for (const std::string org : {"mine", "refinery", "cellmaker", "oem", "petchem", "bottler"}) {
      threads.emplace_back([this, org, api_nonce] {
        LedgerClient c(node);
        uint64_t nonce = 0;
        for (int i = 0; !stop.load(); ++i) {
          const Op op = CreateLot{org + "-" + std::to_string(i), Comp({{"Co", 5}})};
          const Tx tx = api_nonce ? c.Sign(org, op) : c.Sign(org, op, nonce);
          const RawResponse r = c.Submit(tx);
          if (r.status != 200) {
            if (api_nonce && r.status == 400) {
              std::lock_guard<std::mutex> lock(mu);
              anomalies.push_back(org + " nonce " + std::to_string(tx.body.nonce) +
                                  " from pending_nonce: " + r.Describe());
            }
            continue;
          }
          ++nonce;
          std::lock_guard<std::mutex> lock(mu);
          accepted.push_back(tx);
        }
      });
    }
    for (int t = 0; t < 6 && !api_nonce; ++t) {
      threads.emplace_back([this, look] {
        while (!stop.load()) {
          std::vector<Tx> recent;
          {
            std::lock_guard<std::mutex> lock(mu);
            const size_t n = accepted.size();
            recent.assign(accepted.begin() + static_cast<std::ptrdiff_t>(n > 12 ? n - 12 : 0),
                          accepted.end());
          }
          for (const Tx& tx : recent) {
            ++looks;
            if (std::optional<std::string> bad = look(tx)) {
              std::lock_guard<std::mutex> lock(mu);
              anomalies.push_back(TxId(tx.body).ToHex() + ": " + *bad);
            }
          }
        }
      });
    }
    std::this_thread::sleep_for(duration);
    stop.store(true);
    for (std::thread& t : threads) t.join();
  }
};

NodeProcessOptions RaceOptions() {
  NodeProcessOptions o;
  // Blocks as fast as possible; more HTTP threads than cores, so handlers get preempted. The
  // submitters run far ahead of the chain: the widest nonce window keeps them within it, so a
  // full account is back-pressure (503), not bad-nonce.
  o.config = {{"block_min_interval_ms", 0}, {"http_threads", 8}, {"log_level", "warn"}, {"mempool_nonce_window", 1024}};
  return o;
}

}  // namespace

TEST_CASE("cluster: GET /v1/tx never answers 404 for an accepted transaction while its block commits",
          "[cluster][commit-race]") {
  NodeProcess node(RaceOptions());
  Race race(node);
  race.Run(RaceSeconds(), [&](const Tx& tx) -> std::optional<std::string> {
    const RawResponse r = Get(node.port(), "/v1/tx/" + TxId(tx.body).ToHex());
    if (r.ok() && r.status == 404)
      return "404 (later: " + Get(node.port(), "/v1/tx/" + TxId(tx.body).ToHex()).Describe() + ")";
    return std::nullopt;
  });
  INFO(race.accepted.size() << " accepted, " << race.looks.load() << " looks");
  for (size_t i = 0; i < race.anomalies.size() && i < 3; ++i)
    UNSCOPED_INFO("anomaly: " << race.anomalies[i]);
  CHECK(race.anomalies.size() == 0);
}

TEST_CASE("cluster: re-posting a transaction while its block commits is never refused",
          "[cluster][commit-race]") {
  NodeProcess node(RaceOptions());
  Race race(node);
  race.Run(RaceSeconds(), [&](const Tx& tx) -> std::optional<std::string> {
    const RawResponse r = Post(node.port(), "/v1/tx", LedgerClient::Body(tx));
    if (r.ok() && r.status != 200 && r.status != 503) {
      return r.Describe() +
             " (later: " + Get(node.port(), "/v1/tx/" + TxId(tx.body).ToHex()).Describe() + ")";
    }
    return std::nullopt;
  });
  INFO(race.accepted.size() << " accepted, " << race.looks.load() << " looks");
  for (size_t i = 0; i < race.anomalies.size() && i < 3; ++i)
    UNSCOPED_INFO("anomaly: " << race.anomalies[i]);
  CHECK(race.anomalies.size() == 0);
}

TEST_CASE("cluster: GET /v1/accounts pending_nonce never lags behind while a block commits",
          "[cluster][commit-race]") {
  NodeProcess node(RaceOptions());
  Race race(node);
  race.Run(
      RaceSeconds(), [](const Tx&) { return std::optional<std::string>(); },
      /*api_nonce=*/true);
  INFO(race.accepted.size() << " accepted");
  for (size_t i = 0; i < race.anomalies.size() && i < 3; ++i)
    UNSCOPED_INFO("anomaly: " << race.anomalies[i]);
  CHECK(race.anomalies.size() == 0);
}

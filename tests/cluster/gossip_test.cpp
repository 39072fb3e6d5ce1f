// Transaction gossip between real circuledgerd processes (tag [cluster][gossip]): transactions
// submitted to one validator reach every other node's mempool through kTxs batches before their
// block commits, so any validator can propose them.
#include <catch2/catch.hpp>
#include <thread>

#include "tests/cluster/cluster.h"

using namespace circuledger;
using namespace circuledger::cluster;
using namespace std::chrono_literals;

namespace {

// The node's circuledger_tx_accepted_total: transactions admitted to its mempool (from clients
// and from peers; a block from a proposal does not go through admission).
uint64_t AcceptedTotal(const Cluster& c, size_t i) {
  const RawResponse r = c.Client(i).Get("/metrics");
  REQUIRE(r.status == 200);
  const std::string key = "\ncirculedger_tx_accepted_total ";
  const size_t p = r.body.find(key);
  REQUIRE(p != std::string::npos);
  return std::stoull(r.body.substr(p + key.size()));
}

}  // namespace

TEST_CASE("cluster: transactions submitted to one validator are gossiped to every node's mempool",
          "[cluster][gossip]") {
  ClusterOptions options;  // 4 validators and a full node
  // A block at most every 3 s and none empty: the transactions wait in the mempools long enough
  // for the gossip (sent within 5 ms) to arrive before their block. (With 1 s, the 60 submissions
  // under ASan took the whole interval: the last few were proposed before their gossip reached a
  // slow node, which then learned them from the block.)
  options.config["block_min_interval_ms"] = 3000;
  options.config["create_empty_blocks"] = false;
  Cluster c(options);
  // Gossip reaches only connected peers: wait for the full mesh (every node dials every other)
  // before submitting, or the last node started may miss the first batches.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  for (size_t i = 0; i < c.size(); ++i) {
    for (;;) {
      const RawResponse r = c.Client(i).Get("/v1/status");
      if (r.status == 200 && nlohmann::json::parse(r.body)["consensus"]["peers"] >= c.size() - 1) break;
      INFO(c.Describe());
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(20ms);
    }
  }
  LedgerClient client = c.Client(0);
  constexpr uint64_t kTxs = 60;
  const uint64_t first = client.PendingNonce("mine");
  std::vector<std::string> ids;
  for (uint64_t i = 0; i < kTxs; ++i) {
    const ledger::Tx tx = client.Sign("mine", ledger::CreateLot{"gossip-" + std::to_string(i), Comp({{"Co", 1000}})},
                                      first + i);
    const RawResponse r = client.Submit(tx);
    INFO(r.body);
    REQUIRE(r.status == 200);
    ids.push_back(ledger::TxId(tx.body).ToHex());
    // The first one starts a height at once (the chain was idle), and the proposal may carry
    // whatever arrived within its first milliseconds, before their gossip left. Once it commits,
    // the next block is 3 s away: every later transaction waits in the mempools for its gossip.
    if (i == 0) REQUIRE(client.WaitFinal(ids[0], 20s)["status"] == "committed");
  }
  for (const std::string& id : ids) {
    const nlohmann::json final = client.WaitFinal(id, 20s);
    REQUIRE(final["status"] == "committed");
  }
  // The first transaction may have been proposed before its gossip left: every other one was
  // admitted by every other node, validator or not.
  for (size_t i = 1; i < c.size(); ++i) {
    INFO("node " << c.name(i) << "\n" << c.Describe());
    CHECK(AcceptedTotal(c, i) >= kTxs - 1);
  }
  CHECK(c.Audit({}).empty());
}

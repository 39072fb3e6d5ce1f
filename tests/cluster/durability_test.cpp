// Durability of a real circuledgerd under SIGKILL: a steady load over HTTP while the node is
// killed at seeded random moments and restarted, five times. What the API once reported
// committed must stay committed at the same height; no transaction appears twice; each signer's
// nonces run 0, 1, 2, ... in block order; and at the end, the node's own LevelDB, replayed block
// by block on a fresh store from the same genesis, reaches the node's state root.
// CIRCULEDGER_SEED=<n> replays a seed (printed on failure).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>
#include <thread>

#include "tests/cluster/chain_audit.h"
#include "tests/cluster/load_generator.h"

using namespace circuledger::cluster;

namespace {

uint64_t Seed() {
  if (const char* s = std::getenv("CIRCULEDGER_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

std::string Lines(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += s + "\n";
  return out;
}

}  // namespace

TEST_CASE(
    "cluster: what the API reported committed survives SIGKILL and replays to the same state root",
    "[cluster]") {
  const uint64_t seed = Seed();
  INFO("seed " << seed << " (rerun with CIRCULEDGER_SEED=" << seed << ")");
  std::mt19937_64 rng(seed);

  NodeProcessOptions options;
  options.config = {{"block_min_interval_ms", 20}, {"sync_writes", true}, {"log_level", "info"}};
  NodeProcess node(options);
  LedgerClient client(node);
  ChainAudit audit;
  // Declared after the node: stops (joins) before the node goes away, also when a check throws.
  LoadGenerator load(node, {"mine", "refinery", "cellmaker", "oem", "petchem", "bottler"},
                     std::chrono::milliseconds(15));
  load.Start();

  constexpr int kKills = 5;
  std::uniform_int_distribution<int> run_ms(300, 900);
  std::uniform_int_distribution<int> down_ms(0, 50);
  for (int kill = 1; kill <= kKills; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(run_ms(rng)));
    const uint64_t committed_before = load.Stats().committed;
    node.Kill();
    std::this_thread::sleep_for(std::chrono::milliseconds(down_ms(rng)));
    node.Start();
    INFO("after kill " << kill << ": " << committed_before << " txs reported committed before it");
    const std::vector<std::string> problems = audit.Run(client, load.Committed());
    INFO(Lines(problems));
    REQUIRE(problems.empty());
  }
  // Load goes on after the last restart: the node still makes progress.
  const uint64_t height_after_kills = client.Tip().height;
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  load.Stop();

  const LoadStats stats = load.Stats();
  INFO("submitted " << stats.submitted << ", committed " << stats.committed << ", lost to kills "
                    << stats.lost << ", rejected " << stats.rejected << ", network errors "
                    << stats.net_errors << ", false 404s " << stats.false_404
                    << ", stale pending_nonce " << stats.stale_nonce);
  INFO("load errors:\n" << Lines(load.Errors()));
  CHECK(stats.committed >= 100);
  CHECK(stats.rejected == 0);
  CHECK(load.Errors().empty());
  CHECK(client.Tip().height > height_after_kills);
  {
    const std::vector<std::string> problems = audit.Run(client, load.Committed());
    INFO(Lines(problems));
    REQUIRE(problems.empty());
  }

  const StatusTip tip = client.Tip();
  REQUIRE(node.Stop() == 0);
  const ReplayResult replay = ReplayStore(node.home());
  INFO(Lines(replay.problems));
  REQUIRE(replay.problems.empty());
  CHECK(replay.height == tip.height);
  CHECK(replay.stored_state_root == tip.state_root);
  CHECK(replay.replayed_state_root == replay.stored_state_root);
  // The blocks the API served are the blocks on disk.
  for (const auto& [height, hash] : audit.block_hashes()) {
    INFO("height " << height);
    CHECK(replay.block_hashes.at(height) == hash);
  }
}

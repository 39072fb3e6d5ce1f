// Consensus across real processes (tag [consensus]): a `circuledgerd testnet` of four validators
// and one full node (Cluster), a steady load sent to validator node0, and faults: one validator
// SIGKILLed (three of four keep committing), two SIGKILLed (no quorum: commits stop, no fork;
// back, commits resume and they catch up), a validator's database wiped with its WAL kept (it
// resyncs the same chain and state roots and votes again), a validator cut off by proxies on all
// its links, or muted (its bytes lost, the others' reaching it), then healed (it catches up).
// After each: Cluster::Audit (same block hash and state root at every height on every running
// node; every tx the load saw committed is committed everywhere at the same height).
//
// node0 is never faulted: it takes the load. Each test stays under about a minute.
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "tests/cluster/cluster.h"

using namespace circuledger::cluster;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> kOrgs = {"mine", "refinery", "cellmaker", "oem"};
constexpr std::chrono::milliseconds kRoundPause{20};

std::string Lines(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += s + "\n";
  return out;
}

std::string LoadSummary(const LoadGenerator& load) {
  const LoadStats s = load.Stats();
  return "load: submitted " + std::to_string(s.submitted) + ", committed " +
         std::to_string(s.committed) + ", lost " + std::to_string(s.lost) + ", rejected " +
         std::to_string(s.rejected) + ", network errors " + std::to_string(s.net_errors) +
         ", stale pending_nonce " + std::to_string(s.stale_nonce) + "\nload errors:\n" +
         Lines(load.Errors());
}

// Waits until the load has seen `n` transactions committed; fails the test otherwise.
void RequireCommitted(Cluster& cluster, const LoadGenerator& load, uint64_t n,
                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (load.Stats().committed < n) {
    if (std::chrono::steady_clock::now() >= deadline) {
      FAIL("the load saw " << load.Stats().committed << " txs committed, waited for " << n
                           << " for " << timeout.count() << " ms\n"
                           << LoadSummary(load) << cluster.Describe());
    }
    std::this_thread::sleep_for(20ms);
  }
}

// Audits `nodes` (default: every running node).
void RequireAudit(Cluster& cluster, const LoadGenerator& load, const char* when,
                  std::optional<std::vector<size_t>> nodes = std::nullopt) {
  const std::vector<std::string> problems =
      cluster.Audit(load.Committed(), nodes.value_or(cluster.Running()));
  if (!problems.empty()) {
    FAIL("audit " << when << ":\n" << Lines(problems) << LoadSummary(load) << cluster.Describe());
  }
}

// What every scenario checks at the end: the load was never refused, and a last audit.
void Finish(Cluster& cluster, LoadGenerator& load) {
  load.Stop();
  INFO(LoadSummary(load));
  CHECK(load.Stats().rejected == 0);
  CHECK(load.Errors().empty());
  RequireAudit(cluster, load, "at the end");
}

uint64_t HeightOf(const Cluster& cluster, size_t i) {
  const std::optional<StatusTip> t = cluster.Tip(i);
  return t ? t->height : 0;
}

}  // namespace

TEST_CASE("consensus cluster: one validator SIGKILLed - three keep committing - it catches up",
          "[cluster][consensus]") {
  Cluster cluster;
  cluster.WaitHeight(cluster.All(), 2, 20s);
  LoadGenerator load(cluster.node(0), kOrgs, kRoundPause);
  load.Start();
  RequireCommitted(cluster, load, 10, 15s);

  cluster.Kill(3);
  const uint64_t committed_at_kill = load.Stats().committed;
  const uint64_t height_at_kill = cluster.MaxHeight(cluster.Running());
  cluster.WaitHeight({0, 1, 2, 4}, height_at_kill + 5, 20s);
  RequireCommitted(cluster, load, committed_at_kill + 20, 15s);
  RequireAudit(cluster, load, "with node3 down");

  cluster.Start(3);
  cluster.WaitHeight({3}, cluster.MaxHeight({0, 1, 2, 4}), 20s);
  Finish(cluster, load);
}

TEST_CASE(
    "consensus cluster: two validators SIGKILLed - commits stop without a fork - back they "
    "resume and catch up",
    "[cluster][consensus]") {
  Cluster cluster;
  cluster.WaitHeight(cluster.All(), 2, 20s);
  LoadGenerator load(cluster.node(0), kOrgs, kRoundPause);
  load.Start();
  RequireCommitted(cluster, load, 10, 15s);

  cluster.Kill(2);
  cluster.Kill(3);
  // A block already certified when they died may still be committed: let it land.
  std::this_thread::sleep_for(1500ms);
  const uint64_t stalled_height = cluster.MaxHeight(cluster.Running());
  const uint64_t stalled_committed = load.Stats().committed;
  std::this_thread::sleep_for(3s);
  {
    INFO(LoadSummary(load) << cluster.Describe());
    CHECK(cluster.MaxHeight(cluster.Running()) == stalled_height);  // two of four: no quorum
    CHECK(load.Stats().committed == stalled_committed);
  }
  RequireAudit(cluster, load, "with node2 and node3 down");

  cluster.Start(2);
  cluster.Start(3);
  cluster.WaitHeight(cluster.All(), stalled_height + 3, 30s);
  RequireCommitted(cluster, load, stalled_committed + 10, 20s);
  cluster.WaitHeight({2, 3}, cluster.MaxHeight({0, 1, 4}), 20s);
  Finish(cluster, load);
}

TEST_CASE(
    "consensus cluster: a validator with its database wiped and its WAL kept resyncs the "
    "same chain and votes again",
    "[cluster][consensus]") {
  namespace fs = std::filesystem;
  Cluster cluster;
  cluster.WaitHeight(cluster.All(), 2, 20s);
  LoadGenerator load(cluster.node(0), kOrgs, kRoundPause);
  load.Start();
  RequireCommitted(cluster, load, 20, 15s);

  const fs::path wal = fs::path(cluster.node(2).home()) / "consensus.wal";
  cluster.Kill(2);
  REQUIRE(fs::exists(wal));
  const uintmax_t wal_bytes = fs::file_size(wal);
  cluster.WipeData(2);
  CHECK(fs::exists(wal));
  CHECK(fs::file_size(wal) == wal_bytes);
  CHECK_FALSE(fs::exists(fs::path(cluster.node(2).home()) / "data"));
  // The chain moves on without it, so it has blocks to fetch.
  cluster.WaitHeight({0, 1, 3, 4}, cluster.MaxHeight(cluster.Running()) + 3, 20s);

  cluster.Start(2);
  const uint64_t target = cluster.MaxHeight({0, 1, 3, 4});
  cluster.WaitHeight({2}, target, 30s);
  RequireAudit(cluster, load, "after node2 resynced");

  // It votes again: with node1 down, no quorum without node2.
  cluster.Kill(1);
  const uint64_t height_without_1 = cluster.MaxHeight(cluster.Running());
  const uint64_t committed_without_1 = load.Stats().committed;
  cluster.WaitHeight({0, 2, 3, 4}, height_without_1 + 3, 20s);
  RequireCommitted(cluster, load, committed_without_1 + 10, 15s);
  Finish(cluster, load);
}

TEST_CASE(
    "consensus cluster: a validator cut off on every link falls behind - healed it catches "
    "up",
    "[cluster][consensus][partition]") {
  ClusterOptions options;
  options.proxy_links = true;
  Cluster cluster(options);
  cluster.WaitHeight(cluster.All(), 2, 20s);
  LoadGenerator load(cluster.node(0), kOrgs, kRoundPause);
  load.Start();
  RequireCommitted(cluster, load, 10, 15s);

  cluster.Isolate(3);
  const uint64_t cut_height = HeightOf(cluster, 3);
  const uint64_t committed_at_cut = load.Stats().committed;
  cluster.WaitHeight({0, 1, 2, 4}, cluster.MaxHeight({0, 1, 2, 4}) + 5, 20s);
  RequireCommitted(cluster, load, committed_at_cut + 10, 15s);
  {
    INFO(cluster.Describe());
    // One block may have been decided as the cut came; nothing after that reaches node3.
    CHECK(HeightOf(cluster, 3) <= cut_height + 1);
    CHECK(HeightOf(cluster, 3) < cluster.MaxHeight({0, 1, 2, 4}));
    // The others kept redialing it through the proxies, and were refused.
    uint64_t refused = 0;
    for (size_t other : {0, 1, 2, 4}) refused += cluster.Link(other, 3).Stats().refused;
    CHECK(refused > 0);
  }
  RequireAudit(cluster, load, "with node3 cut off", std::vector<size_t>{0, 1, 2, 4});

  cluster.Heal(3);
  cluster.WaitHeight({3}, cluster.MaxHeight({0, 1, 2, 4}), 30s);
  Finish(cluster, load);
}

TEST_CASE(
    "consensus cluster: a muted validator (its messages lost and the others' arriving) does "
    "not stop the others - healed it is consistent",
    "[cluster][consensus][partition]") {
  ClusterOptions options;
  options.proxy_links = true;
  Cluster cluster(options);
  cluster.WaitHeight(cluster.All(), 2, 20s);
  LoadGenerator load(cluster.node(0), kOrgs, kRoundPause);
  load.Start();
  RequireCommitted(cluster, load, 10, 15s);

  cluster.Mute(3);
  const uint64_t committed_at_mute = load.Stats().committed;
  cluster.WaitHeight({0, 1, 2, 4}, cluster.MaxHeight({0, 1, 2, 4}) + 5, 20s);
  RequireCommitted(cluster, load, committed_at_mute + 10, 15s);
  {
    INFO(cluster.Describe());
    uint64_t dropped = 0;
    for (size_t other : {0, 1, 2, 4}) {
      dropped += cluster.Link(3, other).Stats().bytes_dropped;  // on links node3 dialed
      dropped += cluster.Link(other, 3).Stats().bytes_dropped;  // its answers on the others'
    }
    CHECK(dropped > 0);  // node3 did talk, and was not heard
  }
  // node3 hears everything and may keep up, but nothing requires it to.
  RequireAudit(cluster, load, "with node3 muted", std::vector<size_t>{0, 1, 2, 4});

  cluster.Heal(3);
  cluster.WaitHeight({3}, cluster.MaxHeight({0, 1, 2, 4}), 30s);
  Finish(cluster, load);
}

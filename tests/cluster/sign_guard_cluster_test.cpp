// Never sign twice (node/sign_guard.h) with real circuledgerd processes: a validator whose
// consensus WAL is deleted in the middle of a height refuses to start; with --allow-missing-wal
// it starts, refuses to sign the steps it signed before (it logs each refusal), and the chain goes
// on with it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <thread>

#include "node/sign_guard.h"
#include "tests/cluster/cluster.h"

using namespace circuledger;
using namespace circuledger::cluster;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::optional<node::SignSlot> LastSigned(const NodeProcess& n) {
  auto g = node::SignGuard::Open(node::SignGuardPath((fs::path(n.home()) / "consensus.wal").string()));
  REQUIRE(g.ok());
  return (*g)->last();
}

// Waits until `n` has signed at `height` in round `round` or later.
node::SignSlot WaitSigned(const Cluster& c, const NodeProcess& n, uint64_t height, uint32_t round) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    if (std::optional<node::SignSlot> s = LastSigned(n); s && s->height == height && s->round >= round) return *s;
    if (std::chrono::steady_clock::now() > deadline) FAIL("no signature at height " << height << "\n" << c.Describe());
    std::this_thread::sleep_for(50ms);
  }
}

}  // namespace

TEST_CASE("cluster: a validator whose WAL is deleted mid-height refuses to start; with the flag it never "
          "signs at or below its last signed step",
          "[cluster][consensus]") {
  ClusterOptions o;
  o.full_nodes = 0;
  Cluster c(o);
  c.WaitHeight(c.All(), 2, 20s);

  // Two of four validators down: validators 0 and 1 cannot reach a quorum, so the next height
  // stalls in round 0 (without 2f+1 votes no step times out) after they signed in it.
  c.Kill(2);
  c.Kill(3);
  const uint64_t stalled = c.MaxHeight({0, 1}) + 1;
  const node::SignSlot signed_before = WaitSigned(c, c.node(0), stalled, 0);
  c.Kill(0);
  const node::SignSlot last = *LastSigned(c.node(0));  // what it signed before dying
  REQUIRE(last >= signed_before);
  INFO("validator 0 signed up to " << node::SlotText(last));

  fs::remove(fs::path(c.node(0).home()) / "consensus.wal");
  CHECK(c.node(0).StartExpectingExit() == 2);
  const std::string refusal = c.node(0).LogTail(4000);
  CHECK_THAT(refusal, Catch::Contains("consensus.wal is missing") && Catch::Contains(node::SlotText(last)) &&
                          Catch::Contains("--allow-missing-wal"));
  CHECK_FALSE(fs::exists(fs::path(c.node(0).home()) / "consensus.wal"));  // the refusal created nothing

  // The operator checked and passes the flag: it starts at round 0 of the stalled height, and its
  // first signatures there are refused.
  c.node(0).Start({"--allow-missing-wal"});
  const std::string refused_line = "refusing to sign height " + std::to_string(stalled) + " round 0";
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (c.node(0).Log().find(refused_line) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) FAIL("no refusal logged\n" << c.Describe());
    std::this_thread::sleep_for(50ms);
  }
  // Whatever it signed since is above what it signed before the WAL was lost.
  if (std::optional<node::SignSlot> now = LastSigned(c.node(0)); now) CHECK(*now >= last);

  // The others come back: the chain moves on, validator 0 with it, signing again later on.
  c.Start(2);
  c.Start(3);
  c.WaitHeight(c.All(), stalled + 3, 90s);
  const std::optional<node::SignSlot> after = LastSigned(c.node(0));
  REQUIRE(after);
  CHECK(*after > last);
  CHECK(after->height > stalled);
  CHECK(c.Audit({}).empty());
}

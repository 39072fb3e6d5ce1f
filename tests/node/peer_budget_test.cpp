// PeerBudget (node/peer_budget.h): the per-peer byte shares of the node's queues. Tag [node].
#include <catch2/catch.hpp>

#include "node/limits.h"
#include "node/peer_budget.h"
#include "tests/support/test_chain.h"

using circuledger::node::PeerBudget;
using circuledger::testkit::KeyFor;

TEST_CASE("peer budget: a peer over its share loses its own messages, never another peer's room", "[node]") {
  PeerBudget budget(1000);
  const auto a = KeyFor("peer-a").Public();
  const auto b = KeyFor("peer-b").Public();
  CHECK(budget.TryTake(a, 600));
  CHECK(budget.TryTake(a, 400));
  CHECK_FALSE(budget.TryTake(a, 1));  // full
  CHECK(budget.Used(a) == 1000);
  CHECK(budget.TryTake(b, 1000));     // b's share is untouched by a
  CHECK_FALSE(budget.TryTake(b, SIZE_MAX));  // no overflow past the share
  CHECK(budget.Total() == 2000);
  budget.Release(a, 600);
  CHECK(budget.TryTake(a, 600));
  budget.Release(a, 5000);            // more than it holds: down to zero, no underflow
  CHECK(budget.Used(a) == 0);
  budget.Clear();
  CHECK(budget.Total() == 0);
}

TEST_CASE("peer budget: the node's shares hold a full message and bound the total by the peer count", "[node]") {
  namespace L = circuledger::node::limits;
  PeerBudget inbox(L::kMaxInboxBytesPerPeer);
  const auto a = KeyFor("peer-a").Public();
  // One peer sending proposals of the largest size: one fits, the next waits for the driver.
  CHECK(inbox.TryTake(a, circuledger::consensus::limits::kMaxMessageBytes));
  CHECK_FALSE(inbox.TryTake(a, circuledger::consensus::limits::kMaxMessageBytes));
  CHECK(L::kMaxInboxBytesPerPeer * circuledger::network::limits::kMaxPeers < (size_t{4} << 30));
}

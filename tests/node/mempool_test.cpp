// The mempool: nonce order, bounds, duplicates, pruning after commits.
#include <catch2/catch.hpp>

#include "node/mempool.h"
#include "tests/support/test_chain.h"

using namespace circuledger::testkit;
using circuledger::node::Mempool;
using circuledger::node::MempoolOptions;

namespace {

struct Fixture {
  TestChain chain;
  Tx Make(const std::string& org, uint64_t nonce, const std::string& lot) {
    return chain.Sign(org, CreateLot{lot, Comp("Co:1:0")}, nonce);
  }
};

}  // namespace

TEST_CASE("mempool: ready transactions run in nonce order from the committed nonce", "[mempool]") {
  Fixture f;
  Mempool m(MempoolOptions{});
  const Tx t2 = f.Make("mine", 2, "c");
  const Tx t0 = f.Make("mine", 0, "a");
  const Tx t1 = f.Make("mine", 1, "b");
  const Tx r0 = f.Make("refinery", 0, "r");
  REQUIRE(m.Add(t2, TxId(t2.body), 0).ok());
  REQUIRE(m.Add(r0, TxId(r0.body), 0).ok());
  REQUIRE(m.Add(t0, TxId(t0.body), 0).ok());
  auto next = [](const PubKey&) { return uint64_t{0}; };
  // Nonce 1 is missing: only nonce 0 of mine is ready; refinery arrived after mine.
  std::vector<Tx> ready = m.Ready(100, next);
  REQUIRE(ready.size() == 2);
  CHECK(ready[0] == t0);
  CHECK(ready[1] == r0);
  REQUIRE(m.Add(t1, TxId(t1.body), 0).ok());
  ready = m.Ready(100, next);
  REQUIRE(ready.size() == 4);
  CHECK(ready[0] == t0);
  CHECK(ready[1] == t1);
  CHECK(ready[2] == t2);
  CHECK(m.Ready(2, next).size() == 2);
  CHECK(m.PendingNonce(f.chain.member("mine").pub, 0) == 3);
  CHECK(m.PendingNonce(f.chain.member("oem").pub, 5) == 5);
}

TEST_CASE("mempool: duplicates, stale and far-future nonces, bounds", "[mempool]") {
  Fixture f;
  Mempool m(MempoolOptions{3, 2, 10});
  const Tx t0 = f.Make("mine", 0, "a");
  REQUIRE(m.Add(t0, TxId(t0.body), 0).ok());
  CHECK(*m.Add(t0, TxId(t0.body), 0) == Mempool::AddResult::kAlreadyKnown);
  const Tx other0 = f.Make("mine", 0, "other");
  CHECK(m.Add(other0, TxId(other0.body), 0).status().RejectString() == "bad-nonce");  // nonce taken
  const Tx old = f.Make("mine", 4, "old");
  CHECK(m.Add(old, TxId(old.body), 5).status().RejectString() == "bad-nonce");  // already used
  const Tx far = f.Make("mine", 11, "far");
  CHECK(m.Add(far, TxId(far.body), 0).status().RejectString() == "bad-nonce");  // gap > 10
  const Tx t1 = f.Make("mine", 1, "b");
  REQUIRE(m.Add(t1, TxId(t1.body), 0).ok());
  const Tx t2 = f.Make("mine", 2, "c");
  CHECK(m.Add(t2, TxId(t2.body), 0).status().RejectString() == "mempool-full");  // per account
  const Tx r0 = f.Make("refinery", 0, "r");
  REQUIRE(m.Add(r0, TxId(r0.body), 0).ok());
  const Tx o0 = f.Make("oem", 0, "o");
  CHECK(m.Add(o0, TxId(o0.body), 0).status().RejectString() == "mempool-full");  // total
  CHECK(m.Size() == 3);
}

TEST_CASE("mempool: prune after commit, evict a rejected transaction", "[mempool]") {
  Fixture f;
  Mempool m(MempoolOptions{});
  std::vector<Tx> txs;
  for (uint64_t n = 0; n < 4; ++n) {
    txs.push_back(f.Make("mine", n, "l" + std::to_string(n)));
    REQUIRE(m.Add(txs.back(), TxId(txs.back().body), 0).ok());
  }
  // A block committed nonces 0 and 1.
  const auto removed = m.Prune([](const PubKey&) { return uint64_t{2}; });
  CHECK(removed.size() == 2);
  CHECK_FALSE(m.Contains(TxId(txs[0].body)));
  CHECK(m.Contains(TxId(txs[2].body)));
  CHECK(m.Evict(TxId(txs[2].body)));
  CHECK_FALSE(m.Evict(TxId(txs[2].body)));
  // Nonce 3 stays but is not ready until nonce 2 is sent again.
  CHECK(m.Size() == 1);
  CHECK(m.Ready(10, [](const PubKey&) { return uint64_t{2}; }).empty());
}

// The mempool: nonce order, the nonce window, per-account, per-org and total bounds, duplicates,
// pruning after commits, expiry, and the check of transactions that become executable.
#include <catch2/catch.hpp>

#include "node/mempool.h"
#include "tests/support/test_chain.h"

using namespace circuledger::testkit;
using circuledger::node::Mempool;
using circuledger::node::MempoolHooks;
using circuledger::node::MempoolOptions;

namespace {

struct Fixture {
  TestChain chain;
  Tx Make(const std::string& org, uint64_t nonce, const std::string& lot) {
    return chain.Sign(org, CreateLot{lot, Comp("Co:1:0")}, nonce);
  }
};

// Adds with the org of the test chain's member (each member's org is named like it).
circuledger::ledger::Result<Mempool::AddResult> Add(Mempool& m, const Tx& tx, uint64_t next, const std::string& org,
                                                    bool checked = false) {
  return m.Add(tx, TxId(tx.body), next, org, checked);
}

MempoolOptions Options(size_t max_txs, size_t per_account, size_t per_org, uint64_t window, uint64_t expiry_ms = 60000) {
  MempoolOptions o;
  o.max_txs = max_txs;
  o.max_per_account = per_account;
  o.max_per_org = per_org;
  o.nonce_window = window;
  o.expiry_ms = expiry_ms;
  return o;
}

}  // namespace

TEST_CASE("mempool: ready transactions run in nonce order from the committed nonce", "[mempool]") {
  Fixture f;
  Mempool m(MempoolOptions{});
  const Tx t2 = f.Make("mine", 2, "c");
  const Tx t0 = f.Make("mine", 0, "a");
  const Tx t1 = f.Make("mine", 1, "b");
  const Tx r0 = f.Make("refinery", 0, "r");
  REQUIRE(Add(m, t2, 0, "mine").ok());
  REQUIRE(Add(m, r0, 0, "refinery").ok());
  REQUIRE(Add(m, t0, 0, "mine").ok());
  auto next = [](const PubKey&) { return uint64_t{0}; };
  // Nonce 1 is missing: only nonce 0 of mine is ready; refinery arrived after mine.
  std::vector<Tx> ready = m.Ready(100, next);
  REQUIRE(ready.size() == 2);
  CHECK(ready[0] == t0);
  CHECK(ready[1] == r0);
  CHECK(m.PendingNonce(f.chain.member("mine").pub, 0) == 1);
  CHECK(m.PendingCount(f.chain.member("mine").pub) == 2);  // the one behind the gap counts
  REQUIRE(Add(m, t1, 0, "mine").ok());
  ready = m.Ready(100, next);
  REQUIRE(ready.size() == 4);
  CHECK(ready[0] == t0);
  CHECK(ready[1] == t1);
  CHECK(ready[2] == t2);
  CHECK(m.Ready(2, next).size() == 2);
  CHECK(m.PendingNonce(f.chain.member("mine").pub, 0) == 3);
  CHECK(m.PendingNonce(f.chain.member("oem").pub, 5) == 5);
  CHECK(m.PendingCount(f.chain.member("oem").pub) == 0);
}

TEST_CASE("mempool: a nonce beyond the window is bad-nonce; used and taken nonces too", "[mempool]") {
  Fixture f;
  Mempool m(MempoolOptions{});
  REQUIRE(m.options().nonce_window == 64);
  // The window counts from the committed next nonce (here 5): 5 .. 68 may wait.
  const Tx last_in = f.Make("mine", 68, "in");
  CHECK(Add(m, last_in, 5, "mine").ok());
  const Tx beyond = f.Make("mine", 69, "beyond");
  const auto r = Add(m, beyond, 5, "mine");
  CHECK(r.status().RejectString() == "bad-nonce");
  CHECK(r.status().detail().find("up to 68") != std::string::npos);
  const Tx far = f.Make("mine", 5 + 1024, "far");  // the old fixed gap of 1,024 took this
  CHECK(Add(m, far, 5, "mine").status().RejectString() == "bad-nonce");
  const Tx used = f.Make("mine", 4, "used");
  CHECK(Add(m, used, 5, "mine").status().RejectString() == "bad-nonce");
  const Tx t5 = f.Make("mine", 5, "a");
  REQUIRE(Add(m, t5, 5, "mine", true).ok());
  CHECK(*Add(m, t5, 5, "mine", true) == Mempool::AddResult::kAlreadyKnown);
  const Tx other5 = f.Make("mine", 5, "other");
  CHECK(Add(m, other5, 5, "mine").status().RejectString() == "bad-nonce");  // nonce taken
  CHECK(m.Size() == 2);
}

TEST_CASE("mempool: the nonce just past a full window is busy (retry), not a skipped nonce", "[mempool]") {
  Fixture f;
  Mempool m(Options(100, 100, 100, /*window=*/4));
  // Committed next nonce 7: 7 .. 10 fill the window.
  for (uint64_t n = 7; n <= 10; ++n) REQUIRE(Add(m, f.Make("mine", n, "l" + std::to_string(n)), 7, "mine").ok());
  const auto next = Add(m, f.Make("mine", 11, "l11"), 7, "mine");
  CHECK(next.status().RejectString() == "mempool-account-full");
  CHECK(next.status().detail().find("again") != std::string::npos);
  // One further is a skip: the client left a gap.
  CHECK(Add(m, f.Make("mine", 12, "l12"), 7, "mine").status().RejectString() == "bad-nonce");
  // A window with a hole is not full: the nonce past it is a skip as well.
  Mempool holes(Options(100, 100, 100, 4));
  for (uint64_t n : {7, 8, 10}) REQUIRE(Add(holes, f.Make("mine", n, "h" + std::to_string(n)), 7, "mine").ok());
  CHECK(Add(holes, f.Make("mine", 11, "h11"), 7, "mine").status().RejectString() == "bad-nonce");
  CHECK(m.Size() == 4);
  CHECK(holes.Size() == 3);
}

TEST_CASE("mempool: per-account, per-org and total caps have their own reject strings", "[mempool]") {
  Fixture f;
  // 2 per signer, 3 per org, 5 in all.
  Mempool m(Options(5, 2, 3, 64));
  REQUIRE(Add(m, f.Make("mine", 0, "a"), 0, "mine").ok());
  REQUIRE(Add(m, f.Make("mine", 1, "b"), 0, "mine").ok());
  CHECK(Add(m, f.Make("mine", 2, "c"), 0, "mine").status().RejectString() == "mempool-account-full");
  // Another signer of the same org ("mine" here): the org's share runs out at 3.
  REQUIRE(Add(m, f.Make("refinery", 0, "r0"), 0, "mine").ok());
  const auto over_org = Add(m, f.Make("refinery", 1, "r1"), 0, "mine");
  CHECK(over_org.status().RejectString() == "mempool-org-full");
  CHECK(over_org.status().detail().find("org mine") != std::string::npos);
  // Other orgs still get in, up to the total.
  REQUIRE(Add(m, f.Make("oem", 0, "o0"), 0, "oem").ok());
  REQUIRE(Add(m, f.Make("oem", 1, "o1"), 0, "oem").ok());
  CHECK(Add(m, f.Make("cellmaker", 0, "c0"), 0, "cellmaker").status().RejectString() == "mempool-full");
  CHECK(m.Size() == 5);
  // Room frees up as transactions leave: the org's count follows.
  CHECK(m.Evict(TxId(f.Make("mine", 0, "a").body)));
  REQUIRE(Add(m, f.Make("refinery", 1, "r1"), 0, "mine").ok());
  CHECK(m.Size() == 5);
}

TEST_CASE("mempool: prune after commit, evict a rejected transaction", "[mempool]") {
  Fixture f;
  Mempool m(MempoolOptions{});
  std::vector<Tx> txs;
  for (uint64_t n = 0; n < 4; ++n) {
    txs.push_back(f.Make("mine", n, "l" + std::to_string(n)));
    REQUIRE(Add(m, txs.back(), 0, "mine").ok());
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

TEST_CASE("mempool: a transaction that waited expiry_ms is dropped with mempool-expired", "[mempool]") {
  Fixture f;
  uint64_t now = 1000;
  std::vector<std::pair<Hash256, Status>> dropped;
  MempoolHooks hooks;
  hooks.now_ms = [&now] { return now; };
  hooks.dropped = [&](const Hash256& id, const Status& s) { dropped.emplace_back(id, s); };
  Mempool m(Options(100, 10, 100, 64, /*expiry_ms=*/5000), hooks);
  // Behind a nonce gap that is never filled: before, it waited forever.
  const Tx stuck = f.Make("mine", 3, "stuck");
  REQUIRE(Add(m, stuck, 0, "mine").ok());
  now = 4000;
  const Tx later = f.Make("oem", 1, "later");
  REQUIRE(Add(m, later, 0, "oem").ok());
  auto next = [](const PubKey&) { return uint64_t{0}; };
  now = 5999;  // stuck waited 4,999 ms
  m.Prune(next);
  CHECK(dropped.empty());
  CHECK(m.Size() == 2);
  now = 6000;  // stuck waited 5,000 ms; later 2,000
  m.Prune(next);
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].first == TxId(stuck.body));
  CHECK(dropped[0].second.RejectString() == "mempool-expired");
  CHECK_FALSE(m.Contains(TxId(stuck.body)));
  CHECK(m.Contains(TxId(later.body)));
  CHECK(m.PendingCount(f.chain.member("mine").pub) == 0);

  SECTION("a full pool looks for expired transactions before refusing") {
    Mempool small(Options(1, 10, 10, 64, 5000), hooks);
    REQUIRE(Add(small, f.Make("mine", 2, "x"), 0, "mine").ok());
    CHECK(Add(small, f.Make("oem", 0, "y"), 0, "oem").status().RejectString() == "mempool-full");
    now += 5000;
    CHECK(Add(small, f.Make("oem", 0, "y"), 0, "oem").ok());
    CHECK(dropped.back().second.RejectString() == "mempool-expired");
  }
}

TEST_CASE("mempool: a transaction is checked against the tip when it becomes executable, and dropped if invalid",
          "[mempool]") {
  Fixture f;
  std::vector<std::pair<Hash256, Status>> dropped;
  size_t checks = 0;
  MempoolHooks hooks;
  hooks.check = [&](const Tx& tx, const Hash256& id) {
    ++checks;
    return f.chain.executor().CheckTxAgainstTip(tx, id, f.chain.NextTime());
  };
  hooks.dropped = [&](const Hash256& id, const Status& s) { dropped.emplace_back(id, s); };
  Mempool m(MempoolOptions{}, hooks);
  // Admitted ahead of its turn (nonce 1), unchecked: lot "dup" does not exist yet, so it was
  // valid-looking; a later one (nonce 2) waits behind it.
  const Tx ahead = f.Make("mine", 1, "dup");
  const Tx behind = f.Make("mine", 2, "fine");
  REQUIRE(Add(m, ahead, 0, "mine").ok());
  REQUIRE(Add(m, behind, 0, "mine").ok());
  // Elsewhere (another node's block), nonce 0 of mine creates "dup": `ahead` can never commit.
  REQUIRE(f.chain.Apply("mine", CreateLot{"dup", Comp("Co:1:0")}).ok());
  WorkingState st(f.chain.store());
  m.Prune(circuledger::node::NextNonces(st));
  CHECK(checks == 1);  // only the new head: `behind` is not executable yet
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].first == TxId(ahead.body));
  CHECK(dropped[0].second.RejectString() == "id-exists");
  CHECK_FALSE(m.Contains(TxId(ahead.body)));
  CHECK(m.Contains(TxId(behind.body)));

  SECTION("a valid head is checked once, not after every commit") {
    Mempool ok_pool(MempoolOptions{}, hooks);
    const Tx next = f.Make("oem", 1, "oem-lot");
    REQUIRE(Add(ok_pool, next, 0, "oem").ok());
    REQUIRE(f.chain.Apply("oem", CreateLot{"oem-first", Comp("Co:1:0")}).ok());
    const size_t before = checks;
    WorkingState st2(f.chain.store());
    ok_pool.Prune(circuledger::node::NextNonces(st2));
    CHECK(checks == before + 1);
    CHECK(ok_pool.Contains(TxId(next.body)));
    ok_pool.Prune(circuledger::node::NextNonces(st2));
    CHECK(checks == before + 1);
  }
  SECTION("a head the node checked at admission is not checked again") {
    Mempool pool(MempoolOptions{}, hooks);
    const uint64_t n = f.chain.member("refinery").nonce;
    REQUIRE(Add(pool, f.Make("refinery", n, "ref-lot"), n, "refinery", /*checked=*/true).ok());
    const size_t before = checks;
    WorkingState st3(f.chain.store());
    pool.Prune(circuledger::node::NextNonces(st3));
    CHECK(checks == before);
  }
}

// RecordCache: the Store's cache of committed accounts and orgs. Which keys it holds, fills that
// raced a commit, its bound, and through a Store: reads after commits (also from a concurrent
// reader) give what LevelDB holds.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "tests/support/test_chain.h"

using namespace circuledger::testkit;

namespace {

uint64_t NonceIn(const std::optional<std::string>& raw) {
  REQUIRE(raw.has_value());
  Result<Account> a = Decode<Account>(*raw);
  REQUIRE(a.ok());
  return a->next_nonce;
}

}  // namespace

TEST_CASE("record cache: holds accounts and orgs only") {
  PubKey k;
  k.bytes.fill(7);
  CHECK(RecordCache::Caches(statekey::Account(k)));
  CHECK(RecordCache::Caches(statekey::Org("mine")));
  CHECK_FALSE(RecordCache::Caches(statekey::Item("lot-1")));
  CHECK_FALSE(RecordCache::Caches(statekey::Params()));
  CHECK_FALSE(RecordCache::Caches("t0123"));
  CHECK_FALSE(RecordCache::Caches("s"));
  CHECK_FALSE(RecordCache::Caches(""));
}

TEST_CASE("record cache: a fill that raced a commit is dropped, a later one is kept") {
  RecordCache cache(16);
  uint64_t gen = 0;
  CHECK_FALSE(cache.Find("sa1", &gen).has_value());
  cache.Update({{"sb", "x"}});        // a commit of other keys still bumps the generation
  cache.Fill("sa1", "old", gen);     // read before that commit: may be stale
  CHECK_FALSE(cache.Find("sa1", &gen).has_value());
  cache.Fill("sa1", "new", gen);
  CHECK(cache.Find("sa1", &gen) == std::optional<std::string>("new"));
  cache.Update({{"sa1", "newer"}, {"sa2", "not held"}});
  CHECK(cache.Find("sa1", &gen) == std::optional<std::string>("newer"));
  CHECK_FALSE(cache.Find("sa2", &gen).has_value());  // updates do not add keys
  CHECK(cache.Size() == 1);
  cache.Clear();
  CHECK(cache.Size() == 0);
  cache.Fill("sa1", "stale", gen);  // the generation from before Clear
  CHECK_FALSE(cache.Find("sa1", &gen).has_value());
}

TEST_CASE("record cache: emptied when full, the new key kept") {
  RecordCache cache(2);
  uint64_t gen = 0;
  for (const char* key : {"sa1", "sa2", "sa3"}) {
    CHECK_FALSE(cache.Find(key, &gen).has_value());
    cache.Fill(key, key, gen);
  }
  CHECK(cache.Size() == 1);
  CHECK(cache.Find("sa3", &gen) == std::optional<std::string>("sa3"));
}

TEST_CASE("record cache: store reads after each commit give the committed account, also with a concurrent reader") {
  TestChain c;
  const std::string key = statekey::Account(c.member("mine").pub);
  CHECK(NonceIn(c.store().Get(key)) == 0);  // now cached
  std::atomic<bool> done{false};
  std::atomic<uint64_t> committed{0};
  std::atomic<bool> reader_ok{true};
  std::thread reader([&] {
    while (!done.load()) {
      const uint64_t floor = committed.load();
      std::optional<std::string> raw = c.store().Get(key);
      Result<Account> a = raw ? Decode<Account>(*raw) : Result<Account>(Status::NotFound("absent"));
      // Never older than what had been committed before the read began.
      if (!a.ok() || a->next_nonce < floor) reader_ok = false;
    }
  });
  for (uint64_t i = 0; i < 60; ++i) {
    REQUIRE(c.Apply("mine", CreateLot{"r" + std::to_string(i), Comp("Co:5:0")}).ok());
    committed = i + 1;
    CHECK(NonceIn(c.store().Get(key)) == i + 1);
  }
  done = true;
  reader.join();
  CHECK(reader_ok.load());
  // What LevelDB holds (a snapshot's reads bypass the cache).
  CHECK(NonceIn(c.store().Snapshot()->Get(key)) == 60);
  CHECK(NonceIn(c.store().Get(key)) == 60);
}

// SigCache: bounded, and the most recent half of its capacity is always kept (a transaction
// verified at admission must still be found when its block executes).
#include <catch2/catch.hpp>

#include <cstring>

#include "ledger/executor.h"

using namespace circuledger::ledger;

namespace {

Hash256 IdOf(uint32_t i) {
  // Spread over the shards like real tx ids (the first byte picks the shard).
  return TaggedHash("sig-cache-test", std::string_view(reinterpret_cast<const char*>(&i), sizeof(i)));
}

Signature SigOf(uint32_t i) {
  Signature s{};
  std::memcpy(s.bytes.data(), &i, sizeof(i));
  return s;
}

}  // namespace

TEST_CASE("sig cache: the newest half of the capacity survives any number of insertions", "[sigcache]") {
  constexpr size_t kCapacity = 1024;
  SigCache cache(kCapacity);
  for (uint32_t i = 0; i < 20000; ++i) {
    cache.Insert(IdOf(i), SigOf(i));
    REQUIRE(cache.Size() <= kCapacity);
  }
  // Every shard keeps its newest capacity / 32 entries; the newest 300 of 20,000 fit in that
  // unless one shard drew more than 32 of them, which these ids do not.
  size_t missing = 0;
  for (uint32_t i = 20000 - 300; i < 20000; ++i) missing += cache.Contains(IdOf(i), SigOf(i)) ? 0 : 1;
  CHECK(missing == 0);
  CHECK(!cache.Contains(IdOf(0), SigOf(0)));
}

TEST_CASE("sig cache: a pair is found only with the same signature", "[sigcache]") {
  SigCache cache(1024);
  cache.Insert(IdOf(1), SigOf(1));
  CHECK(cache.Contains(IdOf(1), SigOf(1)));
  CHECK(!cache.Contains(IdOf(1), SigOf(2)));
  CHECK(!cache.Contains(IdOf(2), SigOf(1)));
  cache.Insert(IdOf(1), SigOf(1));  // again: no duplicate
  CHECK(cache.Size() == 1);
}

TEST_CASE("sig cache: two valid signatures of one transaction are two entries", "[sigcache]") {
  // BIP-340 signing with fresh randomness gives another valid signature for the same tx id.
  SigCache cache(1024);
  cache.Insert(IdOf(7), SigOf(1));
  cache.Insert(IdOf(7), SigOf(2));
  CHECK(cache.Contains(IdOf(7), SigOf(1)));
  CHECK(cache.Contains(IdOf(7), SigOf(2)));
  CHECK(!cache.Contains(IdOf(7), SigOf(3)));
  CHECK(cache.Size() == 2);
}

TEST_CASE("sig cache: the all-zero id is an ordinary key (empty slots are marked by tags, not ids)", "[sigcache]") {
  SigCache cache(1024);
  CHECK(!cache.Contains(Hash256{}, SigOf(1)));
  cache.Insert(Hash256{}, SigOf(1));
  CHECK(cache.Contains(Hash256{}, SigOf(1)));
  CHECK(!cache.Contains(Hash256{}, Signature{}));
  CHECK(cache.Size() == 1);
}

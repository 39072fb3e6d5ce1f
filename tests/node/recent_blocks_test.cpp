// RecentBlocks: the API's cache of the newest decoded blocks.
#include <catch2/catch.hpp>

#include "node/recent_blocks.h"
#include "tests/support/test_chain.h"

using namespace circuledger;
using namespace circuledger::ledger;
using circuledger::testkit::Comp;
using circuledger::testkit::TestChain;

TEST_CASE("recent blocks: the stored block and its tx ids, the newest heights kept, unknown heights not found",
          "[node]") {
  TestChain chain;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(chain.Apply("mine", CreateLot{"lot-" + std::to_string(i), Comp("Co:1000:0")}).ok());
  }
  REQUIRE(chain.store().Tip().height == 5);
  node::RecentBlocks recent(chain.store(), 2);

  for (uint64_t h = 1; h <= 5; ++h) {
    Result<std::shared_ptr<const node::DecodedBlock>> got = recent.Get(h);
    REQUIRE(got.ok());
    Result<Block> stored = chain.store().ReadBlock(h);
    REQUIRE(stored.ok());
    CHECK((*got)->block == *stored);
    REQUIRE((*got)->tx_ids.size() == stored->txs.size());
    CHECK((*got)->tx_ids[0] == TxId(stored->txs[0].body));
  }
  // Heights 4 and 5 are kept: the same object is served again. An older read does not evict them.
  const auto five = *recent.Get(5);
  CHECK(recent.Get(1).ok());
  CHECK(*recent.Get(5) == five);

  Result<std::shared_ptr<const node::DecodedBlock>> missing = recent.Get(6);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().IsNotFound());
}

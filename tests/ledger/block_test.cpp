// Blocks: header rules, whole-block validity, determinism across stores, persistence.
#include <catch2/catch.hpp>

#include "tests/support/test_chain.h"

using namespace circuledger::testkit;

namespace {

// A block built (and not committed) on `c` from these transactions.
Block Build(TestChain& c, const std::vector<Tx>& txs) {
  Result<BuiltBlock> b = c.executor().BuildBlock(txs, c.NextTime(), c.proposer());
  REQUIRE(b.ok());
  return b->commit.block;
}

std::string ExecuteReject(TestChain& c, const Block& b, std::optional<uint64_t> now = std::nullopt) {
  Result<BlockCommit> r = c.executor().ExecuteBlock(b, now);
  return r.ok() ? "ok" : r.status().RejectString();
}

// Recomputes tx_root after the test changed the transaction list.
void Reroot(Block& b) {
  b.header.tx_root = TxRoot(b.txs);
}

}  // namespace

TEST_CASE("block: a built block executes to the same commit", "[block]") {
  TestChain c;
  const Block b = Build(c, {c.Sign("mine", CreateLot{"a", Comp("Co:1:0")})});
  Result<BlockCommit> r = c.executor().ExecuteBlock(b, b.header.time_ms);
  REQUIRE(r.ok());
  CHECK(r->tip.state_root == b.header.state_root);
  // The stored bytes, assembled from the transactions' body encodings, are the canonical ones.
  CHECK(r->block_bytes == Encode(b));
  std::vector<std::string> bodies;
  for (const Tx& t : b.txs) bodies.push_back(Encode(t.body));
  CHECK(EncodeBlockFromBodies(b, bodies) == Encode(b));
  REQUIRE(c.executor().Commit(*r).ok());
  CHECK(c.store().Tip().height == 1);
  CHECK(c.store().FindTx(TxId(b.txs[0].body))->height == 1);
  CHECK(c.store().HeightOfBlock(BlockHash(b.header)) == 1u);
}

TEST_CASE("block: header rules", "[block]") {
  TestChain c;
  const Block good = Build(c, {c.Sign("mine", CreateLot{"a", Comp("Co:1:0")})});
  Block b = good;
  b.header.height = 2;
  CHECK(ExecuteReject(c, b) == "bad-block-height");
  b = good;
  b.header.prev_hash.bytes[0] ^= 1;
  CHECK(ExecuteReject(c, b) == "bad-prev-hash");
  b = good;
  b.header.time_ms = c.store().Tip().time_ms;
  CHECK(ExecuteReject(c, b) == "bad-block-time");
  CHECK(ExecuteReject(c, good, good.header.time_ms - c.genesis().params.max_time_drift_ms - 1) == "bad-block-time");
  CHECK(ExecuteReject(c, good, good.header.time_ms - c.genesis().params.max_time_drift_ms) == "ok");
  b = good;
  b.header.chain_id = "other";
  CHECK(ExecuteReject(c, b) == "wrong-chain");
  b = good;
  b.header.tx_root.bytes[3] ^= 1;
  CHECK(ExecuteReject(c, b) == "bad-tx-root");
  b = good;
  b.header.state_root.bytes[3] ^= 1;
  CHECK(ExecuteReject(c, b) == "bad-state-root");
  b = good;
  b.header.validator_set_hash.bytes[0] ^= 1;
  CHECK(ExecuteReject(c, b) == "bad-validator-set");
  b = good;
  b.header.proposer = KeyFor("not-a-validator").Public();
  CHECK(ExecuteReject(c, b) == "bad-validator-set");
  b = good;
  b.txs.push_back(b.txs[0]);
  Reroot(b);
  CHECK(ExecuteReject(c, b) == "duplicate-tx");
  b = good;
  b.txs[0].sig.bytes[0] ^= 1;
  Reroot(b);
  CHECK(ExecuteReject(c, b) == "bad-signature");
  CHECK(c.store().Tip().height == 0);  // nothing committed by any of the above
}

TEST_CASE("block: a damaged signature no longer matches the header and is refused before execution", "[block]") {
  TestChain c;
  const Block good = Build(c, {c.Sign("mine", CreateLot{"a", Comp("Co:1:0")}), c.Sign("mine", CreateLot{"b", Comp("Co:1:0")}, 1)});
  REQUIRE(good.txs.size() == 2);
  CHECK(good.header.tx_root == TxRoot(good.txs));
  for (size_t i = 0; i < good.txs.size(); ++i) {
    INFO("tx " << i);
    // A certified header with one flipped signature bit in its body, as a peer might ship it:
    // the header (and so its hash and certificate) no longer describes these bytes.
    Block b = good;
    b.txs[i].sig.bytes[17] ^= 0x04;
    CHECK(TxRoot(b.txs) != b.header.tx_root);
    const uint64_t verified = c.executor().signatures_verified();
    Result<BlockCommit> r = c.executor().ExecuteBlock(b, std::nullopt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().RejectString() == "bad-tx-root");
    CHECK(r.status().detail().find("signatures") != std::string::npos);
    // Refused before any transaction ran: not one signature was checked.
    CHECK(c.executor().signatures_verified() == verified);
  }
  CHECK(c.store().Tip().height == 0);
  REQUIRE(c.executor().ExecuteBlock(good, std::nullopt).ok());
}

TEST_CASE("block: a chain relaunched under the same chain id refuses the old chain's transactions", "[block]") {
  TestChain old_chain;
  TestChainOptions o;
  o.genesis_time_ms = old_chain.genesis().genesis_time_ms + 1;
  TestChain relaunched(o);
  REQUIRE(relaunched.genesis().chain_id == old_chain.genesis().chain_id);
  REQUIRE(relaunched.genesis_hash() != old_chain.genesis_hash());
  const Tx old_tx = old_chain.Sign("mine", CreateLot{"a", Comp("Co:1:0")});
  REQUIRE(old_chain.Commit(old_tx).ok());
  // Same org keys, same nonce, same chain id: only the genesis hash differs.
  const Status s = relaunched.Commit(old_tx);
  CHECK(s.RejectString() == "wrong-chain");
  CHECK(relaunched.executor().CheckTx(old_tx).RejectString() == "wrong-chain");
  // Nor can it be smuggled into a block of the new chain.
  Block b = Build(relaunched, {relaunched.Sign("mine", CreateLot{"x", Comp("Co:1:0")})});
  b.txs = {old_tx};
  b.header.tx_root = TxRoot(b.txs);
  CHECK(ExecuteReject(relaunched, b) == "wrong-chain");
  CHECK(relaunched.store().Tip().height == 0);
  // The relaunched chain's own transaction is fine.
  CHECK(relaunched.Commit(relaunched.Sign("mine", CreateLot{"a", Comp("Co:1:0")})).ok());
}

TEST_CASE("block: a lot consumed twice in one block", "[block]") {
  TestChain c;
  REQUIRE(c.Apply("mine", CreateLot{"a", Comp("Co:10:0")}).ok());
  const Tx t1 = c.Sign("mine", Transform{{"a"}, {OutputLot{"b", Comp("Co:10:0")}}, {}, {}}, 1);
  const Tx t2 = c.Sign("mine", Transform{{"a"}, {OutputLot{"c", Comp("Co:10:0")}}, {}, {}}, 2);
  // The builder leaves the second out with its reason.
  Result<BuiltBlock> built = c.executor().BuildBlock({t1, t2}, c.NextTime(), c.proposer());
  REQUIRE(built.ok());
  CHECK(built->included == std::vector<size_t>{0});
  REQUIRE(built->rejected.size() == 1);
  CHECK(built->rejected[0].second.RejectString() == "lot-already-consumed");
  // A block that carries both is invalid as a whole.
  Block b = built->commit.block;
  b.txs.push_back(t2);
  Reroot(b);
  CHECK(ExecuteReject(c, b) == "lot-already-consumed");
}

TEST_CASE("block: limits on transactions per block", "[block]") {
  TestChain c;
  std::vector<Tx> txs;
  for (uint64_t i = 0; i < 5; ++i) txs.push_back(c.Sign("mine", CreateLot{"l" + std::to_string(i), Comp("Co:1:0")}, i));
  Block b = Build(c, txs);
  REQUIRE(b.txs.size() == 5);
  // Lower max_block_txs through governance on a second chain and replay: the block is now too big.
  TestChain d;
  Params p = d.genesis().params;
  p.max_block_txs = 4;
  const Tx prop = d.Sign("admin-a", Propose{SetParams{p}});
  REQUIRE(d.Commit(prop).ok());
  d.member("admin-a").nonce++;
  REQUIRE(d.Apply("admin-b", Approve{TxId(prop.body)}).ok());
  std::vector<Tx> txs2;
  for (uint64_t i = 0; i < 5; ++i) txs2.push_back(d.Sign("mine", CreateLot{"l" + std::to_string(i), Comp("Co:1:0")}, i));
  Result<BuiltBlock> built = d.executor().BuildBlock(txs2, d.NextTime(), d.proposer());
  REQUIRE(built.ok());
  CHECK(built->commit.block.txs.size() == 4);  // the builder stops at the limit
  Block big = built->commit.block;
  big.txs.push_back(txs2[4]);
  Reroot(big);
  CHECK(ExecuteReject(d, big) == "block-too-large");
}

TEST_CASE("block: two stores executing the same blocks agree on every state root", "[block]") {
  TestChain a;
  TestChain b;
  std::vector<Block> blocks;
  REQUIRE(a.Apply("mine", CreateLot{"ore", Comp("Co:1000:0,Ni:500:0")}).ok());
  REQUIRE(a.Apply("recycler", CreateLot{"rco", Comp("Co:300:300")}).ok());
  REQUIRE(a.Apply("mine", Transfer{"ore", "cellmaker"}).ok());
  REQUIRE(a.Apply("recycler", Transfer{"rco", "cellmaker"}).ok());
  REQUIRE(a.Apply("cellmaker", Assemble{{"ore", "rco"}, NewProduct{"p", "battery.ev", "m", Comp("Co:1300:0,Ni:500:0"), {}},
                                        {}, {}, {}}).ok());
  for (uint64_t h = 1; h <= a.store().Tip().height; ++h) {
    Result<Block> blk = a.store().ReadBlock(h);
    REQUIRE(blk.ok());
    Result<BlockCommit> r = b.executor().ExecuteBlock(*blk, std::nullopt);
    REQUIRE(r.ok());
    REQUIRE(b.executor().Commit(*r).ok());
    CHECK(b.store().Tip().state_root == a.store().ReadBlock(h)->header.state_root);
  }
  CHECK(b.store().Tip() == a.store().Tip());
  CHECK(b.GetProduct("p") == a.GetProduct("p"));
}

TEST_CASE("block: the store continues from disk after reopening", "[block]") {
  std::string dir;
  ChainTip tip;
  {
    TestChainOptions o;
    o.dir = (std::filesystem::temp_directory_path() / "circuledger-reopen-test").string();
    std::filesystem::remove_all(o.dir);
    dir = o.dir;
    TestChain c(o);
    REQUIRE(c.Apply("mine", CreateLot{"a", Comp("Co:1:0")}).ok());
    REQUIRE(c.Apply("mine", CreateLot{"b", Comp("Co:1:0")}).ok());
    tip = c.store().Tip();
  }
  {
    TestChainOptions o;
    o.dir = dir;
    TestChain c(o);
    CHECK(c.store().Tip() == tip);
    CHECK(c.member("mine").nonce == 2);
    REQUIRE(c.Apply("mine", CreateLot{"c", Comp("Co:1:0")}).ok());
    CHECK(c.store().Tip().height == 3);
    // Another genesis on the same database is refused.
    Genesis other = c.genesis();
    other.chain_id = "another-chain";
    CHECK(c.store().InitGenesis(other).IsInvalidArgument());
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("block: background commits, each next block built on the one still being written", "[block]") {
  TestChain a;
  std::vector<Block> blocks;
  for (int b = 0; b < 6; ++b) {
    std::vector<Tx> txs;
    for (int i = 0; i < 40; ++i) {
      txs.push_back(a.Sign("mine", CreateLot{"l" + std::to_string(b) + "-" + std::to_string(i), Comp("Co:5:0")}));
      a.member("mine").nonce++;
    }
    if (b > 0) {
      txs.push_back(a.Sign("mine", Transfer{"l" + std::to_string(b - 1) + "-0", "refinery"}));
      a.member("mine").nonce++;
    }
    Result<BuiltBlock> built = a.CommitBlock(txs);
    REQUIRE(built.ok());
    REQUIRE(built->rejected.empty());
    blocks.push_back(built->commit.block);
  }
  TestChain b;
  for (const Block& blk : blocks) {
    Result<BlockCommit> r = b.executor().ExecuteBlock(blk, std::nullopt);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    REQUIRE(b.executor().CommitAsync(std::move(r).value()).ok());
    CHECK(b.executor().Tip().height == blk.header.height);
  }
  REQUIRE(b.executor().Flush().ok());
  CHECK(b.store().Tip() == a.store().Tip());
  CHECK(b.GetLot("l4-0")->owner == "refinery");
}

TEST_CASE("block: an invalid signature late in a large block rejects the whole block", "[block]") {
  TestChain c;
  std::vector<Tx> txs;
  for (uint64_t i = 0; i < 200; ++i) txs.push_back(c.Sign("mine", CreateLot{"l" + std::to_string(i), Comp("Co:1:0")}, i));
  Block b = Build(c, txs);
  REQUIRE(b.txs.size() == 200);
  for (size_t bad : {size_t{1}, size_t{97}, size_t{199}}) {
    Block broken = b;
    broken.txs[bad].sig.bytes[7] ^= 1;
    Reroot(broken);
    Result<BlockCommit> r = c.executor().ExecuteBlock(broken, std::nullopt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().RejectString() == "bad-signature");
    CHECK(r.status().detail().rfind("tx " + std::to_string(bad) + ":", 0) == 0);
  }
  CHECK(c.store().Tip().height == 0);
  CHECK(ExecuteReject(c, b) == "ok");
}

// The consensus Application over the ledger: what a validator proposes, and which proposals it
// accepts (the paper's valid(v)), before any network is involved.
#include <catch2/catch.hpp>

#include "ledger/encoding.h"
#include "consensus/limits.h"
#include "consensus/state_machine.h"
#include "node/ledger_app.h"
#include "node/proposal_check.h"
#include "tests/support/test_chain.h"

using namespace circuledger;
using namespace circuledger::ledger;
using circuledger::testkit::Comp;
using circuledger::testkit::TestChain;

namespace {

// A LedgerApp over a TestChain with its own mempool, recording what the builder left out.
struct AppFixture {
  TestChain chain;
  node::Mempool mempool{node::MempoolOptions{}};
  node::Logger log{std::cerr, node::Logger::Level::kError};
  std::vector<std::pair<Hash256, Status>> left_out;
  node::LedgerApp app{node::LedgerAppDeps{chain.executor(), chain.store(), mempool, log, 5000, chain.proposer(),
                                          [this] { return chain.NextTime(); },
                                          [this](const Hash256& id, const Status& s) { left_out.emplace_back(id, s); }}};

  void Admit(const Tx& tx) {
    const Hash256 id = TxId(tx.body);
    REQUIRE(mempool.Add(tx, id, tx.body.nonce, "org", true).ok());
  }
  uint64_t Next() { return chain.store().Tip().height + 1; }
};

Block Decoded(const std::string& value) {
  Result<Block> b = Decode<Block>(value);
  REQUIRE(b.ok());
  return *b;
}

}  // namespace

TEST_CASE("ledger app: a proposal holds the ready transactions, leaves invalid ones out, and commits without re-execution",
          "[node][consensus]") {
  AppFixture f;
  const Tx good = f.chain.Sign("mine", CreateLot{"lot-1", Comp("Co:1000:0")}, 0);
  const Tx bad = f.chain.Sign("refinery", Transfer{"no-such-lot", "oem"}, 0);
  f.Admit(good);
  f.Admit(bad);

  const std::string value = f.app.ProposeValue(f.Next());
  const Block block = Decoded(value);
  REQUIRE(block.txs.size() == 1);
  CHECK(block.txs[0] == good);
  CHECK(block.header.height == f.Next());
  CHECK(block.header.proposer == f.chain.proposer());
  REQUIRE(f.left_out.size() == 1);
  CHECK(f.left_out[0].first == TxId(bad.body));
  CHECK(f.left_out[0].second.reason() == Reject::kUnknownItem);

  const Hash256 id = f.app.ValueId(value);
  CHECK(id == BlockHash(block.header));
  CHECK(f.app.ValidateValue(f.Next(), value));
  std::optional<BlockCommit> commit = f.app.TakeExecuted(id);
  REQUIRE(commit.has_value());
  REQUIRE(f.chain.executor().Commit(*commit).ok());
  CHECK(f.chain.store().Tip().block_hash == id);
  CHECK(f.app.storage_error().ok());
}

TEST_CASE("ledger app: another validator's valid block is accepted and kept for the decision", "[node][consensus]") {
  AppFixture f;
  const Tx tx = f.chain.Sign("mine", CreateLot{"lot-1", Comp("Co:1000:0")}, 0);
  Result<BuiltBlock> built = f.chain.executor().BuildBlock({tx}, f.chain.NextTime(), f.chain.proposer());
  REQUIRE(built.ok());
  const std::string value = built->commit.block_bytes;
  CHECK(f.app.ValidateValue(f.Next(), value));
  CHECK(f.app.ValidateValue(f.Next(), value));  // asked again (a later round): same answer
  REQUIRE(f.app.TakeExecuted(f.app.ValueId(value)).has_value());
  f.app.Clear();
  CHECK_FALSE(f.app.TakeExecuted(f.app.ValueId(value)).has_value());
}

TEST_CASE("ledger app: a proposal's signatures are remembered, so its transactions' gossip is not verified again",
          "[node][consensus]") {
  AppFixture f;
  TestChain other;  // another validator with the same genesis builds the block
  const Tx tx = other.Sign("mine", CreateLot{"lot-1", Comp("Co:1000:0")}, 0);
  Result<BuiltBlock> built = other.executor().BuildBlock({tx}, other.NextTime(), other.proposer());
  REQUIRE(built.ok());
  const uint64_t before = f.chain.executor().signatures_verified();
  CHECK(f.app.ValidateValue(f.Next(), built->commit.block_bytes));
  CHECK(f.chain.executor().signatures_verified() == before + 1);
  // The same transaction arriving by gossip before the block commits: found in the cache.
  CHECK(f.chain.executor().CheckTx(tx, nullptr).ok());
  CHECK(f.chain.executor().signatures_verified() == before + 1);
}

TEST_CASE("ledger app: garbage, a block for another height and a block with a bad signature are invalid",
          "[node][consensus]") {
  AppFixture f;
  const Tx tx = f.chain.Sign("mine", CreateLot{"lot-1", Comp("Co:1000:0")}, 0);
  Result<BuiltBlock> built = f.chain.executor().BuildBlock({tx}, f.chain.NextTime(), f.chain.proposer());
  REQUIRE(built.ok());

  SECTION("bytes that are not a block get an id of their own and are invalid") {
    const std::string garbage = "not a block";
    const Hash256 id = f.app.ValueId(garbage);
    CHECK(id == f.app.ValueId(garbage));
    CHECK(id != f.app.ValueId(built->commit.block_bytes));
    CHECK_FALSE(f.app.ValidateValue(f.Next(), garbage));
    CHECK_FALSE(f.app.ValidateValue(f.Next(), garbage));
  }
  SECTION("a valid block offered for another height") {
    CHECK_FALSE(f.app.ValidateValue(f.Next() + 1, built->commit.block_bytes));
  }
  SECTION("a flipped signature bit") {
    Block b = built->commit.block;
    b.txs[0].sig.bytes[5] ^= 1;
    const std::string value = Encode(b);
    CHECK_FALSE(f.app.ValidateValue(f.Next(), value));
    CHECK_FALSE(f.app.TakeExecuted(f.app.ValueId(value)).has_value());
  }
  SECTION("a header whose state root does not match its transactions") {
    Block b = built->commit.block;
    b.header.state_root.bytes[0] ^= 1;
    CHECK_FALSE(f.app.ValidateValue(f.Next(), Encode(b)));
  }
  // Nothing was committed by any of it.
  CHECK(f.chain.store().Tip().height == 0);
  CHECK(f.app.storage_error().ok());
}

namespace {
// "M00:1000:0,...": `n` materials.
std::string ManyMaterials(size_t n) {
  std::string spec;
  for (size_t i = 0; i < n; ++i) spec += std::string(spec.empty() ? "" : ",") + "M" + (i < 10 ? "0" : "") + std::to_string(i) + ":1000:0";
  return spec;
}

// Proposes, validates and commits one block; returns it.
Block ProposeAndCommit(AppFixture& f) {
  const std::string value = f.app.ProposeValue(f.Next());
  REQUIRE(!value.empty());
  REQUIRE(f.app.ValidateValue(f.Next(), value));
  std::optional<BlockCommit> commit = f.app.TakeExecuted(f.app.ValueId(value));
  REQUIRE(commit.has_value());
  REQUIRE(f.chain.executor().Commit(*commit).ok());
  f.app.Clear();
  return Decoded(value);
}
}  // namespace

TEST_CASE("ledger app: a transaction that would make a product unreadable is left out; later blocks still carry "
          "transactions on it",
          "[node][consensus][bounds]") {
  AppFixture f;
  REQUIRE(f.chain.Apply("oem", CreateLot{"body", Comp(ManyMaterials(64))}).ok());
  REQUIRE(f.chain.Apply("oem", Assemble{{"body"}, NewProduct{"p", "battery.ev", "m", Comp(ManyMaterials(64)), {}}, {}, {}, {}}).ok());
  REQUIRE(f.chain.Apply("oem", CreateLot{"part", Comp("Zn:5:0")}).ok());
  // A 65th material: the product would not decode any more.
  const Tx breaking = f.chain.Sign("oem", Repair{"p", {OutputLot{"old", Comp("M00:1:0")}}, {"part"}});
  const Tx attest1 = f.chain.Sign("certifier", Attest{"p", "iso14001", "cert-1", 0}, 0);
  f.Admit(breaking);
  f.Admit(attest1);
  const Block first = ProposeAndCommit(f);
  REQUIRE(first.txs.size() == 1);
  CHECK(first.txs[0] == attest1);
  REQUIRE(f.left_out.size() == 1);
  CHECK(f.left_out[0].first == TxId(breaking.body));
  CHECK(f.left_out[0].second.RejectString() == "too-many-materials");

  // The next block builds on the product as usual (on a product that no longer decodes, every
  // build with a transaction on it failed and only empty blocks were proposed).
  const Tx attest2 = f.chain.Sign("certifier", Attest{"p", "iso9001", "cert-2", 0}, 1);
  f.Admit(attest2);
  const Block second = ProposeAndCommit(f);
  REQUIRE(second.txs.size() == 1);
  CHECK(second.txs[0] == attest2);
  CHECK(f.chain.GetProduct("p")->attestations.size() == 2);
  CHECK(f.app.storage_error().ok());
}

TEST_CASE("ledger app: storage that fails while a block is built stops the node instead of proposing empty blocks",
          "[node][consensus]") {
  AppFixture f;
  // A committed lot whose stored bytes are damaged (as a disk fault would leave them).
  Result<BuiltBlock> built = f.chain.executor().BuildBlock({f.chain.Sign("mine", CreateLot{"lot-1", Comp("Co:1000:0")}, 0)},
                                                           f.chain.NextTime(), f.chain.proposer());
  REQUIRE(built.ok());
  bool damaged = false;
  for (auto& [key, value] : built->commit.writes) {
    if (key == statekey::Item("lot-1")) value = "\x01garbage", damaged = true;
  }
  REQUIRE(damaged);
  REQUIRE(f.chain.executor().Commit(built->commit).ok());
  f.Admit(f.chain.Sign("mine", Transfer{"lot-1", "refinery"}, 1));
  CHECK(f.app.ProposeValue(f.Next()).empty());
  CHECK(f.app.storage_error().IsCorruption());
}

TEST_CASE("proposal envelope: the proposer's signature over the header's hash is checked before the body is decoded",
          "[node][consensus]") {
  AppFixture f;
  const consensus::KeySigner proposer{testkit::KeyFor("validator-0")};
  const std::string& chain = f.chain.genesis().chain_id;
  const Tx tx = f.chain.Sign("mine", CreateLot{"lot-1", Comp("Co:1000:0")}, 0);
  Result<BuiltBlock> built = f.chain.executor().BuildBlock({tx}, f.chain.NextTime(), f.chain.proposer());
  REQUIRE(built.ok());
  const std::string value = built->commit.block_bytes;
  const Hash256 id = built->commit.block_hash;
  const uint64_t max_block_bytes = WorkingState(f.chain.store()).GetParams().max_block_bytes;
  const consensus::Proposal signed_p = consensus::MakeProposal(proposer, chain, 1, 0, std::nullopt, value, id);
  CHECK(node::CheckProposalEnvelope(signed_p, chain, max_block_bytes) == node::EnvelopeCheck::kOk);

  SECTION("a forged proposal the size of the largest frame, whose body does not even decode") {
    consensus::Proposal p = signed_p;
    p.value = Encode(Decoded(value).header) + std::string(consensus::limits::kMaxValueBytes - value.size(), 'x');
    p.signature.bytes[5] ^= 0x01;
    CHECK(node::CheckProposalEnvelope(p, chain, max_block_bytes) == node::EnvelopeCheck::kBadSignature);
  }
  SECTION("a signature for another chain") {
    CHECK(node::CheckProposalEnvelope(signed_p, "another-chain", max_block_bytes) == node::EnvelopeCheck::kBadSignature);
  }
  SECTION("signed by the proposer, over the chain's max_block_bytes") {
    consensus::Proposal p = signed_p;
    p.value += std::string(max_block_bytes, 'x');  // same header: same hash, same signature
    CHECK(node::CheckProposalEnvelope(p, chain, max_block_bytes) == node::EnvelopeCheck::kTooLarge);
  }
  SECTION("bytes that do not begin with a header go on to the state machine, which finds them invalid") {
    consensus::Proposal p = signed_p;
    p.value = "not a block";
    CHECK(node::CheckProposalEnvelope(p, chain, max_block_bytes) == node::EnvelopeCheck::kOk);
    CHECK_FALSE(f.app.ValidateValue(1, p.value));
    CHECK(f.app.ProposerFault(f.app.ValueId(p.value)));
    CHECK_FALSE(f.app.ProposerFault(f.app.ValueId(value)));  // that value only
    f.app.Clear();
    CHECK_FALSE(f.app.ProposerFault(f.app.ValueId(p.value)));  // a new height forgets
  }
  SECTION("a block whose transaction signature was damaged is its proposer's fault") {
    Block damaged = Decoded(value);
    damaged.txs[0].sig.bytes[3] ^= 0x01;
    CHECK_FALSE(f.app.ValidateValue(1, Encode(damaged)));
    CHECK(f.app.ProposerFault(f.app.ValueId(Encode(damaged))));
  }
  SECTION("a valid block is no one's fault") {
    CHECK(f.app.ValidateValue(1, value));
    CHECK_FALSE(f.app.ProposerFault(f.app.ValueId(value)));
  }
}

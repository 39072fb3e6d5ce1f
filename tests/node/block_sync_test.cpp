// Block sync (node/block_sync.h) with the ledger as its target (node/ledger_sync.h), driven by a
// fake transport and explicit times: who is trusted for which answer, what a bad block costs its
// sender, and the byte bounds. Tag [node][sync].
#include <catch2/catch.hpp>

#include "consensus/encoding.h"
#include "ledger/encoding.h"
#include "node/block_sync.h"
#include "node/ledger_sync.h"
#include "tests/support/test_chain.h"

using namespace circuledger;
using namespace circuledger::ledger;
using circuledger::network::DisconnectReason;
using circuledger::network::SyncRequest;
using circuledger::network::SyncResponse;
using circuledger::node::BlockSync;
using circuledger::node::SyncOptions;
using circuledger::testkit::Comp;
using circuledger::testkit::KeyFor;
using circuledger::testkit::TestChain;

namespace {

// The transport: connected peers, and what block sync sent and banned.
struct FakePeers final : node::SyncPeers {
  std::vector<PubKey> connected;
  std::vector<std::pair<PubKey, SyncRequest>> sent;
  std::vector<std::pair<PubKey, DisconnectReason>> bans;
  std::vector<PubKey> Peers() override { return connected; }
  bool SendRequest(const PubKey& peer, const SyncRequest& r) override {
    sent.emplace_back(peer, r);
    return true;
  }
  void Ban(const PubKey& peer, DisconnectReason reason) override { bans.emplace_back(peer, reason); }
  bool Banned(const PubKey& peer) const {
    return std::any_of(bans.begin(), bans.end(), [&](const auto& b) { return b.first == peer; });
  }
};

// A certificate for (height, round 0, hash) signed by the test chain's one validator.
std::string Certify(const TestChain& chain, uint64_t height, const Hash256& hash) {
  const consensus::KeySigner signer(KeyFor("validator-0"));
  const consensus::Vote v = consensus::MakeVote(signer, chain.genesis().chain_id, consensus::VoteType::kPrecommit, height, 0, hash);
  return consensus::EncodeCertificate(consensus::CommitCertificate{height, 0, hash, {{v.validator, v.signature}}});
}

// The source chain's blocks 1..n (one transaction each) with their certificates.
struct Source {
  TestChain chain;
  std::vector<SyncResponse> answers;  // [i] is height i + 1
  explicit Source(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      REQUIRE(chain.Apply("mine", CreateLot{"lot-" + std::to_string(i), Comp("Co:1000:0")}).ok());
      const uint64_t h = i + 1;
      Result<std::string> bytes = chain.store().ReadBlockBytes(h);
      REQUIRE(bytes.ok());
      answers.push_back(SyncResponse{h, *bytes, Certify(chain, h, chain.store().Tip().block_hash)});
    }
  }
};

// Block `height`'s answer with the first transaction's signature damaged: the block hash (and so
// the certificate) may still match.
SyncResponse Damaged(SyncResponse r) {
  Result<Block> block = Decode<Block>(r.block);
  REQUIRE(block.ok());
  REQUIRE_FALSE(block->txs.empty());
  block->txs[0].sig.bytes[10] ^= 0x01;
  r.block = Encode(*block);
  return r;
}

struct Fixture {
  TestChain target;
  FakePeers peers;
  size_t committed = 0;
  node::LedgerSyncTarget ledger{target.executor(), target.store(), target.genesis().chain_id,
                                [this](const BlockCommit&) { ++committed; }};
  const PubKey bad = KeyFor("peer-bad").Public();
  const PubKey good = KeyFor("peer-good").Public();
  const PubKey stranger = KeyFor("peer-stranger").Public();
  SyncOptions options() {
    SyncOptions o;
    o.batch_blocks = 4;
    o.timeout_ms = 3000;
    return o;
  }
  uint64_t Tip() { return target.store().Tip().height; }
};

}  // namespace

TEST_CASE("block sync: a certified block with a damaged tx signature bans its sender, and another peer is asked",
          "[node][sync]") {
  Source src(2);
  Fixture f;
  f.peers.connected = {f.bad, f.good};
  BlockSync sync(f.options(), f.peers, f.ledger);

  sync.Request(f.bad, 0);
  REQUIRE(f.peers.sent.size() == 1);
  CHECK(f.peers.sent[0] == std::pair{f.bad, SyncRequest{1, 4}});

  // The certificate is genuine; the bytes are not the ones the validators executed.
  REQUIRE(sync.OnResponse(f.bad, Damaged(src.answers[0]), 10).ok());  // not a storage failure: no stop
  CHECK(f.Tip() == 0);
  REQUIRE(f.peers.bans.size() == 1);
  CHECK(f.peers.bans[0] == std::pair{f.bad, DisconnectReason::kInvalidBlock});
  CHECK(sync.stats().refused_blocks == 1);
  CHECK(sync.BannedHere(f.bad, 10));
  // At once, the blocks are asked of the other peer.
  REQUIRE(f.peers.sent.size() == 2);
  CHECK(f.peers.sent[1] == std::pair{f.good, SyncRequest{1, 4}});
  CHECK(sync.OutstandingPeer(10) == f.good);

  // The banned peer's further answers are not taken, even valid ones.
  REQUIRE(sync.OnResponse(f.bad, src.answers[0], 11).ok());
  CHECK(f.Tip() == 0);

  REQUIRE(sync.OnResponse(f.good, src.answers[0], 12).ok());
  REQUIRE(sync.OnResponse(f.good, src.answers[1], 13).ok());
  CHECK(f.Tip() == 2);
  CHECK(f.target.store().Tip().block_hash == src.chain.store().Tip().block_hash);
  CHECK(f.committed == 2);
  CHECK(sync.stats().applied == 2);
  CHECK_FALSE(f.peers.Banned(f.good));

  SECTION("a request never goes to a peer banned here while the ban lasts") {
    f.peers.connected = {f.bad};
    const size_t sent = f.peers.sent.size();
    sync.Request(f.bad, 10'000);  // the one to `good` timed out
    CHECK(f.peers.sent.size() == sent);
  }
}

TEST_CASE("block sync: a bad certificate, a wrong height or garbage is the sender's fault", "[node][sync]") {
  Source src(2);
  Fixture f;
  f.peers.connected = {f.bad, f.good};
  BlockSync sync(f.options(), f.peers, f.ledger);
  sync.Request(f.bad, 0);
  SyncResponse r = src.answers[0];
  SECTION("certificate over another block") { r.certificate = src.answers[1].certificate; }
  SECTION("certificate signed by a non-validator") {
    const consensus::KeySigner signer(KeyFor("not-a-validator"));
    const Hash256 id = src.chain.store().Tip().block_hash;
    const consensus::Vote v = consensus::MakeVote(signer, f.target.genesis().chain_id, consensus::VoteType::kPrecommit, 1, 0, id);
    r.certificate = consensus::EncodeCertificate(consensus::CommitCertificate{1, 0, id, {{v.validator, v.signature}}});
  }
  SECTION("the block of height 2 answered as height 1") { r.block = src.answers[1].block; }
  SECTION("garbage") { r.block = "not a block"; }
  REQUIRE(sync.OnResponse(f.bad, r, 1).ok());
  CHECK(f.Tip() == 0);
  CHECK(f.peers.bans == std::vector<std::pair<PubKey, DisconnectReason>>{{f.bad, DisconnectReason::kInvalidBlock}});
  CHECK(f.peers.sent.back().first == f.good);
}

TEST_CASE("block sync: an answer nobody asked that peer for is refused and bans it, even a valid block",
          "[node][sync]") {
  Source src(6);
  Fixture f;
  f.peers.connected = {f.good, f.stranger};
  BlockSync sync(f.options(), f.peers, f.ledger);

  // Never asked at all.
  REQUIRE(sync.OnResponse(f.stranger, src.answers[0], 1).ok());
  CHECK(f.Tip() == 0);
  CHECK(f.peers.bans == std::vector<std::pair<PubKey, DisconnectReason>>{{f.stranger, DisconnectReason::kUnrequested}});
  CHECK(sync.stats().unrequested == 1);

  // Asked for 1..4, answers 6: beyond what it was asked.
  sync.Request(f.good, 2);
  REQUIRE(sync.OnResponse(f.good, src.answers[5], 3).ok());
  CHECK(f.Tip() == 0);
  CHECK(f.peers.Banned(f.good));
}

TEST_CASE("block sync: late and repeated answers to a request that was made are dropped, not punished",
          "[node][sync]") {
  Source src(3);
  Fixture f;
  f.peers.connected = {f.good, f.bad};
  BlockSync sync(f.options(), f.peers, f.ledger);
  sync.Request(f.good, 0);
  REQUIRE(sync.OnResponse(f.good, src.answers[1], 1).ok());  // ahead of the tip: buffered
  CHECK(f.Tip() == 0);
  CHECK(sync.buffered_bytes() > 0);
  REQUIRE(sync.OnResponse(f.good, src.answers[1], 2).ok());  // a replay of the same answer
  CHECK(sync.stats().dropped == 1);

  // The request times out and moves on to the other peer; good's late answer is dropped.
  sync.Request(std::nullopt, 5000);
  REQUIRE(f.peers.sent.back().first == f.bad);
  REQUIRE(sync.OnResponse(f.good, src.answers[0], 5001).ok());
  CHECK(f.Tip() == 0);
  CHECK(sync.stats().dropped == 2);
  CHECK(f.peers.bans.empty());
  // The answer from the peer asked now is taken, with the one buffered from before.
  REQUIRE(sync.OnResponse(f.bad, src.answers[0], 5002).ok());
  CHECK(f.Tip() == 2);
  CHECK(sync.buffered_bytes() == 0);
}

TEST_CASE("block sync: a peer's answers ahead of the tip are held within its byte share", "[node][sync]") {
  Source src(4);
  Fixture f;
  f.peers.connected = {f.good};
  SyncOptions o = f.options();
  o.buffer_bytes_per_peer = src.answers[1].block.size() + src.answers[1].certificate.size() + 10;
  BlockSync sync(o, f.peers, f.ledger);
  sync.Request(f.good, 0);
  REQUIRE(sync.OnResponse(f.good, src.answers[1], 1).ok());
  REQUIRE(sync.OnResponse(f.good, src.answers[2], 1).ok());  // over the share: dropped
  CHECK(sync.buffered_bytes() <= o.buffer_bytes_per_peer);
  CHECK(sync.stats().dropped == 1);
  REQUIRE(sync.OnResponse(f.good, src.answers[0], 2).ok());
  CHECK(f.Tip() == 2);  // 3 was dropped: asked again later
  CHECK(f.peers.bans.empty());
}

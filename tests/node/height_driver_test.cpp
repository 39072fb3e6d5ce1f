// The height driver (node/height_driver.h) on a virtual clock, with a recording transport, WAL and
// chain: write-ahead order, timers as data, the block cadence, and a failed WAL append.
// Tag [node][height].
#include "node/height_driver.h"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "consensus/encoding.h"

namespace circuledger::node {
namespace {

using consensus::Message;

// Values are strings; a value's id is its tagged hash; a value is valid unless it begins "bad".
class StringApp final : public consensus::Application {
 public:
  std::string ProposeValue(uint64_t height) override { return "block-" + std::to_string(height); }
  ledger::Hash256 ValueId(std::string_view value) override {
    return ledger::TaggedHash("test/value", value);
  }
  bool ValidateValue(uint64_t, std::string_view value) override { return value.rfind("bad", 0) != 0; }
};

class FakeClock final : public DriverClock {
 public:
  uint64_t NowMs() const override { return now_ms; }
  uint64_t now_ms = 1'000'000;
};

// Records every WAL append and every send in one event list, in call order.
struct Recorder final : public ConsensusTransport, public ConsensusWal, public HeightChain {
  std::vector<std::string> events;  // "wal N" (records in the append), "send", "ban", "commit H"
  ledger::Status append_result;
  uint64_t tip = 0;
  bool ready_txs = false;
  consensus::ValidatorSet set;
  std::vector<ledger::Status> fatal;

  void Broadcast(const Message&) override { events.push_back("send"); }
  void Send(const ledger::PubKey&, const Message&) override { events.push_back("send"); }
  void Ban(const ledger::PubKey& key, network::DisconnectReason) override {
    events.push_back("ban");
    banned.push_back(key);
  }
  std::vector<ledger::PubKey> banned;
  ledger::Status Append(const std::vector<WalRecord>& records) override {
    if (append_result.ok()) events.push_back("wal " + std::to_string(records.size()));
    return append_result;
  }
  ledger::Status Reset(const std::vector<WalRecord>&) override { return ledger::Status::Ok(); }
  uint64_t size_bytes() const override { return 0; }
  uint64_t TipHeight() override { return tip; }
  ledger::Result<consensus::ValidatorSet> StartingHeight(uint64_t) override { return set; }
  bool HasReadyTxs() override { return ready_txs; }
  EnvelopeCheck CheckProposal(const consensus::Proposal&) override { return EnvelopeCheck::kOk; }
  bool ProposerFault(const ledger::Hash256& id) override { return faulty.count(id) != 0; }
  std::set<ledger::Hash256> faulty;  // ids the application blames on their proposer
  ledger::Status CommitDecided(const consensus::Decide& d) override {
    events.push_back("commit " + std::to_string(d.height));
    tip = d.height;
    return ledger::Status::Ok();
  }
  void RequestSync(const std::optional<ledger::PubKey>&) override { events.push_back("sync"); }
  void Fatal(const ledger::Status& s) override { fatal.push_back(s); }
};

consensus::KeySigner Key(const char* name) {
  return consensus::KeySigner(
      *ledger::SecretKey::FromBytes(ledger::TaggedHash("test/height", name).View()), true);
}

struct Fixture {
  explicit Fixture(std::vector<const consensus::KeySigner*> validators,
                   const consensus::KeySigner* me) {
    std::vector<ledger::PubKey> keys;
    for (const consensus::KeySigner* v : validators) keys.push_back(v->Key());
    rec.set = *consensus::ValidatorSet::Make(keys);
    HeightOptions o;
    o.chain_id = "test-chain";
    o.timeouts = consensus::TimeoutConfig{300, 100, 50};
    o.block_min_interval_ms = 200;
    o.create_empty_blocks = false;
    driver = std::make_unique<HeightDriver>(
        HeightDriverDeps{o, app, proposers, consensus::DefaultVerifier(), me, rec, rec, rec, clock,
                         log},
        std::vector<Message>{});
  }
  StringApp app;
  consensus::RoundRobinProposer proposers;
  FakeClock clock;
  Recorder rec;
  std::ostringstream sink;
  Logger log{sink, Logger::Level::kError};
  std::unique_ptr<HeightDriver> driver;
};

TEST_CASE(
    "height driver: a lone validator decides on a virtual clock, persisting each output in one "
    "append before its sends",
    "[node][height]") {
  const consensus::KeySigner me = Key("me");
  Fixture f({&me}, &me);
  f.driver->Begin();
  // Begin waits as after a commit with the interval passed: no transaction, no height.
  f.driver->Poll();
  CHECK_FALSE(f.driver->running());
  CHECK(f.rec.events.empty());
  f.rec.ready_txs = true;
  f.driver->Poll();
  // Start decided height 1 alone: one append (its proposal, prevote and precommit), then the
  // sends, then the commit.
  REQUIRE(f.rec.events.size() >= 3);
  CHECK(f.rec.events.front().rfind("wal ", 0) == 0);
  CHECK(f.rec.events.front() != "wal 1");
  CHECK(f.rec.events.back() == "commit 1");
  for (size_t i = 1; i + 1 < f.rec.events.size(); ++i) CHECK(f.rec.events[i] == "send");
  CHECK_FALSE(f.driver->running());
  CHECK(f.driver->height() == 2);
  // The next height waits for the block interval: the driver says when, and starts only then.
  REQUIRE(f.driver->NextWakeMs());
  CHECK(*f.driver->NextWakeMs() == f.clock.now_ms + 200);
  f.rec.events.clear();
  f.clock.now_ms += 199;
  f.driver->Poll();
  CHECK(f.rec.events.empty());
  f.clock.now_ms += 1;
  f.driver->Poll();
  CHECK(f.rec.events.back() == "commit 2");
  CHECK(f.rec.fatal.empty());
}

TEST_CASE("height driver: a timeout is a wake-up time the caller polls", "[node][height]") {
  const consensus::KeySigner me = Key("me");
  const consensus::KeySigner other = Key("other");
  Fixture f({&me, &other}, &me);
  f.rec.ready_txs = true;
  f.driver->Begin();
  f.driver->Poll();
  REQUIRE(f.driver->running());
  const bool proposer = f.proposers.Proposer(f.rec.set, 1, 0) == me.Key();
  // Alone of two, nothing decides: the next thing due is a timeout (or the gossip re-send).
  const std::optional<uint64_t> wake = f.driver->NextWakeMs();
  REQUIRE(wake);
  CHECK(*wake > f.clock.now_ms);
  const size_t before = f.rec.events.size();
  f.clock.now_ms = *wake - 1;
  f.driver->FireTimers();
  CHECK(f.rec.events.size() == before);
  f.clock.now_ms += 300;  // the propose timeout has passed: a prevote (nil unless it proposed)
  f.driver->FireTimers();
  if (!proposer) {
    REQUIRE(f.rec.events.size() == before + 2);
    CHECK(f.rec.events[before] == "wal 1");
    CHECK(f.rec.events[before + 1] == "send");
  }
  CHECK(f.driver->state().step() != consensus::Step::kPropose);
}

TEST_CASE(
    "height driver: a failed WAL append sends nothing of that output and reports a fatal error",
    "[node][height]") {
  const consensus::KeySigner me = Key("me");
  Fixture f({&me}, &me);
  f.rec.append_result = ledger::Status::IoError("disk gone");
  f.rec.ready_txs = true;
  f.driver->Begin();
  f.driver->Poll();
  CHECK(f.rec.events.empty());  // no send, no commit
  REQUIRE(f.rec.fatal.size() == 1);
  CHECK(f.rec.fatal[0].ToString().find("disk gone") != std::string::npos);
}

TEST_CASE(
    "height driver: a message of the height it waits to start makes it follow, and later heights "
    "ask for sync",
    "[node][height]") {
  const consensus::KeySigner me = Key("me");
  const consensus::KeySigner other = Key("other");
  Fixture f({&me, &other}, &me);
  f.driver->Begin();
  f.driver->Poll();
  REQUIRE_FALSE(f.driver->running());  // no transaction
  const Message far =
      consensus::MakeVote(other, "test-chain", consensus::VoteType::kPrevote, 5, 0, std::nullopt);
  f.driver->OnConsensusMessage(other.Key(), consensus::EncodeMessage(far));
  CHECK(f.rec.events == std::vector<std::string>{"sync"});
  CHECK_FALSE(f.driver->running());
  const Message next =
      consensus::MakeVote(other, "test-chain", consensus::VoteType::kPrevote, 1, 0, std::nullopt);
  f.driver->OnConsensusMessage(other.Key(), consensus::EncodeMessage(next));
  CHECK_FALSE(f.driver->running());  // kept until the loop looks
  f.driver->Poll();
  CHECK(f.driver->running());
  CHECK(f.driver->height() == 1);
}

TEST_CASE("height driver: an undecodable consensus message bans its sender and changes nothing", "[node][height]") {
  const consensus::KeySigner me = Key("me");
  const consensus::KeySigner other = Key("other");
  Fixture f({&me, &other}, &me);
  f.driver->Begin();
  f.driver->Poll();
  const std::string good = consensus::EncodeMessage(
      consensus::MakeVote(other, "test-chain", consensus::VoteType::kPrevote, 1, 0, std::nullopt));
  for (const std::string& bad : {std::string("garbage"), std::string(), good.substr(0, good.size() - 1), good + "x"}) {
    f.rec.events.clear();
    f.driver->OnConsensusMessage(other.Key(), bad);
    CHECK(f.rec.events == std::vector<std::string>{"ban"});
    CHECK_FALSE(f.driver->running());
    CHECK(f.driver->height() == 1);
  }
}

// Issue 16's simulator found this on the ledger: a Byzantine proposal for the next height, kept by
// the state machine and checked only when that height started, was blamed on whichever honest
// peer's message the driver handled next.
TEST_CASE("height driver: an invalid proposal checked when its height starts bans its proposer, not the next sender",
          "[node][height]") {
  const consensus::KeySigner me = Key("me");
  const consensus::KeySigner a = Key("a");
  const consensus::KeySigner b = Key("b");
  const consensus::KeySigner c = Key("c");
  Fixture f({&me, &a, &b, &c}, &me);
  consensus::RoundRobinProposer rr;
  const ledger::PubKey proposer2 = rr.Proposer(f.rec.set, 2, 0);
  const consensus::KeySigner* byzantine = nullptr;
  const consensus::KeySigner* honest = nullptr;
  for (const consensus::KeySigner* k : {&a, &b, &c}) {
    if (k->Key() == proposer2) byzantine = k;
    else if (!honest) honest = k;
  }
  REQUIRE(byzantine != nullptr);  // `me` proposes some height; with four validators not height 2 here
  f.driver->Begin();
  f.rec.ready_txs = true;
  f.driver->Poll();
  REQUIRE(f.driver->running());
  REQUIRE(f.driver->height() == 1);
  // Height 2's proposal arrives during height 1: the state machine keeps it unchecked.
  const std::string bad = "bad-2";
  f.rec.faulty.insert(f.app.ValueId(bad));
  f.driver->OnConsensusMessage(byzantine->Key(), consensus::EncodeMessage(consensus::MakeProposal(
                                                     *byzantine, "test-chain", 2, 0, std::nullopt, bad, f.app.ValueId(bad))));
  CHECK(f.rec.banned.empty());
  // Block sync commits height 1; height 2 starts and checks the kept proposal.
  f.rec.tip = 1;
  f.driver->OnCommitted(1);
  f.clock.now_ms += 1'000;
  f.driver->Poll();
  REQUIRE(f.driver->running());
  REQUIRE(f.driver->height() == 2);
  REQUIRE(f.rec.banned.size() == 1);
  CHECK(f.rec.banned[0] == byzantine->Key());
  // The next message, from an honest validator, bans no one.
  f.driver->OnConsensusMessage(honest->Key(), consensus::EncodeMessage(consensus::MakeVote(
                                                  *honest, "test-chain", consensus::VoteType::kPrevote, 2, 0, std::nullopt)));
  CHECK(f.rec.banned.size() == 1);
}

}  // namespace
}  // namespace circuledger::node

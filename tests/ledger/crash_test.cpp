// Crash atomicity of the store (DESIGN.md section 8): after a SIGKILL the database holds whole
// blocks or none of a block, and it reopens.
//
// A child process (fork, never returning into Catch2) opens a TestChain with sync on and commits
// blocks of a deterministic workload (creates, transfers, transforms; block h is a function of the
// seed and h alone, signed with zero aux randomness, so the parent can rebuild it byte for byte).
// The parent kills it with SIGKILL after a random delay, reopens the database and checks: Open
// succeeds; the tip did not go back; blocks 1..tip are readable, chain by hash, are exactly the
// workload's blocks and have their tx and hash index entries; nothing of block tip+1 is there (its
// transactions, its block hash, the lots it creates, its provenance edges, its nonces); state,
// accounts and trace indexes equal those of a replay of the stored blocks in a fresh chain, whose
// tip (state root included) equals the reopened tip. Then a new child continues from the stored
// tip, and so on for kRounds rounds, then a final verification.
//
// Replaying a failure: the seed is printed with every failed assertion. Run
//   CIRCULEDGER_SEED=<seed> build-h4/tests/crash_tests "[crash]"
// The seed fixes the workload and the kill delays; where exactly a kill lands still depends on
// the scheduler and the disk, so a failure may take a few runs to reappear.
// CIRCULEDGER_CRASH_VERBOSE=1 prints the tip reached in each round.
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "tests/support/test_chain.h"

using namespace circuledger::testkit;

namespace {

namespace fs = std::filesystem;

constexpr int kRounds = 8;
constexpr int kMinDelayMs = 3;
constexpr int kMaxDelayMs = 150;
constexpr int kEarlyKillMaxMs = 30;     // early-kill rounds: from fork, may land while the db opens
constexpr int kReadyTimeoutMs = 20000;  // the child opens the db and says so within this
// Small block files, so that kills also land while a commit starts a new one.
constexpr uint64_t kSegmentBytes = 16 << 10;

// Child exit codes (the parent expects SIGKILL; an exit means the workload itself failed).
constexpr int kChildBuildFailed = 21;
constexpr int kChildTxRejected = 22;
constexpr int kChildCommitFailed = 23;
constexpr int kChildThrew = 24;

std::string DescribeExit(int code) {
  switch (code) {
    case kChildBuildFailed:
      return "BuildBlock failed";
    case kChildTxRejected:
      return "a workload transaction was rejected";
    case kChildCommitFailed:
      return "Commit failed";
    case kChildThrew:
      return "exception (TestChain could not open the database?)";
    default:
      return "unexpected exit code";
  }
}

// SplitMix64 over (seed, height, k): portable, unlike std:: distributions.
uint64_t Mix(uint64_t seed, uint64_t height, uint64_t k) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (height * 16 + k + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Signs op with the org member's next nonce (and advances it). Zero aux randomness makes the
// signature, so the block bytes, the same on every rebuild.
Tx SignNext(TestChain& c, const std::string& org, Op op) {
  Member& m = c.member(org);
  TxBody body;
  body.genesis_hash = c.genesis_hash();
  body.signer = m.pub;
  body.nonce = m.nonce++;
  body.op = std::move(op);
  const Hash256 id = TxId(body);
  Tx tx{std::move(body), {}};
  tx.sig = m.key.Sign(id.View(), FixedBytes<32>{});
  return tx;
}

// The raw material block h creates: ore-h (Co, Ni) and rco-h (recycled Co).
struct Feed {
  uint64_t co_mg, ni_mg, rco_mg;
};
Feed FeedOf(uint64_t seed, uint64_t h) {
  return Feed{1'000'000 + Mix(seed, h, 1) % 1'000'000, 500'000 + Mix(seed, h, 2) % 1'000'000,
              100'000 + Mix(seed, h, 3) % 500'000};
}
struct Blend {
  uint64_t co_a_mg, ni_a_mg, co_b_mg, ni_b_mg;
};
// How block h+1 splits the feed of block h into blend-h-a and blend-h-b (losing a little).
Blend BlendOf(uint64_t seed, uint64_t h) {
  const Feed f = FeedOf(seed, h);
  const uint64_t co = f.co_mg + f.rco_mg;
  Blend b{};
  b.co_a_mg = co / 2;
  b.ni_a_mg = f.ni_mg / 3;
  b.co_b_mg = co - b.co_a_mg - Mix(seed, h, 5) % 1000;
  b.ni_b_mg = f.ni_mg - b.ni_a_mg - Mix(seed, h, 6) % 1000;
  return b;
}

Composition CoNi(uint64_t co_mg, uint64_t co_recycled_mg, uint64_t ni_mg) {
  return Composition{{{"Co", co_mg, co_recycled_mg}, {"Ni", ni_mg, 0}}};
}

std::string Id(const char* kind, uint64_t h, const char* suffix = "") {
  return std::string(kind) + "-" + std::to_string(h) + suffix;
}

// Block h of the workload, signed with the chain's member nonces (which it advances).
struct PlannedBlock {
  std::vector<Tx> txs;
  std::vector<std::string> created;  // item ids the block creates
};

PlannedBlock PlanBlock(TestChain& c, uint64_t seed, uint64_t h) {
  PlannedBlock p;
  auto create = [&](const std::string& org, std::string id, Composition comp) {
    p.txs.push_back(SignNext(c, org, CreateLot{id, std::move(comp)}));
    p.created.push_back(std::move(id));
  };
  const Feed f = FeedOf(seed, h);
  create("mine", Id("ore", h), CoNi(f.co_mg, 0, f.ni_mg));
  create("recycler", Id("rco", h), Composition{{{"Co", f.rco_mg, f.rco_mg}}});
  p.txs.push_back(SignNext(c, "mine", Transfer{Id("ore", h), "refinery"}));
  p.txs.push_back(SignNext(c, "recycler", Transfer{Id("rco", h), "refinery"}));
  const uint64_t extra = Mix(seed, h, 4) % 4;
  for (uint64_t i = 0; i < extra; ++i) {
    create("mine", Id("x", h, ("-" + std::to_string(i)).c_str()),
           Composition{{{"Cu", 1 + Mix(seed, h, 8 + i) % 100'000, 0}}});
  }
  if (h >= 2) {  // the refinery blends the previous block's feed and ships half to the cell maker
    const Blend b = BlendOf(seed, h - 1);
    Transform t{{Id("ore", h - 1), Id("rco", h - 1)},
                {OutputLot{Id("blend", h - 1, "-a"), CoNi(b.co_a_mg, 0, b.ni_a_mg)},
                 OutputLot{Id("blend", h - 1, "-b"), CoNi(b.co_b_mg, 0, b.ni_b_mg)}},
                Allocation::kControlledBlending, {}};
    p.txs.push_back(SignNext(c, "refinery", std::move(t)));
    p.created.push_back(Id("blend", h - 1, "-a"));
    p.created.push_back(Id("blend", h - 1, "-b"));
    p.txs.push_back(SignNext(c, "refinery", Transfer{Id("blend", h - 1, "-a"), "cellmaker"}));
  }
  if (h >= 3) {  // the cell maker turns blend-(h-2)-a into cells, alternating the allocation
    const Feed f2 = FeedOf(seed, h - 2);
    const Blend b = BlendOf(seed, h - 2);
    const uint64_t recycled_mg =
        b.co_a_mg * f2.rco_mg / (f2.co_mg + f2.rco_mg);  // blend-a's, floored
    const bool mass_balance = h % 2 == 1;
    Transform t{{Id("blend", h - 2, "-a")},
                {OutputLot{Id("cell", h - 2),
                           CoNi(b.co_a_mg, mass_balance ? recycled_mg / 2 : 0, b.ni_a_mg)}},
                mass_balance ? Allocation::kMassBalance : Allocation::kControlledBlending, {}};
    p.txs.push_back(SignNext(c, "cellmaker", std::move(t)));
    p.created.push_back(Id("cell", h - 2));
  }
  return p;
}

// The child: commit workload blocks from the stored tip until killed. Never returns.
[[noreturn]] void RunChild(const std::string& dir, uint64_t seed, int ready_fd) {
  int code = kChildThrew;
  try {
    TestChainOptions o;
    o.dir = dir;
    o.sync = true;
    o.block_segment_bytes = kSegmentBytes;
    TestChain c(o);
    const char ready = 'r';
    if (write(ready_fd, &ready, 1) != 1) _exit(kChildThrew);
    close(ready_fd);
    for (;;) {
      const PlannedBlock p = PlanBlock(c, seed, c.store().Tip().height + 1);
      Result<BuiltBlock> built = c.executor().BuildBlock(p.txs, c.NextTime(), c.proposer());
      if (!built.ok()) _exit(kChildBuildFailed);
      if (!built->rejected.empty() || built->included.size() != p.txs.size())
        _exit(kChildTxRejected);
      if (!c.executor().Commit(built->commit).ok()) _exit(kChildCommitFailed);
    }
  } catch (...) {
    code = kChildThrew;
  }
  _exit(code);
}

// Kills and reaps the child if the parent leaves a round early (a failed REQUIRE).
struct ChildGuard {
  pid_t pid = -1;
  ~ChildGuard() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

// Removes the crash directory at the end, whatever happens.
struct DirGuard {
  std::string dir;
  ~DirGuard() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

std::unique_ptr<TestChain> Reopen(const std::string& dir) {
  TestChainOptions o;
  o.dir = dir;
  o.sync = true;
  o.block_segment_bytes = kSegmentBytes;
  try {
    return std::make_unique<TestChain>(o);
  } catch (const std::exception& e) {
    FAIL("reopening " << dir << " after the kill failed: " << e.what());
  }
  return nullptr;
}

// Forks a child on dir, kills it at a random moment, reaps it. Returns the delay used.
int RunAndKillChild(const std::string& dir, uint64_t seed, std::mt19937_64& rng) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::fflush(nullptr);  // nothing buffered may be written twice
  ChildGuard child;
  child.pid = fork();
  REQUIRE(child.pid >= 0);
  if (child.pid == 0) {
    close(fds[0]);
    RunChild(dir, seed, fds[1]);
  }
  close(fds[1]);
  // One round in four kills soon after the fork, possibly while the child opens (and LevelDB
  // recovers) the database; the others wait for the child to say it is committing.
  const bool early = rng() % 4 == 0;
  int delay_ms = 0;
  if (early) {
    delay_ms = static_cast<int>(rng() % (kEarlyKillMaxMs + 1));
  } else {
    delay_ms = kMinDelayMs + static_cast<int>(rng() % (kMaxDelayMs - kMinDelayMs + 1));
    pollfd pfd{fds[0], POLLIN, 0};
    REQUIRE(poll(&pfd, 1, kReadyTimeoutMs) == 1);
    char ready = 0;
    (void)!read(fds[0], &ready, 1);  // 0 bytes: the child died first; waitpid below says why
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  REQUIRE(kill(child.pid, SIGKILL) == 0);
  int wstatus = 0;
  REQUIRE(waitpid(child.pid, &wstatus, 0) == child.pid);
  child.pid = -1;
  close(fds[0]);  // only now: an early-killed child may still write its byte (SIGPIPE otherwise)
  INFO("early kill " << early << ", delay " << delay_ms << " ms");
  if (WIFEXITED(wstatus)) {
    FAIL("the child exited with " << WEXITSTATUS(wstatus) << " ("
                                  << DescribeExit(WEXITSTATUS(wstatus))
                                  << ") before it was killed");
  }
  REQUIRE(WIFSIGNALED(wstatus));
  REQUIRE(WTERMSIG(wstatus) == SIGKILL);
  return early ? -delay_ms : delay_ms;
}

// Compares what the two chains hold about every item of `ids` and every member account.
void CheckSameState(TestChain& recovered, TestChain& replay, const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    INFO("item " << id);
    REQUIRE(recovered.GetLot(id) == replay.GetLot(id));
    REQUIRE(recovered.store().Children(id, 16) == replay.store().Children(id, 16));
    REQUIRE(recovered.store().Parents(id, 16) == replay.store().Parents(id, 16));
  }
  WorkingState a(recovered.store());
  WorkingState b(replay.store());
  for (const Org& org : recovered.genesis().orgs) {
    INFO("org " << org.id);
    REQUIRE(a.GetOrg(org.id));
    REQUIRE(*a.GetOrg(org.id) == *b.GetOrg(org.id));
    for (const PubKey& key : org.members) {
      REQUIRE(a.GetAccount(key));
      REQUIRE(*a.GetAccount(key) == *b.GetAccount(key));
    }
  }
}

// Checks nothing of block tip+1 (as the child would have built it) is in the database.
void CheckNothingAboveTip(TestChain& recovered, uint64_t seed, std::vector<std::string>& ids) {
  const uint64_t next = recovered.store().Tip().height + 1;
  INFO("block above the tip: " << next);
  REQUIRE(recovered.store().ReadBlockBytes(next).status().IsNotFound());
  const PlannedBlock p = PlanBlock(recovered, seed, next);
  // Builds on the recovered state: a nonce or lot of block tip+1 already there would reject a tx.
  Result<BuiltBlock> built =
      recovered.executor().BuildBlock(p.txs, recovered.NextTime(), recovered.proposer());
  REQUIRE(built.ok());
  REQUIRE(built->rejected.empty());
  REQUIRE(built->commit.tx_ids.size() == p.txs.size());
  CHECK_FALSE(recovered.store().HeightOfBlock(built->commit.block_hash));
  for (const Hash256& id : built->commit.tx_ids) {
    INFO("tx " << id.ToHex());
    CHECK_FALSE(recovered.store().FindTx(id));
  }
  for (const std::string& id : p.created) {
    INFO("item " << id);
    CHECK_FALSE(recovered.GetLot(id));
    CHECK(recovered.store().Parents(id, 16).empty());
    ids.push_back(id);
  }
}

// Reopens dir and verifies it (see the top of the file). Returns the tip height.
uint64_t VerifyDatabase(const std::string& dir, uint64_t seed, uint64_t min_tip) {
  std::unique_ptr<TestChain> recovered = Reopen(dir);
  const ChainTip tip = recovered->store().Tip();
  INFO("recovered tip " << tip.height);
  REQUIRE(tip.height >= min_tip);  // a synced block never goes away
  TestChain replay;                // a fresh chain in its own temporary directory
  Hash256 prev_hash = replay.store().Tip().block_hash;  // the genesis hash
  std::vector<std::string> ids;
  for (uint64_t h = 1; h <= tip.height; ++h) {
    INFO("height " << h);
    Result<Block> block = recovered->store().ReadBlock(h);
    REQUIRE(block.ok());
    REQUIRE(block->header.height == h);
    REQUIRE(block->header.prev_hash == prev_hash);
    prev_hash = BlockHash(block->header);
    REQUIRE(recovered->store().HeightOfBlock(prev_hash) == std::optional<uint64_t>(h));
    for (size_t i = 0; i < block->txs.size(); ++i) {
      const std::optional<TxLocation> loc = recovered->store().FindTx(TxId(block->txs[i].body));
      REQUIRE(loc);
      REQUIRE(loc->height == h);
      REQUIRE(loc->index == i);
    }
    // The stored block is exactly the workload's block h.
    const PlannedBlock p = PlanBlock(replay, seed, h);
    Result<BuiltBlock> expected =
        replay.executor().BuildBlock(p.txs, replay.NextTime(), replay.proposer());
    REQUIRE(expected.ok());
    REQUIRE(expected->rejected.empty());
    REQUIRE(expected->commit.block_bytes == *recovered->store().ReadBlockBytes(h));
    ids.insert(ids.end(), p.created.begin(), p.created.end());
    // Replay the stored block as a node would.
    Result<BlockCommit> executed = replay.executor().ExecuteBlock(*block, std::nullopt);
    REQUIRE(executed.ok());
    REQUIRE(replay.executor().Commit(*executed).ok());
  }
  REQUIRE(tip.block_hash == prev_hash);
  // The whole tip, state root included, equals the replay's.
  REQUIRE(replay.store().Tip().state_root == tip.state_root);
  REQUIRE(replay.store().Tip() == tip);
  CheckNothingAboveTip(*recovered, seed, ids);
  CheckSameState(*recovered, replay, ids);
  return tip.height;
}

uint64_t SeedFromEnv() {
  if (const char* s = std::getenv("CIRCULEDGER_SEED"); s && *s) return std::strtoull(s, nullptr, 0);
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) | rd();
}

}  // namespace

TEST_CASE("crash: SIGKILL during synced commits leaves whole blocks and a database that reopens",
          "[crash]") {
  const uint64_t seed = SeedFromEnv();
  CAPTURE(seed);
  const bool verbose = std::getenv("CIRCULEDGER_CRASH_VERBOSE") != nullptr;
  std::mt19937_64 rng(seed);
  DirGuard dir{(fs::temp_directory_path() /
                ("circuledger-crash-" + std::to_string(seed) + "-" + std::to_string(getpid())))
                   .string()};
  fs::remove_all(dir.dir);
  const auto start = std::chrono::steady_clock::now();
  uint64_t tip = 0;
  for (int round = 1; round <= kRounds; ++round) {
    INFO("round " << round << " of " << kRounds);
    const int delay_ms = RunAndKillChild(dir.dir, seed, rng);
    const uint64_t before = tip;
    tip = VerifyDatabase(dir.dir, seed, tip);
    if (verbose) {
      std::printf("round %d: kill %s %d ms, tip %llu -> %llu\n", round,
                  delay_ms < 0 ? "early" : "after", delay_ms < 0 ? -delay_ms : delay_ms,
                  static_cast<unsigned long long>(before), static_cast<unsigned long long>(tip));
    }
  }
  // Final verification: a second reopen of the last state (after a clean close this time).
  REQUIRE(VerifyDatabase(dir.dir, seed, tip) == tip);
  CHECK(tip > 0);  // the children made progress: otherwise nothing was tested
  if (verbose) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    std::printf("seed %llu: %d rounds, final tip %llu, %lld ms\n",
                static_cast<unsigned long long>(seed), kRounds,
                static_cast<unsigned long long>(tip), static_cast<long long>(ms.count()));
  }
}

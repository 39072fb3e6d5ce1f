// The simulator's seeds, and tests that its checkers catch what they are for.
//
// Environment:
//   CIRCULEDGER_SIM_SEEDS=<n>       seeds to run (default 1000, split over 10 test cases)
//   CIRCULEDGER_SIM_FIRST_SEED=<n>  the first seed (default 1)
//   CIRCULEDGER_SEED=<n>            replay this one seed only, with a trace on stderr
// A failure prints its seed and the command that replays it.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "simulator.h"

namespace circuledger::sim {
namespace {

constexpr uint64_t kBatches = 10;

std::optional<uint64_t> EnvU64(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 0);
  if (*end != '\0') FAIL(name << " is not a number: " << v);
  return n;
}

void RunBatch(uint64_t batch) {
  if (std::optional<uint64_t> one = EnvU64("CIRCULEDGER_SEED")) {
    if (batch != 0) return;
    SimOptions opts;
    opts.verbose = true;
    const SimResult r = RunSimulation(*one, opts);
    std::fprintf(stderr, "seed=%llu %s\n", static_cast<unsigned long long>(*one), r.summary.c_str());
    INFO("seed=" << *one << " " << r.summary);
    CHECK(r.failure == "");
    return;
  }
  const uint64_t count = EnvU64("CIRCULEDGER_SIM_SEEDS").value_or(1000);
  const uint64_t first = EnvU64("CIRCULEDGER_SIM_FIRST_SEED").value_or(1);
  const uint64_t lo = first + batch * count / kBatches;
  const uint64_t hi = first + (batch + 1) * count / kBatches;
  size_t failures = 0;
  for (uint64_t seed = lo; seed < hi && failures < 5; ++seed) {
    const SimResult r = RunSimulation(seed);
    if (!r.failure.empty()) {
      failures += 1;
      std::fprintf(stderr, "sim FAILED seed=%llu: %s\n  %s\n  replay: CIRCULEDGER_SEED=%llu sim_tests\n",
                   static_cast<unsigned long long>(seed), r.failure.c_str(), r.summary.c_str(),
                   static_cast<unsigned long long>(seed));
      FAIL_CHECK("seed=" << seed << ": " << r.failure << "\n  " << r.summary
                          << "\n  replay: CIRCULEDGER_SEED=" << seed << " sim_tests");
    }
  }
  CHECK(failures == 0);
}

#define CIRCULEDGER_SIM_BATCH(k) \
  TEST_CASE("sim: seeds batch " #k " of 10", "[sim]") { RunBatch(k); }
CIRCULEDGER_SIM_BATCH(0)
CIRCULEDGER_SIM_BATCH(1)
CIRCULEDGER_SIM_BATCH(2)
CIRCULEDGER_SIM_BATCH(3)
CIRCULEDGER_SIM_BATCH(4)
CIRCULEDGER_SIM_BATCH(5)
CIRCULEDGER_SIM_BATCH(6)
CIRCULEDGER_SIM_BATCH(7)
CIRCULEDGER_SIM_BATCH(8)
CIRCULEDGER_SIM_BATCH(9)

TEST_CASE("sim: a seed replays identically", "[sim]") {
  for (uint64_t seed : {3u, 17u, 4242u}) {
    const SimResult a = RunSimulation(seed);
    const SimResult b = RunSimulation(seed);
    CHECK(a.summary == b.summary);
    CHECK(a.failure == b.failure);
  }
}

// The ledger attacks of issue 16 happen in the seeds CI runs, and honest nodes refuse them (the
// seeds' checkers: nothing invalid commits, no honest node stops or bans an honest one).
TEST_CASE("sim: the seeds send certified blocks with a damaged signature, replayed and unsubmitted "
          "transactions, and change the validator set through governance",
          "[sim]") {
  SimCounters sum;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    const SimResult r = RunSimulation(seed);
    INFO("seed=" << seed << " " << r.summary);
    REQUIRE(r.failure == "");
    sum.damaged_syncs += r.counters.damaged_syncs;
    sum.invalid_proposals += r.counters.invalid_proposals;
    sum.replays += r.counters.replays;
    sum.sync_refused += r.counters.sync_refused;
    sum.committed_txs += r.counters.committed_txs;
    sum.set_changes += r.counters.set_changes;
  }
  CHECK(sum.damaged_syncs > 0);
  CHECK(sum.invalid_proposals > 0);
  CHECK(sum.replays > 0);
  CHECK(sum.sync_refused >= sum.damaged_syncs);
  CHECK(sum.committed_txs > 500);
  CHECK(sum.set_changes > 0);
}

// The checkers are only worth something if they fail when the assumptions break.
TEST_CASE("sim: with more than f Byzantine validators the agreement checker finds a fork",
          "[sim]") {
  SimOptions opts;
  opts.extra_byzantine = 1;
  size_t forks = 0;
  for (uint64_t seed = 1; seed <= 40 && forks == 0; ++seed) {
    const SimResult r = RunSimulation(seed, opts);
    if (r.failure.find("two different blocks") != std::string::npos) forks += 1;
  }
  CHECK(forks > 0);
}

TEST_CASE("sim: a validator restarted without its WAL is caught signing twice", "[sim]") {
  SimOptions opts;
  opts.lose_wal_on_restart = true;
  size_t caught = 0;
  for (uint64_t seed = 1; seed <= 100 && caught == 0; ++seed) {
    const SimResult r = RunSimulation(seed, opts);
    if (r.failure.find("signed two different") != std::string::npos) caught += 1;
  }
  CHECK(caught > 0);
}

TEST_CASE("sim: sync answers that outlive a crash are caught as an honest node banning an honest one",
          "[sim]") {
  SimOptions opts;
  opts.sync_survives_restart = true;
  size_t caught = 0;
  for (uint64_t seed = 1; seed <= 400 && caught == 0; ++seed) {
    const SimResult r = RunSimulation(seed, opts);
    if (r.failure.find("banned honest node") != std::string::npos) caught += 1;
  }
  CHECK(caught > 0);
}

TEST_CASE("sim: without the envelope check an honest node reads an oversized proposal", "[sim]") {
  SimOptions opts;
  opts.skip_envelope_check = true;
  size_t caught = 0;
  for (uint64_t seed = 1; seed <= 100 && caught == 0; ++seed) {
    const SimResult r = RunSimulation(seed, opts);
    if (r.failure.find("over the max block bytes") != std::string::npos) caught += 1;
  }
  CHECK(caught > 0);
}

}  // namespace
}  // namespace circuledger::sim

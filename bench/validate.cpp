#include "bench/validate.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>

#include "bench/cpu_time.h"
#include "bench/flags.h"
#include "bench/rounds.h"
#include "bench/temp_dir.h"
#include "bench/verify_limit.h"
#include "bench/workload.h"
#include "ledger/executor.h"
#include "ledger/limits.h"

namespace circuledger::bench {

using namespace circuledger::ledger;
using Clock = std::chrono::steady_clock;

namespace {

// Phase A runs in slices of this length: before the first round of phase B, after every round,
// and between its blocks (every --limit-every blocks). The load of the other tenants of a shared
// machine changes within seconds; slices spread over the round see the same load as the blocks
// around them, so a change weighs on both numbers of the ratio alike.
constexpr double kLimitSliceSeconds = 0.3;

struct BlockTiming {
  double execute_s = 0;
  double commit_s = 0;
  double total() const { return execute_s + commit_s; }
};

struct PhaseB {
  std::vector<BlockTiming> blocks;
  double seconds = 0;           // wall time of the whole loop
  double cpu_seconds = 0;       // process CPU time of the loop
  double main_cpu_seconds = 0;  // calling thread's: sequential work and its share of the checks
  double system_cpu_seconds = 0;  // the kernel's share of cpu_seconds
  long minor_faults = 0;
  double background_cpu_seconds = 0;  // work left running at the pauses (FinishBackgroundWork)
  size_t signatures_verified = 0;
  ChainTip tip;
};

// One round: phase B on a fresh store, with slices of phase A before, between blocks and after.
struct Round {
  std::vector<double> slices_per_s;  // the rate of each slice: before, between blocks, after
  VerifyLimit limit;                 // all its slices together
  PhaseB b;
  double validated_per_s = 0;
  double ratio = 0;
};

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// The nearest-rank percentile (p in [0, 1]; 0 gives the smallest) of values.
double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::max<size_t>(rank, 1) - 1];
}

// The rates of a round's slices of phase A, per second, in order; with many slices (a long
// workload), their count, min, median and max.
std::string SliceList(const Round& r) {
  const std::vector<double>& all = r.slices_per_s;
  auto str = [](double v) { return std::to_string(static_cast<long>(v)); };
  if (all.size() > 12) {
    return std::to_string(all.size()) + " slices: min " + str(Percentile(all, 0)) + ", median " +
           str(Percentile(all, 0.5)) + ", max " + str(Percentile(all, 1)) + " /s";
  }
  std::string out;
  for (double v : all) out += str(v) + " ";
  return out + "/s";
}

std::vector<SigTriple> Triples(const Workload& w) {
  std::vector<SigTriple> out;
  out.reserve(w.txs);
  for (size_t b = 0; b < w.blocks.size(); ++b) {
    for (size_t i = 0; i < w.blocks[b].txs.size(); ++i) {
      const Tx& tx = w.blocks[b].txs[i];
      out.push_back(SigTriple{tx.body.signer, w.tx_ids[b][i], tx.sig});
    }
  }
  return out;
}

// Phase B's clocks, stopped while a slice of phase A runs between its blocks.
class PhaseClock {
 public:
  void Start() {
    wall_ = Clock::now();
    cpu_ = ProcessCpuSeconds();
    system_cpu_ = ProcessSystemCpuSeconds();
    faults_ = ProcessMinorFaults();
    main_cpu_ = ThreadCpuSeconds();
  }
  void Stop(PhaseB& out) const {
    out.seconds += Seconds(wall_, Clock::now());
    out.cpu_seconds += ProcessCpuSeconds() - cpu_;
    out.main_cpu_seconds += ThreadCpuSeconds() - main_cpu_;
    out.system_cpu_seconds += ProcessSystemCpuSeconds() - system_cpu_;
    out.minor_faults += ProcessMinorFaults() - faults_;
  }

 private:
  Clock::time_point wall_;
  double cpu_ = 0;
  double system_cpu_ = 0;
  long faults_ = 0;
  double main_cpu_ = 0;
};

// With phase B's clocks stopped, lets what it left running finish: the pending commit (the
// executor's Flush) and LevelDB's background work (memtable flushes, compactions). Charges it to
// phase B as its CPU time, and as wall time that CPU time spread over the cores: in a run without
// pauses it would share the cores with the checks of the next blocks (phase B is CPU-bound: an
// fsync takes milliseconds, a block's checks a hundred).
Status FinishBackgroundWork(Executor& executor, PhaseB& out, unsigned threads) {
  // The background thread can sleep in I/O for a few milliseconds before a flush gets going: a
  // shorter window than this let flushes start inside the following slice of phase A.
  constexpr std::chrono::microseconds kQuietWindow(20000);
  const double cpu = ProcessCpuSeconds();
  if (Status s = executor.Flush(); !s.ok()) return s;
  WaitUntilQuiet(kQuietWindow);
  const double background = ProcessCpuSeconds() - cpu;
  out.background_cpu_seconds += background;
  out.cpu_seconds += background;
  out.seconds += background / threads;
  return Status::Ok();
}

// Phase B: every block on a fresh synced Store through a fresh Executor, timed. After every
// `pause_every` blocks but the last (0: never), `pause` runs with the clocks stopped, once the
// work in flight is done (FinishBackgroundWork).
Result<PhaseB> ValidateBlocks(const Workload& w, unsigned threads, uint64_t pause_every,
                              const std::function<Status()>& pause) {
  TempDir dir("circuledger-bench-validate");
  StoreOptions so;
  so.sync = true;  // as in production: every block is fsynced
  Result<std::unique_ptr<Store>> opened = Store::Open(dir.path(), so);
  if (!opened.ok()) return opened.status();
  Store& store = **opened;
  if (Status s = store.InitGenesis(w.genesis); !s.ok()) return s;
  ExecutorOptions eo;
  eo.threads = threads;
  Executor executor(store, eo);  // fresh SigCache: nothing verified yet

  // Untimed copy: a validator owns the blocks it receives (decoded from the network) and hands
  // each one to the executor, which keeps it for the commit.
  std::vector<Block> blocks = w.blocks;
  PhaseB out;
  out.blocks.reserve(blocks.size());
  PhaseClock clock;
  const Clock::time_point start = Clock::now();
  clock.Start();
  for (size_t i = 0; i < blocks.size(); ++i) {
    Block& block = blocks[i];
    const uint64_t height = block.header.height;
    const Clock::time_point t0 = Clock::now();
    Result<BlockCommit> commit = executor.ExecuteBlock(std::move(block), std::nullopt);
    if (!commit.ok()) {
      return Status::InvalidArgument("block " + std::to_string(height) + ": " +
                                     commit.status().ToString());
    }
    const Clock::time_point t1 = Clock::now();
    // As a validator does: block n is written and fsynced while block n+1 is validated.
    if (Status s = executor.CommitAsync(std::move(commit).value()); !s.ok()) return s;
    const Clock::time_point t2 = Clock::now();
    out.blocks.push_back(BlockTiming{Seconds(t0, t1), Seconds(t1, t2)});
    if (pause_every != 0 && (i + 1) % pause_every == 0 && i + 1 < blocks.size()) {
      // Nothing of phase B may run in the pause.
      clock.Stop(out);
      if (Status s = FinishBackgroundWork(executor, out, threads); !s.ok()) return s;
      if (Status s = pause(); !s.ok()) return s;
      clock.Start();
    }
  }
  const Clock::time_point flush_start = Clock::now();
  if (Status s = executor.Flush(); !s.ok()) return s;  // the last block is on disk too (timed)
  if (!out.blocks.empty()) out.blocks.back().commit_s += Seconds(flush_start, Clock::now());
  clock.Stop(out);
  // And phase A, next, has the cores to itself.
  if (Status s = FinishBackgroundWork(executor, out, threads); !s.ok()) return s;
  const Clock::time_point end = Clock::now();
  // For profilers: steady_clock is CLOCK_MONOTONIC, so `perf record -k CLOCK_MONOTONIC` then
  // `perf report --time <from>,<to>` shows phase B (and the slices of phase A between its
  // blocks, unless --limit-every 0).
  std::fprintf(stderr, "phase B ran from %.6f to %.6f (CLOCK_MONOTONIC seconds)\n",
               MonotonicSeconds(start), MonotonicSeconds(end));
  out.signatures_verified = executor.signatures_verified();
  out.tip = store.Tip();
  return out;
}

void PrintWorkload(const Workload& w, uint64_t block_txs) {
  std::printf("workload: %" PRIu64 " txs in %zu blocks of <= %" PRIu64
              ", %zu signers (%zu keys x %zu orgs), "
              "%zu supply-chain units in flight\n",
              w.txs, w.blocks.size(), block_txs, w.signers, kKeysPerOrg, std::size(kWorkloadOrgs),
              kUnitsInFlight);
  std::printf("  mix:");
  for (size_t k = 0; k < kOpKinds; ++k) {
    std::printf("%s %s %" PRIu64 " (%.1f%%)", k ? "," : "",
                std::string(OpKindName(static_cast<OpKind>(k))).c_str(), w.mix[k],
                100.0 * static_cast<double>(w.mix[k]) / static_cast<double>(w.txs));
  }
  std::printf("\n");
}

void PrintPhaseB(const Workload& w, const PhaseB& b, const VerifyLimit& limit, unsigned threads) {
  const double txs = static_cast<double>(w.txs);
  const double n = static_cast<double>(b.blocks.size());
  std::vector<double> totals_ms;
  double execute_s = 0;
  double commit_s = 0;
  for (const BlockTiming& t : b.blocks) {
    totals_ms.push_back(t.total() * 1e3);
    execute_s += t.execute_s;
    commit_s += t.commit_s;
  }
  std::printf("validate (phase B): %zu blocks, %.0f txs in %.3f s on %u threads, sync=true\n",
              b.blocks.size(), txs, b.seconds, threads);
  std::printf(
      "  of which %.1f ms charged for the %.1f ms of CPU that ran after its clock stopped for phase A "
      "(commits in flight, LevelDB's background work), spread over the threads\n",
      b.background_cpu_seconds * 1e3 / threads, b.background_cpu_seconds * 1e3);
  const double charged_s = b.background_cpu_seconds / threads;
  std::printf(
      "  per block: mean %.1f ms = ExecuteBlock %.1f + Commit %.1f + charged at pauses %.1f; p50 %.1f, "
      "p99 %.1f ms (without the charge)\n",
      b.seconds * 1e3 / n, execute_s * 1e3 / n, commit_s * 1e3 / n, charged_s * 1e3 / n,
      Percentile(totals_ms, 0.50), Percentile(totals_ms, 0.99));
  const double verify_s = txs / limit.per_s;
  std::printf(
      "  at the limit the %.0f verifications take %.3f s (%.1f%% of phase B); the rest "
      "(ids, checks, apply, encode, commit) %.1f us/tx\n",
      txs, verify_s, 100.0 * verify_s / b.seconds, (b.seconds - verify_s) * 1e6 / txs);
  // CPU time does not grow when other processes take our cores, so it estimates the rates on
  // idle cores: phase B cannot beat its calling thread's CPU time (the sequential apply and
  // commit plus its share of the checks; fsync waits excluded), and the limit is one
  // verification per core per CPU-time-per-verify.
  const double main_us = b.main_cpu_seconds * 1e6 / txs;
  const double verify_us = limit.cpu_seconds * 1e6 / static_cast<double>(limit.verifications);
  std::printf(
      "  CPU time: phase B %.1f us/tx (calling thread %.1f us/tx), phase A %.1f us/verify\n",
      b.cpu_seconds * 1e6 / txs, main_us, verify_us);
  std::printf("  of which in the kernel %.1f us/tx; minor page faults %ld (%.2f per tx)\n",
              b.system_cpu_seconds * 1e6 / txs, b.minor_faults, static_cast<double>(b.minor_faults) / txs);
  std::printf("  idle-core estimate from CPU time: %.0f tx/s vs %.0f verify/s, ratio %.3f\n",
              1e6 / main_us, threads * 1e6 / verify_us, verify_us / (threads * main_us));
  std::printf(
      "  signatures verified while timed: %zu (fresh executor, nothing cached); "
      "final state root %s the scratch chain's\n",
      b.signatures_verified, b.tip == w.tip ? "matches" : "DIFFERS FROM");
}

}  // namespace

int RunValidate(const std::vector<std::string>& args) {
  uint64_t txs = 100000;
  uint64_t block_txs = 5000;
  uint64_t threads = std::max(1u, std::thread::hardware_concurrency());
  Flags flags;
  flags.AddUint("txs", &txs, 1, 10'000'000, "transactions in the workload");
  flags.AddUint("block-txs", &block_txs, 1, limits::kMaxBlockTxs, "transactions per block");
  flags.AddUint("threads", &threads, 1, 1024,
                "threads for signature checks and the limit; one per core by default");
  uint64_t nrounds = 3;
  flags.AddUint("rounds", &nrounds, 1, 100,
                "rounds of phase B, each on a fresh store, with slices of phase A before, between its "
                "blocks and after; the last line is the round with the median ratio (one run of a "
                "shared machine moves by 10%)");
  uint64_t limit_every = 2;
  flags.AddUint("limit-every", &limit_every, 0, 1'000'000,
                "blocks of phase B between two slices of phase A inside a round (0: slices only "
                "before and after each round)");
  uint64_t battery_rules = 0;
  flags.AddUint("battery-rules", &battery_rules, 0, 1,
                "1: register the EU Battery Regulation Art. 8 rule set first and run in Sep 2031, "
                "so every assemble is checked against the rules in force");
  const std::string usage = "usage: circuledger-bench validate [flags]\n" + flags.Usage();
  if (std::find(args.begin(), args.end(), "--help") != args.end()) {
    std::cout << usage;
    return 0;
  }
  if (Status s = flags.Parse(args); !s.ok()) {
    std::cerr << s.detail() << "\n" << usage;
    return 2;
  }
  const unsigned nthreads = static_cast<unsigned>(threads);

  WorkloadOptions wo;
  wo.txs = txs;
  wo.block_txs = static_cast<uint32_t>(block_txs);
  wo.threads = nthreads;
  wo.battery_rules = battery_rules != 0;
  Result<Workload> w = MakeWorkload(wo, std::cerr);
  if (!w.ok()) {
    std::cerr << "workload: " << w.status().ToString() << "\n";
    return 1;
  }
  PrintWorkload(*w, block_txs);
  std::fflush(stdout);

  // Phase A in slices around and inside every round of phase B, on the same threads and the
  // workload's own signatures.
  Result<VerifyLimitMeter> meter = VerifyLimitMeter::Make(Triples(*w), nthreads);
  if (!meter.ok()) {
    std::cerr << "limit: " << meter.status().ToString() << "\n";
    return 1;
  }
  Result<VerifyLimit> before = meter->Measure(kLimitSliceSeconds);
  if (!before.ok()) {
    std::cerr << "limit: " << before.status().ToString() << "\n";
    return 1;
  }
  std::vector<Round> rounds;
  for (uint64_t r = 0; r < nrounds; ++r) {
    Round round;
    round.slices_per_s.push_back(before->per_s);
    round.limit = *before;
    auto between = [&]() -> Status {
      Result<VerifyLimit> slice = meter->Measure(kLimitSliceSeconds);
      if (!slice.ok()) return slice.status();
      round.limit += *slice;
      round.slices_per_s.push_back(slice->per_s);
      return Status::Ok();
    };
    Result<PhaseB> b = ValidateBlocks(*w, nthreads, limit_every, between);
    if (!b.ok()) {
      std::cerr << "validate: " << b.status().ToString() << "\n";
      return 1;
    }
    if (b->tip != w->tip) {
      std::cerr << "validate: the timed run did not reach the scratch chain's tip\n";
      return 1;
    }
    Result<VerifyLimit> after = meter->Measure(kLimitSliceSeconds);
    if (!after.ok()) {
      std::cerr << "limit: " << after.status().ToString() << "\n";
      return 1;
    }
    round.slices_per_s.push_back(after->per_s);
    round.limit += *after;
    round.b = std::move(b).value();
    round.validated_per_s = static_cast<double>(w->txs) / round.b.seconds;
    round.ratio = round.validated_per_s / round.limit.per_s;
    std::printf("round %" PRIu64 ": validated %.0f tx/s, limit %.0f verify/s (%s), ratio %.3f\n", r + 1,
                round.validated_per_s, round.limit.per_s, SliceList(round).c_str(), round.ratio);
    std::fflush(stdout);
    rounds.push_back(std::move(round));
    before = after;
  }
  std::vector<double> ratios;
  for (const Round& r : rounds) ratios.push_back(r.ratio);
  const size_t m = MedianRound(ratios);
  const Round& median = rounds[m];
  std::printf("median round: %zu of %zu\n", m + 1, rounds.size());
  const VerifyLimit& limit = median.limit;
  std::printf(
      "limit (phase A): %u threads of secp256k1_schnorrsig_verify in slices (%s); %" PRIu64
      " in %.2f s = %.0f verify/s\n",
      limit.threads, SliceList(median).c_str(), limit.verifications, limit.seconds, limit.per_s);
  std::printf("  other threads of this process ran %.1f ms of CPU during phase A\n",
              (limit.cpu_seconds - limit.verifier_cpu_seconds) * 1e3);
  PrintPhaseB(*w, median.b, limit, nthreads);
  std::printf("validated_tx_per_s=%.0f limit_verify_per_s=%.0f ratio=%.3f\n", median.validated_per_s,
              limit.per_s, median.ratio);
  return 0;
}

}  // namespace circuledger::bench

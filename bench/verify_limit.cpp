#include "bench/verify_limit.h"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "bench/cpu_time.h"

namespace circuledger::bench {

using ledger::Result;
using ledger::Status;
using Clock = std::chrono::steady_clock;

namespace {

struct ContextDeleter {
  void operator()(secp256k1_context* c) const { secp256k1_context_destroy(c); }
};

constexpr int kBatch = 64;  // verifications between two looks at the clock

}  // namespace

VerifyLimit& VerifyLimit::operator+=(const VerifyLimit& o) {
  verifications += o.verifications;
  seconds += o.seconds;
  cpu_seconds += o.cpu_seconds;
  verifier_cpu_seconds += o.verifier_cpu_seconds;
  per_s = seconds > 0 ? static_cast<double>(verifications) / seconds : 0;
  threads = o.threads;
  return *this;
}

using Parsed = VerifyLimitMeter::Parsed;

Result<VerifyLimitMeter> VerifyLimitMeter::Make(const std::vector<SigTriple>& triples, unsigned threads) {
  if (triples.empty() || threads == 0) return Status::InvalidArgument("nothing to verify");
  std::unique_ptr<secp256k1_context, ContextDeleter> ctx(
      secp256k1_context_create(SECP256K1_CONTEXT_NONE));
  std::vector<Parsed> parsed(triples.size());
  for (size_t i = 0; i < triples.size(); ++i) {
    Parsed& p = parsed[i];
    if (secp256k1_xonly_pubkey_parse(ctx.get(), &p.pubkey, triples[i].pubkey.bytes.data()) != 1) {
      return Status::InvalidArgument("triple " + std::to_string(i) + ": bad public key");
    }
    std::copy(triples[i].msg.bytes.begin(), triples[i].msg.bytes.end(), p.msg);
    std::copy(triples[i].sig.bytes.begin(), triples[i].sig.bytes.end(), p.sig);
  }
  return VerifyLimitMeter(std::move(parsed), threads);
}

VerifyLimitMeter::VerifyLimitMeter(std::vector<Parsed> parsed, unsigned threads)
    : parsed_(std::move(parsed)), threads_(threads) {}

Result<VerifyLimit> VerifyLimitMeter::Measure(double seconds) const {
  std::unique_ptr<secp256k1_context, ContextDeleter> ctx(
      secp256k1_context_create(SECP256K1_CONTEXT_NONE));
  const std::vector<Parsed>& parsed = parsed_;
  const unsigned threads = threads_;
  std::atomic<bool> go{false};
  std::atomic<bool> failed{false};
  std::vector<uint64_t> counts(threads, 0);
  std::vector<double> thread_cpu(threads, 0);
  std::vector<Clock::time_point> ends(threads);
  Clock::time_point start;
  Clock::time_point deadline;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      size_t i = parsed.size() * t / threads;  // each thread starts on its own share
      uint64_t n = 0;
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      const double cpu0 = ThreadCpuSeconds();
      for (;;) {
        for (int k = 0; k < kBatch; ++k) {
          const Parsed& p = parsed[i];
          if (secp256k1_schnorrsig_verify(ctx.get(), p.sig, p.msg, sizeof(p.msg), &p.pubkey) != 1) {
            failed.store(true);
          }
          if (++i == parsed.size()) i = 0;
        }
        n += kBatch;
        if (Clock::now() >= deadline) break;
      }
      counts[t] = n;
      thread_cpu[t] = ThreadCpuSeconds() - cpu0;
      ends[t] = Clock::now();
    });
  }
  const double cpu_start = ProcessCpuSeconds();
  start = Clock::now();
  deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  go.store(true, std::memory_order_release);
  for (std::thread& th : pool) th.join();
  const double cpu_seconds = ProcessCpuSeconds() - cpu_start;

  if (failed.load()) return Status::InvalidArgument("a workload signature did not verify");
  VerifyLimit out;
  out.threads = threads;
  for (uint64_t c : counts) out.verifications += c;
  out.seconds =
      std::chrono::duration<double>(*std::max_element(ends.begin(), ends.end()) - start).count();
  out.per_s = static_cast<double>(out.verifications) / out.seconds;
  out.cpu_seconds = cpu_seconds;
  for (double c : thread_cpu) out.verifier_cpu_seconds += c;
  return out;
}

Result<VerifyLimit> MeasureVerifyLimit(const std::vector<SigTriple>& triples, unsigned threads,
                                       double seconds) {
  Result<VerifyLimitMeter> meter = VerifyLimitMeter::Make(triples, threads);
  if (!meter.ok()) return meter.status();
  return meter->Measure(seconds);
}

}  // namespace circuledger::bench

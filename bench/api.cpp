// Phase 0 (untimed): a dev node in this process; every client's transactions signed ahead.
// Phase A: the limit, raw secp256k1_schnorrsig_verify per second on all cores (half before,
// half after phase B). Phase B: one keep-alive connection per signing org posts its transactions
// in nonce order for a fixed time. The rate is the node's committed-transaction counter over the
// timed window. Commit latency: a watcher notes when each height is first seen (GET /v1/status
// every 2 ms); every 64th accepted transaction is a sample, and once the window is over each
// sample's height is looked up (GET /v1/tx/{id}): latency = height first seen - posted.
#include "bench/api.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/cpu_time.h"
#include "bench/dev_node.h"
#include "bench/flags.h"
#include "bench/http_conn.h"
#include "bench/verify_limit.h"
#include "ledger/encoding.h"

namespace circuledger::bench {

using namespace circuledger::ledger;
using Clock = std::chrono::steady_clock;

namespace {

// Orgs that may create lots in the dev genesis: one client connection each.
constexpr const char* kClients[] = {"mine", "refinery", "cellmaker", "oem", "petchem", "bottler", "recycler"};
constexpr size_t kSampleEvery = 64;

struct Prepared {
  std::string org;
  std::vector<std::string> bodies;  // {"tx": hex} in nonce order
  std::vector<Hash256> ids;
};

// Alternating creates and transfers of the lot just created to the next org.
Prepared Prepare(DevNode& d, const std::string& org, const std::string& next_org, size_t n,
                 std::vector<SigTriple>& triples) {
  Prepared p;
  p.org = org;
  const SecretKey key = d.Key(org);
  for (uint64_t nonce = 0; nonce < n; ++nonce) {
    const std::string lot = org + "-lot-" + std::to_string(nonce / 2);
    Op op = nonce % 2 == 0 ? Op(CreateLot{lot, Composition{{{"Co", 1000 + nonce, 0}, {"Ni", 500, 0}}}})
                           : Op(Transfer{lot, next_org});
    Tx tx = SignFor(key, d.genesis_hash(), nonce, std::move(op));
    const Hash256 id = TxId(tx.body);
    if (triples.size() < 4096) triples.push_back(SigTriple{tx.body.signer, id, tx.sig});
    p.ids.push_back(id);
    p.bodies.push_back(nlohmann::json{{"tx", HexEncode(Encode(tx))}}.dump());
  }
  return p;
}

// The node's committed-transaction counter.
std::optional<uint64_t> CommittedTotal(uint16_t port) { return MetricValue(port, "circuledger_tx_committed_total"); }

struct Sample {
  Hash256 id;
  Clock::time_point submitted;
};

// When each height was first seen, from GET /v1/status polled every 2 ms on its own thread.
class HeightWatcher {
 public:
  explicit HeightWatcher(uint16_t port) : thread_([this, port] { Run(port); }) {}
  ~HeightWatcher() {
    stop_.store(true);
    thread_.join();
  }
  std::optional<Clock::time_point> Seen(uint64_t height) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = seen_.find(height);
    if (it == seen_.end()) return std::nullopt;
    return it->second;
  }

 private:
  void Run(uint16_t port) {
    HttpConn c;
    if (!c.Connect("127.0.0.1", port).ok()) return;
    std::optional<uint64_t> last;
    while (!stop_.load()) {
      Result<HttpAnswer> a = c.Request("GET", "/v1/status");
      if (!a.ok()) return;
      const nlohmann::json j = nlohmann::json::parse(a->body, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.value("height", 0ull) > 0) {
        const uint64_t h = j["height"].get<uint64_t>();
        const Clock::time_point now = Clock::now();
        std::lock_guard<std::mutex> lock(mu_);
        for (uint64_t k = last ? *last + 1 : h; k <= h; ++k) seen_.emplace(k, now);
        last = std::max(h, last.value_or(0));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::map<uint64_t, Clock::time_point> seen_;
  std::thread thread_;  // last: starts once the rest is built
};

// Commit latencies (ms) of the samples, in the order given: each sample's height from
// GET /v1/tx/{id} (waited for up to 10 s while pending), then when the watcher first saw it.
// Samples that do not commit in time are left out and counted in *uncommitted.
std::vector<double> Latencies(uint16_t port, const std::deque<Sample>& samples, const HeightWatcher& watcher,
                              size_t* uncommitted) {
  std::vector<double> out;
  *uncommitted = 0;
  HttpConn c;
  if (!c.Connect("127.0.0.1", port).ok()) return out;
  const Clock::time_point give_up = Clock::now() + std::chrono::seconds(10);
  for (const Sample& s : samples) {
    for (;;) {
      Result<HttpAnswer> a = c.Request("GET", "/v1/tx/" + s.id.ToHex());
      if (!a.ok()) return out;
      const nlohmann::json j = nlohmann::json::parse(a->body, nullptr, /*allow_exceptions=*/false);
      std::optional<Clock::time_point> seen;
      if (j.is_object() && j.value("status", "") == "committed") seen = watcher.Seen(j.value("height", 0ull));
      if (seen) {
        out.push_back(std::chrono::duration<double, std::milli>(*seen - s.submitted).count());
        break;
      }
      if (Clock::now() > give_up || (j.is_object() && j.value("status", "") == "rejected")) {
        ++*uncommitted;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return out;
}

}  // namespace

int RunApi(const std::vector<std::string>& args) {
  uint64_t seconds = 10;
  uint64_t per_client = 40000;
  // Clients that submit many transactions pipeline them; the server answers what arrived together
  // in one write (network/http_server.cpp). --pipeline 1 measures one request at a time.
  uint64_t pipeline = 16;
  uint64_t threads = std::max(1u, std::thread::hardware_concurrency());
  Flags flags;
  flags.AddUint("seconds", &seconds, 1, 3600, "length of the timed phase");
  flags.AddUint("txs-per-client", &per_client, 2, 10000000, "transactions signed ahead per client connection");
  flags.AddUint("threads", &threads, 1, 1024, "threads for the limit measurement (the node uses all cores)");
  flags.AddUint("pipeline", &pipeline, 1, 1024, "requests in flight per connection (HTTP/1.1 pipelining; 1: one at a time)");
  if (Status s = flags.Parse(args); !s.ok()) {
    std::fprintf(stderr, "%s\nflags:\n%s", s.ToString().c_str(), flags.Usage().c_str());
    return 2;
  }
  Result<std::unique_ptr<DevNode>> started = DevNode::Start(
      R"({"block_min_interval_ms": 50, "block_max_txs": 5000, "mempool_max_txs": 100000,
          "mempool_max_per_account": 20000, "mempool_max_per_org": 100000, "mempool_nonce_window": 1024,
          "http_threads": 2, "log_level": "warn"})");
  if (!started.ok()) {
    std::fprintf(stderr, "node: %s\n", started.status().ToString().c_str());
    return 1;
  }
  DevNode& d = **started;
  std::fprintf(stderr, "signing %" PRIu64 " transactions for %zu clients...\n", per_client * std::size(kClients),
               std::size(kClients));
  std::vector<SigTriple> triples;
  std::vector<Prepared> prepared;
  for (size_t i = 0; i < std::size(kClients); ++i) {
    prepared.push_back(Prepare(d, kClients[i], kClients[(i + 1) % std::size(kClients)], per_client, triples));
  }
  Result<VerifyLimit> before = MeasureVerifyLimit(triples, static_cast<unsigned>(threads), 1.0);
  if (!before.ok()) return 1;

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> retries{0};
  std::mutex samples_mu;
  std::deque<Sample> samples;
  HeightWatcher watcher(d.port());
  const std::optional<uint64_t> committed_start = CommittedTotal(d.port());
  if (!committed_start) return 1;
  const Clock::time_point start = Clock::now();
  std::fprintf(stderr, "phase B starts at %.6f (CLOCK_MONOTONIC seconds), %" PRIu64 " s\n", MonotonicSeconds(start),
               seconds);
  std::vector<std::thread> clients;
  for (Prepared& p : prepared) {
    clients.emplace_back([&, &p = p] {
      HttpConn c;
      if (!c.Connect("127.0.0.1", d.port()).ok()) return;
      // Up to `pipeline` requests in flight: refilled (in one write) when half are answered.
      // A refused one (mempool full, nonce too far ahead) stops sending until the window has
      // drained; after 2 ms sending resumes from it (already admitted ones answer 200 again).
      const size_t n = p.bodies.size();
      std::vector<char> acked(n, 0);
      std::deque<std::pair<size_t, Clock::time_point>> inflight;  // index, sent at
      size_t next = 0;
      constexpr size_t kNone = SIZE_MAX;
      size_t rewind = kNone;  // the lowest refused index since the window last drained
      while (!stop.load()) {
        if (rewind == kNone && next < n && inflight.size() <= pipeline / 2) {
          const Clock::time_point t = Clock::now();
          for (; inflight.size() < pipeline && next < n; ++next) {
            c.Queue("POST", "/v1/tx", p.bodies[next]);
            inflight.emplace_back(next, t);
          }
          if (!c.Flush().ok()) return;
        }
        if (inflight.empty()) break;  // every transaction sent and answered
        Result<HttpAnswer> a = c.Receive();
        if (!a.ok()) return;
        const auto [i, t] = inflight.front();
        inflight.pop_front();
        if (a->status != 200) {
          retries.fetch_add(1);
          rewind = std::min(rewind, i);
        } else if (!acked[i]) {
          acked[i] = 1;
          accepted.fetch_add(1);
          if (i % kSampleEvery == 0) {
            std::lock_guard<std::mutex> lock(samples_mu);
            samples.push_back(Sample{p.ids[i], t});
          }
        }
        if (rewind != kNone && inflight.empty()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          next = rewind;
          rewind = kNone;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const std::optional<uint64_t> committed_end = CommittedTotal(d.port());
  const Clock::time_point end = Clock::now();
  if (!committed_end) return 1;
  std::fprintf(stderr, "phase B ran from %.6f to %.6f (CLOCK_MONOTONIC seconds)\n", MonotonicSeconds(start),
               MonotonicSeconds(end));
  stop.store(true);
  for (std::thread& t : clients) t.join();
  size_t uncommitted = 0;
  std::vector<double> latencies_ms = Latencies(d.port(), samples, watcher, &uncommitted);
  Result<VerifyLimit> after = MeasureVerifyLimit(triples, static_cast<unsigned>(threads), 1.0);
  if (!after.ok()) return 1;
  VerifyLimit limit = *before;
  limit += *after;

  const double elapsed = std::chrono::duration<double>(end - start).count();
  const double rate = static_cast<double>(*committed_end - *committed_start) / elapsed;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double q) {
    return latencies_ms.empty() ? 0.0 : latencies_ms[std::min(latencies_ms.size() - 1, static_cast<size_t>(q * latencies_ms.size()))];
  };
  std::printf("api: %zu client connections, %" PRIu64 " requests in flight each, %.1f s: %" PRIu64 " accepted, %" PRIu64 " committed, %" PRIu64
              " retries (mempool full or nonce ahead)\n",
              std::size(kClients), pipeline, elapsed, accepted.load(), *committed_end - *committed_start, retries.load());
  std::printf("  commit latency over %zu sampled transactions (%zu not committed): p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              latencies_ms.size(), uncommitted, pct(0.5), pct(0.99), latencies_ms.empty() ? 0.0 : latencies_ms.back());
  std::printf("  limit: %u threads of secp256k1_schnorrsig_verify, %.0f verify/s\n", limit.threads, limit.per_s);
  std::printf("committed_tx_per_s=%.0f limit_verify_per_s=%.0f ratio=%.3f p99_commit_ms=%.0f\n", rate, limit.per_s,
              rate / limit.per_s, pct(0.99));
  return 0;
}

}  // namespace circuledger::bench

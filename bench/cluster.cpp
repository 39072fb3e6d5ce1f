// Phase 0 (untimed): `circuledgerd testnet` homes in a temporary directory, one circuledgerd
// process per validator (tests/cluster's Cluster: ports rewritten, the testnet's config otherwise,
// so sync_writes is on), member keys added by governance, every transaction signed ahead.
// Phase A: the limit, raw secp256k1_schnorrsig_verify per second on all cores (1 s before and
// 1 s after each round of phase B), divided by the number of validators. Phase B runs `--rounds`
// times on the same network (the load goes on where the last round stopped); the last line is
// the round with the median ratio. In each round `--clients` threads, each with
// one keep-alive connection to one validator (client c to validator c mod N), post the transactions
// of their accounts in nonce order, at most `--inflight` uncommitted in all. A watcher reads every
// new block (GET /v1/blocks/{h}?txs=ids, one request per block, from validator h mod N), matches its tx
// ids with the submissions and records each one's commit latency. The rate counts our
// transactions in the blocks that appeared during the timed window.
#include "bench/cluster.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "bench/cluster_load.h"
#include "bench/cpu_time.h"
#include "bench/flags.h"
#include "bench/http_conn.h"
#include "bench/rounds.h"
#include "bench/verify_limit.h"

namespace circuledger::bench {

using namespace circuledger::ledger;
using Clock = std::chrono::steady_clock;

namespace {

struct IdHash {
  size_t operator()(const Hash256& h) const {
    size_t v = 0;
    std::memcpy(&v, h.bytes.data(), sizeof(v));
    return v;
  }
};

struct Submitted {
  Clock::time_point at;
  size_t client = 0;
};

struct SeenBlock {
  uint64_t height = 0;
  Clock::time_point at;  // when the watcher read it
  size_t txs = 0;
  size_t ours = 0;  // transactions submitted by this run
};

// What the clients and the watcher share.
struct Shared {
  explicit Shared(size_t clients) : inflight(clients) {}
  std::atomic<bool> stop_clients{false};
  std::atomic<bool> stop_watcher{false};
  // Per client: accepted (or being posted), not yet committed.
  std::vector<std::atomic<uint64_t>> inflight;
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused{0};     // non-200 answers (retried after 2 ms)
  std::atomic<uint64_t> reconnects{0};  // connections lost and dialed again
  std::atomic<size_t> exhausted{0};     // clients that ran out of signed transactions
  std::mutex mu;
  std::unordered_map<Hash256, Submitted, IdHash> pending;  // guarded by mu
  // (when its block was read, commit latency); guarded by mu
  std::vector<std::pair<Clock::time_point, double>> latencies_ms;
  std::vector<SeenBlock> blocks;      // guarded by mu
  std::vector<std::string> refusals;  // the first few; guarded by mu
};

// One client: its accounts' transactions in nonce order from each one's `next`, round robin over
// the accounts, posted `pipeline` at a time (HTTP/1.1 pipelining: queued, written together,
// answered in order) within its share `cap` of what may be in flight. An account whose post is
// refused (mempool full) is rewound to it: its later posts of the same burst are sent again (those
// the node took answer 200 again). A post answered "committed" (a repeat of one already in a
// block) is not in flight.
void Client(size_t self, size_t clients, uint16_t port, uint64_t cap, size_t pipeline,
            std::vector<LoadAccount>& accounts, Shared& sh) {
  auto conn = std::make_unique<HttpConn>();
  if (!conn->Connect("127.0.0.1", port).ok()) return;
  std::vector<LoadAccount*> mine;
  for (size_t a = self; a < accounts.size(); a += clients) mine.push_back(&accounts[a]);
  if (mine.empty()) return;  // more clients than accounts
  struct Post {
    size_t account;
    size_t index;
  };
  std::vector<Post> burst;
  auto forget = [&](const Hash256& id) {  // guarded by sh.mu
    if (sh.pending.erase(id) == 1) sh.inflight[self].fetch_sub(1);
  };
  for (size_t turn = 0; !sh.stop_clients.load();) {
    const uint64_t in = sh.inflight[self].load();
    if (in >= cap) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    const size_t want = std::min<uint64_t>(pipeline, cap - in);
    burst.clear();
    std::vector<size_t> take(mine.size());
    for (size_t a = 0; a < mine.size(); ++a) take[a] = mine[a]->next;
    for (size_t idle = 0; burst.size() < want && idle < mine.size(); ++turn) {
      const size_t a = turn % mine.size();
      if (take[a] >= mine[a]->ids.size()) {
        ++idle;
        continue;
      }
      idle = 0;
      burst.push_back(Post{a, take[a]++});
    }
    if (burst.empty()) {
      sh.exhausted.fetch_add(1);
      return;
    }
    {
      const Clock::time_point now = Clock::now();
      std::lock_guard<std::mutex> lock(sh.mu);
      for (const Post& p : burst) {
        if (sh.pending.emplace(mine[p.account]->ids[p.index], Submitted{now, self}).second) {
          sh.inflight[self].fetch_add(1);
        }
      }
    }
    for (const Post& p : burst) conn->Queue("POST", "/v1/tx", mine[p.account]->bodies[p.index]);
    bool lost = !conn->Flush().ok();
    bool refused = false;
    std::vector<char> rewound(mine.size(), 0);
    for (const Post& p : burst) {
      const Hash256& id = mine[p.account]->ids[p.index];
      Result<HttpAnswer> answer = lost ? Result<HttpAnswer>(Status::IoError("lost")) : conn->Receive();
      lost = !answer.ok();
      std::lock_guard<std::mutex> lock(sh.mu);
      if (answer.ok() && answer->status == 200) {
        if (!rewound[p.account]) {
          mine[p.account]->next = p.index + 1;
          sh.accepted.fetch_add(1);
        }
        if (answer->body.find("\"committed\"") != std::string::npos) forget(id);
        continue;
      }
      // Refused, or no answer: not in flight; the account goes on from here next time.
      forget(id);
      rewound[p.account] = 1;
      if (answer.ok()) {
        refused = true;
        sh.refused.fetch_add(1);
        if (sh.refusals.size() < 5) sh.refusals.push_back(answer->body);
      }
    }
    if (lost) {  // the node closed the connection: dial again, post from the first unanswered
      sh.reconnects.fetch_add(1);
      conn = std::make_unique<HttpConn>();
      if (!conn->Connect("127.0.0.1", port).ok()) return;
    } else if (refused) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
}

// Reads each new block once, from validator height mod N, and matches its tx ids.
void Watcher(const std::vector<uint16_t>& ports, uint64_t first_height, Shared& sh) {
  std::vector<std::unique_ptr<HttpConn>> conns(ports.size());
  std::vector<bool> connected(ports.size(), false);
  for (uint64_t h = first_height; !sh.stop_watcher.load();) {
    const size_t v = h % ports.size();
    if (!connected[v]) {
      conns[v] = std::make_unique<HttpConn>();
      connected[v] = conns[v]->Connect("127.0.0.1", ports[v]).ok();
    }
    Result<HttpAnswer> a = connected[v]
                               ? conns[v]->Request("GET", "/v1/blocks/" + std::to_string(h) + "?txs=ids")
                               : Result<HttpAnswer>(Status::IoError("not connected"));
    if (!a.ok()) connected[v] = false;
    if (!a.ok() || a->status != 200) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    const Clock::time_point seen = Clock::now();
    const nlohmann::json block =
        nlohmann::json::parse(a->body, nullptr, /*allow_exceptions=*/false);
    SeenBlock b{h, seen, 0, 0};
    std::lock_guard<std::mutex> lock(sh.mu);
    if (block.is_object() && block.contains("tx_ids")) {
      for (const nlohmann::json& hex : block["tx_ids"]) {
        ++b.txs;
        const std::optional<Hash256> id = Hash256::FromHex(hex.is_string() ? hex.get<std::string>() : "");
        auto it = id ? sh.pending.find(*id) : sh.pending.end();
        if (it == sh.pending.end()) continue;
        ++b.ours;
        sh.latencies_ms.emplace_back(
            seen, std::chrono::duration<double, std::milli>(seen - it->second.at).count());
        sh.inflight[it->second.client].fetch_sub(1);
        sh.pending.erase(it);
      }
    }
    sh.blocks.push_back(b);
    ++h;
  }
}

// From a validator's log, "committed block H (N txs, T ms)" for heights in [lo, hi] with txs:
// the count and mean T (height start to commit, on that node).
std::pair<size_t, double> HeightTimes(const std::string& log, uint64_t lo, uint64_t hi) {
  const std::string key = "committed block ";
  size_t count = 0;
  double sum = 0;
  for (size_t p = log.find(key); p != std::string::npos; p = log.find(key, p + 1)) {
    unsigned long long h = 0, n = 0, ms = 0;
    if (std::sscanf(log.c_str() + p + key.size(), "%llu (%llu txs, %llu ms)", &h, &n, &ms) != 3)
      continue;
    if (h < lo || h > hi || n == 0) continue;
    ++count;
    sum += static_cast<double>(ms);
  }
  return {count, count == 0 ? 0.0 : sum / static_cast<double>(count)};
}

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1,
                         static_cast<size_t>(q * static_cast<double>(sorted.size())))];
}

struct Options {
  uint64_t validators = 4;
  uint64_t seconds = 20;
  uint64_t clients = 8;
  // 8: 56 accounts share the 2,000 in flight, about 36 each, under the mempool's per-account
  // window and cap of 64 (node/limits.h).
  uint64_t keys_per_org = 8;
  uint64_t txs = 220000;  // per round: enough for 20 s at 10,000 tx/s plus the warm-up
  uint64_t rounds = 3;
  uint64_t inflight = 2000;
  uint64_t pipeline = 16;
  uint64_t threads = std::max(1u, std::thread::hardware_concurrency());
};

struct Window {
  Clock::time_point start;
  Clock::time_point end;
};

// Phase B: the clients post for o.seconds; then the watcher goes on until what is in flight is
// committed (at most 30 s more), so the second limit measurement does not share the cores with
// the nodes. The watcher's blocks and latencies are in `sh`.
Window RunTimed(const cluster::Cluster& c, const std::vector<uint16_t>& ports,
                std::vector<LoadAccount>& accounts, const Options& o, Shared& sh) {
  const uint64_t cap = std::max<uint64_t>(1, o.inflight / o.clients);
  std::thread watcher(Watcher, std::cref(ports), c.MaxHeight(c.All()) + 1, std::ref(sh));
  Window w;
  w.start = Clock::now();
  // For profilers attached to a validator: steady_clock is CLOCK_MONOTONIC (`perf record -k
  // CLOCK_MONOTONIC`, then `perf report --time <from>,<to>`).
  std::fprintf(stderr, "phase B starts at %.6f (CLOCK_MONOTONIC seconds), %" PRIu64 " s\n",
               MonotonicSeconds(w.start), o.seconds);
  std::vector<std::thread> clients;
  for (size_t k = 0; k < o.clients; ++k) {
    clients.emplace_back(Client, k, o.clients, ports[k % ports.size()], cap, o.pipeline,
                         std::ref(accounts), std::ref(sh));
  }
  std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
  w.end = Clock::now();
  std::fprintf(stderr, "phase B ran from %.6f to %.6f (CLOCK_MONOTONIC seconds)\n",
               MonotonicSeconds(w.start), MonotonicSeconds(w.end));
  sh.stop_clients.store(true);
  for (std::thread& t : clients) t.join();
  const Clock::time_point drain_deadline = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(sh.mu);
      if (sh.pending.empty()) break;
    }
    if (Clock::now() >= drain_deadline) break;  // a transaction left out would wait forever
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  sh.stop_watcher.store(true);
  watcher.join();
  return w;
}

// What the blocks read inside the window hold.
struct Summary {
  size_t blocks = 0;
  size_t nonempty = 0;
  size_t txs = 0;
  size_t ours = 0;
  uint64_t lo = 0;  // first and last height read in the window
  uint64_t hi = 0;
  std::vector<double> latencies_ms;  // sorted
};

Summary Summarize(const Shared& sh, Clock::time_point end) {
  Summary s;
  s.lo = UINT64_MAX;
  for (const SeenBlock& b : sh.blocks) {
    if (b.at > end) continue;
    ++s.blocks;
    s.nonempty += b.txs > 0 ? 1 : 0;
    s.txs += b.txs;
    s.ours += b.ours;
    s.lo = std::min(s.lo, b.height);
    s.hi = std::max(s.hi, b.height);
  }
  if (s.blocks == 0) s.lo = 0;
  for (const auto& [at, ms] : sh.latencies_ms) {
    if (at <= end) s.latencies_ms.push_back(ms);
  }
  std::sort(s.latencies_ms.begin(), s.latencies_ms.end());
  return s;
}

void Report(const cluster::Cluster& c, const Options& o, const Shared& sh, const Summary& s,
            double elapsed, const VerifyLimit& limit, size_t accounts) {
  const std::vector<double>& lat = s.latencies_ms;
  const double rate = static_cast<double>(s.ours) / elapsed;
  const double limit_tx = limit.per_s / static_cast<double>(o.validators);
  std::printf("cluster: %" PRIu64
              " validators (circuledgerd processes on loopback), %zu accounts "
              "in 7 orgs, %" PRIu64 " clients, at most %" PRIu64 " in flight each, posted %" PRIu64
              " at a time\n",
              o.validators, accounts, o.clients, std::max<uint64_t>(1, o.inflight / o.clients), o.pipeline);
  std::printf("  %.1f s: %" PRIu64 " accepted, %zu committed, %" PRIu64
              " refused (retried), %" PRIu64 " reconnects, %zu clients ran out of signed txs\n",
              elapsed, sh.accepted.load(), s.ours, sh.refused.load(), sh.reconnects.load(),
              sh.exhausted.load());
  for (const std::string& r : sh.refusals) std::printf("  refusal: %s\n", r.c_str());
  std::printf("  blocks %" PRIu64 "..%" PRIu64
              ": %zu (%zu with txs), %zu txs, mean %.0f txs/block "
              "(%.0f per non-empty)\n",
              s.lo, s.hi, s.blocks, s.nonempty, s.txs,
              s.blocks ? static_cast<double>(s.txs) / static_cast<double>(s.blocks) : 0.0,
              s.nonempty ? static_cast<double>(s.txs) / static_cast<double>(s.nonempty) : 0.0);
  for (size_t i = 0; i < c.size(); ++i) {
    const std::optional<cluster::StatusTip> tip = c.Tip(i);
    const auto [n, mean_ms] = HeightTimes(c.node(i).Log(), s.lo, s.hi);
    std::printf(
        "  %s: height %s; %zu non-empty blocks in the window, mean %.0f ms from height "
        "start to commit\n",
        c.name(i).c_str(), tip ? std::to_string(tip->height).c_str() : "?", n, mean_ms);
  }
  // Each validator should verify each transaction once (at admission; its block then hits the
  // signature cache). Counted over the whole run, setup included.
  std::printf("  signature verifications per committed transaction:");
  for (size_t i = 0; i < c.size(); ++i) {
    const std::optional<uint64_t> verified = MetricValue(c.node(i).port(), "circuledger_signatures_verified_total");
    const std::optional<uint64_t> committed = MetricValue(c.node(i).port(), "circuledger_tx_committed_total");
    if (verified && committed && *committed > 0) {
      std::printf(" %s %.3f", c.name(i).c_str(), static_cast<double>(*verified) / static_cast<double>(*committed));
    } else {
      std::printf(" %s ?", c.name(i).c_str());
    }
  }
  std::printf("\n");
  std::printf("  commit latency over %zu transactions: p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
              lat.size(), Percentile(lat, 0.5), Percentile(lat, 0.99),
              lat.empty() ? 0.0 : lat.back());
  std::printf("  limit: %u threads of secp256k1_schnorrsig_verify, %.0f verify/s, / %" PRIu64
              " validators\n",
              limit.threads, limit.per_s, o.validators);
  if (sh.exhausted.load() > 0) {
    std::printf("  WARNING: clients ran out of signed transactions; raise --txs\n");
  }
  std::printf(
      "committed_tx_per_s=%.0f limit_tx_per_s=%.0f ratio=%.3f p50_commit_ms=%.0f "
      "p99_commit_ms=%.0f\n",
      rate, limit_tx, rate / limit_tx, Percentile(lat, 0.5), Percentile(lat, 0.99));
}

int Run(const Options& o) {
  cluster::ClusterOptions co;
  co.validators = static_cast<uint32_t>(o.validators);
  co.full_nodes = 0;
  co.config = {{"log_level", "info"}};  // otherwise the config `circuledgerd testnet` writes
  std::fprintf(stderr, "starting %" PRIu64 " validators...\n", o.validators);
  cluster::Cluster c(co);
  std::vector<uint16_t> ports;
  for (size_t i = 0; i < c.size(); ++i) {
    ports.push_back(c.node(i).port());
    std::fprintf(stderr, "  %s: pid %d, http port %u, home %s\n", c.name(i).c_str(),
                 static_cast<int>(c.node(i).pid()), ports.back(), c.node(i).home().c_str());
  }
  c.WaitHeight(c.All(), 1, std::chrono::seconds(60));
  std::fprintf(stderr, "adding %" PRIu64 " member keys per org by governance...\n",
               o.keys_per_org - 1);
  std::vector<LoadAccount> accounts = MakeAccounts(c, o.keys_per_org);
  const size_t per_account = std::max<size_t>(2, o.txs * o.rounds / accounts.size());
  std::fprintf(stderr, "signing %zu transactions for %zu accounts...\n",
               per_account * accounts.size(), accounts.size());
  const std::vector<SigTriple> triples =
      SignLoad(accounts, *ledger::Hash256::FromHex(c.Client(0).GetJson("/v1/status").at("genesis_hash").get<std::string>()), per_account, static_cast<unsigned>(o.threads));

  // Each round between two slices of phase A; a slice ends one round and starts the next.
  struct Round {
    std::unique_ptr<Shared> sh;
    Summary summary;
    double elapsed = 0;
    VerifyLimit limit;
    double ratio = 0;
  };
  std::vector<Round> rounds;
  Result<VerifyLimit> before = MeasureVerifyLimit(triples, static_cast<unsigned>(o.threads), 1.0);
  if (!before.ok()) return 1;
  for (uint64_t r = 0; r < o.rounds; ++r) {
    Round round;
    round.sh = std::make_unique<Shared>(o.clients);
    const Window w = RunTimed(c, ports, accounts, o, *round.sh);
    Result<VerifyLimit> after = MeasureVerifyLimit(triples, static_cast<unsigned>(o.threads), 1.0);
    if (!after.ok()) return 1;
    round.limit = *before;
    round.limit += *after;
    before = after;
    round.summary = Summarize(*round.sh, w.end);
    round.elapsed = std::chrono::duration<double>(w.end - w.start).count();
    const double rate = static_cast<double>(round.summary.ours) / round.elapsed;
    const double limit_tx = round.limit.per_s / static_cast<double>(o.validators);
    round.ratio = rate / limit_tx;
    std::printf("round %" PRIu64 ": committed %.0f tx/s, limit %.0f tx/s, ratio %.3f, p50 %.0f ms, p99 %.0f ms\n",
                r + 1, rate, limit_tx, round.ratio, Percentile(round.summary.latencies_ms, 0.5),
                Percentile(round.summary.latencies_ms, 0.99));
    if (round.sh->exhausted.load() > 0) {
      std::printf("  WARNING: clients ran out of signed transactions in round %" PRIu64 "; raise --txs\n", r + 1);
    }
    std::fflush(stdout);
    rounds.push_back(std::move(round));
  }
  std::vector<double> ratios;
  for (const Round& r : rounds) ratios.push_back(r.ratio);
  const size_t m = MedianRound(ratios);
  const Round& median = rounds[m];
  std::printf("the round with the median ratio, round %zu of %zu:\n", m + 1, rounds.size());
  Report(c, o, *median.sh, median.summary, median.elapsed, median.limit, accounts.size());
  return 0;
}

}  // namespace

int RunCluster(const std::vector<std::string>& args) {
  Options o;
  Flags flags;
  flags.AddUint("validators", &o.validators, 1, 16, "circuledgerd validator processes");
  flags.AddUint("seconds", &o.seconds, 1, 3600, "length of the timed phase");
  flags.AddUint("clients", &o.clients, 1, 256, "client threads, one keep-alive connection each");
  flags.AddUint("keys-per-org", &o.keys_per_org, 1, 64,
                "signing keys in each of the 7 lot-creating orgs");
  flags.AddUint("txs", &o.txs, 100, 100000000, "transactions signed ahead per round, over all accounts");
  flags.AddUint("rounds", &o.rounds, 1, 100,
                "rounds of phase B on the same network, each between two 1 s slices of phase A; the "
                "last line is the round with the median ratio (one run of a shared machine moves by 10%)");
  flags.AddUint("inflight", &o.inflight, 1, 1000000,
                "submitted and not yet committed, all clients together");
  flags.AddUint("pipeline", &o.pipeline, 1, 1024,
                "posts written together per client (HTTP/1.1 pipelining; 1: one at a time)");
  flags.AddUint("threads", &o.threads, 1, 1024, "threads for signing and the limit measurement");
  if (Status s = flags.Parse(args); !s.ok()) {
    std::fprintf(stderr, "%s\nflags:\n%s", s.ToString().c_str(), flags.Usage().c_str());
    return 2;
  }
  try {
    return Run(o);
  } catch (const std::exception& e) {  // the cluster harness reports failures by exception
    std::fprintf(stderr, "cluster: %s\n", e.what());
    return 1;
  }
}

}  // namespace circuledger::bench

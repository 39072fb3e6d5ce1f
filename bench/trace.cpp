// The graph: `trees` root lots, each split 4 ways per transform down to `depth` levels (a tree of
// depth 5 has 1 + 4 + 16 + 64 + 256 + 1024 = 1365 lots), committed through the dev node's own
// producer. Timed: GET /v1/lots/{root}/trace?direction=forward&limit=1000 (1,000 nodes each)
// and GET /v1/lots/{leaf}/trace?direction=backward over one keep-alive connection.
#include "bench/trace.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <thread>

#include "bench/dev_node.h"
#include "bench/flags.h"
#include "bench/http_conn.h"

namespace circuledger::bench {

using namespace circuledger::ledger;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kOwners[] = {"mine", "refinery", "cellmaker", "oem", "petchem"};
constexpr uint64_t kFanOut = 4;

std::string LotId(uint64_t tree, const std::string& path) { return "t" + std::to_string(tree) + "-" + path; }

// All transactions of one tree, in nonce order from `nonce`; returns the leaf ids.
std::vector<std::string> TreeTxs(DevNode& d, const SecretKey& key, uint64_t tree, uint64_t depth, uint64_t& nonce,
                                 std::vector<Tx>& out) {
  const uint64_t unit = 1;  // mg per leaf, per material
  uint64_t leaves = 1;
  for (uint64_t i = 0; i < depth; ++i) leaves *= kFanOut;
  out.push_back(SignFor(key, d.genesis_hash(), nonce++, CreateLot{LotId(tree, "r"), Composition{{{"Cu", leaves * unit, 0}}}}));
  std::vector<std::pair<std::string, uint64_t>> level{{"r", leaves * unit}};
  for (uint64_t l = 0; l < depth; ++l) {
    std::vector<std::pair<std::string, uint64_t>> next;
    for (const auto& [path, mass] : level) {
      Transform t;
      t.inputs = {LotId(tree, path)};
      for (uint64_t k = 0; k < kFanOut; ++k) {
        const std::string child = path + std::to_string(k);
        t.outputs.push_back(OutputLot{LotId(tree, child), Composition{{{"Cu", mass / kFanOut, 0}}}});
        next.emplace_back(child, mass / kFanOut);
      }
      out.push_back(SignFor(key, d.genesis_hash(), nonce++, std::move(t)));
    }
    level = std::move(next);
  }
  std::vector<std::string> ids;
  for (const auto& [path, mass] : level) ids.push_back(LotId(tree, path));
  return ids;
}

struct Latency {
  std::vector<double> ms;
  size_t nodes = 0;
  double Pct(double q) const { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))]; }
};

bool TimeQueries(HttpConn& c, const std::vector<std::string>& paths, size_t rounds, Latency& out) {
  for (size_t r = 0; r < rounds; ++r) {
    for (const std::string& p : paths) {
      const Clock::time_point t0 = Clock::now();
      Result<HttpAnswer> a = c.Request("GET", p);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (!a.ok() || a->status != 200) {
        std::fprintf(stderr, "GET %s failed\n", p.c_str());
        return false;
      }
      out.ms.push_back(ms);
      out.nodes = std::max<size_t>(out.nodes, static_cast<size_t>(std::count(a->body.begin(), a->body.end(), '{')));
    }
  }
  std::sort(out.ms.begin(), out.ms.end());
  return true;
}

}  // namespace

int RunTrace(const std::vector<std::string>& args) {
  uint64_t trees = 10;
  uint64_t depth = 5;
  uint64_t rounds = 20;
  Flags flags;
  flags.AddUint("trees", &trees, 1, 1000, "root lots, each the root of a 4-way split tree");
  flags.AddUint("depth", &depth, 1, 8, "levels of splitting per tree");
  flags.AddUint("rounds", &rounds, 1, 100000, "times each query is timed");
  if (Status s = flags.Parse(args); !s.ok()) {
    std::fprintf(stderr, "%s\nflags:\n%s", s.ToString().c_str(), flags.Usage().c_str());
    return 2;
  }
  Result<std::unique_ptr<DevNode>> started = DevNode::Start(
      R"({"block_min_interval_ms": 20, "sync_writes": false, "mempool_max_per_account": 20000, "log_level": "warn"})");
  if (!started.ok()) {
    std::fprintf(stderr, "node: %s\n", started.status().ToString().c_str());
    return 1;
  }
  DevNode& d = **started;
  std::vector<std::string> leaves;
  uint64_t lots = 0;
  std::vector<uint64_t> nonces(std::size(kOwners), 0);
  for (uint64_t t = 0; t < trees; ++t) {
    const size_t owner = t % std::size(kOwners);
    std::vector<Tx> txs;
    std::vector<std::string> l = TreeTxs(d, d.Key(kOwners[owner]), t, depth, nonces[owner], txs);
    for (const Tx& tx : txs) {
      node::SubmitResult r = d.node().SubmitTx(tx);
      if (!r.status.ok()) {
        std::fprintf(stderr, "submit: %s\n", r.status.ToString().c_str());
        return 1;
      }
      lots += tx.body.op.index() == 0 ? 1 : kFanOut;
    }
    leaves.push_back(l[l.size() / 3]);
  }
  while (d.node().mempool().Size() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::fprintf(stderr, "graph: %" PRIu64 " lots in %" PRIu64 " trees, height %" PRIu64 "\n", lots, trees,
               d.node().store().Tip().height);

  HttpConn c;
  if (!c.Connect("127.0.0.1", d.port()).ok()) return 1;
  std::vector<std::string> forward;
  std::vector<std::string> backward;
  for (uint64_t t = 0; t < trees; ++t) forward.push_back("/v1/lots/" + LotId(t, "r") + "/trace?direction=forward&limit=1000");
  for (const std::string& leaf : leaves) backward.push_back("/v1/lots/" + leaf + "/trace?direction=backward");
  Latency fwd;
  Latency back;
  if (!TimeQueries(c, forward, rounds, fwd) || !TimeQueries(c, backward, rounds, back)) return 1;
  std::printf("trace: graph of %" PRIu64 " lots; %zu forward traces of 1000 nodes, %zu backward traces of %" PRIu64
              " nodes, over HTTP\n",
              lots, fwd.ms.size(), back.ms.size(), depth + 1);
  std::printf("  forward (1000 nodes): median %.2f ms, p99 %.2f ms\n", fwd.Pct(0.5), fwd.Pct(0.99));
  std::printf("  backward (%" PRIu64 " nodes): median %.2f ms, p99 %.2f ms\n", depth + 1, back.Pct(0.5), back.Pct(0.99));
  std::printf("trace_lots=%" PRIu64 " trace_1000_median_ms=%.2f trace_1000_p99_ms=%.2f\n", lots, fwd.Pct(0.5),
              fwd.Pct(0.99));
  return 0;
}

}  // namespace circuledger::bench

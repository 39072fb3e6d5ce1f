// tests/cluster/cluster.h: a local network of circuledgerd processes for the multi-node cluster
// tests (tests/cluster/consensus_cluster_test.cpp).
//
// Cluster runs `circuledgerd testnet --validators N --full-nodes M --home DIR/net` in a fresh
// temporary directory DIR, then rewrites each home's config.json: HTTP on port 0 (NodeProcess
// reads the port from api_address), p2p on ports probed free in 20000..32767 (below Linux's
// ephemeral range, so outgoing connections of other tests do not take them), and `peers` rebuilt.
// With proxy_links, every p2p link goes through a TcpProxy the Cluster owns, one per (dialer,
// target) pair: node a's peer address for node b is the proxy "a->b", which forwards to b's
// p2p_listen. Since every connection involving node i is dialed either by i or to i, cutting the
// proxies "i->*" and "*->i" cuts i off from everyone (Isolate), and dropping the bytes leaving i
// on them makes i mute but not deaf (Mute). Then every node is started as a NodeProcess
// (ExistingHome); node i is validator i for i < N, full node i - N after.
//
// Failures of the harness (a node that does not start, a height not reached in time) throw
// std::runtime_error carrying every node's status and log tail. Audit() returns its problems
// instead. The destructor kills every node and deletes DIR (kept when the environment sets
// CIRCULEDGER_KEEP_CLUSTER_DIRS=1). Not thread-safe: one owning thread, except that node(i)
// may be read by a LoadGenerator's thread (NodeProcess::port is thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/cluster/chain_audit.h"
#include "tests/cluster/ledger_client.h"
#include "tests/cluster/load_generator.h"
#include "tests/cluster/node_process.h"
#include "tests/cluster/tcp_proxy.h"

namespace circuledger::cluster {

struct ClusterOptions {
  uint32_t validators = 4;
  uint32_t full_nodes = 1;
  // Route every p2p link through a TcpProxy (needed by Isolate and Mute). Default off.
  bool proxy_links = false;
  // Merged over every node's config.json after the rewrite (fields: docs/config.md). Default:
  // info logs and empty blocks every 250 ms, so a healthy network always moves.
  nlohmann::json config = {{"log_level", "info"},
                           {"block_min_interval_ms", 50},
                           {"create_empty_blocks", true},
                           {"empty_block_interval_ms", 250}};
  std::chrono::milliseconds start_timeout{20000};  // per node, until /v1/status answers
};

class Cluster {
 public:
  static constexpr const char* kChainId = "circuledger-testnet";  // testnet's default chain id

  explicit Cluster(ClusterOptions options = {});
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  size_t size() const { return nodes_.size(); }
  bool validator(size_t i) const { return i < options_.validators; }
  const std::string& name(size_t i) const { return names_.at(i); }
  NodeProcess& node(size_t i) { return *nodes_.at(i); }
  const NodeProcess& node(size_t i) const { return *nodes_.at(i); }
  // The directory holding genesis.json, dev-keys/ and the homes.
  const std::string& net_dir() const { return net_dir_; }
  // A client of node i signing for the testnet's chain with the testnet's org keys.
  LedgerClient Client(size_t i) const { return LedgerClient(node(i)); }
  std::vector<size_t> Running() const;
  std::vector<size_t> All() const;

  void Start(size_t i) { node(i).Start(); }
  void Kill(size_t i) { node(i).Kill(); }
  int Stop(size_t i) { return node(i).Stop(); }
  // Deletes node i's data_dir (the database). Its wal_file (what it signed) stays. The node must
  // not be running.
  void WipeData(size_t i);

  // Cuts every link of node i (proxy_links only): current connections close, new ones are closed
  // on accept. Heal(i) ends it (and a Mute).
  void Isolate(size_t i);
  // Node i's outgoing bytes are lost on every link, its incoming bytes arrive (proxy_links only).
  void Mute(size_t i);
  void Heal(size_t i);
  // The proxy of the link dialed by `from` to `to` (proxy_links only).
  TcpProxy& Link(size_t from, size_t to);

  // Node i's /v1/status height and state root; nullopt when it is down or does not answer.
  std::optional<StatusTip> Tip(size_t i) const;
  // The highest / lowest height among `nodes` that answer (0 when none does).
  uint64_t MaxHeight(const std::vector<size_t>& nodes) const;
  uint64_t MinHeight(const std::vector<size_t>& nodes) const;
  // Waits until every node of `nodes` is at `height` or above; throws (with Describe()) on timeout.
  void WaitHeight(const std::vector<size_t>& nodes, uint64_t height,
                  std::chrono::milliseconds timeout);
  // Waits until every node of `nodes` is at or above the highest height among them.
  void WaitCaughtUp(const std::vector<size_t>& nodes, std::chrono::milliseconds timeout);

  // Cross-node audit of the running nodes. First waits (up to `timeout`) until each is at or
  // above the highest height in `committed`. Then, per node, ChainAudit::Run (each tx in
  // `committed` is committed there at its reported height; blocks link; no tx twice; nonces
  // without gaps; no block changed since an earlier audit of that node). Then across nodes: for
  // every height up to the lowest tip, the same block hash and state root on every node, and the
  // same as any node reported for it in an earlier audit (a wiped node must resync the same
  // chain). Returns the problems, one line each (empty: all good).
  std::vector<std::string> Audit(const std::vector<CommittedTx>& committed,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // The same over `nodes` only (e.g. the side of a partition that holds the quorum); a node of
  // `nodes` that is down is a problem.
  std::vector<std::string> Audit(const std::vector<CommittedTx>& committed,
                                 const std::vector<size_t>& nodes,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // One line per node (name, pid state, height, state root prefix), then each node's log tail.
  std::string Describe(size_t log_bytes = 3000) const;

 private:
  void WriteConfigs(const std::vector<uint16_t>& p2p_ports);
  [[noreturn]] void Fail(const std::string& what) const;

  ClusterOptions options_;
  std::string dir_;      // the temporary directory
  std::string net_dir_;  // dir_/net: the testnet
  std::vector<std::string> names_;
  std::vector<std::string> homes_;
  std::map<std::pair<size_t, size_t>, std::unique_ptr<TcpProxy>> links_;  // (from, to)
  std::vector<std::unique_ptr<NodeProcess>> nodes_;
  std::vector<ChainAudit> audits_;                // by node
  std::map<uint64_t, std::string> chain_hashes_;  // every block hash any audit saw, by height
  std::map<uint64_t, std::string> chain_roots_;   // every state root any audit saw, by height
};

}  // namespace circuledger::cluster

// tests/cluster/node_process.h: a real circuledgerd child process on a dev home, for the cluster
// tests (multi-process tests over loopback HTTP).
//
// NodeProcess creates a fresh temporary directory, runs `circuledgerd init --dev --home DIR
// --http 127.0.0.1:0` (the binary itself, CIRCULEDGER_NODE_BIN), merges the test's settings into
// DIR/config.json and starts `circuledgerd --home DIR` with its stdout and stderr appended to
// DIR/node.log. Start() returns once DIR/api_address exists and GET /v1/status answers 200. Every
// wait is bounded; a failure throws std::runtime_error carrying the tail of node.log. The
// destructor SIGKILLs a node still running and deletes the directory (kept when the environment
// sets CIRCULEDGER_KEEP_CLUSTER_DIRS=1). A NodeProcess can also run a home prepared by someone
// else (ExistingHome: a `circuledgerd testnet` home, see cluster.h): no init, and the directory
// is left to its owner. The child gets PR_SET_PDEATHSIG so it dies with the
// test binary. Start/Stop/Kill/Restart and the destructor belong to one owning thread; port() and
// home() may be read from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/crypto.h"

namespace circuledger::cluster {

struct NodeProcessOptions {
  // Merged over the config.json that `init` writes (fields: docs/config.md). Defaults: fast
  // blocks and quiet logs.
  nlohmann::json config = {{"block_min_interval_ms", 20}, {"log_level", "warn"}};
  std::chrono::milliseconds start_timeout{20000};  // until /v1/status answers
  std::chrono::milliseconds stop_timeout{20000};   // until the process exits after SIGTERM
  // Where Key() reads <org>.key; empty (the default): HOME/dev-keys.
  std::string keys_dir;
};

// A home directory that already holds config.json and what it names (genesis, node key).
struct ExistingHome {
  std::string dir;
};

class NodeProcess {
 public:
  // Initializes the home and starts the node.
  explicit NodeProcess(NodeProcessOptions options = {});
  // Merges options.config into home.dir/config.json and starts the node. The destructor kills a
  // node still running but leaves the directory alone.
  NodeProcess(ExistingHome home, NodeProcessOptions options);
  ~NodeProcess();
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  // Starts the node (it must not be running) and waits until it serves. `extra_args` follow
  // `--home DIR` on the command line (e.g. --allow-missing-wal).
  void Start(const std::vector<std::string>& extra_args = {});
  // Starts the node expecting it to refuse: waits (up to start_timeout) for it to exit and
  // returns its exit code. Throws if it serves instead.
  int StartExpectingExit(const std::vector<std::string>& extra_args = {});
  // SIGTERM, then waits for the exit. Returns the exit code (128 + signal when killed by one).
  int Stop();
  // SIGKILL, then waits for the exit.
  void Kill();
  // Stop() (expecting exit code 0) and Start().
  void Restart();

  bool running() const { return pid_ > 0; }
  // The process id while running (for a profiler to attach), -1 otherwise; owning thread.
  pid_t pid() const { return pid_; }
  const std::string& home() const { return home_; }
  // The HTTP port of the current run (changes on restart: the config asks for port 0).
  uint16_t port() const { return port_.load(); }
  // How many times the node was started (1 after construction); any thread.
  uint64_t starts() const { return starts_.load(); }
  // The whole node.log, and its last `bytes`.
  std::string Log() const;
  std::string LogTail(size_t bytes = 8000) const;
  // The dev secret key of an org (<keys_dir>/<org>.key, by default DIR/dev-keys/<org>.key).
  ledger::SecretKey Key(const std::string& org) const;

 private:
  // Runs the node binary with `args`, output appended to `log`; returns its pid.
  pid_t Spawn(const std::vector<std::string>& args, const std::string& log) const;
  // Waits up to `timeout` for `pid` to exit; its exit code (128 + signal), or -1 on timeout.
  static int WaitExit(pid_t pid, std::chrono::milliseconds timeout);
  // Merges options_.config into the home's config.json.
  void MergeConfig() const;
  [[noreturn]] void Fail(const std::string& what) const;

  NodeProcessOptions options_;
  std::string home_;
  bool owns_home_ = true;  // created by this object: deleted by the destructor
  pid_t pid_ = -1;
  std::atomic<uint16_t> port_{0};
  std::atomic<uint64_t> starts_{0};
};

}  // namespace circuledger::cluster

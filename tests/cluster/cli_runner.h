// tests/cluster/cli_runner.h: runs the `circuledger` CLI binary (CIRCULEDGER_CLI_BIN) as a child
// process with exactly the environment given (stdin /dev/null, so a missing password source fails
// instead of prompting), captures stdout, stderr and the exit code, and bounds every run by a
// timeout. Wallet is one wallet user of a NodeProcess: a keystore in the node's home, the node's
// URL and a password in the environment. Not thread-safe: one per thread.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cluster/node_process.h"

namespace circuledger::cluster {

using Env = std::map<std::string, std::string>;

inline constexpr const char* kCliPassword = "cli-test-password";

// One finished (or killed) run of the CLI.
struct CliRun {
  std::vector<std::string> args;
  int code = -1;  // exit code; 128 + signal when killed by one; -1 when it timed out
  std::string out;
  std::string err;

  std::string Describe() const;
  // stdout as JSON; null when it does not parse.
  nlohmann::json Json() const { return nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false); }
};

// Runs the CLI binary with `args` and exactly `env`. Output is drained while the child runs (a
// full pipe must not stall it); after `timeout` the child is SIGKILLed and the run has code -1.
CliRun RunCli(const std::vector<std::string>& args, const Env& env,
              std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A wallet user of one node. `Run` returns whatever happened; `Ok` requires exit 0 and JSON on
// stdout (Catch2 REQUIREs: call from a test case).
class Wallet {
 public:
  explicit Wallet(const NodeProcess& node) : node_(node), keystore_(node.home() + "/wallet-keys") {}

  Env BaseEnv() const;
  CliRun Run(const std::vector<std::string>& args) const { return RunCli(args, BaseEnv()); }
  // Runs with --json; requires exit 0 and a JSON object on stdout.
  nlohmann::json Ok(std::vector<std::string> args) const;
  // An operation with --json: must exit 0 with the committed transaction (GET /v1/tx/{id}).
  nlohmann::json Commit(const std::vector<std::string>& args) const;
  // Imports the dev key of `org` from the node's home (checks the secret is never printed).
  void Import(const std::string& org, const Env& env) const;
  void Import(const std::string& org) const { Import(org, BaseEnv()); }
  const std::string& keystore() const { return keystore_; }

 private:
  const NodeProcess& node_;
  std::string keystore_;
};

}  // namespace circuledger::cluster

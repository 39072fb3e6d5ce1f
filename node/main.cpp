// circuledgerd: the CircuLedger node daemon.
//
//   circuledgerd init --dev --home DIR [--http 127.0.0.1:8645] [--chain-id ID] [--force]
//   circuledgerd testnet --validators N --home DIR [--full-nodes M] [--chain-id ID]
//                        [--base-port P] [--force]
//   circuledgerd [run] --home DIR [--allow-missing-wal]
//
// Runs until SIGINT or SIGTERM, then stops cleanly; on start it continues from its database.
// Exit codes: 0 clean stop, 1 bad usage or configuration, 2 storage failure.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "network/http_server.h"
#include "node/api.h"
#include "node/init.h"
#include "node/node.h"
#include "node/testnet.h"

using namespace circuledger;

namespace {

constexpr const char* kUsage =
    "circuledgerd: the CircuLedger node\n"
    "\n"
    "usage:\n"
    "  circuledgerd init --dev --home DIR [--http HOST:PORT] [--chain-id ID] [--force]\n"
    "      write a dev genesis (demo orgs, one validator), a node key, config.json and\n"
    "      dev-keys/<org>.key into DIR\n"
    "  circuledgerd testnet --validators N --home DIR [--full-nodes M] [--chain-id ID]\n"
    "                       [--base-port P] [--force]\n"
    "      write a local testnet: one genesis, N validator homes DIR/node<i> and M full-node\n"
    "      homes DIR/full<i> (1..64 each), node i on 127.0.0.1 HTTP P+2i and p2p P+2i+1\n"
    "      (default P 26600); run each with circuledgerd run --home DIR/<name>\n"
    "  circuledgerd [run] --home DIR [--allow-missing-wal]\n"
    "      run the node in DIR until SIGINT/SIGTERM (config: DIR/config.json, docs/config.md)\n"
    "      --allow-missing-wal: start although this validator's sign record says it signed and\n"
    "      its consensus WAL is gone (refused otherwise). Check first that no other process signs\n"
    "      with this node key; the node still never signs at or below its last signed step.\n"
    "  circuledgerd --help | --version\n";

int Fail(const std::string& msg, int code = 1) {
  std::cerr << "circuledgerd: " << msg << "\n";
  return code;
}

int Init(const std::vector<std::string>& args) {
  node::DevInitOptions o;
  bool dev = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    if (a == "--dev") {
      dev = true;
    } else if (a == "--force") {
      o.force = true;
    } else if (a == "--home" || a == "--http" || a == "--chain-id") {
      auto v = value();
      if (!v) return Fail(a + " needs a value");
      (a == "--home" ? o.home : a == "--http" ? o.http_listen : o.chain_id) = *v;
    } else {
      return Fail("unknown option " + a + "\n" + kUsage);
    }
  }
  if (!dev) return Fail("only dev homes can be initialised so far: pass --dev");
  if (o.home.empty()) return Fail("--home DIR is required");
  if (ledger::Status s = node::InitDevHome(o); !s.ok()) return Fail(s.ToString());
  std::cout << "initialised dev node in " << o.home << "\n"
            << "  genesis:  " << o.home << "/genesis.json\n"
            << "  config:   " << o.home << "/config.json (HTTP API on " << o.http_listen << ")\n"
            << "  org keys: " << o.home << "/dev-keys/<org>.key\n"
            << "run it with: circuledgerd --home " << o.home << "\n";
  return 0;
}

// A whole decimal number in [lo, hi], or nullopt.
std::optional<uint32_t> ParseCount(const std::string& s, uint32_t lo, uint32_t hi) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const unsigned long v = std::stoul(s);
  if (v < lo || v > hi) return std::nullopt;
  return static_cast<uint32_t>(v);
}

int Testnet(const std::vector<std::string>& args) {
  node::TestnetOptions o;
  bool have_validators = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--force") {
      o.force = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (a != "--validators" && a != "--full-nodes" && a != "--base-port" && a != "--home" && a != "--chain-id") {
      return Fail("unknown option " + a + "\n" + kUsage);
    }
    if (i + 1 >= args.size()) return Fail(a + " needs a value");
    const std::string& v = args[++i];
    if (a == "--home") {
      o.home = v;
    } else if (a == "--chain-id") {
      o.chain_id = v;
    } else if (a == "--validators") {
      auto n = ParseCount(v, 1, node::kMaxTestnetValidators);
      if (!n) return Fail("--validators must be 1.." + std::to_string(node::kMaxTestnetValidators));
      o.validators = *n;
      have_validators = true;
    } else if (a == "--full-nodes") {
      auto n = ParseCount(v, 0, node::kMaxTestnetFullNodes);
      if (!n) return Fail("--full-nodes must be 0.." + std::to_string(node::kMaxTestnetFullNodes));
      o.full_nodes = *n;
    } else {
      auto n = ParseCount(v, 1, 65535);
      if (!n) return Fail("--base-port must be 1..65535");
      o.base_port = *n;
    }
  }
  if (!have_validators) return Fail("--validators N is required");
  if (o.home.empty()) return Fail("--home DIR is required");
  ledger::Result<std::vector<node::TestnetNode>> nodes = node::InitTestnet(o);
  if (!nodes.ok()) return Fail(nodes.status().ToString());
  std::cout << "initialised a testnet of " << o.validators << " validator(s) and " << o.full_nodes
            << " full node(s) in " << o.home << " (chain " << o.chain_id << ")\n"
            << "  genesis:  " << o.home << "/genesis.json\n"
            << "  org keys: " << o.home << "/dev-keys/<org>.key\n";
  for (const node::TestnetNode& n : *nodes) {
    std::cout << "  " << n.name << (n.validator ? " (validator)" : " (full node)") << "  http://" << n.http_listen
              << "  p2p " << n.p2p_listen << "\n";
  }
  std::cout << "run each with: circuledgerd --home " << o.home << "/<node>   (or: scripts/devnet start)\n";
  return 0;
}

int Run(const std::string& home, const node::NodeOptions& options) {
  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  node::Logger log;
  ledger::Result<std::unique_ptr<node::Node>> opened = node::Node::Open(home, log, options);
  if (!opened.ok()) {
    const bool storage = opened.status().IsCorruption() || opened.status().IsIoError();
    return Fail(opened.status().ToString(), storage ? 2 : 1);
  }
  node::Node& n = **opened;
  node::Api api(n);
  network::HttpServerOptions ho;
  if (ledger::Status s = node::SplitHostPort(n.config().http_listen, &ho.host, &ho.port); !s.ok()) return Fail(s.ToString());
  ho.threads = n.config().http_threads;
  ho.max_body_bytes = n.config().http_max_body_bytes;
  ho.max_connections = n.config().http_max_connections;
  ho.timeout_ms = n.config().http_timeout_ms;
  network::HttpServer server(ho, [&api](const network::HttpRequest& r) { return api.Handle(r); });
  if (ledger::Status s = server.Start(); !s.ok()) return Fail(s.ToString());
  const std::string address = ho.host + ":" + std::to_string(server.port());
  // Tools and tests find the API here (useful when the configured port is 0).
  std::ofstream(std::filesystem::path(home) / "api_address") << address << "\n";
  if (ledger::Status s = n.Start(); !s.ok()) {
    server.Stop();
    return Fail(s.ToString());
  }
  log.Info("HTTP API on http://", address, "/v1/status");

  int code = 0;
  for (;;) {
    timespec wait{0, 200 * 1000 * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig == SIGINT || sig == SIGTERM) {
      log.Info("received ", sig == SIGINT ? "SIGINT" : "SIGTERM", ", stopping");
      break;
    }
    if (n.Fatal()) {
      code = 2;
      break;
    }
  }
  server.Stop();
  n.Stop();
  log.Info("stopped at height ", n.store().Tip().height);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "circuledgerd 0.1.0\n";
    return 0;
  }
  if (args[0] == "init") return Init({args.begin() + 1, args.end()});
  if (args[0] == "testnet") return Testnet({args.begin() + 1, args.end()});
  if (args[0] == "run") args.erase(args.begin());
  std::string home;
  node::NodeOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--home" && i + 1 < args.size()) {
      home = args[++i];
    } else if (args[i] == "--allow-missing-wal") {
      options.allow_missing_wal = true;
    } else if (args[i] == "--help") {
      std::cout << kUsage;
      return 0;
    } else {
      return Fail("unknown option " + args[i] + "\n" + kUsage);
    }
  }
  if (home.empty()) return Fail("--home DIR is required\n" + std::string(kUsage));
  return Run(home, options);
}

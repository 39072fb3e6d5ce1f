#include "tests/cluster/cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/cluster/files.h"
#include "tests/cluster/raw_http.h"

#ifndef CIRCULEDGER_NODE_BIN
#error "CIRCULEDGER_NODE_BIN must name the circuledgerd binary"
#endif

namespace circuledger::cluster {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

constexpr size_t kMaxProblems = 60;

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

bool PortFree(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// `count` consecutive ports, free right now, in 20000..32767: a random base is probed until one
// whole range binds (another cluster test running in parallel picks another range).
std::vector<uint16_t> FreePorts(size_t count) {
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> base_dist(20000, 32767 - static_cast<int>(count));
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int base = base_dist(rng);
    std::vector<uint16_t> ports;
    for (size_t k = 0; k < count && PortFree(static_cast<uint16_t>(base + static_cast<int>(k)));
         ++k) {
      ports.push_back(static_cast<uint16_t>(base + static_cast<int>(k)));
    }
    if (ports.size() == count) return ports;
  }
  throw std::runtime_error("no range of " + std::to_string(count) + " free ports found");
}

// Runs circuledgerd with `args` (output to `log`) and waits up to 30 s; its exit code, -1 on
// timeout (the child is killed).
int RunNodeBinary(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv_s{CIRCULEDGER_NODE_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open " + log + ": " + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0 && errno != EINTR) return 255;
    if (Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string Loopback(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

}  // namespace

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)), dir_(MakeTempDir("circuledger-net")) {
  try {
    net_dir_ = dir_ + "/net";
    const size_t total = options_.validators + options_.full_nodes;
    const std::vector<uint16_t> p2p_ports = FreePorts(total);
    const int code = RunNodeBinary({"testnet", "--validators", std::to_string(options_.validators),
                                    "--full-nodes", std::to_string(options_.full_nodes), "--home",
                                    net_dir_, "--base-port", std::to_string(p2p_ports.front())},
                                   dir_ + "/testnet.log");
    if (code != 0) {
      throw std::runtime_error("circuledgerd testnet failed (exit " + std::to_string(code) +
                               "): " + ReadFile(dir_ + "/testnet.log"));
    }
    for (size_t i = 0; i < total; ++i) {
      names_.push_back(validator(i) ? "node" + std::to_string(i)
                                    : "full" + std::to_string(i - options_.validators));
      homes_.push_back(net_dir_ + "/" + names_.back());
    }
    if (options_.proxy_links) {
      for (size_t a = 0; a < total; ++a) {
        for (size_t b = 0; b < total; ++b) {
          if (a != b) links_[{a, b}] = std::make_unique<TcpProxy>(0, "127.0.0.1", p2p_ports[b]);
        }
      }
    }
    WriteConfigs(p2p_ports);
    audits_.resize(total);
    NodeProcessOptions node_options;
    node_options.config = options_.config;
    node_options.start_timeout = options_.start_timeout;
    node_options.keys_dir = net_dir_ + "/dev-keys";
    for (size_t i = 0; i < total; ++i) {
      nodes_.push_back(std::make_unique<NodeProcess>(ExistingHome{homes_[i]}, node_options));
    }
  } catch (...) {
    // No destructor runs for a half-built object.
    nodes_.clear();
    links_.clear();
    const char* keep = std::getenv("CIRCULEDGER_KEEP_CLUSTER_DIRS");
    std::error_code ec;
    if (keep == nullptr || std::string(keep) != "1") fs::remove_all(dir_, ec);
    throw;
  }
}

Cluster::~Cluster() {
  nodes_.clear();  // SIGKILLs the nodes still running
  links_.clear();
  const char* keep = std::getenv("CIRCULEDGER_KEEP_CLUSTER_DIRS");
  std::error_code ec;
  if (keep == nullptr || std::string(keep) != "1") fs::remove_all(dir_, ec);
}

void Cluster::WriteConfigs(const std::vector<uint16_t>& p2p_ports) {
  for (size_t i = 0; i < homes_.size(); ++i) {
    const fs::path path = fs::path(homes_[i]) / "config.json";
    json config = ReadJson(path);
    if (!config.is_object()) Fail(path.string() + " (written by testnet) is not a JSON object");
    json peers = json::array();
    for (size_t j = 0; j < homes_.size(); ++j) {
      if (j == i) continue;
      peers.push_back(options_.proxy_links ? Loopback(links_.at({i, j})->port())
                                           : Loopback(p2p_ports[j]));
    }
    config["http_listen"] = "127.0.0.1:0";
    config["p2p_listen"] = Loopback(p2p_ports[i]);
    config["peers"] = peers;
    std::ofstream(path, std::ios::trunc) << config.dump(2) << "\n";
  }
}

std::vector<size_t> Cluster::Running() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->running()) out.push_back(i);
  }
  return out;
}

std::vector<size_t> Cluster::All() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < nodes_.size(); ++i) out.push_back(i);
  return out;
}

void Cluster::WipeData(size_t i) {
  if (node(i).running()) Fail("WipeData: " + name(i) + " is running");
  const json config = ReadJson(fs::path(homes_.at(i)) / "config.json");
  fs::path data = config.is_object() ? config.value("data_dir", "data") : "data";
  if (data.is_relative()) data = fs::path(homes_[i]) / data;
  std::error_code ec;
  fs::remove_all(data, ec);
  if (ec) Fail("WipeData: cannot remove " + data.string() + ": " + ec.message());
}

void Cluster::Isolate(size_t i) {
  if (!options_.proxy_links) Fail("Isolate needs ClusterOptions::proxy_links");
  for (auto& [link, proxy] : links_) {
    if (link.first == i || link.second == i) proxy->Cut();
  }
}

void Cluster::Mute(size_t i) {
  if (!options_.proxy_links) Fail("Mute needs ClusterOptions::proxy_links");
  for (auto& [link, proxy] : links_) {
    if (link.first == i) proxy->Drop(ProxyDirection::kToTarget);
    if (link.second == i) proxy->Drop(ProxyDirection::kFromTarget);
  }
}

void Cluster::Heal(size_t i) {
  for (auto& [link, proxy] : links_) {
    if (link.first == i || link.second == i) proxy->Heal();
  }
}

TcpProxy& Cluster::Link(size_t from, size_t to) {
  auto it = links_.find({from, to});
  if (it == links_.end()) Fail("no proxied link " + name(from) + " -> " + name(to));
  return *it->second;
}

std::optional<StatusTip> Cluster::Tip(size_t i) const {
  const NodeProcess& n = node(i);
  if (!n.running()) return std::nullopt;
  const RawResponse r = Get(n.port(), "/v1/status", std::chrono::milliseconds(2000));
  const json j = r.Json();
  if (!r.ok() || r.status != 200 || !j.is_object() || !j.contains("height")) return std::nullopt;
  return StatusTip{j["height"].get<uint64_t>(), j.value("state_root", "")};
}

uint64_t Cluster::MaxHeight(const std::vector<size_t>& nodes) const {
  uint64_t h = 0;
  for (size_t i : nodes) {
    if (std::optional<StatusTip> t = Tip(i)) h = std::max(h, t->height);
  }
  return h;
}

uint64_t Cluster::MinHeight(const std::vector<size_t>& nodes) const {
  std::optional<uint64_t> h;
  for (size_t i : nodes) {
    if (std::optional<StatusTip> t = Tip(i)) h = std::min(h.value_or(t->height), t->height);
  }
  return h.value_or(0);
}

void Cluster::WaitHeight(const std::vector<size_t>& nodes, uint64_t height,
                         std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    bool all = true;
    for (size_t i : nodes) {
      const std::optional<StatusTip> t = Tip(i);
      if (!t || t->height < height) {
        all = false;
        break;
      }
    }
    if (all) return;
    if (Clock::now() >= deadline) {
      std::string which;
      for (size_t i : nodes) which += " " + name(i);
      Fail("not every node of" + which + " reached height " + std::to_string(height) + " within " +
           std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void Cluster::WaitCaughtUp(const std::vector<size_t>& nodes, std::chrono::milliseconds timeout) {
  WaitHeight(nodes, MaxHeight(nodes), timeout);
}

std::vector<std::string> Cluster::Audit(const std::vector<CommittedTx>& committed,
                                        std::chrono::milliseconds timeout) {
  return Audit(committed, Running(), timeout);
}

std::vector<std::string> Cluster::Audit(const std::vector<CommittedTx>& committed,
                                        const std::vector<size_t>& nodes,
                                        std::chrono::milliseconds timeout) {
  std::vector<std::string> problems;
  auto problem = [&](std::string p) {
    if (problems.size() < kMaxProblems) problems.push_back(std::move(p));
  };
  if (nodes.empty()) return {"no node to audit"};

  // Every node must first hold every block a committed transaction is in.
  uint64_t needed = 0;
  for (const CommittedTx& c : committed) needed = std::max(needed, c.height);
  const Clock::time_point deadline = Clock::now() + timeout;
  std::map<size_t, uint64_t> tips;
  for (size_t i : nodes) {
    std::optional<StatusTip> t = Tip(i);
    while ((!t || t->height < needed) && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      t = Tip(i);
    }
    if (!t) {
      problem(name(i) + ": does not answer GET /v1/status");
      continue;
    }
    if (t->height < needed) {
      problem(name(i) + ": at height " + std::to_string(t->height) +
              ", below the height of a committed tx (" + std::to_string(needed) + ")");
    }
    tips[i] = t->height;
  }

  // Each node's chain on its own.
  for (const auto& [i, tip] : tips) {
    LedgerClient client = Client(i);
    try {
      for (const std::string& p : audits_.at(i).Run(client, committed)) problem(name(i) + ": " + p);
    } catch (const std::exception& e) {
      problem(name(i) + ": audit failed: " + e.what());
    }
  }

  // Across nodes, and against every earlier audit.
  uint64_t common = UINT64_MAX;
  for (const auto& [i, tip] : tips) common = std::min(common, tip);
  if (tips.empty()) common = 0;
  for (uint64_t h = 1; h <= common; ++h) {
    for (const auto& [i, tip] : tips) {
      const auto& hashes = audits_[i].block_hashes();
      const auto& roots = audits_[i].state_roots();
      auto hash = hashes.find(h);
      auto root = roots.find(h);
      if (hash == hashes.end() || root == roots.end()) {
        problem(name(i) + ": height " + std::to_string(h) + " was not audited");
        continue;
      }
      auto [seen_hash, fresh_hash] = chain_hashes_.emplace(h, hash->second);
      if (!fresh_hash && seen_hash->second != hash->second) {
        problem("height " + std::to_string(h) + ": " + name(i) + " has block " + hash->second +
                ", another node (or an earlier audit) had " + seen_hash->second);
      }
      auto [seen_root, fresh_root] = chain_roots_.emplace(h, root->second);
      if (!fresh_root && seen_root->second != root->second) {
        problem("height " + std::to_string(h) + ": " + name(i) + " has state root " + root->second +
                ", another node (or an earlier audit) had " + seen_root->second);
      }
    }
  }
  return problems;
}

std::string Cluster::Describe(size_t log_bytes) const {
  std::string out = "cluster in " + net_dir_ + ":\n";
  for (size_t i = 0; i < nodes_.size(); ++i) {
    out += "  " + name(i) + (validator(i) ? " (validator)" : " (full node)");
    if (!nodes_[i]->running()) {
      out += " down\n";
      continue;
    }
    const std::optional<StatusTip> t = Tip(i);
    out += t ? " height " + std::to_string(t->height) + " state root " +
                   t->state_root.substr(0, 16) + "\n"
             : " running, no answer to /v1/status\n";
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    out += "---- " + name(i) + " node.log ----\n" + nodes_[i]->LogTail(log_bytes) + "\n";
  }
  return out;
}

void Cluster::Fail(const std::string& what) const {
  throw std::runtime_error(what + "\n" + Describe());
}

}  // namespace circuledger::cluster

#include "node/testnet.h"

#include <algorithm>
#include <filesystem>

#include "ledger/crypto.h"
#include "ledger/genesis.h"
#include "node/config.h"
#include "node/init.h"

namespace circuledger::node {

namespace fs = std::filesystem;
using namespace circuledger::ledger;

namespace {

// "node12" or "full3": the folders a testnet writes (and the only ones --force removes).
bool IsTestnetHomeName(const std::string& name) {
  for (const char* prefix : {"node", "full"}) {
    if (name.size() > 4 && name.starts_with(prefix) &&
        name.find_first_not_of("0123456789", 4) == std::string::npos) {
      return true;
    }
  }
  return false;
}

// The first thing an earlier testnet wrote in dir, or "" when there is none.
std::string FindOldTestnet(const fs::path& dir) {
  std::error_code ec;
  for (const char* name : {"genesis.json", "dev-keys"}) {
    if (fs::exists(dir / name, ec)) return name;
  }
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() && IsTestnetHomeName(name)) return name;
  }
  return "";
}

// Removes what an earlier testnet wrote in dir; anything else there stays.
Status RemoveOldTestnet(const fs::path& dir) {
  std::error_code ec;
  fs::remove(dir / "genesis.json", ec);
  if (!ec) fs::remove_all(dir / "dev-keys", ec);
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory() && IsTestnetHomeName(it->path().filename().string())) {
      fs::remove_all(it->path(), ec);
    }
  }
  if (ec) return Status::IoError("cannot clear the old testnet in " + dir.string() + ": " + ec.message());
  return Status::Ok();
}

Config NodeConfig(const std::vector<TestnetNode>& nodes, size_t self) {
  Config c;
  c.genesis_file = "../genesis.json";
  c.http_listen = nodes[self].http_listen;
  c.p2p_listen = nodes[self].p2p_listen;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i == self) continue;
    c.peers.push_back(nodes[i].p2p_listen);
    if (!nodes[i].validator) c.peer_keys.push_back(nodes[i].key);
  }
  // A fresh network with no transactions would otherwise sit at height 0 and look dead.
  c.create_empty_blocks = true;
  c.empty_block_interval_ms = 1000;
  // The nodes of a testnet share one machine: one verification worker each, so that N nodes do
  // not run N x cores threads (bench/README.md: about 5-10% more committed tx/s with 4 nodes).
  c.verify_threads = 1;
  return c;
}

}  // namespace

Result<std::vector<TestnetNode>> PlanTestnet(const TestnetOptions& o) {
  if (o.home.empty()) return Status::InvalidArgument("testnet: a home directory is required");
  if (o.validators < 1 || o.validators > kMaxTestnetValidators) {
    return Status::InvalidArgument("testnet: validators must be 1.." + std::to_string(kMaxTestnetValidators));
  }
  if (o.full_nodes > kMaxTestnetFullNodes) {
    return Status::InvalidArgument("testnet: full nodes must be 0.." + std::to_string(kMaxTestnetFullNodes));
  }
  const uint32_t count = o.validators + o.full_nodes;
  const uint64_t last_port = uint64_t{o.base_port} + 2 * count - 1;
  if (o.base_port < 1 || last_port > 65535) {
    return Status::InvalidArgument("testnet: ports " + std::to_string(o.base_port) + ".." +
                                   std::to_string(last_port) + " do not fit in 1..65535");
  }
  std::vector<TestnetNode> nodes;
  for (uint32_t i = 0; i < count; ++i) {
    TestnetNode n;
    n.validator = i < o.validators;
    n.name = n.validator ? "node" + std::to_string(i) : "full" + std::to_string(i - o.validators);
    n.home = (fs::path(o.home) / n.name).string();
    n.http_listen = "127.0.0.1:" + std::to_string(o.base_port + 2 * i);
    n.p2p_listen = "127.0.0.1:" + std::to_string(o.base_port + 2 * i + 1);
    nodes.push_back(std::move(n));
  }
  return nodes;
}

Result<std::vector<TestnetNode>> InitTestnet(const TestnetOptions& o) {
  Result<std::vector<TestnetNode>> planned = PlanTestnet(o);
  if (!planned.ok()) return planned.status();
  std::vector<TestnetNode>& nodes = *planned;
  const fs::path dir(o.home);
  if (const std::string old = FindOldTestnet(dir); !old.empty() && !o.force) {
    return Status::InvalidArgument(o.home + " already holds a testnet (" + old + "); use --force to replace it");
  }

  // Everything is made and checked before the first file is written or removed.
  DevGenesis dev = MakeDevGenesis(o.chain_id);
  std::vector<SecretKey> keys;
  for (TestnetNode& n : nodes) {
    keys.push_back(SecretKey::Generate());
    n.key = keys.back().Public().ToHex();
    if (n.validator) dev.genesis.validators.push_back(Validator{keys.back().Public(), n.name, n.p2p_listen});
  }
  std::sort(dev.genesis.validators.begin(), dev.genesis.validators.end(),
            [](const Validator& a, const Validator& b) { return a.key < b.key; });
  if (Status s = ValidateGenesis(dev.genesis); !s.ok()) return s;

  if (o.force) {
    if (Status s = RemoveOldTestnet(dir); !s.ok()) return s;
  }
  if (Status s = WriteDevKeys(dev, (dir / "dev-keys").string()); !s.ok()) return s;
  if (Status s = WriteTextFile((dir / "genesis.json").string(), GenesisToJson(dev.genesis), false); !s.ok()) {
    return s;
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    const fs::path home(nodes[i].home);
    std::error_code ec;
    fs::create_directories(home, ec);
    if (ec) return Status::IoError("cannot create " + home.string() + ": " + ec.message());
    const std::string key_hex = HexEncode(keys[i].Bytes()) + "\n";
    if (Status s = WriteTextFile((home / "node_key").string(), key_hex, true); !s.ok()) return s;
    const std::string config = ConfigToJson(NodeConfig(nodes, i));
    if (Status s = WriteTextFile((home / "config.json").string(), config, false); !s.ok()) return s;
  }
  return nodes;
}

}  // namespace circuledger::node

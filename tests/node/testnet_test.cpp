// `circuledgerd testnet` (node/testnet.h): the written homes load, the genesis lists exactly the
// validators' node keys, ports are unique, full nodes are allowed in, and nothing is overwritten
// without force (tag [testnet]).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "ledger/crypto.h"
#include "ledger/genesis.h"
#include "node/config.h"
#include "node/testnet.h"

namespace circuledger::node {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("circuledger-testnet-" + std::to_string(rd()) + std::to_string(rd()));
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

std::string ReadLine(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The public key of the secret in a node_key file, as hex.
std::string PublicOfKeyFile(const fs::path& p) {
  auto raw = ledger::HexDecode(ReadLine(p));
  REQUIRE(raw);
  auto key = ledger::SecretKey::FromBytes(*raw);
  REQUIRE(key);
  return key->Public().ToHex();
}

TEST_CASE("testnet: homes load, the genesis holds the validators' keys, ports are unique", "[testnet]") {
  TempDir dir;
  TestnetOptions o;
  o.home = dir.path.string();
  o.validators = 4;
  o.full_nodes = 2;
  o.base_port = 30000;
  auto nodes = InitTestnet(o);
  REQUIRE(nodes.ok());
  REQUIRE(nodes->size() == 6);

  auto genesis = ledger::GenesisFromFile((dir.path / "genesis.json").string());
  REQUIRE(genesis.ok());
  CHECK(genesis->chain_id == "circuledger-testnet");
  REQUIRE(genesis->validators.size() == 4);
  std::set<std::string> genesis_keys;
  for (const ledger::Validator& v : genesis->validators) genesis_keys.insert(v.key.ToHex());

  std::set<std::string> ports, validator_keys, full_keys;
  for (const TestnetNode& n : *nodes) {
    INFO(n.name);
    const fs::path home = dir.path / n.name;
    CHECK(n.home == home.string());
    auto config = LoadConfig((home / "config.json").string());
    REQUIRE(config.ok());
    CHECK(config->http_listen == n.http_listen);
    CHECK(config->p2p_listen == n.p2p_listen);
    CHECK(fs::equivalent(home / config->genesis_file, dir.path / "genesis.json"));
    CHECK(PublicOfKeyFile(home / config->node_key_file) == n.key);
    CHECK((fs::status(home / "node_key").permissions() & fs::perms::others_read) == fs::perms::none);
    CHECK(config->peers.size() == 5);
    CHECK(std::count(config->peers.begin(), config->peers.end(), n.p2p_listen) == 0);
    CHECK(ports.insert(n.http_listen).second);
    CHECK(ports.insert(n.p2p_listen).second);
    (n.validator ? validator_keys : full_keys).insert(n.key);
  }
  CHECK(validator_keys == genesis_keys);
  CHECK(full_keys.size() == 2);
  CHECK(*ports.begin() == "127.0.0.1:30000");
  CHECK(*ports.rbegin() == "127.0.0.1:30011");
  // Every node lets the full nodes in (except itself): validators accept them, so do other full nodes.
  auto v0 = LoadConfig((dir.path / "node0" / "config.json").string());
  REQUIRE(v0.ok());
  CHECK(std::set<std::string>(v0->peer_keys.begin(), v0->peer_keys.end()) == full_keys);
  auto f0 = LoadConfig((dir.path / "full0" / "config.json").string());
  REQUIRE(f0.ok());
  CHECK(f0->peer_keys == std::vector<std::string>{(*nodes)[5].key});
  // The wallet's keys, as init --dev writes them: one per genesis org, secret.
  for (const ledger::Org& org : genesis->orgs) {
    const fs::path key_file = dir.path / "dev-keys" / (org.id + ".key");
    CHECK(PublicOfKeyFile(key_file) == org.members.at(0).ToHex());
  }
}

TEST_CASE("testnet: refuses bad counts and ports, and an existing testnet without force", "[testnet]") {
  TempDir dir;
  TestnetOptions o;
  o.home = dir.path.string();
  o.validators = 0;
  CHECK(InitTestnet(o).status().IsInvalidArgument());
  o.validators = kMaxTestnetValidators + 1;
  CHECK(InitTestnet(o).status().IsInvalidArgument());
  o.validators = 2;
  o.full_nodes = kMaxTestnetFullNodes + 1;
  CHECK(InitTestnet(o).status().IsInvalidArgument());
  o.full_nodes = 0;
  o.base_port = 65533;  // two nodes need 65533..65536
  CHECK(InitTestnet(o).status().IsInvalidArgument());
  o.base_port = 65532;
  o.chain_id = "Not A Chain Id";  // refused by ValidateGenesis, before anything is written
  CHECK(InitTestnet(o).status().IsInvalidArgument());
  o.chain_id = TestnetOptions{}.chain_id;
  CHECK(!fs::exists(dir.path));  // nothing written for refused options

  auto first = InitTestnet(o);
  REQUIRE(first.ok());
  const std::string genesis_before = ReadAll(dir.path / "genesis.json");
  CHECK(InitTestnet(o).status().IsInvalidArgument());
  CHECK(ReadAll(dir.path / "genesis.json") == genesis_before);
  CHECK(PublicOfKeyFile(dir.path / "node0" / "node_key") == (*first)[0].key);

  // With force: a smaller testnet replaces it; the old node1 and the database go, other files stay.
  fs::create_directories(dir.path / "node0" / "data");
  std::ofstream(dir.path / "notes.txt") << "mine\n";
  o.validators = 1;
  o.force = true;
  auto replaced = InitTestnet(o);
  REQUIRE(replaced.ok());
  CHECK((*replaced)[0].key != (*first)[0].key);
  CHECK(!fs::exists(dir.path / "node1"));
  CHECK(!fs::exists(dir.path / "node0" / "data"));
  CHECK(fs::exists(dir.path / "notes.txt"));
  auto genesis = ledger::GenesisFromFile((dir.path / "genesis.json").string());
  REQUIRE(genesis.ok());
  REQUIRE(genesis->validators.size() == 1);
  CHECK(genesis->validators[0].key.ToHex() == (*replaced)[0].key);
}

}  // namespace
}  // namespace circuledger::node

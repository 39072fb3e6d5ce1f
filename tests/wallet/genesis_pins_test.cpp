// wallet/genesis_pins: the genesis hash pinned per node URL, trust on first use, refusal of a
// node that presents another chain, atomic pin file (against the fake node of fake_http.h).
#include "wallet/genesis_pins.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "ledger/encoding.h"
#include "tests/wallet/fake_http.h"
#include "wallet/builder.h"
#include "wallet/keystore.h"

using namespace circuledger;
using circuledger::testing::FakeHttpServer;
using circuledger::testing::FakeRequest;
using circuledger::testing::FakeResponse;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kGenesisA = std::string(62, 'a') + "01";
const std::string kGenesisB = std::string(62, 'b') + "02";

struct TempDir {
  std::string path;
  TempDir() {
    std::random_device rd;
    path = (fs::temp_directory_path() / ("circuledger-pins-" + std::to_string(rd()) + std::to_string(rd()))).string();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

ledger::Hash256 Hash(const std::string& hex) { return *ledger::Hash256::FromHex(hex); }

wallet::Client ClientFor(const FakeHttpServer& s) {
  wallet::ClientOptions o;
  o.base_url = s.url();
  return *wallet::Client::Create(o);
}

// A fake node whose /v1/status presents *genesis; it accepts any transaction.
FakeHttpServer::Handler NodePresenting(const std::string* genesis, std::atomic<int>* posts) {
  return [genesis, posts](const FakeRequest& r) -> FakeResponse {
    if (r.target == "/v1/status") return {200, json{{"chain_id", "same-id"}, {"genesis_hash", *genesis}}.dump()};
    if (r.target.rfind("/v1/accounts/", 0) == 0) return {404, R"({"error":{"code":"not-found","message":"?"}})"};
    if (r.method == "POST") {
      ++*posts;
      auto tx = ledger::Decode<ledger::Tx>(*ledger::HexDecode(json::parse(r.body)["tx"].get<std::string>()));
      return {200, json{{"id", ledger::TxId(tx->body).ToHex()}, {"status", "pending"}}.dump()};
    }
    return {404, R"({"error":{"code":"not-found","message":"?"}})"};
  };
}

ledger::SecretKey Key() { return *ledger::SecretKey::FromBytes(std::string(31, '\0') + "\x03"); }

}  // namespace

TEST_CASE("genesis pins: node URLs in canonical form", "[wallet]") {
  CHECK(*wallet::NodeUrlKey("http://127.0.0.1:8645") == "http://127.0.0.1:8645");
  CHECK(*wallet::NodeUrlKey("http://LocalHost") == "http://localhost:80");
  CHECK(*wallet::NodeUrlKey("http://localhost:80/") == "http://localhost:80");
  CHECK(*wallet::NodeUrlKey("http://node.example:9000/api/") == "http://node.example:9000/api");
  CHECK(*wallet::NodeUrlKey("http://[::1]:8645") == "http://[::1]:8645");
  CHECK(wallet::NodeUrlKey("https://node.example").status().IsInvalidArgument());
  CHECK(wallet::NodeUrlKey("node.example:80").status().IsInvalidArgument());
}

TEST_CASE("genesis pins: set, get, replace; the file is atomic and never taken for a key", "[wallet]") {
  TempDir dir;
  const wallet::GenesisPins pins(dir.path + "/keys");
  REQUIRE(pins.Get("http://127.0.0.1:8645").ok());
  CHECK_FALSE(pins.Get("http://127.0.0.1:8645")->has_value());  // no file yet: nothing pinned
  REQUIRE(pins.Set("http://127.0.0.1:8645/", Hash(kGenesisA)).ok());
  REQUIRE(pins.Set("http://other:1", Hash(kGenesisB)).ok());
  CHECK(**pins.Get("http://127.0.0.1:8645") == Hash(kGenesisA));
  CHECK(**pins.Get("http://other:1/") == Hash(kGenesisB));
  REQUIRE(pins.Set("http://127.0.0.1:8645", Hash(kGenesisB)).ok());
  CHECK(**pins.Get("http://127.0.0.1:8645") == Hash(kGenesisB));
  CHECK(pins.All()->size() == 2);
  // One file, 0600 in a 0700 directory, no temporary left behind.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path + "/keys")) {
    ++files;
    CHECK(e.path().filename() == "genesis.pins");
  }
  CHECK(files == 1);
  CHECK((fs::status(pins.path()).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
  CHECK((fs::status(dir.path + "/keys").permissions() & fs::perms::all) == fs::perms::owner_all);
  // The keystore beside it lists keys only.
  std::vector<std::string> problems;
  auto keys = wallet::Keystore(wallet::KeystoreOptions{dir.path + "/keys", 1024}).List(&problems);
  REQUIRE(keys.ok());
  CHECK(keys->empty());
  CHECK(problems.empty());
}

TEST_CASE("genesis pins: a damaged pins file is an error, never an empty set", "[wallet]") {
  TempDir dir;
  const wallet::GenesisPins pins(dir.path);
  REQUIRE(pins.Set("http://127.0.0.1:8645", Hash(kGenesisA)).ok());
  for (const std::string& bad :
       {std::string("not json"), std::string(R"({"version":2,"pins":{}})"),
        std::string(R"({"version":1,"pins":{"http://127.0.0.1:8645":"abc"}})"),
        std::string(R"({"version":1,"pins":{"http://127.0.0.1:8645/":")") + kGenesisA + "\"}}"}) {
    INFO(bad);
    std::ofstream(pins.path(), std::ios::trunc) << bad;
    wallet::Result<std::optional<ledger::Hash256>> got = pins.Get("http://127.0.0.1:8645");
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == wallet::Status::Code::kKeystoreIo);
    CHECK_THAT(got.status().message(), Catch::Contains("genesis.pins"));
    // Nor does first-use pinning paper over it.
    CHECK_FALSE(pins.Set("http://127.0.0.1:8645", Hash(kGenesisB)).ok());
  }
}

TEST_CASE("genesis pins: trust on first use, then a node presenting another genesis is refused", "[wallet]") {
  TempDir dir;
  const wallet::GenesisPins pins(dir.path);
  std::string presented = kGenesisA;
  std::atomic<int> posts{0};
  FakeHttpServer node(NodePresenting(&presented, &posts));
  const wallet::Client client = ClientFor(node);

  bool pinned_now = false;
  wallet::Result<ledger::Hash256> first = wallet::TrustedGenesisHash(client, pins, node.url(), &pinned_now);
  REQUIRE(first.ok());
  CHECK(*first == Hash(kGenesisA));
  CHECK(pinned_now);
  CHECK(**pins.Get(node.url()) == Hash(kGenesisA));
  wallet::Result<ledger::Hash256> again = wallet::TrustedGenesisHash(client, pins, node.url(), &pinned_now);
  REQUIRE(again.ok());
  CHECK_FALSE(pinned_now);

  // The same URL now serves another chain (same chain id, another genesis): refused, pin kept.
  presented = kGenesisB;
  wallet::Result<ledger::Hash256> other = wallet::TrustedGenesisHash(client, pins, node.url(), &pinned_now);
  REQUIRE_FALSE(other.ok());
  CHECK(other.status().IsWrongChain());
  CHECK_THAT(other.status().message(), Catch::Contains(kGenesisA) && Catch::Contains(kGenesisB) &&
                                           Catch::Contains("circuledger node trust --genesis-hash " + kGenesisB));
  CHECK(**pins.Get(node.url()) == Hash(kGenesisA));

  // A submitter told to sign for the pinned chain refuses that node before signing anything.
  wallet::SubmitOptions o;
  o.wait = false;
  o.genesis_hash = Hash(kGenesisA);
  auto sent = wallet::Submitter(client, o).Send(*wallet::MakeDispose("lot-1"), Key());
  REQUIRE_FALSE(sent.ok());
  CHECK(sent.status().IsWrongChain());
  CHECK(posts == 0);
  // Back on the pinned chain, it signs for that genesis hash.
  presented = kGenesisA;
  sent = wallet::Submitter(client, o).Send(*wallet::MakeDispose("lot-1"), Key());
  REQUIRE(sent.ok());
  CHECK(posts == 1);
  std::string posted;
  for (const FakeRequest& r : node.requests()) {
    if (r.method == "POST") posted = r.body;
  }
  auto tx = ledger::Decode<ledger::Tx>(*ledger::HexDecode(json::parse(posted)["tx"].get<std::string>()));
  REQUIRE(tx.ok());
  CHECK(tx->body.genesis_hash == Hash(kGenesisA));
}

TEST_CASE("genesis pins: a node without a valid genesis_hash is not trusted", "[wallet]") {
  TempDir dir;
  const wallet::GenesisPins pins(dir.path);
  std::string status = R"({"chain_id":"c"})";
  FakeHttpServer node([&](const FakeRequest&) -> FakeResponse { return {200, status}; });
  const wallet::Client client = ClientFor(node);
  for (const std::string& s : {std::string(R"({"chain_id":"c"})"), std::string(R"({"genesis_hash":"xyz"})"),
                               std::string(R"({"genesis_hash":7})")}) {
    status = s;
    wallet::Result<ledger::Hash256> r = wallet::TrustedGenesisHash(client, pins, node.url());
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsUnavailable());
  }
  CHECK(pins.All()->empty());  // nothing pinned
}

// The HTTP API's handler in process (no sockets): routes, errors, percent-encoded ids, and that
// bad input changes nothing. Real processes over loopback are tested in tests/cluster/.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "ledger/encoding.h"
#include "node/api.h"
#include "node/init.h"

using namespace circuledger;
using namespace circuledger::ledger;
using nlohmann::json;

namespace {

std::string ReadKey(const std::string& path) {
  std::ifstream in(path);
  std::string hex;
  in >> hex;
  return hex;
}

// A dev home in a temp dir with a running node (producer on), and the API over it.
struct NodeFixture {
  std::string home;
  node::Logger log{std::cerr, node::Logger::Level::kWarn};
  std::unique_ptr<node::Node> n;
  std::unique_ptr<node::Api> api;

  // `extra` is merged over the test's config.json (e.g. a p2p_listen).
  explicit NodeFixture(const json& extra = json::object()) {
    std::random_device rd;
    home = (std::filesystem::temp_directory_path() / ("circuledger-api-" + std::to_string(rd()))).string();
    node::DevInitOptions o;
    o.home = home;
    REQUIRE(node::InitDevHome(o).ok());
    // Fast blocks and no fsync: this test is about the API, not durability.
    json config = {{"block_min_interval_ms", 10}, {"sync_writes", false}, {"log_level", "warn"}};
    config.merge_patch(extra);
    std::ofstream(home + "/config.json") << config.dump();
    auto opened = node::Node::Open(home, log);
    REQUIRE(opened.ok());
    n = std::move(opened).value();
    api = std::make_unique<node::Api>(*n);
    n->Start();
  }
  ~NodeFixture() {
    n->Stop();
    n.reset();
    std::filesystem::remove_all(home);
  }

  SecretKey Key(const std::string& org) { return *SecretKey::FromBytes(*HexDecode(ReadKey(home + "/dev-keys/" + org + ".key"))); }

  network::HttpResponse Call(const std::string& method, const std::string& target, const std::string& body = "") {
    return api->Handle(network::HttpRequest{method, target, body});
  }
  json CallJson(const std::string& method, const std::string& target, unsigned expect, const std::string& body = "") {
    network::HttpResponse r = Call(method, target, body);
    INFO(method << " " << target << " -> " << r.status << " " << r.body);
    CHECK(r.status == expect);
    return json::parse(r.body);
  }

  Tx Sign(const std::string& org, Op op) {
    const SecretKey k = Key(org);
    json acc = CallJson("GET", "/v1/accounts/" + k.Public().ToHex(), 200);
    TxBody b;
    b.genesis_hash = GenesisHash(n->genesis());
    b.signer = k.Public();
    b.nonce = acc["pending_nonce"].get<uint64_t>();
    b.op = std::move(op);
    return SignTx(std::move(b), k);
  }
  std::string Body(const Tx& tx) { return json{{"tx", HexEncode(Encode(tx))}}.dump(); }

  // Submits and waits until committed; returns the tx status JSON.
  json SubmitAndWait(const Tx& tx) {
    json r = CallJson("POST", "/v1/tx", 200, Body(tx));
    const std::string id = r["id"];
    for (int i = 0; i < 500; ++i) {
      json s = CallJson("GET", "/v1/tx/" + id, 200);
      if (s["status"] != "pending") return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("transaction not committed in 5 s");
    return {};
  }
  std::pair<uint64_t, std::string> Tip() { return {n->store().Tip().height, n->store().Tip().state_root.ToHex()}; }
};

Composition Co(uint64_t mg) { return Composition{{{"Co", mg, 0}}}; }

}  // namespace

TEST_CASE("api: submit, status, lot, account, block", "[node]") {
  NodeFixture f;
  const std::string id = "urn:epc:id:sgtin:0614141.107346.2017/lot:A1";
  json s = f.SubmitAndWait(f.Sign("mine", CreateLot{id, Co(1000)}));
  CHECK(s["status"] == "committed");
  CHECK(s["height"] == 1);
  CHECK(s["tx"]["op"]["type"] == "create_lot");
  // Ids with '/' and ':' are percent-encoded in paths.
  json lot = f.CallJson("GET", "/v1/lots/urn%3Aepc%3Aid%3Asgtin%3A0614141.107346.2017%2Flot%3AA1", 200);
  CHECK(lot["id"] == id);
  CHECK(lot["owner"] == "mine");
  CHECK(lot["composition"][0]["total_mg"] == 1000);
  json acc = f.CallJson("GET", "/v1/accounts/" + f.Key("mine").Public().ToHex(), 200);
  CHECK(acc["org"] == "mine");
  CHECK(acc["next_nonce"] == 1);
  json block = f.CallJson("GET", "/v1/blocks/1", 200);
  CHECK(block["txs"].size() == 1);
  // ?txs=ids: the ids and signatures in block order, from which the header's tx root is
  // recomputed (the ids alone no longer suffice: the root commits to the signatures too).
  json ids = f.CallJson("GET", "/v1/blocks/1?txs=ids", 200);
  CHECK(!ids.contains("txs"));
  REQUIRE(ids["tx_ids"].size() == 1);
  REQUIRE(ids["tx_signatures"].size() == 1);
  CHECK(ids["tx_ids"][0] == s["id"]);
  CHECK(ids["tx_signatures"][0] == block["txs"][0]["signature"]);
  const Hash256 id0 = *Hash256::FromHex(ids["tx_ids"][0].get<std::string>());
  const Signature sig0 = *Signature::FromHex(ids["tx_signatures"][0].get<std::string>());
  CHECK(MerkleRoot({TxCommitment(id0, sig0)}).ToHex() == ids["header"]["tx_root"]);
  CHECK(MerkleRoot({id0}).ToHex() != ids["header"]["tx_root"]);
  CHECK(f.CallJson("GET", "/v1/blocks/1?txs=full", 200)["txs"] == block["txs"]);
  CHECK(f.CallJson("GET", "/v1/blocks/1?txs=some", 400)["error"]["code"] == "bad-query");
  CHECK(f.CallJson("GET", "/v1/blocks/1?limit=3", 400)["error"]["code"] == "bad-query");
  CHECK(f.CallJson("GET", "/v1/blocks/latest", 200)["header"]["height"] == 1);
  CHECK(f.CallJson("GET", "/v1/status", 200)["height"] == 1);
  CHECK(f.CallJson("GET", "/v1/orgs/mine", 200)["roles"][0] == "supplier");
  // Submitting the same transaction again is harmless: it answers "committed".
  const Tx again = f.Sign("mine", CreateLot{"x", Co(1)});
  f.SubmitAndWait(again);
  CHECK(f.CallJson("POST", "/v1/tx", 200, f.Body(again))["status"] == "committed");
}

TEST_CASE("api: /v1/params shows every chain parameter, and a set_params proposal shows them all", "[node]") {
  NodeFixture f;
  const Params& genesis = f.n->genesis().params;
  const json p = f.CallJson("GET", "/v1/params", 200);
  size_t fields = 0;
  ForEachParam(genesis, [&](const char* name, const auto& value) {
    INFO(name);
    ++fields;
    CHECK(p.at(name).get<uint64_t>() == value);
  });
  CHECK(p.size() == fields);
  CHECK(fields == 8);
  CHECK(f.CallJson("POST", "/v1/params", 405)["error"]["code"] == "method-not-allowed");
  CHECK(f.CallJson("GET", "/v1/params/x", 404)["error"]["code"] == "not-found");
  // The proposal's JSON carries every parameter, the consensus timeouts included.
  Params changed = genesis;
  changed.timeout_vote_ms = 1234;
  const json s = f.SubmitAndWait(f.Sign("admin-1", Propose{SetParams{changed}}));
  REQUIRE(s["status"] == "committed");
  const json change = s["tx"]["op"]["change"];
  INFO(s.dump());
  CHECK(change["type"] == "set_params");
  CHECK(change["timeout_vote_ms"] == 1234);
  CHECK(change["timeout_propose_ms"] == genesis.timeout_propose_ms);
  CHECK(change["timeout_delta_ms"] == genesis.timeout_delta_ms);
  CHECK(change.size() == fields + 1);
}

TEST_CASE("node: a peer's transaction with a used nonce is dropped before its signature is checked", "[node]") {
  NodeFixture f;
  const Tx first = f.Sign("mine", CreateLot{"used", Co(10)});
  f.SubmitAndWait(first);
  // Nonce 0 again, with a bad signature: a client is told about the signature (checked first); a
  // peer's copy is dropped on its nonce, unverified.
  Tx stale = first;
  stale.sig.bytes[5] ^= 1;
  const size_t pending = f.n->mempool().Size();
  node::SubmitResult client = f.n->SubmitTx(stale);
  CHECK(client.status.RejectString() == "bad-signature");
  node::SubmitResult peer = f.n->SubmitTx(stale, /*from_peer=*/true);
  CHECK(peer.status.RejectString() == "bad-nonce");
  // The committed original from a peer: dropped the same way; from a client: "committed".
  CHECK(f.n->SubmitTx(first, true).status.RejectString() == "bad-nonce");
  const node::SubmitResult again = f.n->SubmitTx(first);
  CHECK(again.status.ok());
  CHECK(again.state == node::TxStatus::State::kCommitted);
  CHECK(f.n->mempool().Size() == pending);
}

TEST_CASE("api: a submitted tx body is read the same with or without JSON whitespace, escapes or extra fields", "[node]") {
  NodeFixture f;
  auto hex = [&](const Tx& tx) { return HexEncode(Encode(tx)); };
  // The plain form and its spaced-out twin take the fast path; the others the JSON parser.
  CHECK(f.CallJson("POST", "/v1/tx", 200, "{\"tx\":\"" + hex(f.Sign("mine", CreateLot{"w1", Co(1)})) + "\"}")["status"] ==
        "pending");
  CHECK(f.CallJson("POST", "/v1/tx", 200, " {\r\n\t\"tx\" :  \"" + hex(f.Sign("mine", CreateLot{"w2", Co(1)})) + "\" } \n")
            ["status"] == "pending");
  std::string escaped = hex(f.Sign("mine", CreateLot{"w3", Co(1)}));
  const std::string first(1, escaped[0]);
  escaped = "\\u00" + HexEncode(first) + escaped.substr(1);  // the first digit as a \u escape
  CHECK(f.CallJson("POST", "/v1/tx", 200, "{\"tx\":\"" + escaped + "\"}")["status"] == "pending");
  CHECK(f.CallJson("POST", "/v1/tx", 200, "{\"tx\":\"" + hex(f.Sign("mine", CreateLot{"w4", Co(1)})) + "\",\"note\":1}")
            ["status"] == "pending");
  // Space inside the string is part of it: not hex, whichever path reads it.
  CHECK(f.CallJson("POST", "/v1/tx", 400, "{\"tx\":\"" + hex(f.Sign("mine", CreateLot{"w5", Co(1)})) + " \"}")
            ["error"]["code"] == "malformed");
  CHECK(f.CallJson("POST", "/v1/tx", 400, "{\"tx\":\"00\"} x")["error"]["code"] == "bad-json");
  CHECK(f.CallJson("POST", "/v1/tx", 400, "{\"tx\":\"00\"")["error"]["code"] == "bad-json");
}

TEST_CASE("api: bad input is a clear error and changes nothing", "[node]") {
  NodeFixture f;
  f.SubmitAndWait(f.Sign("mine", CreateLot{"a", Co(10)}));
  const auto before = f.Tip();
  CHECK(f.CallJson("POST", "/v1/tx", 400, "{not json")["error"]["code"] == "bad-json");
  CHECK(f.CallJson("POST", "/v1/tx", 400, "[]")["error"]["code"] == "bad-json");
  CHECK(f.CallJson("POST", "/v1/tx", 400, R"({"tx": 5})")["error"]["code"] == "bad-json");
  CHECK(f.CallJson("POST", "/v1/tx", 400, R"({"tx": "xyz"})")["error"]["code"] == "malformed");
  const std::string good = HexEncode(Encode(f.Sign("mine", CreateLot{"b", Co(1)})));
  CHECK(f.CallJson("POST", "/v1/tx", 400, json{{"tx", good.substr(0, good.size() - 20)}}.dump())["error"]["code"] ==
        "malformed");
  CHECK(f.CallJson("POST", "/v1/tx", 400, json{{"tx", good + "00"}}.dump())["error"]["code"] == "trailing-bytes");
  Tx flipped = f.Sign("mine", CreateLot{"b", Co(1)});
  flipped.sig.bytes[5] ^= 1;
  CHECK(f.CallJson("POST", "/v1/tx", 400, f.Body(flipped))["error"]["code"] == "bad-signature");
  CHECK(f.CallJson("POST", "/v1/tx", 400, f.Body(f.Sign("refinery", Transfer{"a", "oem"})))["error"]["code"] ==
        "not-owner");
  CHECK(f.CallJson("POST", "/v1/tx", 400, f.Body(f.Sign("mine", CreateLot{"a", Co(1)})))["error"]["code"] ==
        "id-exists");
  CHECK(f.CallJson("POST", "/v1/tx", 400, f.Body(f.Sign("mine", CreateLot{"r", Composition{{{"Co", 5, 5}}}})))
            ["error"]["code"] == "recycled-not-allowed");
  CHECK(f.CallJson("GET", "/v1/tx", 405)["error"]["code"] == "method-not-allowed");
  CHECK(f.CallJson("POST", "/v1/lots/a", 405)["error"]["code"] == "method-not-allowed");
  CHECK(f.CallJson("GET", "/v1/unknown", 404)["error"]["code"] == "not-found");
  CHECK(f.CallJson("GET", "/elsewhere", 404)["error"]["code"] == "not-found");
  CHECK(f.CallJson("GET", "/v1/lots/%zz", 400)["error"]["code"] == "bad-path");
  CHECK(f.CallJson("GET", "/v1/lots/nothing", 404)["error"]["code"] == "not-found");
  CHECK(f.CallJson("GET", "/v1/tx/abc", 400)["error"]["code"] == "bad-hex");
  CHECK(f.CallJson("GET", "/v1/accounts/zz", 400)["error"]["code"] == "bad-hex");
  CHECK(f.CallJson("GET", "/v1/blocks/x", 400)["error"]["code"] == "bad-height");
  CHECK(f.CallJson("GET", "/v1/blocks/99", 404)["error"]["code"] == "not-found");
  CHECK(f.CallJson("GET", "/v1/lots/a/trace?direction=sideways", 400)["error"]["code"] == "bad-query");
  CHECK(f.CallJson("GET", "/v1/lots/a/trace?limit=0", 400)["error"]["code"] == "bad-query");
  CHECK(f.CallJson("GET", "/v1/lots/a/trace?bogus=1", 400)["error"]["code"] == "bad-query");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(f.Tip() == before);
}

TEST_CASE("api: trace backward and forward, paged", "[node]") {
  NodeFixture f;
  f.SubmitAndWait(f.Sign("mine", CreateLot{"ore", Co(1000)}));
  f.SubmitAndWait(f.Sign("mine", Transform{{"ore"}, {OutputLot{"a", Co(400)}, OutputLot{"b", Co(500)}}, {}, {}}));
  f.SubmitAndWait(f.Sign("mine", Transform{{"a"}, {OutputLot{"a1", Co(400)}}, {}, {}}));
  json fwd = f.CallJson("GET", "/v1/lots/ore/trace?direction=forward", 200);
  std::vector<std::string> ids;
  for (const auto& n : fwd["nodes"]) ids.push_back(n["id"]);
  CHECK(ids == std::vector<std::string>{"ore", "a", "b", "a1"});
  CHECK(fwd["edges"].size() == 3);
  CHECK(fwd["truncated"] == false);
  json back = f.CallJson("GET", "/v1/lots/a1/trace?direction=backward", 200);
  CHECK(back["nodes"].size() == 3);
  CHECK(back["edges"][0] == json{{"from", "a"}, {"to", "a1"}});
  json page = f.CallJson("GET", "/v1/lots/ore/trace?direction=forward&limit=2", 200);
  CHECK(page["nodes"].size() == 2);
  CHECK(page["truncated"] == true);
  json page2 = f.CallJson("GET", "/v1/lots/ore/trace?direction=forward&limit=2&offset=2", 200);
  CHECK(page2["nodes"][0]["id"] == "b");
  CHECK(page2["truncated"] == false);
  json shallow = f.CallJson("GET", "/v1/lots/ore/trace?direction=forward&depth=1", 200);
  CHECK(shallow["nodes"].size() == 3);
}

TEST_CASE("api: a trace request walks at most 10000 nodes: offset + limit beyond is 400", "[node]") {
  NodeFixture f;
  f.SubmitAndWait(f.Sign("mine", CreateLot{"ore", Co(1000)}));
  // The largest page from the start and the last page that ends at the bound are fine.
  f.CallJson("GET", "/v1/lots/ore/trace?limit=10000", 200);
  json last = f.CallJson("GET", "/v1/lots/ore/trace?offset=9000&limit=1000", 200);
  CHECK(last["nodes"].empty());
  // Before: offset up to 2^32 - 1 walked offset + limit nodes of a large graph for one request.
  for (const char* q : {"offset=9001&limit=1000", "offset=4294967295", "offset=10000&limit=1"}) {
    INFO(q);
    json e = f.CallJson("GET", std::string("/v1/lots/ore/trace?") + q, 400);
    CHECK(e["error"]["code"] == "bad-query");
    CHECK(e["error"]["message"].get<std::string>().find("offset + limit must be at most 10000") != std::string::npos);
  }
}

TEST_CASE("api: a nonce beyond the mempool window is bad-nonce; pending_txs counts what waits", "[node]") {
  NodeFixture f;
  const SecretKey k = f.Key("mine");
  auto signed_at = [&](uint64_t nonce, const std::string& lot) {
    TxBody b;
    b.genesis_hash = GenesisHash(f.n->genesis());
    b.signer = k.Public();
    b.nonce = nonce;
    b.op = CreateLot{lot, Co(10)};
    return SignTx(std::move(b), k);
  };
  // Committed next nonce 0; the window (64) holds nonces 0..63.
  json beyond = f.CallJson("POST", "/v1/tx", 400, f.Body(signed_at(64, "beyond")));
  CHECK(beyond["error"]["code"] == "bad-nonce");
  json ahead = f.CallJson("POST", "/v1/tx", 200, f.Body(signed_at(63, "ahead")));
  CHECK(ahead["status"] == "pending");
  json acc = f.CallJson("GET", "/v1/accounts/" + k.Public().ToHex(), 200);
  CHECK(acc["next_nonce"] == 0);
  CHECK(acc["pending_nonce"] == 0);  // the gap: nonce 0 is what a new transaction should use
  CHECK(acc["pending_txs"] == 1);
}

TEST_CASE("api: metrics", "[node]") {
  NodeFixture f;
  f.SubmitAndWait(f.Sign("mine", CreateLot{"a", Co(10)}));
  f.Call("POST", "/v1/tx", f.Body(f.Sign("mine", CreateLot{"a", Co(1)})));
  network::HttpResponse r = f.Call("GET", "/metrics");
  CHECK(r.status == 200);
  CHECK(r.body.find("circuledger_height 1") != std::string::npos);
  // Two signatures checked: the first transaction's at admission (its block then hit the cache),
  // and the second's.
  CHECK(r.body.find("circuledger_signatures_verified_total 2\n") != std::string::npos);
  CHECK(r.body.find("circuledger_tx_rejected_total{reason=\"id-exists\"} 1") != std::string::npos);
  CHECK(r.body.find("circuledger_block_commit_seconds_count 1") != std::string::npos);
}

TEST_CASE("api: /v1/peers lists the p2p peers and the recent disconnects and bans with their reasons", "[node]") {
  SECTION("without p2p both lists are empty") {
    NodeFixture f;
    const json j = f.CallJson("GET", "/v1/peers", 200);
    CHECK(j["peers"] == json::array());
    CHECK(j["events"] == json::array());
    CHECK(f.Call("POST", "/v1/peers").status == 405);
    CHECK(f.Call("GET", "/v1/peers/x").status == 404);
  }
  SECTION("a frame of an unknown type before the handshake bans the address, and the event shows why") {
    NodeFixture f(json{{"p2p_listen", "127.0.0.1:0"}});
    const uint16_t port = f.n->p2p_port();
    REQUIRE(port != 0);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
    const char frame[5] = {8, 0, 0, 0, static_cast<char>(0xee)};  // 8 bytes of type 0xee: unknown
    REQUIRE(::send(fd, frame, sizeof(frame), MSG_NOSIGNAL) == 5);
    json event;
    for (int i = 0; i < 500 && event.is_null(); ++i) {
      const json peers = f.CallJson("GET", "/v1/peers", 200);
      for (const json& e : peers["events"]) {
        if (e["reason"] == "bad-frame") event = e;
      }
      if (event.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::close(fd);
    INFO(event.dump());
    REQUIRE(!event.is_null());
    CHECK(event["banned"] == true);
    CHECK(event["authenticated"] == false);
    CHECK(event["key"].is_null());
    CHECK(event["address"].get<std::string>().rfind("127.0.0.1:", 0) == 0);
    CHECK(f.CallJson("GET", "/v1/peers", 200)["peers"] == json::array());
  }
}

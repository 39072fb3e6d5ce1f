// Bad input over real HTTP to a real circuledgerd: malformed JSON, hex and transactions, bad
// signatures and envelopes, oversized bodies, unknown routes, wrong methods and garbage bytes.
// Each is a clear error with the right status (docs/api.md) and changes nothing: the same height
// and state root before and after, nothing waiting in the mempool, and the node keeps serving.
#include <catch2/catch.hpp>
#include <cstdio>
#include <sys/wait.h>
#include <thread>

#include "ledger/encoding.h"
#include "tests/cluster/ledger_client.h"

using namespace circuledger;
using namespace circuledger::cluster;
using namespace circuledger::ledger;
using nlohmann::json;

namespace {

// The answer must be `status` with error code `code`.
void ExpectError(const RawResponse& r, int status, const std::string& code) {
  INFO(r.Describe());
  REQUIRE(r.ok());
  CHECK(r.status == status);
  CHECK(r.Json()["error"]["code"] == code);
  CHECK(r.Json()["error"]["message"].is_string());
}

std::string TxBodyJson(const std::string& hex) { return json{{"tx", hex}}.dump(); }

// The node still answers a plain request.
void ExpectServing(const NodeProcess& node) {
  const RawResponse r = Get(node.port(), "/v1/status");
  INFO("node no longer serves: " << r.Describe() << "\n" << node.LogTail());
  REQUIRE(r.ok());
  REQUIRE(r.status == 200);
}

}  // namespace

TEST_CASE(
    "cluster: malformed and badly signed transactions over HTTP are rejected and change nothing",
    "[cluster]") {
  NodeProcess node;
  LedgerClient c(node);
  const uint16_t port = node.port();
  c.Commit("mine", CreateLot{"lot-a", Comp({{"Co", 1000}})});
  const Tx first_again = c.Sign("mine", CreateLot{"lot-b", Comp({{"Co", 10}})});
  REQUIRE(c.Submit(first_again).status == 200);
  REQUIRE(c.WaitFinal(TxId(first_again.body).ToHex())["status"] == "committed");
  const StatusTip before = c.Tip();
  const uint64_t nonce = c.PendingNonce("mine");
  REQUIRE(nonce == 2);

  // JSON.
  ExpectError(Post(port, "/v1/tx", "{not json"), 400, "bad-json");
  ExpectError(Post(port, "/v1/tx", "[]"), 400, "bad-json");
  ExpectError(Post(port, "/v1/tx", ""), 400, "bad-json");
  ExpectError(Post(port, "/v1/tx", R"({"tx": 5})"), 400, "bad-json");
  ExpectError(Post(port, "/v1/tx", R"({"txs": "00"})"), 400, "bad-json");
  // Hex.
  ExpectError(Post(port, "/v1/tx", TxBodyJson("xyz")), 400, "malformed");
  ExpectError(Post(port, "/v1/tx", TxBodyJson("abc")), 400, "malformed");  // odd length
  ExpectError(Post(port, "/v1/tx", TxBodyJson("")), 400, "malformed");

  // Transactions that do not decode, or decode to something else than what was signed.
  const Tx good = c.Sign("mine", CreateLot{"lot-c", Comp({{"Co", 1}})});
  const std::string hex = HexEncode(Encode(good));
  ExpectError(Post(port, "/v1/tx", TxBodyJson(hex.substr(0, hex.size() / 2))), 400, "malformed");
  ExpectError(Post(port, "/v1/tx", TxBodyJson(hex.substr(0, hex.size() - 2))), 400, "malformed");
  ExpectError(Post(port, "/v1/tx", TxBodyJson(hex.substr(0, 2))), 400, "malformed");
  ExpectError(Post(port, "/v1/tx", TxBodyJson(hex + "00")), 400, "trailing-bytes");
  Tx flipped = good;
  flipped.sig.bytes[5] ^= 1;
  ExpectError(c.Submit(flipped), 400, "bad-signature");
  Tx other_body = good;
  other_body.body.nonce += 1;  // the signature no longer covers the body
  ExpectError(c.Submit(other_body), 400, "bad-signature");
  LedgerClient other_chain(node, ledger::Sha256("circuledger-other"));
  ExpectError(other_chain.Submit(other_chain.Sign("mine", CreateLot{"lot-d", Comp({{"Co", 1}})})),
              400, "wrong-chain");
  // Replays: a used nonce with a new body is refused; the committed transaction itself is
  // answered "committed" (safe client retries) and not executed again.
  ExpectError(c.Submit(c.Sign("mine", CreateLot{"lot-e", Comp({{"Co", 1}})}, nonce - 1)), 400,
              "bad-nonce");
  ExpectError(c.Submit(c.Sign("mine", CreateLot{"lot-e", Comp({{"Co", 1}})}, 0)), 400, "bad-nonce");
  {
    const RawResponse again = c.Submit(first_again);
    INFO(again.Describe());
    CHECK(again.status == 200);
    CHECK(again.Json()["status"] == "committed");
  }
  // An unknown signer key.
  {
    const SecretKey stranger = SecretKey::Generate();
    TxBody b;
    b.genesis_hash = *Hash256::FromHex(c.GetJson("/v1/status").at("genesis_hash").get<std::string>());
    b.signer = stranger.Public();
    b.op = CreateLot{"lot-f", Comp({{"Co", 1}})};
    ExpectError(c.Submit(SignTx(b, stranger)), 400, "unknown-signer");
  }
  // The rejected transactions were never admitted.
  for (const Tx& t : {flipped, good}) {
    const RawResponse r = c.Get("/v1/tx/" + TxId(t.body).ToHex());
    CHECK(r.status == 404);
  }

  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // several block intervals
  CHECK(c.Tip() == before);
  CHECK(c.GetJson("/v1/status")["mempool_size"] == 0);
  CHECK(c.PendingNonce("mine") == nonce);
  // The good transaction is still welcome afterwards, at the next height.
  const json s = c.Commit("mine", CreateLot{"lot-c", Comp({{"Co", 1}})});
  CHECK(s["height"] == before.height + 1);
}

TEST_CASE("cluster: HTTP-level garbage, limits, routes and methods get clear answers",
          "[cluster]") {
  NodeProcessOptions options;
  options.config.update({{"http_max_connections", 4}, {"http_timeout_ms", 2000}});
  NodeProcess node(options);
  LedgerClient c(node);
  const uint16_t port = node.port();
  // A GS1 Digital Link and an EPC URN: ids with '/' and ':' (and '%', '?', '#' for good measure).
  const std::string link = "https://id.gs1.org/01/09506000134352/10/ABC%2F1?x=1#frag";
  const std::string urn = "urn:epc:id:sgtin:0614141.107346.2017/lot:A1";
  c.Commit("mine", CreateLot{link, Comp({{"Co", 1000}, {"Ni", 50}})});
  c.Commit("mine", CreateLot{urn, Comp({{"Co", 7}})});
  const StatusTip before = c.Tip();

  // Percent-encoded ids work for lots, traces and (404) products.
  {
    const json lot = c.GetJson("/v1/lots/" + PercentEncode(link));
    CHECK(lot["id"] == link);
    CHECK(lot["composition"][1]["total_mg"] == 50);
    CHECK(c.GetJson("/v1/lots/" + PercentEncode(urn))["id"] == urn);
    const json trace = c.GetJson("/v1/lots/" + PercentEncode(link) + "/trace?direction=forward");
    CHECK(trace["root"] == link);
    CHECK(trace["nodes"].size() == 1);
    ExpectError(c.Get("/v1/products/" + PercentEncode(urn)), 404, "not-found");
    ExpectError(c.Get("/v1/lots/%zz"), 400, "bad-path");
    ExpectError(c.Get("/v1/lots/abc%2"), 400, "bad-path");
    // Unencoded '/' splits the path: that is another (unknown) route.
    ExpectError(c.Get("/v1/lots/urn:epc:id:sgtin:0614141.107346.2017/lot:A1"), 404, "not-found");
  }

  // Unknown routes and objects.
  ExpectError(c.Get("/"), 404, "not-found");
  ExpectError(c.Get("/v1"), 404, "not-found");
  ExpectError(c.Get("/v1/"), 404, "not-found");
  ExpectError(c.Get("/v2/status"), 404, "not-found");
  ExpectError(c.Get("/v1/nothing"), 404, "not-found");
  ExpectError(c.Get("/v1/lots/a/b/c"), 404, "not-found");
  ExpectError(c.Get("/v1/lots/no-such-lot"), 404, "not-found");
  ExpectError(c.Get("/v1/blocks/99"), 404, "not-found");
  ExpectError(c.Get("/v1/tx/" + std::string(64, '0')), 404, "not-found");
  ExpectError(c.Get("/v1/tx/abc"), 400, "bad-hex");
  ExpectError(c.Get("/v1/blocks/-1"), 400, "bad-height");
  ExpectError(c.Get("/v1/lots/" + PercentEncode(urn) + "/trace?direction=up"), 400, "bad-query");

  // Wrong methods.
  ExpectError(Request(port, "GET", "/v1/tx", ""), 405, "method-not-allowed");
  ExpectError(Request(port, "DELETE", "/v1/tx", ""), 405, "method-not-allowed");
  ExpectError(Request(port, "PUT", "/v1/status", "{}"), 405, "method-not-allowed");
  ExpectError(Request(port, "POST", "/v1/lots/" + PercentEncode(urn), "{}"), 405,
              "method-not-allowed");
  ExpectError(Request(port, "DELETE", "/v1/blocks/1", ""), 405, "method-not-allowed");
  ExpectError(Request(port, "POST", "/metrics", ""), 405, "method-not-allowed");

  // A 10 MiB body: 413 before it is read (the server may close while we still write).
  {
    const std::string big = "{\"tx\": \"" + std::string(10 << 20, 'a') + "\"}";
    const RawResponse r = Post(port, "/v1/tx", big, std::chrono::seconds(10));
    INFO(r.Describe());
    if (r.ok()) {
      ExpectError(r, 413, "body-too-large");
    } else {
      CHECK(r.outcome == RawResponse::Outcome::kClosed);
      CHECK(r.send_failed);
    }
    ExpectServing(node);
    // The header alone announces it: the answer comes without any body sent.
    const RawResponse early =
        SendRaw(port, "POST /v1/tx HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n");
    ExpectError(early, 413, "body-too-large");
  }

  // Garbage: 400 or a closed connection, and the node keeps serving.
  const std::vector<std::string> garbage = {
      "GARBAGE\r\n\r\n",
      "GET\r\n\r\n",
      "GET /v1/status HTTP/9.9\r\n\r\n",
      "GET /v1/status HTTP/1.1\r\nno colon in this header\r\n\r\n",
      "GET /v1/status HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
      "POST /v1/tx HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
      "POST /v1/tx HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n",
      "GET /v1/status HTTP/1.1\r\nX-Big: " + std::string(20000, 'h') + "\r\n\r\n",
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(300, '\0') +
          "\r\n\r\n",
      "POST /v1/tx HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort",  // body cut off (half-closed
                                                                   // below)
      "\r\n\r\n\r\n",
  };
  for (const std::string& g : garbage) {
    RawOptions o;
    o.half_close = true;  // end of input: an incomplete request must not wait for the timeout
    o.timeout = std::chrono::seconds(5);
    const RawResponse r = SendRaw(port, g, o);
    INFO("sent "
         << json(std::string(g.substr(0, 60))).dump(-1, ' ', true, json::error_handler_t::replace)
         << " -> " << r.Describe());
    if (r.ok()) {
      CHECK(r.status == 400);
      CHECK(r.Json()["error"]["code"].is_string());
    } else {
      CHECK(r.outcome == RawResponse::Outcome::kClosed);
    }
    ExpectServing(node);
  }
  // Clients that stall in the middle of their requests hold a connection each, up to
  // http_max_connections; one more is answered 503 busy; the others are still served once the
  // stalled ones are dropped after http_timeout_ms.
  {
    constexpr int kStalled = 4;  // = http_max_connections below
    std::vector<RawResponse> stalled(kStalled);
    std::vector<std::thread> threads;
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < kStalled; ++i) {
      threads.emplace_back([&, i] {
        RawOptions o;
        o.timeout = std::chrono::milliseconds(5000);
        stalled[i] = SendRaw(port, "GET /v1/status HTTP/1.1\r\nHost: x\r\n", o);
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const RawResponse over = Get(port, "/v1/status");
    for (std::thread& t : threads) t.join();  // (before any REQUIRE can throw)
    const auto stalled_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count();
    ExpectError(over, 503, "busy");
    for (const RawResponse& r : stalled) {
      INFO(r.Describe());
      CHECK(r.outcome ==
            RawResponse::Outcome::kClosed);  // dropped by the server, not by our deadline
    }
    CHECK(stalled_ms < 4500);
    // Served again once the stalled connections are gone.
    RawResponse after;
    for (int i = 0; i < 100; ++i) {
      after = Get(port, "/v1/status");
      if (after.status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(after.status == 200);
  }
  // Keep-alive: two requests on one connection, both answered.
  {
    const RawResponse r = SendRaw(port,
                                  "GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/blocks/1 "
                                  "HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    REQUIRE(r.ok());
    CHECK(r.status == 200);
  }

  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  CHECK(c.Tip() == before);
  CHECK(c.GetJson("/v1/status")["mempool_size"] == 0);
  CHECK(node.Stop() == 0);
}

TEST_CASE("cluster: a config with an unknown field stops circuledgerd at start with exit code 1",
          "[cluster]") {
  NodeProcessOptions options;
  options.config["block_min_interval"] = 5;  // a typo of block_min_interval_ms
  // NodeProcess reports the exit and the node's log, which names the field.
  REQUIRE_THROWS_WITH(NodeProcess(options), Catch::Contains("exited with code 1 during start-up") &&
                                                Catch::Contains("block_min_interval"));
}

TEST_CASE("cluster: circuledgerd --help lists every subcommand and an unknown one exits 1", "[cluster]") {
  const auto run = [](const std::string& args) {
    std::string out;
    FILE* p = ::popen((std::string(CIRCULEDGER_NODE_BIN) + " " + args + " 2>&1").c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof(buf), p)) > 0;) out.append(buf, n);
    const int status = ::pclose(p);
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
  };
  const auto [code, help] = run("--help");
  CHECK(code == 0);
  for (const char* sub : {"circuledgerd init", "circuledgerd testnet", "circuledgerd [run]", "--allow-missing-wal",
                          "--full-nodes", "--base-port"}) {
    INFO(sub);
    CHECK(help.find(sub) != std::string::npos);
  }
  const auto [bad_code, bad] = run("testnet --no-such-flag");
  CHECK(bad_code == 1);
  CHECK(bad.find("unknown option --no-such-flag") != std::string::npos);
}

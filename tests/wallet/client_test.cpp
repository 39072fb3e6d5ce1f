// wallet/client: percent-encoding, base URLs, and the HTTP client against a fake server
// (answers, API errors, timeouts, body limit, unreachable node).
#include "wallet/client.h"

#include <catch2/catch.hpp>
#include <chrono>

#include "tests/wallet/fake_http.h"

using namespace circuledger;
using circuledger::testing::FakeHttpServer;
using circuledger::testing::FakeRequest;
using circuledger::testing::FakeResponse;
using wallet::PercentEncode;

namespace {

// An independent decoder (the node's lives in network/, which the wallet may not use).
std::string Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

wallet::Client MakeClient(const std::string& url, uint32_t timeout_ms = 5000,
                          size_t max_body = 1 << 20) {
  wallet::ClientOptions o;
  o.base_url = url;
  o.connect_timeout_ms = timeout_ms;
  o.request_timeout_ms = timeout_ms;
  o.max_body_bytes = max_body;
  auto c = wallet::Client::Create(o);
  REQUIRE(c.ok());
  return *c;
}

}  // namespace

TEST_CASE("PercentEncode keeps only RFC 3986 unreserved characters", "[wallet]") {
  CHECK(PercentEncode("urn:epc:id:sgtin:0614141.107346.2017") ==
        "urn%3Aepc%3Aid%3Asgtin%3A0614141.107346.2017");
  CHECK(PercentEncode("https://id.gs1.org/01/09506000134352") ==
        "https%3A%2F%2Fid.gs1.org%2F01%2F09506000134352");
  CHECK(PercentEncode("a b%c?d#e&f=g+h") == "a%20b%25c%3Fd%23e%26f%3Dg%2Bh");
  CHECK(PercentEncode("AZaz09-._~") == "AZaz09-._~");
  CHECK(PercentEncode("\xC3\xA9") == "%C3%A9");
  CHECK(PercentEncode(std::string("\0\x7f\xff", 3)) == "%00%7F%FF");
  CHECK(PercentEncode("") == "");
  // Every byte round-trips and nothing reserved survives unencoded.
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  const std::string enc = PercentEncode(all);
  CHECK(Decode(enc) == all);
  CHECK(enc.find_first_of("/:?#[]@!$&'()*+,;= ") == std::string::npos);
}

TEST_CASE("ParseBaseUrl accepts http URLs and refuses the rest", "[wallet]") {
  auto a = wallet::ParseBaseUrl("http://127.0.0.1:8645");
  REQUIRE(a.ok());
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == "8645");
  CHECK(a->prefix.empty());
  auto b = wallet::ParseBaseUrl("http://localhost");
  REQUIRE(b.ok());
  CHECK(b->port == "80");
  auto c = wallet::ParseBaseUrl("http://[::1]:9000/ledger/api/");
  REQUIRE(c.ok());
  CHECK(c->host == "::1");
  CHECK(c->port == "9000");
  CHECK(c->prefix == "/ledger/api");
  for (std::string_view bad : {"https://node:8645", "ftp://x", "127.0.0.1:8645", "http://",
                               "http://:80", "http://h:0", "http://h:70000", "http://h:abc",
                               "http://h:", "http://u@h", "http://h/a?b", "http://[::1"}) {
    INFO(bad);
    auto r = wallet::ParseBaseUrl(bad);
    CHECK_FALSE(r.ok());
    CHECK(r.status().IsInvalidArgument());
  }
}

TEST_CASE("Client sends GET and POST and parses JSON answers and API errors", "[wallet]") {
  FakeHttpServer server([](const FakeRequest& r) -> FakeResponse {
    if (r.method == "GET" && r.target == "/v1/lots/urn%3Aepc%3Aid%2F1")
      return {200, R"({"id":"urn:epc:id/1"})"};
    if (r.method == "POST" && r.target == "/v1/tx")
      return {400, R"({"error":{"code":"bad-nonce","message":"nonce 3"}})"};
    return {404, R"({"error":{"code":"not-found","message":"no route"}})"};
  });
  const wallet::Client client = MakeClient(server.url());
  auto got = client.Get("/v1/lots/" + PercentEncode("urn:epc:id/1"));
  REQUIRE(got.ok());
  CHECK(got->status == 200);
  CHECK(got->body["id"] == "urn:epc:id/1");

  auto posted = client.Post("/v1/tx", {{"tx", "00"}});
  REQUIRE(posted.ok());
  CHECK(posted->status == 400);
  CHECK(wallet::ApiError(*posted) == std::pair<std::string, std::string>{"bad-nonce", "nonce 3"});
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(nlohmann::json::parse(reqs[1].body) == nlohmann::json{{"tx", "00"}});

  auto missing = client.Get("/nowhere");
  REQUIRE(missing.ok());
  CHECK(missing->status == 404);
}

TEST_CASE("Client reports a non-JSON error body by its HTTP status", "[wallet]") {
  FakeHttpServer server([](const FakeRequest&) -> FakeResponse { return {500, "oops"}; });
  auto r = MakeClient(server.url()).Get("/v1/status");
  REQUIRE(r.ok());
  CHECK(r->body.is_null());
  CHECK(wallet::ApiError(*r) == std::pair<std::string, std::string>{"http-500", "oops"});
}

TEST_CASE("Client fails cleanly: unreachable node, silent node, oversized body", "[wallet]") {
  SECTION("nothing listens") {
    std::string url;
    {
      FakeHttpServer gone([](const FakeRequest&) -> FakeResponse { return {}; });
      url = gone.url();
    }  // closed: the port now refuses connections
    auto r = MakeClient(url).Get("/v1/status");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsUnavailable());
    CHECK_THAT(r.status().message(), Catch::Contains("cannot connect"));
  }
  SECTION("the node accepts but never answers: the request timeout fires") {
    FakeHttpServer silent([](const FakeRequest&) -> FakeResponse { return {}; }, /*silent=*/true);
    const auto start = std::chrono::steady_clock::now();
    auto r = MakeClient(silent.url(), 300).Get("/v1/status");
    const auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsUnavailable());
    CHECK_THAT(r.status().message(), Catch::Contains("timed out"));
    CHECK(elapsed < std::chrono::seconds(5));
  }
  SECTION("an answer over the body limit") {
    FakeHttpServer big([](const FakeRequest&) -> FakeResponse {
      return {200, std::string(5000, 'x')};
    });
    auto r = MakeClient(big.url(), 5000, 1000).Get("/v1/status");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsUnavailable());
    CHECK_THAT(r.status().message(), Catch::Contains("over the limit"));
  }
}

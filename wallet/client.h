// wallet/client.h: a small synchronous HTTP/1.1 client for the node's JSON API (Boost.Beast).
//
// One connection per request ("Connection: close"), bounded in time (connect timeout, then one
// deadline for sending the request and reading the whole answer) and in size (body limit).
// Plain http only: the API is bound to loopback unless an operator puts a TLS proxy in front.
// A Client holds only its options; each call has its own io_context and socket, so one Client
// may be used from several threads.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "wallet/status.h"

namespace circuledger::wallet {

constexpr const char* kDefaultNodeUrl = "http://127.0.0.1:8645";

struct ClientOptions {
  std::string base_url = kDefaultNodeUrl;  // http://HOST[:PORT][/PREFIX]; port defaults to 80
  uint32_t connect_timeout_ms = 5000;      // name resolution and TCP connect
  uint32_t request_timeout_ms = 30000;     // writing the request and reading the whole response
  size_t max_body_bytes = 64u << 20;       // larger answers fail (a full block's JSON fits)
};

struct HttpReply {
  unsigned status = 0;
  nlohmann::json body;  // the parsed JSON body; null when the body is empty or not JSON
  std::string raw;      // the body as received
};

// The parts of a base URL.
struct BaseUrl {
  std::string host;    // without brackets for IPv6
  std::string port;    // "8645"
  std::string prefix;  // "" or "/api" (no trailing slash)
};

// Parses "http://host[:port][/prefix]". InvalidArgument for another scheme or a malformed URL.
Result<BaseUrl> ParseBaseUrl(std::string_view url);

// Percent-encodes one path segment or query value: every byte outside the unreserved set of
// RFC 3986 (A-Z a-z 0-9 - . _ ~) becomes %XX (upper-case hex). "urn:epc:id/1" ->
// "urn%3Aepc%3Aid%2F1".
std::string PercentEncode(std::string_view segment);

class Client {
 public:
  // InvalidArgument when options.base_url does not parse.
  static Result<Client> Create(ClientOptions options);

  // `path` starts with '/' and is already percent-encoded ("/v1/lots/urn%3A..."). Any HTTP
  // status is a success of the transport: the caller interprets it. Unavailable when the node
  // cannot be reached, times out, or sends a malformed or over-long response.
  Result<HttpReply> Get(std::string_view path) const;
  Result<HttpReply> Post(std::string_view path, const nlohmann::json& body) const;

  const ClientOptions& options() const { return options_; }

 private:
  Client(ClientOptions options, BaseUrl url) : options_(std::move(options)), url_(std::move(url)) {}
  Result<HttpReply> Request(bool post, std::string_view path, std::string body) const;

  ClientOptions options_;
  BaseUrl url_;
};

// The API's error body {"error":{"code":..,"message":..}} of a reply: {code, message}; when the
// body has no such object, {"http-<status>", <raw body, cut to 200 bytes>}.
std::pair<std::string, std::string> ApiError(const HttpReply& reply);

}  // namespace circuledger::wallet

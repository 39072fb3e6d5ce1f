// network/http_server.h: the HTTP/1.1 server plumbing under the node's JSON API (Boost.Beast).
//
// Owns its io_contexts (one per thread), acceptor and threads. Each connection parses requests in
// order with a deadline (timeout_ms for each whole request, then for its answers to be written);
// answers to pipelined requests that arrived together are written together, in order. It refuses
// bodies over max_body_bytes with 413 before reading them and headers over 16 KiB with 400, and
// keeps at most max_connections connections (more are answered 503 and closed). The handler is
// called on the server's threads, concurrently: it must be thread-safe. Start/Stop from one owning
// thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ledger/status.h"

namespace circuledger::network {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as sent, still percent-encoded
  std::string body;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port (see HttpServer::port())
  unsigned threads = 2;
  size_t max_body_bytes = 1 << 20;
  size_t max_connections = 256;
  uint32_t timeout_ms = 10000;
};

// The JSON error body of the API: {"error": {"code": "...", "message": "..."}}.
HttpResponse JsonError(unsigned status, const std::string& code, const std::string& message);

class HttpServer {
 public:
  HttpServer(const HttpServerOptions& options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. IoError when the address cannot be bound.
  ledger::Status Start();
  // The bound port (after Start).
  uint16_t port() const { return port_; }
  // Accepts that failed for lack of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM). After each the
  // listener pauses (network/detail/accept_backoff.h) instead of retrying at once. Any thread.
  uint64_t accept_failures() const;
  // Stops accepting, closes connections, joins the threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

// Percent-decoding of one path segment or query value; nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s);

}  // namespace circuledger::network

// bench/http_conn.h: a minimal keep-alive HTTP/1.1 client over one TCP connection to loopback,
// for load generation (no allocation beyond the request and response). Owns its socket; one
// thread per connection. Requests may be pipelined (HTTP/1.1: the server answers in order):
// Queue several, Flush them in one write, then Receive each answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ledger/status.h"

namespace circuledger::bench {

struct HttpAnswer {
  unsigned status = 0;
  std::string body;
};

class HttpConn {
 public:
  HttpConn() = default;
  ~HttpConn();
  HttpConn(HttpConn&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  HttpConn& operator=(HttpConn&&) = delete;
  HttpConn(const HttpConn&) = delete;

  // Connects to 127.0.0.1:port (or the given IPv4 host).
  ledger::Status Connect(const std::string& host, uint16_t port);
  // Sends one request and reads its answer (Content-Length bodies only, as the node sends).
  ledger::Result<HttpAnswer> Request(const std::string& method, const std::string& path, const std::string& body = "");

  // Pipelining: Queue appends a request to the output, Flush writes all queued requests, and
  // Receive reads the oldest unanswered one's answer.
  void Queue(const std::string& method, const std::string& path, const std::string& body = "");
  ledger::Status Flush();
  ledger::Result<HttpAnswer> Receive();

 private:
  int fd_ = -1;
  std::string out_;     // queued requests not yet written
  std::string buffer_;  // bytes read past the previous answer
};

// One unlabelled sample of a node's /metrics (e.g. "circuledger_tx_committed_total"), read on a
// fresh connection to 127.0.0.1:port (the node closes idle ones); nullopt if not there.
std::optional<uint64_t> MetricValue(uint16_t port, const std::string& name);

// "127.0.0.1:8645" -> host and port.
bool SplitAddress(const std::string& address, std::string* host, uint16_t* port);

}  // namespace circuledger::bench

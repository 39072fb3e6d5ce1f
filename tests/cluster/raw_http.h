// tests/cluster/raw_http.h: a minimal HTTP/1.1 client over POSIX sockets for the cluster tests.
//
// SendRaw() connects to 127.0.0.1:port, writes exactly the bytes it is given (so a test can send
// malformed requests, oversized bodies or plain garbage) and reads the answer. It reads while it
// writes, so a server that answers early (413 before the body) and closes is still heard. Every
// step has a deadline; nothing blocks longer than `timeout`. Get()/Post() build well-formed
// requests with "Connection: close". Free functions; thread-safe (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace circuledger::cluster {

struct RawResponse {
  // What happened on the wire. kOk: a complete response was parsed (status, body).
  enum class Outcome {
    kOk,
    kConnectFailed,  // nothing listens (node down) or connect timed out
    kClosed,         // the server closed or reset the connection before a complete answer
    kTimeout,        // no complete answer before the deadline
  } outcome = Outcome::kConnectFailed;
  int status = 0;            // HTTP status code when kOk
  std::string headers;       // raw header block (status line included) when kOk
  std::string body;          // body when kOk (what arrived, otherwise)
  bool send_failed = false;  // the server stopped reading before all bytes were written
  std::string error;         // human-readable detail when not kOk

  bool ok() const { return outcome == Outcome::kOk; }
  // The body as JSON; a null JSON value when it does not parse.
  nlohmann::json Json() const;
  // One line for test messages: "200 {...}" or "closed: ...".
  std::string Describe() const;
};

struct RawOptions {
  std::chrono::milliseconds timeout{5000};  // whole exchange: connect, write, read
  bool half_close = false;  // shutdown(SHUT_WR) after writing: the server sees end of input
};

RawResponse SendRaw(uint16_t port, std::string_view bytes, const RawOptions& options = {});

// Well-formed requests with Host, Content-Length and "Connection: close".
RawResponse Get(uint16_t port, const std::string& target,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));
RawResponse Post(uint16_t port, const std::string& target, std::string_view body,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5));
RawResponse Request(uint16_t port, const std::string& method, const std::string& target,
                    std::string_view body,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Percent-encodes one path segment: everything but A-Z a-z 0-9 - . _ ~ (docs/api.md).
std::string PercentEncode(std::string_view s);

}  // namespace circuledger::cluster

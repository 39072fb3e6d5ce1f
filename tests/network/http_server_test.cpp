// network::HttpServer on 127.0.0.1: HTTP/1.1 pipelining (answers in order, without waiting for
// the client's delayed ACKs, also when they are held back and written together), requests split
// across reads, the end of the stream, and the request deadline.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "network/http_server.h"
#include "network/limits.h"
#include "tests/network/forked.h"

using namespace circuledger;

namespace {

// A blocking client socket to 127.0.0.1:port with a 5 s receive timeout.
int Connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// Reads until `count` answers (each ending with its body "<target>;") are in; returns them all.
std::string ReadAnswers(int fd, size_t count) {
  std::string in;
  char buf[4096];
  auto answers = [&] {
    size_t n = 0;
    for (size_t p = in.find("HTTP/1.1 200"); p != std::string::npos; p = in.find("HTTP/1.1 200", p + 1)) ++n;
    return n;
  };
  while (answers() < count || in.back() != ';') {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    REQUIRE(n > 0);
    in.append(buf, static_cast<size_t>(n));
  }
  return in;
}

void SendAll(int fd, const std::string& bytes) {
  REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
}

// Everything the server sends until it closes the connection (or 5 s pass).
std::string ReadToEnd(int fd) {
  std::string in;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return in;
    in.append(buf, static_cast<size_t>(n));
  }
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) ++n;
  return n;
}

// Answers "<method> <target> <body>;".
network::HttpResponse Echo(const network::HttpRequest& req) {
  return network::HttpResponse{200, "text/plain", req.method + " " + req.target + " " + req.body + ";"};
}

std::string Post(const std::string& target, const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// Runs in a child process (its descriptor limit is lowered): 0 when the listener backed off
// while accept failed with EMFILE and answered again once descriptors were free.
int HttpListenerOutOfDescriptors() {
  network::HttpServerOptions options;
  options.threads = 1;
  network::HttpServer server(options, Echo);
  if (!server.Start().ok()) return 10;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 11;
  lim.rlim_cur = 64;
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return 12;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<int> clients;  // connect until no descriptor is left
  for (;;) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    clients.push_back(fd);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) break;
    if (clients.size() > 1000) return 13;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server.accept_failures() == 0) {
    if (std::chrono::steady_clock::now() > deadline) return 14;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // However fast the machine, a backed-off listener fails at most once per kAcceptBackoffMinMs
  // (a spinning one, hundreds of thousands of times in this window).
  const auto start = std::chrono::steady_clock::now();
  const uint64_t before = server.accept_failures();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  if (server.accept_failures() - before > static_cast<uint64_t>(elapsed_ms) / network::limits::kAcceptBackoffMinMs + 2) {
    return 15;
  }
  for (int fd : clients) ::close(fd);
  // Descriptors are free again: a request is answered (the listener resumes within its pause).
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 16;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    const std::string get = "GET /again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    std::string in;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::send(fd, get.data(), get.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(get.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) in.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    if (in.find("GET /again") != std::string::npos) return 0;
  }
  return 17;
}

}  // namespace

TEST_CASE("http server: the listener backs off while accept fails for lack of descriptors", "[http]") {
  if (!network::test::kCanExhaustDescriptors) {
    WARN("not run under the sanitizers: they need free descriptors of their own (tests/network/forked.h)");
    return;
  }
  CHECK(network::test::RunForked(HttpListenerOutOfDescriptors) == 0);
}

TEST_CASE("http server: pipelined requests are answered in order and at once", "[http]") {
  network::HttpServerOptions options;
  options.threads = 2;
  network::HttpServer server(options, [](const network::HttpRequest& req) {
    return network::HttpResponse{200, "text/plain", req.target + ";"};
  });
  REQUIRE(server.Start().ok());
  const int fd = Connect(server.port());

  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 10; ++round) {
    const std::string a = "/a" + std::to_string(round);
    const std::string b = "/b" + std::to_string(round);
    const std::string both = "GET " + a + " HTTP/1.1\r\nHost: x\r\n\r\nGET " + b + " HTTP/1.1\r\nHost: x\r\n\r\n";
    REQUIRE(::send(fd, both.data(), both.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(both.size()));
    const std::string answers = ReadAnswers(fd, 2);
    const size_t pa = answers.find(a + ";");
    const size_t pb = answers.find(b + ";");
    REQUIRE(pa != std::string::npos);
    REQUIRE(pb != std::string::npos);
    CHECK(pa < pb);
  }
  // With Nagle's algorithm on the server's socket, each second answer waits for the client's
  // delayed ACK of the first (40 ms on Linux): ten rounds would take 400 ms or more. Without it a
  // round takes well under a millisecond; the bound leaves room for a loaded CI machine.
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed < std::chrono::milliseconds(350));
  ::close(fd);
}

TEST_CASE("http server: many pipelined requests then a half-close are all answered in order", "[http]") {
  network::HttpServer server(network::HttpServerOptions{}, Echo);
  REQUIRE(server.Start().ok());
  const int fd = Connect(server.port());
  // 300 answers of about 1 KiB: more than the server holds back before it writes (64 KiB).
  const std::string pad(1000, 'p');
  std::string all;
  for (int i = 0; i < 300; ++i) all += Post("/r" + std::to_string(i), pad);
  SendAll(fd, all);
  ::shutdown(fd, SHUT_WR);
  const std::string answers = ReadToEnd(fd);
  CHECK(Count(answers, "HTTP/1.1 200 OK\r\n") == 300);
  size_t at = 0;
  for (int i = 0; i < 300; ++i) {
    const size_t p = answers.find("POST /r" + std::to_string(i) + " " + pad + ";", at);
    REQUIRE(p != std::string::npos);
    at = p + 1;
  }
  ::close(fd);
}

TEST_CASE("http server: a request split across many writes is answered once whole", "[http]") {
  network::HttpServer server(network::HttpServerOptions{}, Echo);
  REQUIRE(server.Start().ok());
  const int fd = Connect(server.port());
  const std::string body(5000, 'b');
  const std::string req = Post("/split", body) + Post("/next", "x");
  for (size_t at = 0; at < req.size(); at += 997) {
    SendAll(fd, req.substr(at, 997));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const std::string answers = ReadAnswers(fd, 2);
  CHECK(answers.find("POST /split " + body + ";") != std::string::npos);
  CHECK(answers.find("POST /next x;") != std::string::npos);
  CHECK(Count(answers, "HTTP/1.1 200 OK") == 2);
  ::close(fd);
}

TEST_CASE("http server: a request cut off by the end of the stream is answered 400", "[http]") {
  network::HttpServer server(network::HttpServerOptions{}, Echo);
  REQUIRE(server.Start().ok());
  const int fd = Connect(server.port());
  SendAll(fd, Post("/whole", "1") + "POST /cut HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345");
  ::shutdown(fd, SHUT_WR);
  const std::string answers = ReadToEnd(fd);
  CHECK(answers.find("POST /whole 1;") != std::string::npos);
  CHECK(answers.find("HTTP/1.1 400 Bad Request") != std::string::npos);
  CHECK(answers.find("Connection: close") != std::string::npos);
  CHECK(answers.find("/cut") == std::string::npos);
  ::close(fd);
}

TEST_CASE("http server: a header over 16 KiB is answered 400 and the connection closed", "[http]") {
  network::HttpServer server(network::HttpServerOptions{}, Echo);
  REQUIRE(server.Start().ok());
  const int fd = Connect(server.port());
  SendAll(fd, "GET /big HTTP/1.1\r\nX-Pad: " + std::string(20000, 'h') + "\r\n\r\n");
  const std::string answers = ReadToEnd(fd);
  CHECK(answers.rfind("HTTP/1.1 400 Bad Request", 0) == 0);
  CHECK(answers.find("bad-request") != std::string::npos);
  ::close(fd);
}

TEST_CASE("http server: a request trickling in is cut off at its deadline", "[http]") {
  network::HttpServerOptions options;
  options.timeout_ms = 300;
  network::HttpServer server(options, Echo);
  REQUIRE(server.Start().ok());
  const int fd = Connect(server.port());
  // One byte every 50 ms: each read is quick, but the whole request has 300 ms.
  const std::string req = Post("/slow", std::string(40, 's'));
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (size_t i = 0; i < req.size() && !closed; ++i) {
    closed = ::send(fd, req.data() + i, 1, MSG_NOSIGNAL) != 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string answers = ReadToEnd(fd);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(answers.find("/slow") == std::string::npos);
  CHECK(elapsed < std::chrono::milliseconds(3000));
  ::close(fd);
}

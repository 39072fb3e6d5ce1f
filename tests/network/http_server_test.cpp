// network::HttpServer on 127.0.0.1: HTTP/1.1 pipelining (answers in order, without waiting for
// the client's delayed ACKs).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "network/http_server.h"

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

}  // namespace

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

// The loopback TCP proxy of the cluster tests (tag [proxy]): an echo server behind a TcpProxy;
// bytes pass both ways unchanged, a half-close passes through, Cut() closes the connections and
// refuses new ones until Heal(), Drop() silences one direction only and Heal() closes what lost
// bytes.
#include "tests/cluster/tcp_proxy.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

using namespace circuledger::cluster;

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// Echoes every byte back on 127.0.0.1:<any port>; on end of input it half-closes its side once
// everything read is echoed. Counts the bytes it received. Its own I/O thread.
class EchoServer {
 public:
  EchoServer() {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~EchoServer() {
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return port_; }
  uint64_t received() const { return received_.load(); }

 private:
  struct Conn {
    explicit Conn(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::array<char, 16384> buffer{};
  };

  void Accept() {
    acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
      if (ec) return;
      Echo(std::make_shared<Conn>(std::move(socket)));
      Accept();
    });
  }

  void Echo(const std::shared_ptr<Conn>& c) {
    c->socket.async_read_some(asio::buffer(c->buffer), [this, c](const error_code& ec, size_t n) {
      if (ec == asio::error::eof) {
        error_code ignored;
        c->socket.shutdown(tcp::socket::shutdown_send, ignored);
        return;
      }
      if (ec) return;
      received_.fetch_add(n);
      asio::async_write(c->socket, asio::buffer(c->buffer.data(), n),
                        [this, c](const error_code& wec, size_t) {
                          if (!wec) Echo(c);
                        });
    });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> received_{0};
};

// A blocking client socket on 127.0.0.1:port; closed by the destructor.
class Client {
 public:
  explicit Client(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Writes all of `data` (false when the connection is gone).
  bool Send(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  enum class End { kComplete, kTimeout, kClosed };
  // Reads until `want` bytes arrived (kComplete), the peer closed or reset (kClosed) or
  // `timeout` passed (kTimeout); what arrived is appended to `out`.
  End Read(size_t want, std::chrono::milliseconds timeout, std::string& out) {
    const Clock::time_point deadline = Clock::now() + timeout;
    const size_t target = out.size() + want;
    while (out.size() < target) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return End::kTimeout;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      std::array<char, 65536> buf{};
      const ssize_t n = ::recv(fd_, buf.data(), std::min(buf.size(), target - out.size()), 0);
      if (n <= 0) return End::kClosed;
      out.append(buf.data(), static_cast<size_t>(n));
    }
    return End::kComplete;
  }
  // Waits up to `timeout` for the peer to close (end of stream or reset); bytes are discarded.
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    std::string ignored;
    for (;;) {
      const End e = Read(1 << 20, timeout, ignored);
      if (e == End::kClosed) return true;
      if (e == End::kTimeout) return false;
    }
  }

 private:
  int fd_ = -1;
};

std::string Pattern(size_t bytes, uint32_t seed) {
  std::string s(bytes, '\0');
  uint32_t x = seed;
  for (char& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

// Echoes `data` through an open client; true when every byte came back unchanged.
bool EchoThrough(Client& client, const std::string& data) {
  std::string back;
  // Written in pieces and read as it comes back, so neither side's socket buffers fill up.
  constexpr size_t kPiece = 64 * 1024;
  for (size_t off = 0; off < data.size(); off += kPiece) {
    const std::string piece = data.substr(off, kPiece);
    if (!client.Send(piece)) return false;
    if (client.Read(piece.size(), std::chrono::seconds(5), back) != Client::End::kComplete)
      return false;
  }
  return back == data;
}

template <typename F>
bool Eventually(F condition, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

constexpr std::chrono::milliseconds kSilence{300};  // how long "nothing arrives" is watched

}  // namespace

TEST_CASE("proxy: bytes pass both ways unchanged, on several connections", "[proxy]") {
  EchoServer echo;
  TcpProxy proxy(0, "127.0.0.1", echo.port());
  REQUIRE(proxy.port() != 0);
  REQUIRE(proxy.port() != echo.port());
  Client a(proxy.port());
  Client b(proxy.port());
  const std::string big = Pattern(1 << 20, 7);
  CHECK(EchoThrough(a, big));
  CHECK(EchoThrough(b, Pattern(1000, 8)));
  CHECK(EchoThrough(a, "x"));
  CHECK(echo.received() == big.size() + 1000 + 1);
  const ProxyStats stats = proxy.Stats();
  CHECK(stats.accepted == 2);
  CHECK(stats.open == 2);
  CHECK(stats.bytes_to_target == big.size() + 1001);
  CHECK(stats.bytes_from_target == big.size() + 1001);
  CHECK(stats.bytes_dropped == 0);
}

TEST_CASE("proxy: a half-close passes through and the answer still arrives", "[proxy]") {
  EchoServer echo;
  TcpProxy proxy(0, "127.0.0.1", echo.port());
  Client c(proxy.port());
  const std::string data = Pattern(200000, 3);
  REQUIRE(c.Send(data));
  c.ShutdownWrite();
  std::string back;
  CHECK(c.Read(data.size(), std::chrono::seconds(5), back) == Client::End::kComplete);
  CHECK(back == data);
  // The echo server half-closes in turn: the client sees the end of the stream.
  CHECK(c.ClosedWithin(std::chrono::seconds(5)));
  CHECK(Eventually([&] { return proxy.Stats().open == 0; }));
}

TEST_CASE("proxy: Cut closes every connection and refuses new ones until Heal", "[proxy]") {
  EchoServer echo;
  TcpProxy proxy(0, "127.0.0.1", echo.port());
  Client before(proxy.port());
  REQUIRE(EchoThrough(before, "hello"));

  proxy.Cut();
  CHECK(proxy.cut());
  CHECK(proxy.Stats().open == 0);
  CHECK(before.ClosedWithin(std::chrono::seconds(2)));
  {
    // The kernel completes the TCP handshake; the proxy closes the connection on accept.
    Client during(proxy.port());
    CHECK(during.ClosedWithin(std::chrono::seconds(2)));
    CHECK(Eventually([&] { return proxy.Stats().refused == 1; }));
  }
  const uint64_t received_during_cut = echo.received();
  CHECK(received_during_cut == 5);

  proxy.Heal();
  CHECK_FALSE(proxy.cut());
  Client after(proxy.port());
  CHECK(EchoThrough(after, "again"));
  CHECK(proxy.Stats().refused == 1);
}

TEST_CASE("proxy: Drop silences one direction, the other flows, Heal closes the gapped stream",
          "[proxy]") {
  EchoServer echo;
  TcpProxy proxy(0, "127.0.0.1", echo.port());

  SECTION("to the target") {
    Client c(proxy.port());
    REQUIRE(EchoThrough(c, "ping"));
    proxy.Drop(ProxyDirection::kToTarget);
    REQUIRE(c.Send("lost"));
    std::string got;
    CHECK(c.Read(4, kSilence, got) == Client::End::kTimeout);
    CHECK(got.empty());
    CHECK(echo.received() == 4);  // only "ping"
    CHECK(Eventually([&] { return proxy.Stats().bytes_dropped == 4; }));
    // A new connection is silenced the same way.
    Client fresh(proxy.port());
    REQUIRE(fresh.Send("also lost"));
    CHECK(fresh.Read(1, kSilence, got) == Client::End::kTimeout);
    CHECK(echo.received() == 4);

    proxy.Heal();
    CHECK(c.ClosedWithin(std::chrono::seconds(2)));
    CHECK(fresh.ClosedWithin(std::chrono::seconds(2)));
    Client after(proxy.port());
    CHECK(EchoThrough(after, "healed"));
  }
  SECTION("from the target") {
    Client c(proxy.port());
    REQUIRE(EchoThrough(c, "ping"));
    proxy.Drop(ProxyDirection::kFromTarget);
    REQUIRE(c.Send("one-way"));
    // The target hears it; its answer never comes back.
    CHECK(Eventually([&] { return echo.received() == 4 + 7; }));
    std::string got;
    CHECK(c.Read(1, kSilence, got) == Client::End::kTimeout);
    CHECK(Eventually([&] { return proxy.Stats().bytes_dropped == 7; }));

    proxy.Heal();
    CHECK(c.ClosedWithin(std::chrono::seconds(2)));
    Client after(proxy.port());
    CHECK(EchoThrough(after, "healed"));
  }
}

TEST_CASE("proxy: a target that is down closes the dialer's connection", "[proxy]") {
  uint16_t dead_port = 0;
  {
    EchoServer gone;  // bound and released: nothing listens there any more
    dead_port = gone.port();
  }
  TcpProxy proxy(0, "127.0.0.1", dead_port);
  Client c(proxy.port());
  CHECK(c.ClosedWithin(std::chrono::seconds(2)));
  CHECK(Eventually([&] { return proxy.Stats().open == 0; }));
  CHECK_THROWS(TcpProxy(0, "not-an-ip", 1));
}

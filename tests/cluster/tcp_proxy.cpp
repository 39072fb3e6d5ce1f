#include "tests/cluster/tcp_proxy.h"

#include <array>
#include <deque>
#include <optional>
#include <utility>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <future>
#include <set>
#include <stdexcept>
#include <thread>

namespace circuledger::cluster {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr size_t kBufferBytes = 64 * 1024;

// One accepted connection and its dial to the target. Lives on the I/O thread only.
struct Session {
  explicit Session(asio::io_context& io) : client(io), server(io) {}
  tcp::socket client;                                       // the dialer's connection to the proxy
  tcp::socket server;                                       // the proxy's connection to the target
  std::array<std::array<char, kBufferBytes>, 2> buffers{};  // by direction
  std::array<bool, 2> lost_bytes{false, false};  // a direction dropped bytes: never resumed
  std::array<uint64_t, 2> offset{0, 0};           // stream bytes read so far, by direction
  std::optional<std::pair<int, uint64_t>> flip;   // (direction, stream offset) of a byte to flip
  int ended_directions = 0;                      // directions that saw end of stream
  bool closed = false;
};

int Index(ProxyDirection d) { return d == ProxyDirection::kToTarget ? 0 : 1; }

}  // namespace

struct TcpProxy::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  tcp::endpoint target;
  std::thread thread;

  // I/O thread only.
  std::set<std::shared_ptr<Session>> sessions;
  bool cut = false;
  std::array<bool, 2> drop{false, false};
  std::deque<std::pair<int, uint64_t>> flips;  // for the next connections, one each

  // Any thread.
  std::atomic<bool> cut_flag{false};
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> open{0};
  std::array<std::atomic<uint64_t>, 2> forwarded{};  // bytes, by direction
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> flipped{0};

  // Runs `f` on the I/O thread and waits for it.
  template <typename F>
  void Apply(F f) {
    std::promise<void> done;
    asio::post(io, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  void Accept() {
    acceptor.async_accept([this](const error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        accepted.fetch_add(1);
        if (cut) {
          refused.fetch_add(1);
          error_code ignored;
          socket.close(ignored);
        } else {
          auto s = std::make_shared<Session>(io);
          s->client = std::move(socket);
          if (!flips.empty()) {
            s->flip = flips.front();
            flips.pop_front();
          }
          sessions.insert(s);
          open.fetch_add(1);
          Connect(s);
        }
      }
      Accept();
    });
  }

  void Connect(const std::shared_ptr<Session>& s) {
    s->server.async_connect(target, [this, s](const error_code& ec) {
      if (s->closed) return;
      if (ec) {
        Close(s);
        return;
      }
      error_code ignored;
      s->client.set_option(tcp::no_delay(true), ignored);
      s->server.set_option(tcp::no_delay(true), ignored);
      Pump(s, 0);
      Pump(s, 1);
    });
  }

  // Copies one direction: 0 client -> server, 1 server -> client.
  void Pump(const std::shared_ptr<Session>& s, int dir) {
    tcp::socket& from = dir == 0 ? s->client : s->server;
    from.async_read_some(
        asio::buffer(s->buffers[dir]), [this, s, dir](const error_code& ec, size_t n) {
          if (s->closed) return;
          tcp::socket& to = dir == 0 ? s->server : s->client;
          if (ec == asio::error::eof) {
            error_code ignored;
            to.shutdown(tcp::socket::shutdown_send, ignored);  // pass the half-close on
            if (++s->ended_directions == 2) Close(s);
            return;
          }
          if (ec) {
            Close(s);
            return;
          }
          if (drop[dir] || s->lost_bytes[dir]) {
            s->lost_bytes[dir] = true;
            dropped.fetch_add(n);
            Pump(s, dir);
            return;
          }
          if (s->flip && s->flip->first == dir && s->flip->second >= s->offset[dir] &&
              s->flip->second < s->offset[dir] + n) {
            s->buffers[dir][s->flip->second - s->offset[dir]] ^= 0x01;
            s->flip.reset();
            flipped.fetch_add(1);
          }
          s->offset[dir] += n;
          // Counted before the write: once the receiver has the bytes, Stats() shows them.
          forwarded[dir].fetch_add(n);
          asio::async_write(to, asio::buffer(s->buffers[dir].data(), n),
                            [this, s, dir](const error_code& wec, size_t) {
                              if (s->closed) return;
                              if (wec) {
                                Close(s);
                                return;
                              }
                              Pump(s, dir);
                            });
        });
  }

  void Close(const std::shared_ptr<Session>& s) {
    if (s->closed) return;
    s->closed = true;
    error_code ignored;
    s->client.close(ignored);
    s->server.close(ignored);
    if (sessions.erase(s) > 0) open.fetch_sub(1);
  }

  void CloseAll() {
    const std::set<std::shared_ptr<Session>> all = sessions;
    for (const std::shared_ptr<Session>& s : all) Close(s);
  }
};

TcpProxy::TcpProxy(uint16_t listen_port, const std::string& target_host, uint16_t target_port)
    : impl_(std::make_unique<Impl>()), target_port_(target_port) {
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(target_host, ec);
  if (ec) throw std::runtime_error("TcpProxy: target " + target_host + " is not an IP address");
  impl_->target = tcp::endpoint(address, target_port);
  const tcp::endpoint listen(asio::ip::address_v4::loopback(), listen_port);
  impl_->acceptor.open(listen.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(listen, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("TcpProxy: cannot listen on 127.0.0.1:" + std::to_string(listen_port) +
                             ": " + ec.message());
  }
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->Accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

TcpProxy::~TcpProxy() {
  // With the acceptor and every socket closed, the pending handlers finish and run() returns.
  impl_->Apply([impl = impl_.get()] {
    error_code ignored;
    impl->acceptor.close(ignored);
    impl->CloseAll();
  });
  impl_->thread.join();
}

void TcpProxy::Cut() {
  impl_->Apply([impl = impl_.get()] {
    impl->cut = true;
    impl->cut_flag.store(true);
    impl->CloseAll();
  });
}

void TcpProxy::Heal() {
  impl_->Apply([impl = impl_.get()] {
    impl->cut = false;
    impl->cut_flag.store(false);
    impl->drop = {false, false};
    const std::set<std::shared_ptr<Session>> all = impl->sessions;
    for (const std::shared_ptr<Session>& s : all) {
      if (s->lost_bytes[0] || s->lost_bytes[1]) impl->Close(s);
    }
  });
}

void TcpProxy::Drop(ProxyDirection direction) {
  impl_->Apply([impl = impl_.get(), dir = Index(direction)] { impl->drop[dir] = true; });
}

void TcpProxy::FlipByte(ProxyDirection direction, uint64_t offset) {
  impl_->Apply([impl = impl_.get(), dir = Index(direction), offset] { impl->flips.emplace_back(dir, offset); });
}

bool TcpProxy::cut() const { return impl_->cut_flag.load(); }

ProxyStats TcpProxy::Stats() const {
  ProxyStats s;
  s.accepted = impl_->accepted.load();
  s.refused = impl_->refused.load();
  s.open = impl_->open.load();
  s.bytes_to_target = impl_->forwarded[0].load();
  s.bytes_from_target = impl_->forwarded[1].load();
  s.bytes_dropped = impl_->dropped.load();
  s.bytes_flipped = impl_->flipped.load();
  return s;
}

}  // namespace circuledger::cluster

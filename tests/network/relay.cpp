#include "tests/network/relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace circuledger::network::test {

namespace {

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

Relay::Relay(uint16_t target_port) : target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listen_fd_ >= 0);
  sockaddr_in addr = Loopback(0);
  REQUIRE(::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(listen_fd_, 16) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

Relay::~Relay() {
  stop_ = true;
  acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : threads) t.join();
  for (int fd : fds_) ::close(fd);
  ::close(listen_fd_);
}

void Relay::SetTamper(Tamper tamper) {
  std::lock_guard<std::mutex> lock(mu_);
  tamper_ = std::move(tamper);
}

std::string Relay::Captured() const {
  std::lock_guard<std::mutex> lock(mu_);
  return captured_;
}

void Relay::AcceptLoop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const int down = ::accept(listen_fd_, nullptr, nullptr);
    if (down < 0) continue;
    const int up = ::socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in target = Loopback(target_port_);
    if (up < 0 || ::connect(up, reinterpret_cast<const sockaddr*>(&target), sizeof(target)) != 0) {
      ::close(down);
      if (up >= 0) ::close(up);
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    fds_.push_back(down);
    fds_.push_back(up);
    threads_.emplace_back([this, down, up] { Pump(down, up, Direction::kToTarget); });
    threads_.emplace_back([this, down, up] { Pump(up, down, Direction::kFromTarget); });
  }
}

void Relay::Pump(int from, int to, Direction dir) {
  size_t offset = 0;
  char buf[16384];
  while (!stop_) {
    pollfd p{from, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const ssize_t n = ::recv(from, buf, sizeof(buf), 0);
    if (n <= 0) break;
    std::string chunk(buf, static_cast<size_t>(n));
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (tamper_) tamper_(dir, offset, chunk);
      captured_ += chunk;
    }
    offset += chunk.size();
    if (!SendAll(to, chunk)) break;
  }
  // One side ended: end both, as a relay that lost a leg would.
  ::shutdown(from, SHUT_RDWR);
  ::shutdown(to, SHUT_RDWR);
}

}  // namespace circuledger::network::test

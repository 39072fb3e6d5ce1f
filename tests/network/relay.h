// tests/network/relay.h: a man in the middle for P2pNode tests. It listens on 127.0.0.1, and for
// every connection it accepts, connects to the target port and forwards bytes both ways, keeping
// a copy of everything it forwarded. A test can change bytes on the way (Tamper) to play an
// attacker on the path. Thread-safe; its threads stop in the destructor.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace circuledger::network::test {

class Relay {
 public:
  enum class Direction { kToTarget, kFromTarget };
  // Called with each chunk before it is forwarded: `offset` is where the chunk starts in its
  // connection's stream in that direction. May change the chunk's bytes (not its size).
  using Tamper = std::function<void(Direction, size_t offset, std::string& chunk)>;

  explicit Relay(uint16_t target_port);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }
  void SetTamper(Tamper tamper);
  // Every byte forwarded so far, both directions of every connection.
  std::string Captured() const;

 private:
  struct Link;
  void AcceptLoop();
  void Pump(int from, int to, Direction dir);

  uint16_t target_port_ = 0;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  Tamper tamper_;
  std::string captured_;
  std::vector<std::thread> threads_;  // guarded by mu_
  std::vector<int> fds_;              // guarded by mu_
  std::thread acceptor_;
};

}  // namespace circuledger::network::test

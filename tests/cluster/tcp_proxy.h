// tests/cluster/tcp_proxy.h: a loopback TCP proxy for the cluster tests, to cut and heal the
// links between nodes (network partitions) without touching the nodes.
//
// A TcpProxy listens on 127.0.0.1 and forwards every accepted connection to one target
// address, copying bytes both ways (an end-of-stream is passed on as a half-close, so a peer that
// half-closes and drains still sees its frames arrive). Cut() closes every current connection and
// closes each new one right after accepting it (the dialer sees its connection closed, as when a
// link goes down) until Heal(). FlipByte changes one byte of one new connection (a relay that
// tampers). Drop(direction) discards the bytes flowing one way, on current
// and new connections: the other way still flows, an asymmetric partition. Bytes are discarded
// from the first dropped byte on, never resumed mid-stream: Heal() closes every connection that
// lost bytes, so a receiver never sees a stream with a gap in it (to the p2p transport a gap is
// a bad frame, which bans the sender's IP address: here every node shares 127.0.0.1).
//
// The proxy owns one I/O thread and its sockets. Every public member is thread-safe; Cut, Heal
// and Drop return once the I/O thread has applied them (connections closed). The destructor
// closes everything and joins the thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace circuledger::cluster {

enum class ProxyDirection {
  kToTarget,    // bytes from the dialer to the target
  kFromTarget,  // bytes from the target back to the dialer
};

struct ProxyStats {
  uint64_t accepted = 0;  // connections accepted (including those closed because of a cut)
  uint64_t refused = 0;   // accepted while cut and closed at once
  uint64_t open = 0;      // connection pairs currently forwarding
  uint64_t bytes_to_target = 0;
  uint64_t bytes_from_target = 0;
  uint64_t bytes_dropped = 0;
  uint64_t bytes_flipped = 0;  // bytes changed by FlipByte
};

class TcpProxy {
 public:
  // Binds 127.0.0.1:listen_port (0: any free port, see port()) and starts forwarding to
  // target_host:target_port (an IP address). Throws std::runtime_error when it cannot bind or the
  // target is not an IP address. A target that is down is not an error: each dial to it fails and
  // the accepted connection is closed.
  TcpProxy(uint16_t listen_port, const std::string& target_host, uint16_t target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // The port it listens on.
  uint16_t port() const { return port_; }
  uint16_t target_port() const { return target_port_; }

  // Closes every current connection; connections accepted until Heal() are closed at once.
  void Cut();
  // Ends a cut and every drop; closes the connections that lost bytes to a drop.
  void Heal();
  // Discards the bytes flowing in `direction` (current and new connections) until Heal().
  void Drop(ProxyDirection direction);
  // The next connection accepted (each call queues one, for one connection) gets the byte at
  // `offset` of its stream in `direction` XORed with 0x01 (a relay that changes one byte, e.g.
  // after the handshake). Not undone by Heal().
  void FlipByte(ProxyDirection direction, uint64_t offset);

  bool cut() const;
  ProxyStats Stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  uint16_t target_port_ = 0;
};

}  // namespace circuledger::cluster

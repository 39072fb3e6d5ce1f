// network/detail/connection.h: one TCP connection of a P2pNode, from connect/accept to close.
//
// A Connection runs the handshake, then the read loop (header, size check, body in chunks,
// payload check, rate limits) and the write loop (its bounded send queue). It reports to its
// ConnectionOwner (the P2pNode) and never decides about other connections. Lifetime: shared_ptr,
// held by its pending handlers and by the owner's table until it is closed.
// Threads: everything runs on the owner's single I/O thread except Enqueue() and Stats(), which
// any thread may call (they lock queue_mu_). The owner's callbacks are invoked without that lock.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "network/ban_list.h"
#include "network/handshake.h"
#include "network/p2p.h"

namespace circuledger::network::detail {

class Connection;
using FramePtr = std::shared_ptr<const std::string>;
using Clock = std::chrono::steady_clock;

// What a Connection tells its P2pNode. Called on the I/O thread only.
class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  // The peer's hello named this key (before its proof): kNone, or why to refuse (kBanned).
  virtual DisconnectReason CheckClaimedKey(const ledger::PubKey& key) = 0;
  virtual void OnAuthenticated(const std::shared_ptr<Connection>& conn) = 0;
  virtual void OnAppMessage(Connection& conn, MessageType type, std::string payload) = 0;
  // Called once, when the connection is closed for `reason`.
  virtual void OnClosed(Connection& conn, DisconnectReason reason) = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class State : uint8_t { kConnecting, kHandshake, kActive, kRetiring, kClosed };

  Connection(boost::asio::io_context& ioc, const P2pOptions& options, const ledger::SecretKey& key,
             ConnectionOwner& owner, bool outbound);

  // Inbound: takes the accepted socket and starts the handshake.
  void Accept(boost::asio::ip::tcp::socket socket);
  // Outbound: connects to the first endpoint that answers, then starts the handshake.
  void Connect(const boost::asio::ip::tcp::resolver::results_type& endpoints);
  // Any thread. False when the frame was not queued: the connection is not active, or the queue
  // is full (then the drop is counted).
  bool Enqueue(const FramePtr& frame);
  // Stops taking frames, flushes the queue, half-closes and reads until the peer closes too
  // (a duplicate connection: the peer may still have frames in flight on it).
  void Retire();
  // Closes now (idempotent); the owner hears OnClosed once.
  void Close(DisconnectReason reason);
  // Deadlines: handshake, idle, write stall, retirement; sends pings.
  void OnTick(Clock::time_point now);

  State state() const { return state_; }
  bool outbound() const { return outbound_; }
  bool authenticated() const { return authenticated_; }
  // The peer's key: proven when authenticated(), claimed once its hello arrived.
  std::optional<ledger::PubKey> peer_key() const;
  const std::string& address() const { return address_; }  // "ip:port" ("" before connect)
  const std::string& ip() const { return ip_; }
  PeerInfo Stats() const;  // any thread

 private:
  void Begin();
  void ReadHeader();
  void OnHeader(const boost::system::error_code& ec);
  void ReadBody();
  void OnFrame();
  void HandleHandshake(MessageType type, const std::string& payload);
  void HandleActive(MessageType type, std::string payload);
  void Throttle();
  void EnqueueLocal(MessageType type, const std::string& payload);
  bool PushLocked(const FramePtr& frame);  // queue_mu_ held
  void StartWrite();
  void OnWritten(const boost::system::error_code& ec);
  void ShutdownSend();
  void Fail(const boost::system::error_code& ec);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer throttle_;
  const P2pOptions& options_;
  ConnectionOwner& owner_;
  const bool outbound_ = false;
  Handshake handshake_;
  State state_ = State::kConnecting;
  bool authenticated_ = false;
  bool sent_auth_ = false;
  std::string address_;
  std::string ip_;
  Clock::time_point deadline_ = Clock::now();  // handshake or retirement deadline
  Clock::time_point last_read_ = Clock::now();
  Clock::time_point last_ping_ = Clock::now();
  TokenBucket messages_;
  TokenBucket bytes_;
  uint64_t ping_nonce_ = 0;

  // Read state (I/O thread).
  std::array<char, limits::kFrameHeaderBytes> header_{};
  MessageType type_ = MessageType::kPing;
  size_t body_expected_ = 0;
  std::string body_;

  // Send queue: Enqueue may run on any thread.
  mutable std::mutex queue_mu_;
  std::deque<FramePtr> queue_;       // front() is being written while writing_
  size_t queued_bytes_ = 0;
  uint64_t dropped_ = 0;
  bool writing_ = false;
  bool accepting_frames_ = false;  // active (or handshake frames of our own)
  Clock::time_point write_started_ = Clock::now();
};

}  // namespace circuledger::network::detail

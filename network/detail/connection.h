// network/detail/connection.h: one TCP connection of a P2pNode, from connect/accept to close.
//
// A Connection runs the handshake (network/handshake.h; the dialer is the initiator), then the
// read loop (sealed header, size check, sealed body in chunks, payload check, rate limits) and the
// write loop (its bounded send queue of plaintext frames, sealed one by one as they are written,
// so the nonces follow the order on the wire and a broadcast shares its plaintext). It reports to its
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
  // The peer proved this key in the handshake: kNone, or why to refuse it (kBanned).
  virtual DisconnectReason CheckProvenKey(const ledger::PubKey& key) = 0;
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
  // The peer's key, once proven in the handshake (nullopt before).
  std::optional<ledger::PubKey> peer_key() const { return handshake_.peer_key(); }
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
  // Active from now on; `confirm` (the responder) queues the confirming ping first, atomically
  // with opening the queue to other threads.
  void Established(bool confirm);
  void HandleActive(MessageType type, std::string payload);
  void Throttle();
  // Queues one of our own frames: sealed, or (handshake messages) in clear.
  void EnqueueLocal(MessageType type, const std::string& payload, bool seal = true);
  bool PushLocked(const FramePtr& frame, bool seal);  // queue_mu_ held
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
  bool confirming_ = false;  // initiator: keys ready, waiting for the responder's first frame
  // The session's ciphers, keyed when the handshake is done (I/O thread only). Frames read after
  // that are sealed; frames queued after it are sealed when written.
  noise::CipherState send_;
  noise::CipherState recv_;
  std::string address_;
  std::string ip_;
  Clock::time_point deadline_ = Clock::now();  // handshake or retirement deadline
  Clock::time_point last_read_ = Clock::now();
  Clock::time_point last_ping_ = Clock::now();
  TokenBucket messages_;
  TokenBucket bytes_;
  uint64_t ping_nonce_ = 0;

  // Read state (I/O thread).
  std::array<char, limits::kSealedHeaderBytes> header_{};  // the first 5 in clear before the session
  MessageType type_ = MessageType::kPing;
  size_t body_expected_ = 0;
  std::string body_;

  // Send queue: Enqueue may run on any thread.
  mutable std::mutex queue_mu_;
  struct Outgoing {
    FramePtr frame;     // header | payload in clear
    bool seal = false;  // false only for our handshake messages
  };
  std::deque<Outgoing> queue_;       // front() is being written while writing_
  std::string sealed_;               // the front frame sealed, while it is written (I/O thread)
  size_t queued_bytes_ = 0;
  uint64_t dropped_ = 0;
  bool writing_ = false;
  bool accepting_frames_ = false;  // active (or handshake frames of our own)
  Clock::time_point write_started_ = Clock::now();
};

}  // namespace circuledger::network::detail

// network/p2p.h: the authenticated peer-to-peer transport between nodes (network/P2P.md).
//
// A P2pNode listens on an address, dials the configured peer addresses (with exponential
// backoff), authenticates every connection with the Noise handshake of network/handshake.h,
// encrypts every frame after it (network/noise.h), and keeps
// one connection per node key: when two nodes dial each other at once, both keep the connection
// dialed by the smaller key. Frames are read with their size limit checked before allocation;
// every peer has a bounded send queue (a frame that does not fit is dropped and Send says so; a
// peer whose socket does not take a frame within write_timeout_ms is disconnected), a message rate
// limit (a flood bans it) and a byte rate limit (reading pauses). A peer that sends garbage (a bad
// frame, an undecodable or unexpected message) is disconnected and banned for ban_ms, by IP
// address and, when the frame opened under its session, by node key (bytes that fail to open,
// or a failed handshake, ban nobody). Every disconnect is recorded with its reason
// (RecentEvents). Pings keep idle connections alive and find dead ones.
//
// Threads: the node owns one I/O thread. The callbacks run on it, one at a time, never while a
// lock of the node is held: they may call Send, Broadcast, Peers and RecentEvents, but must not
// block for long (they stall every peer) and must not call Stop. Send, Broadcast, Peers,
// RecentEvents, AddPeer, BanPeer and IsAddressBanned/IsKeyBanned are thread-safe. Start and Stop are
// called by the owning thread; after Stop returns no callback runs. The P2pNode owns its sockets, timers, queues and a copy of
// the node's secret key.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/status.h"
#include "network/frame.h"
#include "network/handshake.h"
#include "network/limits.h"
#include "network/reasons.h"

namespace circuledger::network {

struct P2pOptions {
  std::string chain_id;                 // required: peers on another chain are refused
  ledger::Hash256 genesis_hash;         // the chain's genesis hash, bound into the handshake with
                                        // chain_id (default all zero: tests; the node sets it)
  KeyFilter allowed;                    // required: node keys that may connect (validators, full nodes)
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 0;             // 0: any free port (see P2pNode::port())
  bool listen = true;                   // false: dial only
  std::vector<std::string> dial;        // "host:port" of peers to stay connected to (default none)
  size_t max_peers = limits::kMaxPeers;
  size_t max_pending = limits::kMaxPendingHandshakes;
  size_t max_pending_per_address = limits::kMaxPendingPerAddress;  // inbound, from one IP
  size_t send_queue_frames = limits::kMaxSendQueueFrames;
  size_t send_queue_bytes = limits::kMaxSendQueueBytes;
  uint32_t handshake_timeout_ms = limits::kHandshakeTimeoutMs;
  uint32_t write_timeout_ms = limits::kWriteTimeoutMs;
  uint32_t ping_interval_ms = limits::kPingIntervalMs;
  uint32_t idle_timeout_ms = limits::kIdleTimeoutMs;
  uint32_t retire_timeout_ms = limits::kRetireTimeoutMs;
  uint32_t dial_backoff_min_ms = limits::kDialBackoffMinMs;
  uint32_t dial_backoff_max_ms = limits::kDialBackoffMaxMs;
  uint32_t messages_per_s = limits::kMaxMessagesPerSec;
  uint32_t message_burst = limits::kMessageBurst;
  uint64_t bytes_per_s = limits::kMaxBytesPerSec;
  uint64_t byte_burst = limits::kByteBurst;
  uint32_t ban_ms = limits::kBanDurationMs;
};

struct P2pCallbacks {
  // An application message (kTx, kConsensus, kSyncRequest, kSyncResponse) from an authenticated
  // peer; its payload already passed the type's decoder (network/messages.h). Optional.
  std::function<void(const ledger::PubKey& peer, MessageType type, std::string payload)> on_message;
  // A node key got its first authenticated connection / lost its last one. Optional.
  std::function<void(const ledger::PubKey& peer)> on_peer_up;
  std::function<void(const ledger::PubKey& peer)> on_peer_down;
};

struct PeerInfo {
  ledger::PubKey key;
  std::string address;  // "ip:port" of the remote end
  bool outbound = false;
  size_t queued_frames = 0;
  size_t queued_bytes = 0;
  uint64_t dropped_frames = 0;  // frames Send/Broadcast could not queue
};

// One closed or refused connection.
struct PeerEvent {
  std::string address;                 // "ip:port" of the remote end
  std::optional<ledger::PubKey> key;   // when the peer proved it in the handshake
  bool authenticated = false;
  DisconnectReason reason = DisconnectReason::kNone;
  bool banned = false;                 // this event banned the peer
  // How many times this happened in a row: an event that repeats one still in the list without
  // banning anyone (a peer that is down, dialed again and again) is folded into it and moved to
  // the end, so retries do not push bans out of the list.
  uint64_t repeats = 1;
};

class P2pNode {
 public:
  P2pNode(P2pOptions options, ledger::SecretKey key, P2pCallbacks callbacks);
  ~P2pNode();  // Stop()
  P2pNode(const P2pNode&) = delete;
  P2pNode& operator=(const P2pNode&) = delete;

  // Binds (when listening), starts dialing and the I/O thread. InvalidArgument for missing or
  // inconsistent options or a bad address; IoError when the address cannot be bound.
  ledger::Status Start();
  // The bound port (after Start; 0 when not listening).
  uint16_t port() const { return port_; }
  const ledger::PubKey& key() const { return public_key_; }
  // Closes every connection and the listener, cancels dials, joins the thread; on_peer_down is
  // not called for the connections it closes. Idempotent.
  void Stop();

  // Adds a peer address ("host:port") to stay connected to, as P2pOptions::dial does (e.g. a
  // validator added by governance). Any thread, after Start. InvalidArgument for a bad address.
  ledger::Status AddPeer(const std::string& address);

  // Queues one application message (kTx, kConsensus, kSyncRequest, kSyncResponse) for one peer.
  // InvalidArgument for another type or a payload the peer's decoder would reject, NotFound when
  // no authenticated connection to that key exists, Rejected(kOversized) when its send queue is
  // full (the message is dropped and counted).
  ledger::Status Send(const ledger::PubKey& peer, MessageType type, std::string_view payload);
  // Queues one message for every authenticated peer (one shared buffer). Returns the number of
  // peers it was queued for; 0 also when the message is invalid as for Send.
  size_t Broadcast(MessageType type, std::string_view payload);

  std::vector<PeerInfo> Peers() const;
  // The latest disconnects and refusals, oldest first (at most limits::kMaxRecentEvents).
  std::vector<PeerEvent> RecentEvents() const;
  bool IsAddressBanned(const std::string& ip) const;
  bool IsKeyBanned(const ledger::PubKey& key) const;

  // The application found that `peer` misbehaved (e.g. it sent a block that does not execute, or
  // a forged vote): bans its key for ban_ms at once, and closes its connection with `reason` (which
  // also bans the connection's IP address and records the event). Nothing else happens when
  // `reason` is not one that bans (ReasonBans). Thread-safe; safe from a callback.
  void BanPeer(const ledger::PubKey& peer, DisconnectReason reason);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ledger::PubKey public_key_;
  uint16_t port_ = 0;
};

}  // namespace circuledger::network

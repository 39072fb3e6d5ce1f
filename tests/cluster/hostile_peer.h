// tests/cluster/hostile_peer.h: a test peer that speaks the p2p protocol (network/P2P.md) to a
// real circuledgerd, for the hostile-peer suite (tests/cluster/hostile_peer_test.cpp).
//
// HostilePeer is a blocking POSIX TCP client with timeouts. It connects from a chosen loopback
// source address (any 127.x.y.z: an attacker with its own IP address, so an address ban it earns
// does not fall on the honest nodes, which all dial from 127.0.0.1), sends raw bytes or clear
// frames, runs the initiator's side of the Noise XX handshake with a node key it holds, and then
// sends and reads sealed frames, or keeps the sealed bytes of a frame to replay them later.
// Owned by one thread; not thread-safe. The destructor closes the socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/crypto.h"
#include "network/frame.h"
#include "network/handshake.h"
#include "network/noise.h"

namespace circuledger::cluster {

class HostilePeer {
 public:
  HostilePeer() = default;
  ~HostilePeer();
  HostilePeer(const HostilePeer&) = delete;
  HostilePeer& operator=(const HostilePeer&) = delete;

  // Connects to 127.0.0.1:port from `source_ip` (a loopback address). False on failure.
  bool Connect(uint16_t port, const std::string& source_ip = "127.0.0.1");
  bool SendAll(std::string_view bytes);
  // One frame: in clear before the handshake, sealed after it.
  bool SendFrame(network::MessageType type, std::string_view payload);
  // The sealed bytes of one frame (after Handshake; takes the next two send nonces), to send now
  // or later; "" before the handshake.
  std::string SealFrame(network::MessageType type, std::string_view payload);
  // Seals and sends a raw 5-byte frame header alone (any length and type; after Handshake).
  bool SendSealedHeader(std::string_view header);
  // Exactly n bytes, or nullopt on timeout, close or error.
  std::optional<std::string> ReadExact(size_t n, std::chrono::milliseconds timeout);
  // The next frame (opened after the handshake); nullopt on timeout, close, or a bad tag/header.
  std::optional<network::Frame> ReadFrame(std::chrono::milliseconds timeout);
  // The next frame of `type`, skipping others (pings, votes, the node's own sync requests).
  std::optional<network::Frame> ReadFrameOf(network::MessageType type, std::chrono::milliseconds timeout);
  // True when the node closes the connection within `timeout` (what it sends before is discarded).
  bool WaitClosed(std::chrono::milliseconds timeout);
  // The initiator's side of the handshake with `key` on `chain` (its id and genesis hash). False when the node's message 2
  // does not come or does not verify, or the node closes instead of confirming with its first
  // sealed frame (it refused our key).
  bool Handshake(const ledger::SecretKey& key, const network::ChainBinding& chain);

 private:
  int fd_ = -1;
  std::optional<network::noise::Session> session_;
  std::optional<network::Frame> first_;  // the node's confirming frame, read by Handshake
};

}  // namespace circuledger::cluster

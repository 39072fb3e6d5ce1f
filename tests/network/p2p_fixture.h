// tests/network/p2p_fixture.h: helpers for P2pNode tests on 127.0.0.1 ephemeral ports.
//
// TestNode wraps a P2pNode with an Inbox that records what its callbacks saw (thread-safe).
// RawPeer is a blocking POSIX TCP client with timeouts that speaks raw frames (and, after its
// Handshake, sealed ones), for tests that play a misbehaving or slow peer. WaitUntil polls a condition with a deadline: tests never sleep
// a fixed time to synchronize.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "network/frame.h"
#include "network/noise.h"
#include "network/p2p.h"

namespace circuledger::network::test {

using namespace std::chrono_literals;

// True as soon as pred() holds; false if it still does not after `timeout`.
bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5000ms);

ledger::SecretKey KeyFromSeed(uint8_t seed);

struct Received {
  ledger::PubKey from;
  MessageType type = MessageType::kTx;
  std::string payload;
};

// What a node's callbacks saw. Thread-safe.
class Inbox {
 public:
  void Add(Received r);
  void Up(const ledger::PubKey& k);
  void Down(const ledger::PubKey& k);
  std::vector<Received> Messages() const;
  size_t CountFrom(const ledger::PubKey& from, const std::string& payload) const;
  std::set<ledger::PubKey> UpPeers() const;
  size_t downs() const;

 private:
  mutable std::mutex mu_;
  std::vector<Received> messages_;
  std::set<ledger::PubKey> up_;
  size_t downs_ = 0;
};

// A P2pNode with its key and inbox. Stops in its destructor.
struct TestNode {
  ledger::SecretKey key;
  std::shared_ptr<Inbox> inbox = std::make_shared<Inbox>();
  std::unique_ptr<P2pNode> node;

  const ledger::PubKey& pub() const { return node->key(); }
  std::string Address() const { return "127.0.0.1:" + std::to_string(node->port()); }
  bool HasPeer(const ledger::PubKey& k) const;
  // How many disconnects with this reason were seen so far (repeats of one event included).
  size_t EventsWith(DisconnectReason reason) const;
};

constexpr const char* kChain = "circuledger-test";

// Options for tests: chain kChain, allowed = `allowed`, listening on an ephemeral port, short
// backoffs.
P2pOptions TestOptions(std::set<ledger::PubKey> allowed);
// Builds and starts a node (REQUIREs that Start succeeds).
std::unique_ptr<TestNode> StartNode(uint8_t seed, const P2pOptions& options);

// A blocking TCP client with timeouts, speaking raw bytes.
class RawPeer {
 public:
  RawPeer() = default;
  ~RawPeer();
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  // receive_buffer_bytes > 0: SO_RCVBUF, set before connecting (a slow reader's small window).
  bool Connect(uint16_t port, int receive_buffer_bytes = 0);
  bool SendAll(std::string_view bytes);
  // One frame: in clear before the handshake, sealed with the session's keys after it.
  bool SendFrame(MessageType type, std::string_view payload);
  // The bytes of one sealed frame, to send later (after Handshake; each call takes two nonces).
  std::string SealFrame(MessageType type, std::string_view payload);
  // A sealed frame from a raw 5-byte header (any length and type) and payload (after Handshake).
  bool SendSealed(std::string_view header, std::string_view payload);
  // Exactly n bytes, or nullopt on timeout, close or error.
  std::optional<std::string> ReadExact(size_t n, std::chrono::milliseconds timeout = 5000ms);
  // One frame, opened with the session's keys after the handshake (nullopt if its tag fails).
  std::optional<Frame> ReadFrame(std::chrono::milliseconds timeout = 5000ms);
  // True when the peer closes the connection within `timeout` (whatever it sends before is read
  // and discarded).
  bool WaitClosed(std::chrono::milliseconds timeout = 5000ms);
  // Runs the initiator's side of the handshake with `key`: sends message 1, reads and checks the
  // node's message 2, sends message 3; later frames are sealed. False if the node's message 2
  // does not come or does not verify. `chain` defaults to kChain.
  bool Handshake(const ledger::SecretKey& key, const std::string& chain = kChain);

 private:
  int fd_ = -1;
  std::optional<noise::Session> session_;
};

}  // namespace circuledger::network::test

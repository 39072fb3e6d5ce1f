// network/handshake.h: the mutual authentication and key agreement of two nodes
// (network/P2P.md, "Handshake"): a Noise XX handshake (network/noise.h) over the node keys, with
// the node's rules around it.
//
// The node that dialed is the initiator. Three handshake frames:
//
//   1  initiator -> responder: u8 version | 32 ephemeral key | 32 chain tag        (in clear)
//   2  responder -> initiator: 32 ephemeral key | 48 encrypted static key | 16 tag
//   3  initiator -> responder: 48 encrypted static key | 16 tag
//
// The prologue binds the protocol version and the chain (HandshakePrologue); the chain tag in
// message 1 only lets the responder name the mismatch (`wrong-chain`) instead of failing at
// message 3. A peer's static key is accepted only once it is proven inside the transcript: a tag
// keyed by DH(its static, our ephemeral) verified. Only then are the owner's rules applied (not
// ourselves, allowed, not banned), so nothing is ever decided about a key that was only claimed.
// A Handshake is one connection's state: not thread-safe. It copies the keys.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/crypto.h"
#include "network/limits.h"
#include "network/noise.h"
#include "network/reasons.h"

namespace circuledger::network {

// Whether a node key may connect (the owner's allow-list). Called on the transport's thread.
using KeyFilter = std::function<bool(const ledger::PubKey&)>;

// The chain a session belongs to: its chain id and its genesis hash (ledger::GenesisHash).
struct ChainBinding {
  ChainBinding(const char* id) : chain_id(id) {}  // NOLINT: tests name a chain by its id alone
  ChainBinding(std::string id, const ledger::Hash256& genesis = {}) : chain_id(std::move(id)), genesis_hash(genesis) {}
  std::string chain_id;
  ledger::Hash256 genesis_hash;  // all zero when the owner has none (tests)
};

// u32 len + "circuledger/p2p" | u8 version | u32 len + chain id | 32 genesis hash: mixed into the
// transcript before message 1.
std::string HandshakePrologue(const ChainBinding& chain);
// tagged_hash("circuledger/p2p-chain", u32 len + chain id | 32 genesis hash): message 1's chain tag.
ledger::Hash256 ChainTag(const ChainBinding& chain);

class Handshake {
 public:
  static constexpr size_t kMessage1Bytes = 1 + noise::XxHandshake::kMessage1Bytes + 32;
  static constexpr size_t kMessage2Bytes = noise::XxHandshake::kMessage2Bytes;
  static constexpr size_t kMessage3Bytes = noise::XxHandshake::kMessage3Bytes;

  // `ephemeral` is drawn from the operating system when not given (tests freeze it).
  Handshake(bool initiator, const ChainBinding& chain, const ledger::SecretKey& key, KeyFilter allowed,
            std::optional<ledger::SecretKey> ephemeral = std::nullopt);

  bool initiator() const { return initiator_; }
  // The initiator's first message (call once, initiator only).
  std::string Start();

  struct Step {
    DisconnectReason error = DisconnectReason::kNone;
    std::string reply;   // a handshake message to send ("" for none)
    bool done = false;   // the peer is proven and allowed: the session is ready (Split)
  };
  // The peer's next handshake message. Errors: kIncompatibleVersion, kWrongChain (message 1);
  // kHandshakeFailed (wrong size, a key off the curve, a tag that does not verify: the peer did
  // not prove a key); after the proof kSelfConnection, kUnknownKey; kUnexpectedMessage for a
  // message after the last one. The owner checks bans on peer_key() when done.
  Step OnMessage(std::string_view message);

  // The peer's static key, set only once proven.
  const std::optional<ledger::PubKey>& peer_key() const { return hs_.remote_static(); }
  // The session's cipher states; once, after a Step with done.
  noise::Session Split() { return hs_.Split(); }

 private:
  bool initiator_ = false;
  ChainBinding chain_;
  ledger::PubKey our_key_;
  KeyFilter allowed_;
  noise::XxHandshake hs_;
  int received_ = 0;  // handshake messages read so far
  bool failed_ = false;
};

}  // namespace circuledger::network

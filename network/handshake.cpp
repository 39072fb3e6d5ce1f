#include "network/handshake.h"

#include "network/detail/wire.h"

namespace circuledger::network {

static_assert(Handshake::kMessage1Bytes == limits::kHandshakeMessage1Bytes);
static_assert(Handshake::kMessage2Bytes == limits::kHandshakeMessage2Bytes);
static_assert(Handshake::kMessage3Bytes == limits::kHandshakeMessage3Bytes);
static_assert(noise::kTagBytes == limits::kAeadTagBytes);

namespace {

ledger::SecretKey FreshOr(std::optional<ledger::SecretKey> k) { return k ? *k : ledger::SecretKey::Generate(); }

}  // namespace

std::string HandshakePrologue(const ChainBinding& chain) {
  detail::WireWriter w(4 + 15 + 1 + 4 + chain.chain_id.size() + 32);
  w.Bytes("circuledger/p2p");
  w.U8(limits::kProtocolVersion);
  w.Bytes(chain.chain_id);
  w.Fixed(chain.genesis_hash);
  return w.Finish();
}

ledger::Hash256 ChainTag(const ChainBinding& chain) {
  static const ledger::TaggedHasher kHasher("circuledger/p2p-chain");
  detail::WireWriter w(4 + chain.chain_id.size() + 32);
  w.Bytes(chain.chain_id);
  w.Fixed(chain.genesis_hash);
  return kHasher.Hash(w.Finish());
}

Handshake::Handshake(bool initiator, const ChainBinding& chain, const ledger::SecretKey& key, KeyFilter allowed,
                     std::optional<ledger::SecretKey> ephemeral)
    : initiator_(initiator),
      chain_(chain),
      our_key_(key.Public()),
      allowed_(std::move(allowed)),
      hs_(initiator, HandshakePrologue(chain), key, FreshOr(std::move(ephemeral))) {}

std::string Handshake::Start() {
  std::string out(1, static_cast<char>(limits::kProtocolVersion));
  out += hs_.WriteMessage1(ChainTag(chain_).View());
  return out;
}

Handshake::Step Handshake::OnMessage(std::string_view message) {
  Step step;
  auto fail = [&](DisconnectReason why) {
    failed_ = true;
    step.error = why;
    return step;
  };
  if (failed_) return fail(DisconnectReason::kUnexpectedMessage);
  const int index = ++received_;
  // The proven key, then the node's rules; a key only claimed never reaches them.
  auto admit = [&]() -> bool {
    const ledger::PubKey& peer = *hs_.remote_static();
    if (peer == our_key_) {
      fail(DisconnectReason::kSelfConnection);
      return false;
    }
    if (!allowed_ || !allowed_(peer)) {
      fail(DisconnectReason::kUnknownKey);
      return false;
    }
    return true;
  };
  if (!initiator_ && index == 1) {
    if (message.size() != kMessage1Bytes) return fail(DisconnectReason::kHandshakeFailed);
    if (static_cast<uint8_t>(message[0]) != limits::kProtocolVersion) {
      return fail(DisconnectReason::kIncompatibleVersion);
    }
    std::string payload;
    if (!hs_.ReadMessage1(message.substr(1), payload)) return fail(DisconnectReason::kHandshakeFailed);
    if (payload != ChainTag(chain_).View()) return fail(DisconnectReason::kWrongChain);
    std::optional<std::string> reply = hs_.WriteMessage2();
    if (!reply) return fail(DisconnectReason::kHandshakeFailed);
    step.reply = std::move(*reply);
    return step;
  }
  if (initiator_ && index == 1) {
    if (!hs_.ReadMessage2(message)) return fail(DisconnectReason::kHandshakeFailed);
    if (!admit()) return step;
    std::optional<std::string> reply = hs_.WriteMessage3();
    if (!reply) return fail(DisconnectReason::kHandshakeFailed);
    step.reply = std::move(*reply);
    step.done = true;
    return step;
  }
  if (!initiator_ && index == 2) {
    if (!hs_.ReadMessage3(message)) return fail(DisconnectReason::kHandshakeFailed);
    if (!admit()) return step;
    step.done = true;
    return step;
  }
  return fail(DisconnectReason::kUnexpectedMessage);
}

}  // namespace circuledger::network

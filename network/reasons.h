// network/reasons.h: why the transport closed or refused a connection, with stable strings.
//
// The strings are an API: logs, metrics and tests match on them, so never rename one. `bans`
// says whether the offence bans the peer (by IP address, and by node key once it is proven):
// protocol violations that an honest implementation never commits. Refusals that a
// misconfiguration explains (wrong chain, unknown key) only disconnect. A failed handshake proof
// (`handshake-failed`) and a frame whose tag does not verify (`decrypt-failed`) never ban: the
// bytes may come from anyone on the path (a relay), not from the key the session belongs to, and
// an authenticated peer can only be blamed for what decrypted under its own session keys.
// ("bad-auth-signature" belonged to protocol version 1 and is no longer produced.) The last
// reasons are the application's (P2pNode::BanPeer): a block or proposal that does not execute, a
// consensus message whose signature does not verify, a message nobody asked for. Plain constants.
#pragma once

#include <cstdint>
#include <string_view>

namespace circuledger::network {

// X(enum name, string, bans)
#define CIRCULEDGER_P2P_REASONS(X)                      \
  X(kNone, "", false)                                   \
  X(kShutdown, "shutdown", false)                       \
  X(kClosedByPeer, "closed-by-peer", false)             \
  X(kIoError, "io-error", false)                        \
  X(kHandshakeTimeout, "handshake-timeout", false)      \
  X(kIncompatibleVersion, "incompatible-version", false) \
  X(kWrongChain, "wrong-chain", false)                  \
  X(kUnknownKey, "unknown-key", false)                  \
  X(kSelfConnection, "self-connection", false)          \
  X(kBanned, "banned", false)                           \
  X(kTooManyPeers, "too-many-peers", false)             \
  X(kDuplicate, "duplicate-connection", false)          \
  X(kWriteTimeout, "write-timeout", false)              \
  X(kIdleTimeout, "idle-timeout", false)                \
  X(kHandshakeFailed, "handshake-failed", false)        \
  X(kDecryptFailed, "decrypt-failed", false)            \
  X(kNonceExhausted, "nonce-exhausted", false)          \
  X(kAcceptFailed, "accept-failed", false)              \
  X(kBadFrame, "bad-frame", true)                       \
  X(kOversizedFrame, "oversized-frame", true)           \
  X(kBadMessage, "bad-message", true)                   \
  X(kUnexpectedMessage, "unexpected-message", true)     \
  X(kFlood, "flood", true)                             \
  X(kInvalidBlock, "invalid-block", true)               \
  X(kBadConsensusSignature, "bad-consensus-signature", true) \
  X(kUnrequested, "unrequested-message", true)

enum class DisconnectReason : uint8_t {
#define CIRCULEDGER_P2P_REASON_ENUM(name, str, bans) name,
  CIRCULEDGER_P2P_REASONS(CIRCULEDGER_P2P_REASON_ENUM)
#undef CIRCULEDGER_P2P_REASON_ENUM
};

constexpr std::string_view ReasonString(DisconnectReason r) {
  switch (r) {
#define CIRCULEDGER_P2P_REASON_STR(name, str, bans) \
  case DisconnectReason::name:                      \
    return str;
    CIRCULEDGER_P2P_REASONS(CIRCULEDGER_P2P_REASON_STR)
#undef CIRCULEDGER_P2P_REASON_STR
  }
  return "?";
}

constexpr bool ReasonBans(DisconnectReason r) {
  switch (r) {
#define CIRCULEDGER_P2P_REASON_BANS(name, str, bans) \
  case DisconnectReason::name:                       \
    return bans;
    CIRCULEDGER_P2P_REASONS(CIRCULEDGER_P2P_REASON_BANS)
#undef CIRCULEDGER_P2P_REASON_BANS
  }
  return false;
}

}  // namespace circuledger::network

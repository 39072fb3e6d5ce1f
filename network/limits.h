// network/limits.h: every bound of the peer-to-peer transport, in one place (TigerBeetle's
// constants.zig). Frame sizes are checked against these before anything is allocated; queues,
// peers, rates and bans use them as defaults (P2pOptions may lower them, e.g. in tests).
// Changing a frame limit changes what peers accept: treat it as a protocol change. Plain
// constants; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ledger/limits.h"

namespace circuledger::network::limits {

// Frames: u32 payload length | u8 type | payload (network/P2P.md).
constexpr size_t kFrameHeaderBytes = 4 + 1;

// Opaque payloads. A consensus message is one kind byte plus a proposal (a block and a small
// envelope) or a vote; a commit certificate is at most kMaxValidators signatures plus a header.
// The consensus module's own bounds are tighter (consensus/limits.h: kMaxMessageBytes and
// kMaxCertificateBytes); tests/network checks that they fit these.
constexpr size_t kConsensusEnvelopeBytes = 4 * 1024;
constexpr size_t kMaxConsensusBytes = ledger::limits::kMaxBlockBytes + kConsensusEnvelopeBytes;
constexpr size_t kMaxCertificateBytes = 64 * 1024;

// Transaction gossip: a node sends the transactions its clients submitted in batches (kTxs), at
// most this many and this many payload bytes per frame.
constexpr uint32_t kMaxTxsPerFrame = 4096;
constexpr size_t kMaxTxsFrameBytes = 1024 * 1024;

// Block sync: a request names a height range of at most this many blocks; each response frame
// carries one block and its commit certificate.
constexpr uint32_t kMaxSyncBlocksPerRequest = 64;
constexpr size_t kSyncResponseEnvelopeBytes = 8 /*height*/ + 4 /*block len*/ + 4 /*cert len*/;
constexpr size_t kMaxSyncResponseBytes =
    kSyncResponseEnvelopeBytes + ledger::limits::kMaxBlockBytes + kMaxCertificateBytes;

// The largest payload of any frame type: a full block with its certificate.
constexpr size_t kMaxFramePayloadBytes = kMaxSyncResponseBytes;
constexpr size_t kMaxFrameBytes = kFrameHeaderBytes + kMaxFramePayloadBytes;
// A frame body is read (and its buffer grown) in chunks of this size, so a peer that announces a
// large frame and then trickles bytes holds only what it actually sent.
constexpr size_t kReadChunkBytes = 64 * 1024;

// Encryption after the handshake (network/noise.h): a frame is a sealed header (the 5 header
// bytes and their 16-byte tag) then the sealed payload (its bytes and a 16-byte tag), each with
// the next nonce of its direction.
constexpr size_t kAeadTagBytes = 16;
constexpr size_t kSealedHeaderBytes = kFrameHeaderBytes + kAeadTagBytes;
constexpr size_t kSealedFrameOverheadBytes = 2 * kAeadTagBytes;

// Handshake (Noise XX, network/handshake.h). Version 2: the encrypted transport.
constexpr uint8_t kProtocolVersion = 2;
constexpr size_t kMaxChainIdLen = ledger::limits::kMaxChainIdLen;
// The three messages: 1 + 32 + 32 (version, ephemeral key, chain tag), 32 + 48 + 16, 48 + 16.
constexpr size_t kHandshakeMessage1Bytes = 1 + 32 + 32;
constexpr size_t kHandshakeMessage2Bytes = 32 + (32 + kAeadTagBytes) + kAeadTagBytes;
constexpr size_t kHandshakeMessage3Bytes = (32 + kAeadTagBytes) + kAeadTagBytes;
constexpr size_t kMinHandshakeBytes = kHandshakeMessage3Bytes;
constexpr size_t kMaxHandshakeBytes = kHandshakeMessage2Bytes;
constexpr uint32_t kHandshakeTimeoutMs = 5'000;  // from TCP connect to both sides authenticated

// Peers and queues.
constexpr size_t kMaxPeers = 64;               // authenticated connections
constexpr size_t kMaxPendingHandshakes = 32;   // connections not yet authenticated
constexpr size_t kMaxPendingPerAddress = 8;    // of those, from one IP address
// An accept that fails for lack of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM) is retried after
// a pause that doubles from the first to the second value, instead of at once (a busy loop).
constexpr uint32_t kAcceptBackoffMinMs = 10;
constexpr uint32_t kAcceptBackoffMaxMs = 1'000;
constexpr size_t kMaxSendQueueFrames = 4096;   // per peer
constexpr size_t kMaxSendQueueBytes = 2 * kMaxFrameBytes;  // per peer: two full blocks
constexpr uint32_t kWriteTimeoutMs = 30'000;   // one queued frame not written by then: drop peer
constexpr uint32_t kPingIntervalMs = 5'000;
constexpr uint32_t kIdleTimeoutMs = 30'000;    // nothing read for this long: drop peer
constexpr uint32_t kRetireTimeoutMs = 5'000;   // a duplicate connection flushes, then closes
constexpr uint32_t kDialBackoffMinMs = 100;
constexpr uint32_t kDialBackoffMaxMs = 10'000;

// Rates per peer (token buckets). Messages beyond the burst are a flood: drop and ban. Bytes
// beyond the burst are throttled (the read loop pauses), so an honest burst of sync responses
// slows down instead of being punished.
constexpr uint32_t kMaxMessagesPerSec = 20'000;
constexpr uint32_t kMessageBurst = 40'000;
constexpr uint64_t kMaxBytesPerSec = 128ull * 1024 * 1024;
constexpr uint64_t kByteBurst = 2 * kMaxFrameBytes;

// Bans: by node key and by IP address.
constexpr uint32_t kBanDurationMs = 10 * 60 * 1000;
constexpr size_t kMaxBans = 4096;            // the oldest ban is forgotten beyond this
constexpr size_t kMaxRecentEvents = 256;     // disconnect records kept for inspection

static_assert(kMaxFramePayloadBytes >= ledger::limits::kMaxBlockBytes + kMaxCertificateBytes,
              "a full block with its certificate fits one frame");
static_assert(kMaxFramePayloadBytes >= kMaxConsensusBytes, "a proposal of a full block fits");
static_assert(kMaxFramePayloadBytes >= ledger::limits::kMaxTxBytes);
static_assert(kMaxTxsFrameBytes <= kMaxFramePayloadBytes);
static_assert(kMaxTxsFrameBytes >= 4 + 4 + ledger::limits::kMaxTxBytes, "a batch holds one transaction of any size");
static_assert(kMaxFrameBytes < (size_t{1} << 32), "a frame length fits its u32 prefix");
static_assert(kReadChunkBytes <= kMaxFramePayloadBytes);
static_assert(kMaxSendQueueBytes >= kMaxFrameBytes, "a full-size frame can always be queued");
static_assert(kByteBurst >= kMaxFrameBytes, "one full-size frame never exceeds the byte burst");
static_assert(kMessageBurst >= kMaxMessagesPerSec);
static_assert(kMaxSyncBlocksPerRequest >= 1);
static_assert(kHandshakeTimeoutMs < kIdleTimeoutMs);
static_assert(kPingIntervalMs * 2 < kIdleTimeoutMs, "two pings fit in the idle timeout");
static_assert(kDialBackoffMinMs > 0 && kDialBackoffMinMs <= kDialBackoffMaxMs);
static_assert(kBanDurationMs > kDialBackoffMaxMs, "a ban outlasts the longest redial pause");
static_assert(kMaxBans >= kMaxPeers + kMaxPendingHandshakes, "every connected or pending peer can be banned at once");
static_assert(kMaxRecentEvents >= kMaxPendingHandshakes, "one burst of refusals stays visible");
static_assert(kSealedHeaderBytes == kFrameHeaderBytes + kAeadTagBytes);
static_assert(kAcceptBackoffMinMs > 0 && kAcceptBackoffMinMs <= kAcceptBackoffMaxMs);
static_assert(kAcceptBackoffMaxMs < kHandshakeTimeoutMs, "a backed-off listener still serves within a handshake");
static_assert(kMaxPendingPerAddress >= 1 && kMaxPendingPerAddress <= kMaxPendingHandshakes,
              "one address cannot take every pending slot");
static_assert(kMaxPendingHandshakes <= kMaxPeers, "pending connections are bounded below the peers");
static_assert(kMinHandshakeBytes <= kHandshakeMessage1Bytes && kHandshakeMessage1Bytes <= kMaxHandshakeBytes);
static_assert(kMaxFrameBytes + kSealedFrameOverheadBytes < (size_t{1} << 32), "a sealed frame's length fits too");
static_assert(kMaxSendQueueBytes >= kFrameHeaderBytes + kMaxHandshakeBytes, "a handshake message can be queued");

}  // namespace circuledger::network::limits

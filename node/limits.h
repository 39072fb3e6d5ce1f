// node/limits.h: every bound of the node module (the consensus driver, block sync, transaction
// gossip), in one place (TigerBeetle's constants.zig). Queues fed by peers are bounded in bytes
// per peer, so one peer filling its share never takes another's: the sum over peers is bounded by
// network::limits::kMaxPeers times the share. Plain constants; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "consensus/limits.h"
#include "network/limits.h"

namespace circuledger::node::limits {

// ---- The consensus inbox (peer messages waiting for the driver thread) ----
// Messages of all peers waiting; beyond this new ones are dropped (gossip repeats what matters).
constexpr size_t kMaxInboxMessages = 4096;
// Bytes one peer may have waiting: one full proposal plus a round's worth of votes and sync
// requests. Beyond it that peer's messages are dropped until the driver has taken its earlier ones.
constexpr size_t kMaxInboxBytesPerPeer = consensus::limits::kMaxMessageBytes + (1 << 20);

// ---- Messages of a height this node has not started yet (replayed when it starts) ----
constexpr size_t kMaxEarlyMessages = 1024;
constexpr size_t kMaxEarlyBytesPerPeer = consensus::limits::kMaxMessageBytes + (1 << 20);

// ---- Transaction gossip ----
// Transactions from peers waiting for admission (all peers), and the bytes of one peer's frames
// among them.
constexpr size_t kMaxTxInbox = 20000;
constexpr size_t kMaxTxInboxBytesPerPeer = 8 * network::limits::kMaxTxsFrameBytes;
// Local transactions are gossiped in kTxs batches: one frame per peer for all that arrived within
// this delay (or as soon as a batch is full), instead of a frame per transaction.
constexpr uint64_t kTxGossipDelayMs = 5;
constexpr size_t kTxGossipBatch = 512;

// ---- Block sync ----
constexpr uint64_t kSyncIntervalMs = 1000;  // how often a stalled node asks a peer for blocks
constexpr uint64_t kSyncTimeoutMs = 3000;   // an unanswered request is given up after this
// Blocks received ahead of the next one, by height from the tip (answers further ahead are
// refused), and the bytes one peer's answers may hold in the buffer.
constexpr size_t kMaxSyncAhead = 256;
constexpr size_t kMaxSyncBufferBytesPerPeer = 2 * network::limits::kMaxSyncResponseBytes;
// A peer whose block does not execute is not asked again for this long (the transport bans it as
// long).
constexpr uint64_t kSyncBanMs = network::limits::kBanDurationMs;

// ---- The consensus WAL ----
constexpr uint64_t kWalRewriteBytes = 64 << 20;  // the WAL file is compacted beyond this

static_assert(kMaxInboxBytesPerPeer >= consensus::limits::kMaxMessageBytes, "a full proposal fits a peer's share");
static_assert(kMaxEarlyBytesPerPeer >= consensus::limits::kMaxMessageBytes, "a full proposal fits a peer's share");
static_assert(kMaxTxInboxBytesPerPeer >= network::limits::kMaxTxsFrameBytes, "a full kTxs frame fits a peer's share");
static_assert(kMaxSyncBufferBytesPerPeer >= network::limits::kMaxSyncResponseBytes, "a full block fits a peer's share");
static_assert(kMaxSyncAhead >= network::limits::kMaxSyncBlocksPerRequest, "a whole answer can be buffered");
static_assert(kSyncTimeoutMs > kSyncIntervalMs);
static_assert(kTxGossipBatch <= network::limits::kMaxTxsPerFrame);

}  // namespace circuledger::node::limits

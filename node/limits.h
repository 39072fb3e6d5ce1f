// node/limits.h: every bound of circuledgerd in one place (STYLE.md: "Put a limit on everything";
// TigerBeetle's constants.zig): the consensus driver, block sync, transaction gossip, the mempool,
// traces. Queues fed by peers are bounded in bytes per peer, so one peer filling its share never
// takes another's: the sum over peers is bounded by network::limits::kMaxPeers times the share.
// Bounds an operator may tune are config fields (node/config.h, docs/config.md) whose accepted
// ranges are written here. The static_asserts say how the bounds relate. Plain constants.
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
// Peers' transactions are admitted (a signature check each) this many at a time; the local
// outbox is looked at between chunks, so its gossip is not held up by a large batch.
constexpr size_t kTxAdmitChunk = 64;

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
static_assert(kTxAdmitChunk >= 1);

// ---- Mempool (node/mempool.h, docs/config.md) ----
// A transaction's nonce must be in [next, next + window) where next is its signer's committed
// next nonce: later nonces are "bad-nonce". Clients pipeline many operations (one document may
// become many transactions), so the window is configurable up to kMaxMempoolNonceWindow.
constexpr uint64_t kDefaultMempoolNonceWindow = 64;
constexpr uint64_t kMaxMempoolNonceWindow = 1024;
constexpr uint32_t kDefaultMempoolMaxTxs = 20000;           // all signers together
constexpr uint32_t kMaxMempoolMaxTxs = 1000000;             // what a config may ask for
constexpr uint32_t kDefaultMempoolMaxPerAccount = 64;       // one signer
constexpr uint32_t kDefaultMempoolMaxPerOrg = 5000;         // all signers of one org
// A waiting transaction is dropped (reject "mempool-expired") after this long.
constexpr uint64_t kDefaultMempoolExpiryMs = 10 * 60 * 1000;
constexpr uint64_t kMinMempoolExpiryMs = 1000;
constexpr uint64_t kMaxMempoolExpiryMs = 24 * 60 * 60 * 1000;
// After a commit, at most this many transactions that just became executable are checked
// against the new tip (the rest are checked after the next commit, or by the block builder).
constexpr size_t kMaxMempoolRechecksPerCommit = 1024;
static_assert(kDefaultMempoolNonceWindow >= 1 && kDefaultMempoolNonceWindow <= kMaxMempoolNonceWindow);
static_assert(kDefaultMempoolMaxPerAccount <= kDefaultMempoolMaxPerOrg &&
              kDefaultMempoolMaxPerOrg < kDefaultMempoolMaxTxs,
              "one org fills at most a share of the default pool");
static_assert(kDefaultMempoolMaxTxs <= kMaxMempoolMaxTxs);
static_assert(kMinMempoolExpiryMs <= kDefaultMempoolExpiryMs && kDefaultMempoolExpiryMs <= kMaxMempoolExpiryMs);

// ---- Transaction status memory (node/node.h) ----
constexpr size_t kMaxRememberedRejects = 10000;  // rejects of admitted transactions, for StatusOf

// ---- Block building and validation (node/ledger_app.h) ----
constexpr size_t kRecentValues = 8;     // decoded proposals kept: those of a few rounds
constexpr size_t kMaxFaultyValues = 64;  // invalid proposals remembered per height to blame their proposers
constexpr size_t kExecutedBlocks = 16;  // executed blocks kept per height: a Byzantine proposer may send many

// ---- Provenance traces (node/trace.h, docs/api.md) ----
constexpr uint32_t kMaxTraceDepth = 1024;   // edges from the root
constexpr uint32_t kMaxTraceLimit = 10000;  // nodes in one page
// offset + limit at most this: a request walks at most this many nodes of the breadth-first
// order, whatever its offset (an offset of 2^32 - 1 would otherwise walk the whole graph).
constexpr uint32_t kMaxTraceNodes = 10000;
static_assert(kMaxTraceLimit <= kMaxTraceNodes, "a first page of the largest limit is allowed");

}  // namespace circuledger::node::limits

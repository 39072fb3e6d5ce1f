// node/limits.h: the bounds of circuledgerd in one place (STYLE.md: "Put a limit on everything").
//
// Compile-time constants only. Bounds an operator may tune are config fields (node/config.h,
// docs/config.md) whose accepted ranges are written here; the rest are fixed. The static_asserts
// say how the bounds relate. The consensus driver's queue bounds live beside it
// (node/consensus_driver.cpp) until its split is done.
#pragma once

#include <cstddef>
#include <cstdint>

namespace circuledger::node::limits {

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
constexpr size_t kExecutedBlocks = 16;  // executed blocks kept per height: a Byzantine proposer may send many

// ---- Provenance traces (node/trace.h, docs/api.md) ----
constexpr uint32_t kMaxTraceDepth = 1024;   // edges from the root
constexpr uint32_t kMaxTraceLimit = 10000;  // nodes in one page
// offset + limit at most this: a request walks at most this many nodes of the breadth-first
// order, whatever its offset (an offset of 2^32 - 1 would otherwise walk the whole graph).
constexpr uint32_t kMaxTraceNodes = 10000;
static_assert(kMaxTraceLimit <= kMaxTraceNodes, "a first page of the largest limit is allowed");

}  // namespace circuledger::node::limits

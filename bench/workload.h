// bench/workload.h: a signed supply-chain workload and the blocks it fills, built untimed on a
// scratch chain.
//
// MakeWorkload signs `txs` transactions of bench/supply_chain.h (many signers: every workload org
// gets kKeysPerOrg member keys, each signing with consecutive nonces), then builds and commits
// blocks of `block_txs` with a proposer Executor on a scratch Store in a temporary directory
// (removed before returning). The blocks carry the scratch chain's times and roots, so a fresh
// Store with the same genesis must reach exactly `tip`. Not synchronized.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <vector>

#include "bench/supply_chain.h"
#include "ledger/block.h"
#include "ledger/genesis.h"
#include "ledger/status.h"

namespace circuledger::bench {

// Member keys of each workload org (TestGenesis gives one; kMaxOrgKeys allows 64).
inline constexpr size_t kKeysPerOrg = 32;
// Units of the supply chain in flight at once: how far apart one unit's steps are in the stream.
inline constexpr size_t kUnitsInFlight = 256;

struct WorkloadOptions {
  uint64_t txs = 100000;
  uint32_t block_txs = 5000;  // at most limits::kMaxBlockTxs
  unsigned threads = 1;       // for signing and the proposer's signature checks
  // Register the EU Battery Regulation Art. 8 rule set (examples/rules/) in the first block and
  // start the chain on 1 Sep 2031, so every assemble is checked against the rules in force.
  bool battery_rules = false;
};

struct Workload {
  ledger::Genesis genesis;
  std::vector<ledger::Block> blocks;
  std::vector<std::vector<ledger::Hash256>> tx_ids;  // per block, in block order
  ledger::ChainTip tip;                              // after the last block
  std::array<uint64_t, kOpKinds> mix{};              // transactions per OpKind
  size_t signers = 0;
  uint64_t txs = 0;
};

// TestGenesis() with kKeysPerOrg - 1 more member keys (KeyFor("<org>#<i>")) in each workload org
// and max_block_txs raised to block_txs when that is above the default; with battery_rules the
// genesis time is 1 Sep 2031.
ledger::Genesis BenchGenesis(uint32_t block_txs, bool battery_rules = false);

// The source of examples/rules/eu-battery-2023-1542-art8.rules (read from the source tree).
ledger::Result<std::string> BatteryRulesSource();

// Builds the workload. Writes progress lines to `log`. Fails (InvalidArgument / the builder's
// status) when a block cannot be built or leaves a transaction out: the workload is a bug then.
ledger::Result<Workload> MakeWorkload(const WorkloadOptions& options, std::ostream& log);

}  // namespace circuledger::bench

// bench/validate.h: the `validate` subcommand: block validation throughput against its limit.
//
//   circuledger-bench validate [--txs N] [--block-txs N] [--threads N] [--battery-rules 0|1]
//
// Untimed: builds a signed supply-chain workload into blocks on a scratch chain (bench/workload.h).
// Timed, phase A: raw secp256k1_schnorrsig_verify per second on `threads` threads (the limit).
// Timed, phase B: on a fresh synced Store with the same genesis and a fresh Executor (empty
// SigCache, so every signature is verified in this phase), ExecuteBlock(block, nullopt) then
// Commit for every block. The last line printed is
//   validated_tx_per_s=<n> limit_verify_per_s=<n> ratio=<r>
#pragma once

#include <string>
#include <vector>

namespace circuledger::bench {

// Returns the process exit code: 0 on success, 1 when the run fails, 2 on bad flags.
int RunValidate(const std::vector<std::string>& args);

}  // namespace circuledger::bench

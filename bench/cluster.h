// bench/cluster.h: `circuledger-bench cluster` — a testnet of real circuledgerd validators on
// loopback (tests/cluster's Cluster), transactions signed ahead and submitted over HTTP to all of
// them for a fixed time, committed through Tendermint consensus; throughput and commit latency
// against raw verifications per second divided by the number of validators (each validator
// verifies every transaction, and here they share this machine's cores).
#pragma once

#include <string>
#include <vector>

namespace circuledger::bench {

int RunCluster(const std::vector<std::string>& args);

}  // namespace circuledger::bench

// node/testnet.h: `circuledgerd testnet`: the homes of a local network on one machine.
//
// Writes, under DIR:
//   genesis.json          the demo orgs (as `init --dev`) and the N validators' keys
//   dev-keys/<org>.key    the orgs' secret keys (mode 0600) for the wallet to import
//   node0..node{N-1}/     validator homes; full0..full{M-1}/ non-validating node homes
// Each home holds node_key (mode 0600) and config.json: genesis_file "../genesis.json" (the shared
// file, so the directory can be moved), HTTP and p2p on 127.0.0.1 at predictable ports (see
// TestnetNode), every other node as a peer, the full nodes' keys as peer_keys (validators are
// always allowed), and empty blocks every second so a fresh network shows it is alive.
// Refuses to overwrite unless `force`; with `force` it removes only what it writes (genesis.json,
// dev-keys/, node<i>/ and full<i>/ folders, with their databases and WALs). Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/status.h"

namespace circuledger::node {

// Bounds of a local testnet (a genesis allows up to 128 validators; 64 processes is already more
// than one machine serves well).
constexpr uint32_t kMaxTestnetValidators = 64;
constexpr uint32_t kMaxTestnetFullNodes = 64;

struct TestnetOptions {
  std::string home;                              // required: the directory holding the homes
  uint32_t validators = 4;                       // 1..kMaxTestnetValidators
  uint32_t full_nodes = 0;                       // 0..kMaxTestnetFullNodes
  std::string chain_id = "circuledger-testnet";
  uint32_t base_port = 26600;                    // first port; each node takes two
  bool force = false;                            // replace an existing testnet in home
};

// One written home, in the order validators then full nodes.
struct TestnetNode {
  std::string name;         // "node0", ..., "full0", ...
  std::string home;         // DIR/<name>
  std::string http_listen;  // 127.0.0.1:<base + 2*i>
  std::string p2p_listen;   // 127.0.0.1:<base + 2*i + 1>
  std::string key;          // public node key, 64 hex digits
  bool validator = false;
};

// The node names and ports InitTestnet would write, without touching the disk; InvalidArgument
// for counts out of bounds or ports beyond 65535.
ledger::Result<std::vector<TestnetNode>> PlanTestnet(const TestnetOptions& options);

// Writes the testnet (see the top of this file) and returns its nodes with their keys.
// InvalidArgument for bad options or an existing testnet without `force`; IoError on write failure.
ledger::Result<std::vector<TestnetNode>> InitTestnet(const TestnetOptions& options);

}  // namespace circuledger::node

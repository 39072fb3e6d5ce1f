// node/config.h: the settings of circuledgerd, read from HOME/config.json.
//
// Every field is optional in the file and has the default written beside it here (and in
// docs/config.md). Unknown fields are refused so a typo cannot pass silently. Paths are relative
// to the node's home directory. Plain value; not synchronized.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/status.h"

namespace circuledger::node {

struct Config {
  std::string genesis_file = "genesis.json";  // the chain's genesis (docs/genesis.md)
  std::string node_key_file = "node_key";     // hex secret key of this node (validator key)
  std::string data_dir = "data";              // LevelDB database
  std::string http_listen = "127.0.0.1:8645"; // HTTP API address; loopback unless changed
  uint32_t http_threads = 2;                  // threads serving HTTP
  uint32_t http_max_body_bytes = 1 << 20;     // larger request bodies get 413
  uint32_t http_max_connections = 256;        // more concurrent connections are refused
  uint32_t http_timeout_ms = 10000;           // a request must arrive and be answered within this
  // The mempool (node/mempool.h; bounds and ranges in node/limits.h).
  uint32_t mempool_max_txs = 20000;           // transactions waiting, all signers together (1..1000000)
  uint32_t mempool_max_per_account = 64;      // waiting transactions of one signer (>= 1)
  uint32_t mempool_max_per_org = 5000;        // waiting transactions of one org's signers (>= 1)
  uint32_t mempool_nonce_window = 64;         // nonces next .. next + window - 1 wait; later: bad-nonce (1..1024)
  uint32_t mempool_expiry_ms = 600000;        // a transaction waiting longer is dropped (1000..86400000)
  uint32_t block_min_interval_ms = 100;       // at least this long between two blocks
  uint32_t block_max_txs = 5000;              // at most this many transactions per block (and the chain's limit)
  uint32_t verify_threads = 0;                // signature-check threads; 0 = one per core
  int64_t clock_offset_ms = 0;                // added to the wall clock for block times (tests, demos of future rules)
  bool sync_writes = true;                    // fsync every committed block; turn off only for throwaway nodes
  std::string log_level = "info";             // debug, info, warn, error
  // Peer-to-peer and consensus (network/P2P.md, consensus/SPEC.md).
  std::string p2p_listen;                     // "host:port" for peer connections; empty: do not listen
  std::vector<std::string> peers;             // "host:port" of nodes to stay connected to
  std::vector<std::string> peer_keys;         // hex node keys of non-validating peers allowed to connect
                                              // (validators of the chain are always allowed)
  std::string wal_file = "consensus.wal";     // consensus write-ahead log (keep it when wiping data_dir)
  bool create_empty_blocks = false;           // propose a block every empty_block_interval_ms even with no transactions
  uint32_t empty_block_interval_ms = 1000;    // see create_empty_blocks
  uint32_t sync_batch_blocks = 64;            // blocks asked for in one block-sync request
};

// Reads a config file; InvalidArgument naming the field on a bad value.
ledger::Result<Config> LoadConfig(const std::string& path);
ledger::Result<Config> ParseConfig(std::string_view json);
// The config as JSON, every field written out (what `circuledgerd init` writes).
std::string ConfigToJson(const Config& config);

// Splits "host:port"; nullopt-like error on a bad address.
ledger::Status SplitHostPort(const std::string& address, std::string* host, uint16_t* port);

}  // namespace circuledger::node

// node/init.h: `circuledgerd init --dev`: a ready-to-run home directory for one dev validator.
//
// Writes HOME/genesis.json (chain circuledger-dev: a demo supply chain's orgs with one fresh key
// each, admins with threshold 2, this node as the only validator), HOME/node_key, HOME/config.json
// and HOME/dev-keys/<org>.key (hex secret keys, mode 0600, for the wallet to import). Refuses to
// overwrite an existing home unless `force`. The pieces it is made of (the demo orgs, file
// writing) are shared with `circuledgerd testnet` (node/testnet.h). Not thread-safe: touches files.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/genesis.h"
#include "ledger/status.h"

namespace circuledger::node {

struct DevInitOptions {
  std::string home;
  std::string chain_id = "circuledger-dev";
  std::string http_listen = "127.0.0.1:8645";
  bool force = false;
};

ledger::Status InitDevHome(const DevInitOptions& options);

// The demo orgs' genesis for chain_id: each org with one fresh key, admins with threshold 2,
// genesis time now, no validators yet (the caller adds them), and the orgs' secret keys.
struct DevGenesis {
  ledger::Genesis genesis;
  std::vector<std::pair<std::string, ledger::SecretKey>> org_keys;  // org id, its secret key
};
DevGenesis MakeDevGenesis(const std::string& chain_id);

// Writes dir/<org>.key (hex secret, mode 0600) for each org key, creating dir. IoError on failure.
ledger::Status WriteDevKeys(const DevGenesis& dev, const std::string& dir);

// Writes content to path, replacing the file. A secret file is created with mode 0600 before
// anything is written to it. IoError on failure.
ledger::Status WriteTextFile(const std::string& path, const std::string& content, bool secret);

}  // namespace circuledger::node

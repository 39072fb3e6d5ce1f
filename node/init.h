// node/init.h: `circuledgerd init --dev`: a ready-to-run home directory for one dev validator.
//
// Writes HOME/genesis.json (chain circuledger-dev: a demo supply chain's orgs with one fresh key
// each, admins with threshold 2, this node as the only validator), HOME/node_key, HOME/config.json
// and HOME/dev-keys/<org>.key (hex secret keys, mode 0600, for the wallet to import). Refuses to
// overwrite an existing home unless `force`.
#pragma once

#include <string>

#include "ledger/status.h"

namespace circuledger::node {

struct DevInitOptions {
  std::string home;
  std::string chain_id = "circuledger-dev";
  std::string http_listen = "127.0.0.1:8645";
  bool force = false;
};

ledger::Status InitDevHome(const DevInitOptions& options);

}  // namespace circuledger::node

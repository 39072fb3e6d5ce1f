// bench/dev_node.h: a dev node running inside the benchmark process, serving real HTTP on a
// loopback port, in a temporary home. Owns the Node, its HTTP server and the home directory.
#pragma once

#include <memory>
#include <string>

#include "bench/temp_dir.h"
#include "ledger/crypto.h"
#include "network/http_server.h"
#include "node/api.h"
#include "node/node.h"

namespace circuledger::bench {

class DevNode {
 public:
  // `config_json` overrides config.json fields (docs/config.md).
  static ledger::Result<std::unique_ptr<DevNode>> Start(const std::string& config_json);
  ~DevNode();

  node::Node& node() { return *node_; }
  uint16_t port() const { return server_->port(); }
  // A dev org's secret key (HOME/dev-keys/<org>.key).
  ledger::SecretKey Key(const std::string& org) const;
  // What this node's transactions sign (TxBody::genesis_hash).
  ledger::Hash256 genesis_hash() const { return ledger::GenesisHash(node_->genesis()); }

 private:
  DevNode() : home_("circuledger-bench-node") {}
  TempDir home_;
  node::Logger log_{std::cerr, node::Logger::Level::kWarn};
  std::unique_ptr<node::Node> node_;
  std::unique_ptr<node::Api> api_;
  std::unique_ptr<network::HttpServer> server_;
};

// Signs a transaction for `key` with the given nonce on the chain of `genesis_hash`.
ledger::Tx SignFor(const ledger::SecretKey& key, const ledger::Hash256& genesis_hash, uint64_t nonce, ledger::Op op);

}  // namespace circuledger::bench

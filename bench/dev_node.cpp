#include "bench/dev_node.h"

#include <fstream>

#include "node/init.h"

namespace circuledger::bench {

using namespace circuledger::ledger;

Result<std::unique_ptr<DevNode>> DevNode::Start(const std::string& config_json) {
  std::unique_ptr<DevNode> d(new DevNode());
  node::DevInitOptions o;
  o.home = d->home_.path();
  o.http_listen = "127.0.0.1:0";
  o.force = true;
  if (Status s = node::InitDevHome(o); !s.ok()) return s;
  std::ofstream(o.home + "/config.json") << config_json;
  Result<std::unique_ptr<node::Node>> n = node::Node::Open(o.home, d->log_);
  if (!n.ok()) return n.status();
  d->node_ = std::move(n).value();
  d->api_ = std::make_unique<node::Api>(*d->node_);
  network::HttpServerOptions ho;
  ho.port = 0;
  ho.threads = d->node_->config().http_threads;
  ho.max_connections = d->node_->config().http_max_connections;
  node::Api* api = d->api_.get();
  d->server_ = std::make_unique<network::HttpServer>(ho, [api](const network::HttpRequest& r) { return api->Handle(r); });
  if (Status s = d->server_->Start(); !s.ok()) return s;
  d->node_->Start();
  return d;
}

DevNode::~DevNode() {
  if (server_) server_->Stop();
  if (node_) node_->Stop();
}

SecretKey DevNode::Key(const std::string& org) const {
  std::ifstream in(home_.path() + "/dev-keys/" + org + ".key");
  std::string hex;
  in >> hex;
  return *SecretKey::FromBytes(*HexDecode(hex));
}

Tx SignFor(const SecretKey& key, const Hash256& genesis_hash, uint64_t nonce, Op op) {
  TxBody b;
  b.genesis_hash = genesis_hash;
  b.signer = key.Public();
  b.nonce = nonce;
  b.op = std::move(op);
  return SignTx(std::move(b), key);
}

}  // namespace circuledger::bench

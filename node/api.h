// node/api.h: the HTTP JSON API of DESIGN.md section 6, as a handler for network::HttpServer.
//
// Routes (ids are percent-encoded path segments; docs/api.md has the shapes):
//   POST /v1/tx                         {"tx": "<hex of the signed transaction>"}
//   GET  /v1/tx/{id}                    pending / committed at height / rejected and why
//   GET  /v1/blocks/{height|latest}
//   GET  /v1/accounts/{key}             org and next nonce
//   GET  /v1/orgs/{id}
//   GET  /v1/lots/{id}, /v1/products/{id} (the passport), /v1/recycling/{tx id}
//   GET  /v1/{lots|products}/{id}/trace?direction=backward|forward&depth=&offset=&limit=
//   GET  /v1/products/{id}/compliance?at=<ms|YYYY-MM-DD>   rules in force: pass/fail, figures
//   GET  /v1/rules, /v1/rules/{id}?version=N               registered rule sets
//   GET  /v1/status, /v1/params, /metrics
//   GET  /v1/peers                      p2p peers and recent disconnects/bans with their reasons
// Errors are {"error": {"code": "<reject string or error code>", "message": "..."}} with 400
// (bad input), 404 (unknown route or object), 405 (wrong method), 413 (body too large), 503
// (mempool full). Borrows the Node; thread-safe.
#pragma once

#include "network/http_server.h"
#include "node/node.h"
#include "node/recent_blocks.h"

namespace circuledger::node {

class Api {
 public:
  explicit Api(Node& node) : node_(node), recent_(node.store(), kRecentBlocks) {}
  network::HttpResponse Handle(const network::HttpRequest& req);

 private:
  network::HttpResponse PostTx(const network::HttpRequest& req);
  network::HttpResponse GetTx(const std::string& id_hex);
  network::HttpResponse GetBlock(const std::string& which, const std::string& query);
  network::HttpResponse GetAccount(const std::string& key_hex);
  network::HttpResponse GetOrg(const std::string& id);
  network::HttpResponse GetItem(bool lot, const std::string& id);
  network::HttpResponse GetTrace(bool lot, const std::string& id, const std::string& query);
  network::HttpResponse GetRecycling(const std::string& tx_hex);
  network::HttpResponse GetStatus();
  network::HttpResponse GetParams();
  network::HttpResponse GetPeers();
  network::HttpResponse GetCompliance(const std::string& id, const std::string& query);
  network::HttpResponse GetRules(const std::string* id, const std::string& query);

  static constexpr size_t kRecentBlocks = 8;

  Node& node_;
  RecentBlocks recent_;  // the newest blocks read, decoded
};

}  // namespace circuledger::node

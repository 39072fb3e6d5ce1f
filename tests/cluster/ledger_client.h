// tests/cluster/ledger_client.h: signs transactions with the dev org keys of a NodeProcess and
// talks to its HTTP API, for the cluster tests.
//
// Keys come from DIR/dev-keys/<org>.key; the nonce of a new transaction is the account's
// `pending_nonce` (GET /v1/accounts/{key}), so transactions waiting in the node's mempool are
// counted. Bodies are signed for the genesis hash the node presents (GET /v1/status, read once)
// unless told otherwise, posted as
// {"tx": hex(Encode(tx))}, and followed with GET /v1/tx/{id} until committed or rejected. Every
// call reads the node's current port, so a client survives node restarts. Failures (an
// unexpected status, a timeout) throw std::runtime_error with the request and the answer. Not
// thread-safe: one client per thread.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ledger/tx.h"
#include "tests/cluster/node_process.h"
#include "tests/cluster/raw_http.h"

namespace circuledger::cluster {

// Height and state root from GET /v1/status.
struct StatusTip {
  uint64_t height = 0;
  std::string state_root;
  bool operator==(const StatusTip&) const = default;
};

class LedgerClient {
 public:
  // `genesis_hash`: sign for this chain instead of the node's own (to test `wrong-chain`).
  explicit LedgerClient(const NodeProcess& node, std::optional<ledger::Hash256> genesis_hash = std::nullopt)
      : node_(node), genesis_hash_(genesis_hash) {}

  const ledger::SecretKey& Key(const std::string& org);
  ledger::PubKey Public(const std::string& org) { return Key(org).Public(); }

  RawResponse Get(const std::string& target) const { return cluster::Get(node_.port(), target); }
  // GET that must answer 200 with JSON.
  nlohmann::json GetJson(const std::string& target) const;
  StatusTip Tip() const;

  uint64_t PendingNonce(const std::string& org);
  // A signed transaction of `org` (nonce: the pending nonce unless given).
  ledger::Tx Sign(const std::string& org, ledger::Op op,
                  std::optional<uint64_t> nonce = std::nullopt);
  static std::string Body(const ledger::Tx& tx);  // {"tx": "<hex>"}
  RawResponse Submit(const ledger::Tx& tx) const { return Post(node_.port(), "/v1/tx", Body(tx)); }

  // Polls GET /v1/tx/{id} until it is committed or rejected; that answer's JSON.
  nlohmann::json WaitFinal(const std::string& id,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // Sign, submit (must be accepted) and wait: the committed status JSON (throws otherwise).
  nlohmann::json Commit(const std::string& org, ledger::Op op);

 private:
  const NodeProcess& node_;
  std::optional<ledger::Hash256> genesis_hash_;  // read from the node on first Sign unless given
  std::map<std::string, ledger::SecretKey> keys_;
};

// A composition from {material, total_mg} pairs, sorted by material (no recycled mass).
ledger::Composition Comp(std::initializer_list<std::pair<const char*, uint64_t>> entries);

}  // namespace circuledger::cluster

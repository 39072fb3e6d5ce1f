#include "tests/cluster/ledger_client.h"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "ledger/encoding.h"

namespace circuledger::cluster {

using nlohmann::json;

const ledger::SecretKey& LedgerClient::Key(const std::string& org) {
  auto it = keys_.find(org);
  if (it == keys_.end()) it = keys_.emplace(org, node_.Key(org)).first;
  return it->second;
}

json LedgerClient::GetJson(const std::string& target) const {
  const RawResponse r = Get(target);
  json j = r.Json();
  if (!r.ok() || r.status != 200 || j.is_null()) {
    throw std::runtime_error("GET " + target + " -> " + r.Describe());
  }
  return j;
}

StatusTip LedgerClient::Tip() const {
  const json s = GetJson("/v1/status");
  return StatusTip{s.at("height").get<uint64_t>(), s.at("state_root").get<std::string>()};
}

uint64_t LedgerClient::PendingNonce(const std::string& org) {
  return GetJson("/v1/accounts/" + Public(org).ToHex()).at("pending_nonce").get<uint64_t>();
}

ledger::Tx LedgerClient::Sign(const std::string& org, ledger::Op op,
                              std::optional<uint64_t> nonce) {
  if (!genesis_hash_) {
    const std::string hex = GetJson("/v1/status").at("genesis_hash").get<std::string>();
    genesis_hash_ = ledger::Hash256::FromHex(hex);
    if (!genesis_hash_) throw std::runtime_error("GET /v1/status: bad genesis_hash " + hex);
  }
  ledger::TxBody b;
  b.genesis_hash = *genesis_hash_;
  b.signer = Public(org);
  b.nonce = nonce ? *nonce : PendingNonce(org);
  b.op = std::move(op);
  return ledger::SignTx(std::move(b), Key(org));
}

std::string LedgerClient::Body(const ledger::Tx& tx) {
  return json{{"tx", ledger::HexEncode(ledger::Encode(tx))}}.dump();
}

json LedgerClient::WaitFinal(const std::string& id, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  for (;;) {
    const RawResponse r = Get("/v1/tx/" + id);
    if (r.ok() && r.status == 200) {
      json j = r.Json();
      if (j.value("status", "") == "committed" || j.value("status", "") == "rejected") return j;
    }
    last = r.Describe();
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("tx " + id + " not final within " + std::to_string(timeout.count()) +
                               " ms; last: " + last);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

json LedgerClient::Commit(const std::string& org, ledger::Op op) {
  const ledger::Tx tx = Sign(org, std::move(op));
  const std::string id = ledger::TxId(tx.body).ToHex();
  const RawResponse r = Submit(tx);
  if (!r.ok() || r.status != 200) {
    throw std::runtime_error("POST /v1/tx (" + org + ", " +
                             std::string(ledger::OpName(tx.body.op)) + ") -> " + r.Describe());
  }
  json s = WaitFinal(id);
  if (s.value("status", "") != "committed") {
    throw std::runtime_error("tx " + id + " of " + org + " was not committed: " + s.dump());
  }
  return s;
}

ledger::Composition Comp(std::initializer_list<std::pair<const char*, uint64_t>> entries) {
  ledger::Composition c;
  for (const auto& [m, mg] : entries) c.entries.push_back(ledger::MaterialAmount{m, mg, 0});
  std::sort(c.entries.begin(), c.entries.end(),
            [](const auto& a, const auto& b) { return a.material < b.material; });
  return c;
}

}  // namespace circuledger::cluster

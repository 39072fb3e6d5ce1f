#include "bench/cluster_load.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "bench/dev_node.h"
#include "ledger/encoding.h"
#include "ledger/limits.h"

namespace circuledger::bench {

using namespace circuledger::ledger;

namespace {

// Orgs that may create lots in the dev genesis (supplier, manufacturer or recycler role).
constexpr const char* kCreatorOrgs[] = {"mine",    "refinery", "cellmaker", "oem",
                                        "petchem", "bottler",  "recycler"};
constexpr size_t kMaxTriples = 4096;

// Posts every transaction (each must be accepted), then waits until each is committed.
void CommitAll(const cluster::LedgerClient& client, const std::vector<Tx>& txs) {
  for (const Tx& tx : txs) {
    const cluster::RawResponse r = client.Submit(tx);
    if (!r.ok() || r.status != 200) {
      throw std::runtime_error("POST /v1/tx (" + std::string(OpName(tx.body.op)) + ") -> " +
                               r.Describe());
    }
  }
  for (const Tx& tx : txs) {
    const nlohmann::json s = client.WaitFinal(TxId(tx.body).ToHex(), std::chrono::seconds(60));
    if (s.value("status", "") != "committed")
      throw std::runtime_error("governance tx not committed: " + s.dump());
  }
}

// admin-1 proposes each change and admin-2 approves it (the dev genesis's threshold is two), in
// batches: an org may have at most limits::kMaxOpenProposalsPerOrg proposals open at once.
void Govern(cluster::LedgerClient& client, const std::vector<GovChange>& changes) {
  for (size_t begin = 0; begin < changes.size(); begin += limits::kMaxOpenProposalsPerOrg) {
    const size_t end = std::min(changes.size(), begin + limits::kMaxOpenProposalsPerOrg);
    std::vector<Tx> proposals;
    uint64_t nonce = client.PendingNonce("admin-1");
    for (size_t i = begin; i < end; ++i) proposals.push_back(client.Sign("admin-1", Propose{changes[i]}, nonce++));
    CommitAll(client, proposals);
    std::vector<Tx> approvals;
    nonce = client.PendingNonce("admin-2");
    for (const Tx& p : proposals) approvals.push_back(client.Sign("admin-2", Approve{TxId(p.body)}, nonce++));
    CommitAll(client, approvals);
  }
}

}  // namespace

std::vector<LoadAccount> MakeAccounts(cluster::Cluster& c, size_t keys_per_org) {
  cluster::LedgerClient client = c.Client(0);
  std::vector<LoadAccount> accounts;
  std::vector<GovChange> new_keys;
  for (size_t o = 0; o < std::size(kCreatorOrgs); ++o) {
    const std::string org = kCreatorOrgs[o];
    const std::string next = kCreatorOrgs[(o + 1) % std::size(kCreatorOrgs)];
    accounts.push_back(LoadAccount{org, next, org + ".0", client.Key(org), {}, {}, 0});
    for (size_t k = 1; k < keys_per_org; ++k) {
      const SecretKey key = SecretKey::Generate();
      new_keys.push_back(AddMemberKey{org, key.Public()});
      accounts.push_back(LoadAccount{org, next, org + "." + std::to_string(k), key, {}, {}, 0});
    }
  }
  Govern(client, new_keys);
  return accounts;
}

std::vector<SigTriple> SignLoad(std::vector<LoadAccount>& accounts, const ledger::Hash256& genesis_hash,
                                size_t per_account, unsigned threads) {
  const size_t triples_each = kMaxTriples / std::max<size_t>(1, accounts.size()) + 1;
  std::vector<std::vector<SigTriple>> triples(accounts.size());
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (size_t a = t; a < accounts.size(); a += threads) {
        LoadAccount& acc = accounts[a];
        acc.bodies.reserve(per_account);
        acc.ids.reserve(per_account);
        for (uint64_t nonce = 0; nonce < per_account; ++nonce) {
          const std::string lot = acc.name + "-lot-" + std::to_string(nonce / 2);
          Op op = nonce % 2 == 0
                      ? Op(CreateLot{lot, Composition{{{"Co", 1000 + nonce, 0}, {"Ni", 500, 0}}}})
                      : Op(Transfer{lot, acc.next_org});
          const Tx tx = SignFor(acc.key, genesis_hash, nonce, std::move(op));
          const Hash256 id = TxId(tx.body);
          if (triples[a].size() < triples_each)
            triples[a].push_back(SigTriple{tx.body.signer, id, tx.sig});
          acc.ids.push_back(id);
          acc.bodies.push_back(nlohmann::json{{"tx", HexEncode(Encode(tx))}}.dump());
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  std::vector<SigTriple> all;
  for (const std::vector<SigTriple>& v : triples) all.insert(all.end(), v.begin(), v.end());
  return all;
}

}  // namespace circuledger::bench

// bench/cluster_load.h: the workload of `circuledger-bench cluster`, made before anything is
// timed.
//
// MakeAccounts gives each org that may create lots more member keys through governance on a
// running testnet (admin-1 proposes AddMemberKey, admin-2 approves; both committed before it
// returns), so the load is spread over many signers and the mempool's per-account bound
// (mempool_max_per_account) never binds. SignLoad signs each account's transactions in nonce order
// from 0: a new lot, then the transfer of that lot to the next org, and so on. Both block; failures
// of the cluster (a refused or uncommitted governance transaction, a node that does not answer)
// throw std::runtime_error with the answer.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "bench/verify_limit.h"
#include "ledger/crypto.h"
#include "ledger/types.h"
#include "tests/cluster/cluster.h"

namespace circuledger::bench {

struct LoadAccount {
  std::string org;       // the org the key belongs to
  std::string next_org;  // where its lots are transferred
  std::string name;      // "<org>.<key index>": unique, part of its lot ids
  ledger::SecretKey key;
  std::vector<std::string> bodies;  // POST /v1/tx bodies {"tx": hex}, nonce order from 0
  std::vector<ledger::Hash256> ids;
  size_t next = 0;  // the first not yet accepted: where the next round of load goes on
};

// `keys_per_org` signers (the dev key and keys_per_org - 1 new ones) for each org that may
// create lots, without transactions yet.
std::vector<LoadAccount> MakeAccounts(cluster::Cluster& c, size_t keys_per_org);

// Signs `per_account` transactions for every account on `threads` threads. Returns a sample of
// (key, id, signature) triples for the verify limit.
std::vector<SigTriple> SignLoad(std::vector<LoadAccount>& accounts, const ledger::Hash256& genesis_hash,
                                size_t per_account, unsigned threads);

}  // namespace circuledger::bench

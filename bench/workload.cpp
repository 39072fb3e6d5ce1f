#include "bench/workload.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <thread>

#include "bench/temp_dir.h"
#include "ledger/executor.h"
#include "ledger/limits.h"
#include "tests/support/test_chain.h"

namespace circuledger::bench {

using namespace circuledger::ledger;

namespace {

struct Signer {
  SecretKey key;
  PubKey pub;
  uint64_t next_nonce = 0;
};

std::string KeyName(std::string_view org, size_t i) {
  // Key 0 is the org's TestGenesis key.
  return i == 0 ? std::string(org) : std::string(org) + "#" + std::to_string(i);
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs fn(i) for i in [0, n) on `threads` threads (strided, so each thread gets a similar mix).
template <class Fn>
void ParallelFor(size_t n, unsigned threads, const Fn& fn) {
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = t; i < n; i += threads) fn(i);
    });
  }
  for (std::thread& th : pool) th.join();
}

// The workload's transactions, signed, in stream order.
std::vector<Tx> SignStream(const Genesis& genesis, const WorkloadOptions& options, Workload& w) {
  std::map<std::string, std::vector<Signer>, std::less<>> signers;
  for (std::string_view org : kWorkloadOrgs) {
    std::vector<Signer>& keys = signers[std::string(org)];
    for (size_t i = 0; i < kKeysPerOrg; ++i) {
      SecretKey key = testkit::KeyFor(KeyName(org, i));
      const PubKey pub = key.Public();
      keys.push_back(Signer{std::move(key), pub, 0});
    }
  }
  w.signers = kKeysPerOrg * std::size(kWorkloadOrgs);

  const Hash256 genesis_hash = GenesisHash(genesis);
  std::vector<Tx> txs(options.txs);
  std::vector<const SecretKey*> keys(options.txs, nullptr);
  SupplyChain chain(kUnitsInFlight, options.battery_rules);
  for (size_t i = 0; i < txs.size(); ++i) {
    Step step = chain.Next();
    Signer& s = signers.find(step.org)->second[step.unit % kKeysPerOrg];
    TxBody& body = txs[i].body;
    body.genesis_hash = genesis_hash;
    body.signer = s.pub;
    body.nonce = s.next_nonce++;
    body.op = std::move(step.op);
    keys[i] = &s.key;
    w.mix[static_cast<size_t>(step.kind)]++;
  }
  ParallelFor(txs.size(), options.threads, [&](size_t i) {
    const Hash256 id = TxId(txs[i].body);
    txs[i].sig = keys[i]->Sign(id.View(), id);  // deterministic aux randomness: the id itself
  });
  return txs;
}

}  // namespace

Result<std::string> BatteryRulesSource() {
  const std::string path = std::string(CIRCULEDGER_SOURCE_DIR) + "/examples/rules/eu-battery-2023-1542-art8.rules";
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Genesis BenchGenesis(uint32_t block_txs, bool battery_rules) {
  Genesis g = testkit::TestGenesis();
  if (battery_rules) g.genesis_time_ms = 1'945'987'200'000;  // 2031-09-01T00:00:00Z
  for (Org& org : g.orgs) {
    if (std::find(std::begin(kWorkloadOrgs), std::end(kWorkloadOrgs), org.id) ==
        std::end(kWorkloadOrgs))
      continue;
    for (size_t i = 1; i < kKeysPerOrg; ++i)
      org.members.push_back(testkit::KeyFor(KeyName(org.id, i)).Public());
    std::sort(org.members.begin(), org.members.end());
  }
  g.params.max_block_txs = std::max(g.params.max_block_txs, block_txs);
  return g;
}

Result<Workload> MakeWorkload(const WorkloadOptions& options, std::ostream& log) {
  if (options.block_txs == 0 || options.block_txs > limits::kMaxBlockTxs) {
    return Status::InvalidArgument("block_txs must be in 1.." +
                                   std::to_string(limits::kMaxBlockTxs));
  }
  Workload w;
  w.genesis = BenchGenesis(options.block_txs, options.battery_rules);
  w.txs = options.txs;

  auto t0 = std::chrono::steady_clock::now();
  std::vector<Tx> txs = SignStream(w.genesis, options, w);
  if (options.battery_rules) {
    // The regulator's register_rules goes first (one transaction more than asked for).
    Result<std::string> source = BatteryRulesSource();
    if (!source.ok()) return source.status();
    Tx reg;
    reg.body.genesis_hash = GenesisHash(w.genesis);
    const SecretKey key = testkit::KeyFor("regulator");
    reg.body.signer = key.Public();
    reg.body.nonce = 0;
    reg.body.op = RegisterRules{*source};
    const Hash256 id = TxId(reg.body);
    reg.sig = key.Sign(id.View(), id);
    txs.insert(txs.begin(), std::move(reg));
    w.txs = txs.size();
  }
  log << "signed " << txs.size() << " transactions in " << SecondsSince(t0) << " s\n" << std::flush;

  t0 = std::chrono::steady_clock::now();
  TempDir dir("circuledger-bench-scratch");
  StoreOptions so;
  so.sync = false;  // the scratch chain is thrown away
  Result<std::unique_ptr<Store>> store = Store::Open(dir.path(), so);
  if (!store.ok()) return store.status();
  if (Status s = (*store)->InitGenesis(w.genesis); !s.ok()) return s;
  ExecutorOptions eo;
  eo.threads = options.threads;
  Executor proposer(**store, eo);
  const PubKey& proposer_key = w.genesis.validators[0].key;

  for (size_t begin = 0; begin < txs.size(); begin += options.block_txs) {
    const size_t end = std::min(txs.size(), begin + options.block_txs);
    std::vector<Tx> candidates(std::make_move_iterator(txs.begin() + static_cast<ptrdiff_t>(begin)),
                               std::make_move_iterator(txs.begin() + static_cast<ptrdiff_t>(end)));
    const uint64_t height = (*store)->Tip().height + 1;
    Result<BuiltBlock> built =
        proposer.BuildBlock(candidates, w.genesis.genesis_time_ms + height * 1000, proposer_key);
    if (!built.ok()) return built.status();
    if (!built->rejected.empty()) {
      const auto& [index, why] = built->rejected.front();
      return Status::InvalidArgument("workload bug: block " + std::to_string(height) +
                                     " left out candidate " + std::to_string(index) + ": " +
                                     why.ToString());
    }
    if (built->included.size() != candidates.size()) {
      return Status::InvalidArgument("workload bug: block " + std::to_string(height) +
                                     " holds only " + std::to_string(built->included.size()) +
                                     " of " + std::to_string(candidates.size()) +
                                     " transactions (block limits)");
    }
    if (Status s = proposer.Commit(built->commit); !s.ok()) return s;
    w.tx_ids.push_back(std::move(built->commit.tx_ids));
    w.blocks.push_back(std::move(built->commit.block));
  }
  w.tip = (*store)->Tip();
  log << "built " << w.blocks.size() << " blocks on a scratch chain in " << SecondsSince(t0)
      << " s\n"
      << std::flush;
  return w;
}

}  // namespace circuledger::bench

#include "sim_ledger.h"

#include <algorithm>
#include <stdexcept>

#include "ledger/genesis.h"

namespace circuledger::sim {

using namespace circuledger::ledger;

namespace {
// A key from a name (SHA-256 of it; the next name when that is no valid scalar).
ClientKey NamedKey(std::string name, std::string org) {
  for (;;) {
    if (auto k = SecretKey::FromBytes(Sha256(name).View())) return ClientKey{*k, k->Public(), std::move(org)};
    name += "'";
  }
}
constexpr size_t kMakerKeys = 3;
}  // namespace

SimChain MakeSimChain(const std::vector<consensus::PubKey>& validators, const consensus::TimeoutConfig& timeouts) {
  SimChain c;
  Genesis& g = c.genesis;
  g.chain_id = "sim";
  g.genesis_time_ms = kSimGenesisTimeMs;
  g.params.max_block_txs = kSimMaxBlockTxs;
  g.params.max_block_bytes = kSimMaxBlockBytes;
  g.params.gov_threshold = 1;
  g.params.timeout_propose_ms = static_cast<uint32_t>(timeouts.propose_ms);
  g.params.timeout_vote_ms = static_cast<uint32_t>(timeouts.vote_ms);
  g.params.timeout_delta_ms = static_cast<uint32_t>(timeouts.delta_ms);
  c.gov = NamedKey("sim/gov", "gov");
  c.forger = NamedKey("sim/forger", "");
  for (size_t i = 0; i < kMakerKeys; ++i) c.makers.push_back(NamedKey("sim/maker-" + std::to_string(i), "maker"));
  Org gov{"gov", "Sim governance", static_cast<uint32_t>(Role::kAdmin), {c.gov.pub}, OrgStatus::kActive};
  Org maker{"maker", "Sim manufacturer", static_cast<uint32_t>(Role::kManufacturer), {}, OrgStatus::kActive};
  for (const ClientKey& k : c.makers) maker.members.push_back(k.pub);
  std::sort(maker.members.begin(), maker.members.end());
  g.orgs = {gov, maker};
  for (size_t i = 0; i < validators.size(); ++i) {
    g.validators.push_back(Validator{validators[i], "sim-" + std::to_string(i), "127.0.0.1:" + std::to_string(26656 + i)});
  }
  std::sort(g.validators.begin(), g.validators.end(), [](const Validator& a, const Validator& b) { return a.key < b.key; });
  if (Status s = ValidateGenesis(g); !s.ok()) throw std::runtime_error("sim genesis: " + s.ToString());
  c.genesis_hash = GenesisHash(g);
  return c;
}

Tx SignSim(const SimChain& chain, const ClientKey& key, uint64_t nonce, Op op) {
  Tx tx;
  tx.body.genesis_hash = chain.genesis_hash;
  tx.body.signer = key.pub;
  tx.body.nonce = nonce;
  tx.body.op = std::move(op);
  tx.sig = key.secret->Sign(TxId(tx.body).View(), FixedBytes<32>{});
  return tx;
}

Hash256 WatchedApp::ValueId(std::string_view value) {
  if (value.size() > kSimMaxBlockBytes) oversized_read_ += 1;
  return app_.ValueId(value);
}

bool WatchedApp::ValidateValue(uint64_t height, std::string_view value) {
  if (value.size() > kSimMaxBlockBytes) oversized_read_ += 1;
  return app_.ValidateValue(height, value);
}

ProcessLedger::ProcessLedger(ProcessLedgerDeps deps) : deps_(std::move(deps)) {
  StoreOptions so;
  so.sync = false;  // a simulated crash loses no written data (the process dies, not the machine)
  so.block_cache_bytes = 1 << 20;
  so.write_buffer_bytes = 1 << 20;
  so.block_segment_bytes = 1 << 20;
  Result<std::unique_ptr<Store>> store = Store::Open(deps_.dir, so);
  if (!store.ok()) throw std::runtime_error("sim store " + deps_.dir + ": " + store.status().ToString());
  store_ = std::move(store).value();
  if (Status s = store_->InitGenesis(deps_.chain.genesis); !s.ok()) throw std::runtime_error(s.ToString());
  ExecutorOptions eo;
  eo.threads = 1;  // on the calling thread: the simulation is single-threaded
  eo.sig_cache_entries = 4096;
  eo.pubkey_cache_entries = 64;
  executor_ = std::make_unique<Executor>(*store_, eo);
  node::MempoolHooks hooks;
  hooks.now_ms = deps_.monotonic_ms;
  hooks.check = [this](const Tx& tx, const Hash256& id) { return executor_->CheckTxAgainstTip(tx, id, deps_.now_ms()); };
  mempool_ = std::make_unique<node::Mempool>(node::MempoolOptions{}, std::move(hooks));
  node::LedgerAppDeps ad{*executor_, *store_, *mempool_, deps_.log, kSimMaxBlockTxs, deps_.proposer, deps_.now_ms,
                         [this](const Hash256& id, const Status&) { mempool_->Evict(id); }};
  app_ = std::make_unique<node::LedgerApp>(std::move(ad));
  watched_ = std::make_unique<WatchedApp>(*app_);
  chain_ = std::make_unique<node::LedgerChain>(node::LedgerChainDeps{
      *executor_, *store_, *mempool_, *app_, [this](const Hash256& id, const Status&) { mempool_->Evict(id); },
      deps_.committed, &deps_.verifier});
  sync_target_ = std::make_unique<node::LedgerSyncTarget>(*executor_, *store_, deps_.chain.genesis.chain_id,
                                                           [this](const BlockCommit& c) { chain_->AfterCommit(c, true); });
}

ProcessLedger::~ProcessLedger() {
  sync_target_.reset();
  chain_.reset();
  watched_.reset();
  app_.reset();
  mempool_.reset();
  executor_.reset();
  store_.reset();
}

uint64_t ProcessLedger::NextNonce(const PubKey& key) {
  WorkingState st(*store_);
  const Account* a = st.GetAccount(key);
  return a ? a->next_nonce : 0;
}

Status ProcessLedger::Admit(const Tx& tx) {
  Hash256 id;
  if (Status s = executor_->CheckTx(tx, &id); !s.ok()) return s;
  WorkingState st(*store_);
  const Account* acc = st.GetAccount(tx.body.signer);
  if (!acc) return Status::Rejected(Reject::kUnknownSigner, "unknown signer");
  Result<node::Mempool::AddResult> added = mempool_->Add(tx, id, acc->next_nonce, acc->org, false);
  return added.ok() ? Status::Ok() : added.status();
}

}  // namespace circuledger::sim

#include "tests/support/test_chain.h"

#include <cassert>
#include <random>
#include <stdexcept>

namespace circuledger::testkit {

namespace fs = std::filesystem;

SecretKey KeyFor(std::string_view name) {
  std::string seed(name);
  for (;;) {
    const Hash256 h = Sha256(seed);
    if (auto k = SecretKey::FromBytes(h.View())) return *k;
    seed += "'";
  }
}

Genesis TestGenesis() {
  Genesis g;
  g.chain_id = "circuledger-test";
  g.genesis_time_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  g.params.gov_threshold = 2;
  const std::pair<const char*, uint32_t> orgs[] = {
      {"admin-a", static_cast<uint32_t>(Role::kAdmin)},
      {"admin-b", static_cast<uint32_t>(Role::kAdmin)},
      {"admin-c", static_cast<uint32_t>(Role::kAdmin)},
      {"mine", static_cast<uint32_t>(Role::kSupplier)},
      {"refinery", static_cast<uint32_t>(Role::kSupplier)},
      {"cellmaker", static_cast<uint32_t>(Role::kManufacturer)},
      {"oem", static_cast<uint32_t>(Role::kManufacturer)},
      {"fixit", static_cast<uint32_t>(Role::kRepairer)},
      {"collector", static_cast<uint32_t>(Role::kCollector)},
      {"recycler", static_cast<uint32_t>(Role::kRecycler)},
      {"certifier", static_cast<uint32_t>(Role::kCertifier)},
      {"regulator", static_cast<uint32_t>(Role::kRegulator)},
  };
  for (const auto& [id, roles] : orgs) {
    Org o;
    o.id = id;
    o.name = std::string("Test ") + id;
    o.roles = roles;
    o.members = {KeyFor(id).Public()};
    g.orgs.push_back(std::move(o));
  }
  g.validators = {Validator{KeyFor("validator-0").Public(), "validator-0", "127.0.0.1:26656"}};
  return g;
}

Composition Comp(std::string_view spec) {
  Composition c;
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t end = spec.find(',', pos);
    if (end == std::string_view::npos) end = spec.size();
    const std::string item(spec.substr(pos, end - pos));
    const size_t a = item.find(':');
    const size_t b = item.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) throw std::invalid_argument("bad composition spec " + item);
    c.entries.push_back(MaterialAmount{item.substr(0, a), std::stoull(item.substr(a + 1, b - a - 1)),
                                       std::stoull(item.substr(b + 1))});
    pos = end + 1;
  }
  std::sort(c.entries.begin(), c.entries.end());
  return c;
}

TestChain::TestChain(const TestChainOptions& options) : options_(options), genesis_(TestGenesis()) {
  if (options.dir.empty()) {
    std::random_device rd;
    dir_ = (fs::temp_directory_path() / ("circuledger-test-" + std::to_string(rd()) + std::to_string(rd()))).string();
    owns_dir_ = true;
  } else {
    dir_ = options.dir;
  }
  if (options.genesis_time_ms != 0) genesis_.genesis_time_ms = options.genesis_time_ms;
  for (const Org& o : genesis_.orgs) members_.emplace(o.id, Member{o.id, KeyFor(o.id), KeyFor(o.id).Public(), 0});
  proposer_ = genesis_.validators[0].key;
  StoreOptions so;
  so.sync = options.sync;
  so.block_cache_bytes = 8 << 20;
  so.write_buffer_bytes = 4 << 20;
  so.block_segment_bytes = options.block_segment_bytes;
  Result<std::unique_ptr<Store>> store = Store::Open(dir_, so);
  if (!store.ok()) throw std::runtime_error(store.status().ToString());
  store_ = std::move(store).value();
  if (Status s = store_->InitGenesis(genesis_); !s.ok()) throw std::runtime_error(s.ToString());
  // Continue from what the directory holds: nonces come from state.
  WorkingState st(*store_);
  for (auto& [org, m] : members_) m.nonce = st.GetAccount(m.pub)->next_nonce;
  ExecutorOptions eo;
  eo.threads = options.threads;
  executor_ = std::make_unique<Executor>(*store_, eo);
}

TestChain::~TestChain() {
  executor_.reset();
  store_.reset();
  if (owns_dir_) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

Tx TestChain::Sign(const std::string& org, Op op, std::optional<uint64_t> nonce) {
  Member& m = members_.at(org);
  TxBody body;
  body.genesis_hash = GenesisHash(genesis_);
  body.signer = m.pub;
  body.nonce = nonce.value_or(m.nonce);
  body.op = std::move(op);
  return SignTx(std::move(body), m.key);
}

Result<BuiltBlock> TestChain::CommitBlock(const std::vector<Tx>& txs) {
  Result<BuiltBlock> built = executor_->BuildBlock(txs, NextTime(), proposer_);
  if (!built.ok()) return built;
  if (Status s = executor_->Commit(built->commit); !s.ok()) return s;
  return built;
}

Status TestChain::Commit(const Tx& tx) {
  Result<BuiltBlock> built = executor_->BuildBlock({tx}, NextTime(), proposer_);
  if (!built.ok()) return built.status();
  if (!built->rejected.empty()) return built->rejected[0].second;
  return executor_->Commit(built->commit);
}

Status TestChain::Apply(const std::string& org, Op op) {
  Status s = Commit(Sign(org, std::move(op)));
  if (s.ok()) members_.at(org).nonce++;
  return s;
}

std::optional<Lot> TestChain::GetLot(const std::string& id) {
  WorkingState st(*store_);
  const Lot* l = st.GetLot(id);
  return l ? std::optional<Lot>(*l) : std::nullopt;
}

std::optional<Product> TestChain::GetProduct(const std::string& id) {
  WorkingState st(*store_);
  const Product* p = st.GetProduct(id);
  return p ? std::optional<Product>(*p) : std::nullopt;
}

std::optional<Org> TestChain::GetOrg(const std::string& id) {
  WorkingState st(*store_);
  const Org* o = st.GetOrg(id);
  return o ? std::optional<Org>(*o) : std::nullopt;
}

}  // namespace circuledger::testkit

#include "ledger/state.h"

#include <algorithm>
#include <cassert>

#include "ledger/crypto.h"
#include "ledger/encoding.h"

namespace circuledger::ledger {

namespace statekey {
namespace {
// One allocation per key: keys are built for every state read and write of the hot path.
std::string Tagged(std::string_view tag, std::string_view id) {
  std::string k;
  k.reserve(tag.size() + id.size());
  k.append(tag).append(id);
  return k;
}
}  // namespace
std::string Account(const PubKey& key) { return Tagged("sa", key.View()); }
std::string Org(std::string_view id) { return Tagged("so", id); }
std::string Lot(std::string_view id) { return Tagged("sl", id); }
std::string Product(std::string_view id) { return Tagged("sp", id); }
std::string Proposal(const Hash256& id) { return Tagged("sg", id.View()); }
std::string Recycling(const Hash256& tx) { return Tagged("sr", tx.View()); }
std::string Params() { return "sm/params"; }
std::string Validators() { return "sm/validators"; }
std::string Admins() { return "sm/admins"; }
std::string RuleIndex() { return "sm/rules"; }
// Versions are big-endian so one rule set's versions sort in order.
std::string RuleSet(std::string_view id, uint32_t version) {
  std::string k = "su" + std::string(id) + '\0';
  for (int shift = 24; shift >= 0; shift -= 8) k.push_back(static_cast<char>((version >> shift) & 0xff));
  return k;
}
}  // namespace statekey

namespace {
void AppendLengthPrefixed(std::string& out, std::string_view s) {
  const uint32_t n = static_cast<uint32_t>(s.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out.append(s);
}
}  // namespace

Hash256 NextStateRoot(const Hash256& prev_root, const WriteSet& writes) {
  static const TaggedHasher write_set_hasher("circuledger/writeset");
  static const TaggedHasher state_hasher("circuledger/state");
  std::string buf;
  size_t size = 0;
  for (const auto& [k, v] : writes) size += 8 + k.size() + v.size();
  buf.reserve(size);
  for (const auto& [k, v] : writes) {
    AppendLengthPrefixed(buf, k);
    AppendLengthPrefixed(buf, v);
  }
  const Hash256 ws = write_set_hasher.Hash(buf);
  return state_hasher.Hash2(prev_root.View(), ws.View());
}

template <class T>
const T* WorkingState::Read(const std::string& key) {
  auto it = slots_.find(key);
  if (it == slots_.end()) {
    Slot slot;
    if (std::optional<std::string> raw = base_.Get(key)) {
      Result<T> decoded = Decode<T>(*raw);
      if (!decoded.ok()) {
        throw StorageError("state object " + HexEncode(key) + " does not decode: " + decoded.status().ToString());
      }
      slot.value = std::move(decoded).value();
    }
    it = slots_.emplace(key, std::move(slot)).first;
  }
  return std::get_if<T>(&it->second.value);
}

template <class T>
void WorkingState::Write(const std::string& key, T value) {
  auto [it, inserted] = slots_.try_emplace(key);
  if (in_tx_) {
    // Remember what was there so RollbackTx can restore it. The old value is moved out: it is
    // overwritten below anyway. A key not cached before is erased on rollback (reloads from base).
    undo_.emplace_back(key, inserted ? Slot{} : std::move(it->second));
    if (inserted) erase_on_undo_.push_back(undo_.size() - 1);
  }
  Slot& slot = it->second;
  slot.value = std::move(value);
  slot.dirty = true;
}

const Params& WorkingState::GetParams() {
  const Params* p = Read<Params>(statekey::Params());
  if (!p) throw StorageError("state has no params (genesis missing)");
  return *p;
}

const ValidatorSet& WorkingState::GetValidators() {
  const ValidatorSet* v = Read<ValidatorSet>(statekey::Validators());
  if (!v) throw StorageError("state has no validator set (genesis missing)");
  return *v;
}

const AdminSet& WorkingState::GetAdmins() {
  const AdminSet* a = Read<AdminSet>(statekey::Admins());
  if (!a) throw StorageError("state has no admin set (genesis missing)");
  return *a;
}

void WorkingState::AddEdge(std::string parent, std::string child) {
  edges_.push_back(Edge{std::move(parent), std::move(child)});
}

void WorkingState::BeginTx() {
  assert(!in_tx_);
  in_tx_ = true;
  undo_.clear();
  erase_on_undo_.clear();
  edges_at_begin_ = edges_.size();
}

void WorkingState::CommitTx() {
  assert(in_tx_);
  in_tx_ = false;
  undo_.clear();
  erase_on_undo_.clear();
}

void WorkingState::RollbackTx() {
  assert(in_tx_);
  size_t next_erase = erase_on_undo_.size();
  for (size_t i = undo_.size(); i-- > 0;) {
    const bool erase = next_erase > 0 && erase_on_undo_[next_erase - 1] == i;
    if (erase) {
      --next_erase;
      slots_.erase(undo_[i].first);
    } else {
      slots_[undo_[i].first] = std::move(undo_[i].second);
    }
  }
  edges_.resize(edges_at_begin_);
  in_tx_ = false;
  undo_.clear();
  erase_on_undo_.clear();
}

WriteSet WorkingState::Writes(const ParallelFor& parallel) const {
  // Sorted by key: the state root and the store depend on this order, never on the hash map's.
  std::vector<const std::pair<const std::string, Slot>*> dirty;
  for (const auto& entry : slots_) {
    if (entry.second.dirty) dirty.push_back(&entry);
  }
  std::sort(dirty.begin(), dirty.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  WriteSet out(dirty.size());
  const std::function<void(size_t)> encode = [&](size_t i) {
    out[i].first = dirty[i]->first;
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::monostate>) {
            assert(false && "a dirty slot always holds an object: state objects are never deleted");
          } else {
            out[i].second = Encode(v);
          }
        },
        dirty[i]->second.value);
  };
  if (parallel) {
    parallel(dirty.size(), encode);
  } else {
    for (size_t i = 0; i < dirty.size(); ++i) encode(i);
  }
  return out;
}

// The header's typed accessors use these instantiations.
#define CIRCULEDGER_STATE_TYPE(T)                                  \
  template const T* WorkingState::Read<T>(const std::string& key); \
  template void WorkingState::Write<T>(const std::string& key, T value);
CIRCULEDGER_STATE_TYPE(Account)
CIRCULEDGER_STATE_TYPE(Org)
CIRCULEDGER_STATE_TYPE(Lot)
CIRCULEDGER_STATE_TYPE(Product)
CIRCULEDGER_STATE_TYPE(Proposal)
CIRCULEDGER_STATE_TYPE(RecyclingRecord)
CIRCULEDGER_STATE_TYPE(ValidatorSet)
CIRCULEDGER_STATE_TYPE(Params)
CIRCULEDGER_STATE_TYPE(AdminSet)
CIRCULEDGER_STATE_TYPE(RuleSetRecord)
CIRCULEDGER_STATE_TYPE(RuleIndex)
#undef CIRCULEDGER_STATE_TYPE

}  // namespace circuledger::ledger

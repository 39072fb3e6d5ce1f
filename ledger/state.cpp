#include "ledger/state.h"

#include <algorithm>
#include <cassert>
#include <functional>

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
std::string Item(std::string_view id) { return Tagged("si", id); }
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
std::string RuleSetOwner(std::string_view id) { return Tagged("sw", id); }
std::string OrgProposals(std::string_view org) { return Tagged("sp", org); }
// The product id, a zero byte (ids are printable, so the split is unambiguous), the org id.
std::string RepairGrant(std::string_view product, std::string_view repairer) {
  std::string k = "sz";
  k.append(product).push_back('\0');
  k.append(repairer);
  return k;
}
}  // namespace statekey

namespace {
constexpr char kItemLot = 0;
constexpr char kItemProduct = 1;
}  // namespace

std::string EncodeItem(const Lot& lot) { return EncodeAfter(std::string_view(&kItemLot, 1), lot); }
std::string EncodeItem(const Product& product) { return EncodeAfter(std::string_view(&kItemProduct, 1), product); }

Result<std::variant<Lot, Product>> DecodeItem(std::string_view raw) {
  if (raw.empty()) return Status::Corruption("empty item");
  const std::string_view body = raw.substr(1);
  switch (raw[0]) {
    case kItemLot: {
      Result<Lot> lot = Decode<Lot>(body);
      if (!lot.ok()) return Status::Corruption("lot: " + lot.status().ToString());
      return std::variant<Lot, Product>(std::move(lot).value());
    }
    case kItemProduct: {
      Result<Product> product = Decode<Product>(body);
      if (!product.ok()) return Status::Corruption("product: " + product.status().ToString());
      return std::variant<Lot, Product>(std::move(product).value());
    }
    default:
      return Status::Corruption("unknown item kind " + std::to_string(static_cast<uint8_t>(raw[0])));
  }
}

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

void WorkingState::Reserve(size_t objects) {
  size_t size = 16;
  while (size * 3 / 4 < objects) size *= 2;
  if (size > index_.size()) Rehash(size);
}

void WorkingState::Rehash(size_t table_size) {
  index_.assign(table_size, IndexSlot{});
  const size_t mask = table_size - 1;
  for (Entry& e : entries_) {
    size_t i = e.hash & mask;
    while (index_[i].entry != nullptr) i = (i + 1) & mask;
    index_[i] = IndexSlot{e.hash, &e};
  }
}

WorkingState::Entry& WorkingState::Find(std::string&& key) {
  const uint64_t hash = std::hash<std::string_view>{}(key);
  if ((entries_.size() + 1) * 4 > index_.size() * 3) Rehash(std::max<size_t>(16, index_.size() * 2));
  const size_t mask = index_.size() - 1;
  size_t i = hash & mask;
  for (; index_[i].entry != nullptr; i = (i + 1) & mask) {
    if (index_[i].hash == hash && index_[i].entry->key == key) return *index_[i].entry;
  }
  Entry& e = entries_.emplace_back();
  e.key = std::move(key);
  e.hash = hash;
  index_[i] = IndexSlot{hash, &e};
  return e;
}

template <class T>
const T* WorkingState::Read(std::string key) {
  Entry& e = Find(std::move(key));
  if (!e.loaded) {  // its slot is empty
    if (std::optional<std::string> raw = base_.Get(e.key)) {
      auto fail = [&](const Status& s) {
        throw StorageError("state object " + HexEncode(e.key) + " does not decode: " + s.ToString());
      };
      if constexpr (std::is_same_v<T, Lot> || std::is_same_v<T, Product>) {
        // Under an item key either kind may be stored: load whichever it is.
        Result<std::variant<Lot, Product>> item = DecodeItem(*raw);
        if (!item.ok()) fail(item.status());
        std::visit([&](auto& v) { e.slot.value = std::move(v); }, *item);
      } else {
        Result<T> decoded = Decode<T>(*raw);
        if (!decoded.ok()) fail(decoded.status());
        e.slot.value = std::move(decoded).value();
      }
    }
    e.loaded = true;
  }
  return std::get_if<T>(&e.slot.value);
}

template <class T>
void WorkingState::Write(std::string key, T value) {
  Entry& e = Find(std::move(key));
  if (in_tx_) {
    // Remember what was there so RollbackTx can restore it. The old value is moved out: it is
    // overwritten below anyway. An entry not loaded before is unloaded on rollback (it reloads
    // from the base when read again).
    undo_.push_back(Undo{&e, e.loaded, std::move(e.slot)});  // an unloaded entry's slot is empty
  }
  e.loaded = true;
  e.slot.value = std::move(value);
  e.slot.dirty = true;
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
  edges_at_begin_ = edges_.size();
}

void WorkingState::CommitTx() {
  assert(in_tx_);
  in_tx_ = false;
  undo_.clear();
}

void WorkingState::RollbackTx() {
  assert(in_tx_);
  for (size_t i = undo_.size(); i-- > 0;) {
    Undo& u = undo_[i];
    Entry& e = *u.entry;
    e.loaded = u.loaded;
    e.slot = std::move(u.prior);
  }
  edges_.resize(edges_at_begin_);
  in_tx_ = false;
  undo_.clear();
}

Status WorkingState::CheckTxWrites() const {
  for (const Undo& u : undo_) {
    Status s = std::visit(
        [](const auto& v) -> Status {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::monostate>) {
            return Status::Ok();
          } else {
            return CheckDecodable(v);
          }
        },
        u.entry->slot.value);
    if (!s.ok()) {
      // Keys are a kind tag and an id; ids are printable, hashes are shown in hex.
      const std::string& k = u.entry->key;
      const bool printable = std::all_of(k.begin(), k.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
      return Status::Rejected(s.reason(), (printable ? k.substr(2) : HexEncode(k)) + ": " + s.detail());
    }
  }
  return Status::Ok();
}

WriteSet WorkingState::Writes(const ParallelFor& parallel) const {
  // Sorted by key: the state root and the store depend on this order, never on the hash map's.
  std::vector<const Entry*> dirty;
  for (const Entry& e : entries_) {
    if (e.slot.dirty) dirty.push_back(&e);  // an unloaded entry's slot is empty, not dirty
  }
  std::sort(dirty.begin(), dirty.end(), [](const Entry* a, const Entry* b) { return a->key < b->key; });
  WriteSet out(dirty.size());
  const std::function<void(size_t)> encode = [&](size_t i) {
    out[i].first = dirty[i]->key;
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::monostate>) {
            assert(false && "a dirty slot always holds an object: state objects are never deleted");
          } else if constexpr (std::is_same_v<V, Lot> || std::is_same_v<V, Product>) {
            out[i].second = EncodeItem(v);
          } else {
            out[i].second = Encode(v);
          }
        },
        dirty[i]->slot.value);
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
  template const T* WorkingState::Read<T>(std::string key); \
  template void WorkingState::Write<T>(std::string key, T value);
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
CIRCULEDGER_STATE_TYPE(RepairGrant)
CIRCULEDGER_STATE_TYPE(RuleSetOwner)
CIRCULEDGER_STATE_TYPE(OrgProposals)
#undef CIRCULEDGER_STATE_TYPE

}  // namespace circuledger::ledger

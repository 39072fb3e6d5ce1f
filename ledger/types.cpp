#include "ledger/types.h"

#include <algorithm>
#include <random>

#include "ledger/ops.h"

namespace circuledger::ledger {

namespace {
constexpr char kHexDigits[] = "0123456789abcdef";
// Digit values by byte, -1 for a non-digit: a table, as submitted transactions are kilobytes of hex.
constexpr std::array<int8_t, 256> kHexValues = [] {
  std::array<int8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<size_t>(c)] = c >= '0' && c <= '9'   ? static_cast<int8_t>(c - '0')
                                : c >= 'a' && c <= 'f' ? static_cast<int8_t>(c - 'a' + 10)
                                : c >= 'A' && c <= 'F' ? static_cast<int8_t>(c - 'A' + 10)
                                                       : int8_t{-1};
  }
  return t;
}();
int HexValue(char c) { return kHexValues[static_cast<uint8_t>(c)]; }
}  // namespace

std::string HexEncode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHexDigits[c >> 4]);
    out.push_back(kHexDigits[c & 15]);
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

template <size_t N>
std::string FixedBytes<N>::ToHex() const {
  return HexEncode(View());
}

template <size_t N>
std::optional<FixedBytes<N>> FixedBytes<N>::FromHex(std::string_view hex) {
  if (hex.size() != 2 * N) return std::nullopt;
  auto raw = HexDecode(hex);
  if (!raw) return std::nullopt;
  FixedBytes<N> out;
  std::copy(raw->begin(), raw->end(), out.bytes.begin());
  return out;
}

template struct FixedBytes<32>;
template struct FixedBytes<64>;

uint64_t KeyedIdHash(const Hash256& id, uint64_t key) {
  uint64_t x = 0;
  std::memcpy(&x, id.bytes.data() + 8, sizeof(x));
  x ^= key;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

uint64_t RandomHashKey() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) ^ rd();
}

namespace {
constexpr std::pair<Role, std::string_view> kRoleNames[] = {
    {Role::kAdmin, "admin"},         {Role::kSupplier, "supplier"}, {Role::kManufacturer, "manufacturer"},
    {Role::kRepairer, "repairer"},   {Role::kCollector, "collector"}, {Role::kRecycler, "recycler"},
    {Role::kCertifier, "certifier"}, {Role::kRegulator, "regulator"},
};
}  // namespace

std::string_view RoleName(Role r) {
  for (const auto& [role, name] : kRoleNames) {
    if (role == r) return name;
  }
  return "unknown";
}

std::optional<Role> RoleFromName(std::string_view name) {
  for (const auto& [role, n] : kRoleNames) {
    if (n == name) return role;
  }
  return std::nullopt;
}

std::string RolesToString(uint32_t roles) {
  std::string out;
  for (const auto& [role, name] : kRoleNames) {
    if (!HasRole(roles, role)) continue;
    if (!out.empty()) out += ",";
    out += name;
  }
  return out;
}

const MaterialAmount* Composition::Find(std::string_view material) const {
  auto it = std::lower_bound(entries.begin(), entries.end(), material,
                             [](const MaterialAmount& m, std::string_view k) { return m.material < k; });
  if (it == entries.end() || it->material != material) return nullptr;
  return &*it;
}

uint64_t Composition::Total(std::string_view material) const {
  const MaterialAmount* m = Find(material);
  return m ? m->total_mg : 0;
}

uint64_t Composition::Recycled(std::string_view material) const {
  const MaterialAmount* m = Find(material);
  return m ? m->recycled_mg : 0;
}

std::string_view CustodyName(Custody c) {
  switch (c) {
    case Custody::kNone: return "none";
    case Custody::kControlledBlending: return "controlled_blending";
    case Custody::kMassBalance: return "mass_balance";
    case Custody::kRecycled: return "recycled";
  }
  return "unknown";
}

std::string_view WasteOriginName(WasteOrigin w) {
  switch (w) {
    case WasteOrigin::kNone: return "none";
    case WasteOrigin::kPreConsumer: return "pre_consumer";
    case WasteOrigin::kPostConsumer: return "post_consumer";
  }
  return "unknown";
}

std::string_view LotStatusName(LotStatus s) {
  switch (s) {
    case LotStatus::kActive: return "active";
    case LotStatus::kConsumed: return "consumed";
    case LotStatus::kDisposed: return "disposed";
  }
  return "unknown";
}

std::string_view ProductStatusName(ProductStatus s) {
  switch (s) {
    case ProductStatus::kActive: return "active";
    case ProductStatus::kCollected: return "collected";
    case ProductStatus::kRecycled: return "recycled";
    case ProductStatus::kDisposed: return "disposed";
    case ProductStatus::kIncorporated: return "incorporated";
  }
  return "unknown";
}

std::string_view OpName(const Op& op) {
  static constexpr std::string_view kNames[] = {"create_lot", "transfer", "transform", "assemble",
                                                "repair",     "end_of_life", "recycle", "dispose",
                                                "attest",     "propose",  "approve",
                                                "register_rules", "authorize_repair", "revoke_repair"};
  static_assert(std::size(kNames) == std::variant_size_v<Op>);
  return kNames[op.index()];
}

}  // namespace circuledger::ledger

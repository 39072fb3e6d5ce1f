// ledger/genesis.cpp: the genesis JSON format (docs/genesis.md), its validation and its hash.
//
// nlohmann::json is used here only; its exceptions never leave this file. Parsing checks the shape
// of the document (types, known keys, integer ranges); ValidateGenesis checks the content.
#include "ledger/genesis.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <type_traits>
#include <utility>

#include "ledger/crypto.h"
#include "ledger/encoding.h"
#include "ledger/limits.h"

namespace circuledger::ledger {

namespace {

using Json = nlohmann::json;

// Bounds the text we hand to the JSON parser. The largest valid genesis (kMaxOrgs orgs with
// kMaxOrgKeys keys each, pretty-printed) is about 25 MB; a local file is still untrusted input.
// (Kept here rather than in limits.h: it bounds a local file, not a consensus value.)
constexpr size_t kMaxGenesisJsonBytes = 64 * 1024 * 1024;
constexpr uint32_t kMinBlockBytes = 1024;

// A shape error found while reading the document; caught in GenesisFromJson.
struct FieldError {
  std::string message;  // "<field path>: <what is wrong>"
};

[[noreturn]] void Fail(const std::string& field, const std::string& what) {
  throw FieldError{field + ": " + what};
}

// A short, printable rendering of untrusted text or JSON for an error message.
std::string Quote(std::string_view s) {
  constexpr size_t kMaxShown = 72;
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x" + HexEncode(s.substr(i, 1));
    }
  }
  if (s.size() > kMaxShown) out += "...";
  return out + "\"";
}

std::string Shown(const Json& v) {
  return v.dump(-1, ' ', false, Json::error_handler_t::replace).substr(0, 72);
}

// ---- Reading the document's shape ----

void CheckObject(const Json& j, const std::string& field, const std::set<std::string>& allowed) {
  if (!j.is_object()) Fail(field, "expected a JSON object, got " + Shown(j));
  // An unknown key is most likely a typo of a known one; silently defaulting would hide it.
  for (const auto& item : j.items()) {
    if (!allowed.contains(item.key())) Fail(field, "unknown field " + Quote(item.key()));
  }
}

std::string Join(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

const Json& Required(const Json& obj, const std::string& parent, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) Fail(Join(parent, key), "missing required field");
  return *it;
}

const Json& Array(const Json& j, const std::string& field) {
  if (!j.is_array()) Fail(field, "expected a JSON array, got " + Shown(j));
  return j;
}

std::string String(const Json& j, const std::string& field) {
  if (!j.is_string()) Fail(field, "expected a string, got " + Shown(j));
  return j.get<std::string>();
}

template <class T>
T Unsigned(const Json& j, const std::string& field) {
  // nlohmann stores a literal that does not fit a uint64 as a float, so this also rejects that.
  if (!j.is_number_unsigned()) Fail(field, "expected an unsigned integer, got " + Shown(j));
  const auto v = j.get<uint64_t>();
  if (v > std::numeric_limits<T>::max()) {
    Fail(field, "must be at most " + std::to_string(std::numeric_limits<T>::max()) + ", got " +
                    std::to_string(v));
  }
  return static_cast<T>(v);
}

PubKey Key(const Json& j, const std::string& field) {
  const std::string hex = String(j, field);
  auto key = PubKey::FromHex(hex);
  if (!key) Fail(field, "expected 64 hex digits (an x-only public key), got " + Quote(hex));
  return *key;
}

Params ReadParams(const Json& j) {
  std::set<std::string> names;
  Params p;
  ForEachParam(p, [&](const char* name, auto&) { names.insert(name); });
  CheckObject(j, "params", names);
  ForEachParam(p, [&](const char* name, auto& member) {
    auto it = j.find(name);
    if (it != j.end()) {
      member = Unsigned<std::remove_reference_t<decltype(member)>>(*it, Join("params", name));
    }
  });
  return p;
}

uint32_t ReadRoles(const Json& j, const std::string& field) {
  uint32_t roles = 0;
  for (size_t i = 0; i < Array(j, field).size(); ++i) {
    const std::string where = field + "[" + std::to_string(i) + "]";
    const std::string name = String(j[i], where);
    const auto role = RoleFromName(name);
    if (!role)
      Fail(where, "unknown role " + Quote(name) + " (known: " + RolesToString(kAllRoles) + ")");
    if (HasRole(roles, *role)) Fail(where, "duplicate role " + Quote(name));
    roles |= static_cast<uint32_t>(*role);
  }
  return roles;
}

Org ReadOrg(const Json& j, const std::string& where) {
  CheckObject(j, where, {"id", "name", "roles", "keys"});
  Org org;
  org.id = String(Required(j, where, "id"), where + ".id");
  org.name = String(Required(j, where, "name"), where + ".name");
  org.roles = ReadRoles(Required(j, where, "roles"), where + ".roles");
  const Json& keys = Array(Required(j, where, "keys"), where + ".keys");
  for (size_t i = 0; i < keys.size(); ++i) {
    org.members.push_back(Key(keys[i], where + ".keys[" + std::to_string(i) + "]"));
  }
  std::sort(org.members.begin(), org.members.end());  // ValidateGenesis reports duplicates
  return org;
}

Validator ReadValidator(const Json& j, const std::string& where) {
  CheckObject(j, where, {"key", "name", "address"});
  Validator v;
  v.key = Key(Required(j, where, "key"), where + ".key");
  v.name = String(Required(j, where, "name"), where + ".name");
  v.address = String(Required(j, where, "address"), where + ".address");
  return v;
}

Genesis ReadGenesis(const Json& doc) {
  CheckObject(doc, "document", {"chain_id", "genesis_time_ms", "params", "orgs", "validators"});
  Genesis g;
  g.chain_id = String(Required(doc, "", "chain_id"), "chain_id");
  g.genesis_time_ms = Unsigned<uint64_t>(Required(doc, "", "genesis_time_ms"), "genesis_time_ms");
  if (auto it = doc.find("params"); it != doc.end()) g.params = ReadParams(*it);
  const Json& orgs = Array(Required(doc, "", "orgs"), "orgs");
  for (size_t i = 0; i < orgs.size(); ++i) {
    g.orgs.push_back(ReadOrg(orgs[i], "orgs[" + std::to_string(i) + "]"));
  }
  const Json& validators = Array(Required(doc, "", "validators"), "validators");
  for (size_t i = 0; i < validators.size(); ++i) {
    g.validators.push_back(ReadValidator(validators[i], "validators[" + std::to_string(i) + "]"));
  }
  std::stable_sort(g.validators.begin(), g.validators.end(),
                   [](const Validator& a, const Validator& b) { return a.key < b.key; });
  return g;
}

// Parses JSON text, refusing duplicate object keys: nlohmann would keep the last one silently.
Json ParseStrict(std::string_view text) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  auto on_event = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == Json::parse_event_t::object_end && !open_objects.empty()) {
      open_objects.pop_back();
    } else if (event == Json::parse_event_t::key && !open_objects.empty()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  Json doc = Json::parse(text.begin(), text.end(), on_event);
  if (!duplicate.empty()) throw FieldError{"duplicate field " + Quote(duplicate)};
  return doc;
}

// ---- Content rules ----

Status Bad(const std::string& field, const std::string& what) {
  return Status::InvalidArgument("genesis: " + field + ": " + what);
}

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

bool IsValidChainId(std::string_view id) {
  return !id.empty() && id.size() <= limits::kMaxChainIdLen &&
         std::all_of(id.begin(), id.end(), IsIdChar);
}

// "host:port": printable ASCII without spaces, a non-empty host and a port in 1..65535. The host
// is not resolved here; "[::1]:26656" passes (the port follows the last colon).
bool IsValidAddress(std::string_view a) {
  if (a.empty() || a.size() > limits::kMaxTextLen) return false;
  if (!std::all_of(a.begin(), a.end(), [](char c) { return c > 0x20 && c < 0x7f; })) return false;
  const size_t colon = a.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view port = a.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

Status CheckOrg(const Org& org, const std::string& where) {
  if (!IsValidOrgId(org.id)) {
    return Bad(where + ".id", "must be 1.." + std::to_string(limits::kMaxOrgIdLen) +
                                  " characters of [a-z0-9-._], got " + Quote(org.id));
  }
  if (!IsValidName(org.name)) {
    return Bad(where + ".name", "must be 1.." + std::to_string(limits::kMaxNameLen) +
                                    " printable ASCII characters, got " + Quote(org.name));
  }
  // No role is fine: such an org owns and hands on lots and products (a customer, a fleet).
  if ((org.roles & ~kAllRoles) != 0) {
    return Bad(where + ".roles", "must be a set of: " + RolesToString(kAllRoles));
  }
  if (org.status != OrgStatus::kActive) return Bad(where, "a genesis org must be active");
  if (org.members.empty() || org.members.size() > limits::kMaxOrgKeys) {
    return Bad(where + ".keys", "must hold 1.." + std::to_string(limits::kMaxOrgKeys) +
                                    " keys, got " + std::to_string(org.members.size()));
  }
  return Status::Ok();
}

// Keys of all orgs: each valid, sorted and unique within its org, and in at most one org (an
// account belongs to exactly one org; two orgs sharing a key could act for each other).
Status CheckOrgKeys(const std::vector<Org>& orgs) {
  std::map<PubKey, std::string_view> owner;
  for (size_t i = 0; i < orgs.size(); ++i) {
    const Org& org = orgs[i];
    for (size_t k = 0; k < org.members.size(); ++k) {
      const PubKey& key = org.members[k];
      const std::string where = "orgs[" + std::to_string(i) + "].keys";
      if (!IsValidPubKey(key)) return Bad(where, "not a valid x-only public key: " + key.ToHex());
      if (k > 0 && org.members[k - 1] == key) return Bad(where, "duplicate key " + key.ToHex());
      if (k > 0 && org.members[k - 1] > key) return Bad(where, "keys must be sorted");
      auto [it, inserted] = owner.emplace(key, org.id);
      if (!inserted) {
        return Bad(where, "key " + key.ToHex() + " already belongs to org " + Quote(it->second));
      }
    }
  }
  return Status::Ok();
}

Status CheckValidators(const std::vector<Validator>& validators) {
  if (validators.empty() || validators.size() > limits::kMaxValidators) {
    return Bad("validators", "must hold 1.." + std::to_string(limits::kMaxValidators) +
                                 " validators, got " + std::to_string(validators.size()));
  }
  for (size_t i = 0; i < validators.size(); ++i) {
    const Validator& v = validators[i];
    const std::string where = "validators[" + std::to_string(i) + "]";
    if (!IsValidPubKey(v.key))
      return Bad(where + ".key", "not a valid x-only public key: " + v.key.ToHex());
    if (i > 0 && validators[i - 1].key == v.key)
      return Bad(where + ".key", "duplicate validator key " + v.key.ToHex());
    if (i > 0 && validators[i - 1].key > v.key) return Bad("validators", "must be sorted by key");
    if (!IsValidName(v.name)) {
      return Bad(where + ".name", "must be 1.." + std::to_string(limits::kMaxNameLen) +
                                      " printable ASCII characters, got " + Quote(v.name));
    }
    if (!IsValidAddress(v.address)) {
      return Bad(where + ".address", "must be host:port (port 1..65535, at most " +
                                         std::to_string(limits::kMaxTextLen) +
                                         " characters), got " + Quote(v.address));
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsValidOrgId(std::string_view id) {
  return !id.empty() && id.size() <= limits::kMaxOrgIdLen &&
         std::all_of(id.begin(), id.end(), IsIdChar);
}

bool IsValidName(std::string_view name) {
  return !name.empty() && name.size() <= limits::kMaxNameLen &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

Status ValidateParams(const Params& p) {
  auto bad = [](const char* field, const std::string& what) {
    return Status::InvalidArgument(std::string("params.") + field + ": " + what);
  };
  if (p.max_block_txs < 1 || p.max_block_txs > limits::kMaxBlockTxs) {
    return bad("max_block_txs", "must be 1.." + std::to_string(limits::kMaxBlockTxs) + ", got " +
                                    std::to_string(p.max_block_txs));
  }
  if (p.max_block_bytes < kMinBlockBytes || p.max_block_bytes > limits::kMaxBlockBytes) {
    return bad("max_block_bytes", "must be " + std::to_string(kMinBlockBytes) + ".." +
                                      std::to_string(limits::kMaxBlockBytes) + ", got " +
                                      std::to_string(p.max_block_bytes));
  }
  if (p.gov_threshold < 1) return bad("gov_threshold", "must be at least 1");
  if (p.proposal_ttl_blocks < 1) return bad("proposal_ttl_blocks", "must be at least 1");
  // A proposer may run ahead of the other clocks by at most this much: bounded, or block time
  // (which rules compare against) could be pushed far into the future.
  if (p.max_time_drift_ms > limits::kMaxTimeDriftMs) {
    return bad("max_time_drift_ms", "must be at most " + std::to_string(limits::kMaxTimeDriftMs));
  }
  if (p.timeout_propose_ms < 1) return bad("timeout_propose_ms", "must be at least 1");
  if (p.timeout_vote_ms < 1) return bad("timeout_vote_ms", "must be at least 1");
  if (p.timeout_delta_ms < 1) return bad("timeout_delta_ms", "must be at least 1");
  return Status::Ok();
}

Status ValidateGenesis(const Genesis& g) {
  if (!IsValidChainId(g.chain_id)) {
    return Bad("chain_id", "must be 1.." + std::to_string(limits::kMaxChainIdLen) +
                               " characters of [a-z0-9-._], got " + Quote(g.chain_id));
  }
  if (Status s = ValidateParams(g.params); !s.ok())
    return Status::InvalidArgument("genesis: " + s.detail());
  if (g.orgs.size() > limits::kMaxOrgs) {
    return Bad("orgs", "at most " + std::to_string(limits::kMaxOrgs) + " orgs, got " +
                           std::to_string(g.orgs.size()));
  }
  std::set<std::string_view> ids;
  uint32_t admins = 0;
  for (size_t i = 0; i < g.orgs.size(); ++i) {
    const std::string where = "orgs[" + std::to_string(i) + "]";
    if (Status s = CheckOrg(g.orgs[i], where); !s.ok()) return s;
    if (!ids.insert(g.orgs[i].id).second)
      return Bad(where + ".id", "duplicate org id " + Quote(g.orgs[i].id));
    if (HasRole(g.orgs[i].roles, Role::kAdmin)) ++admins;
  }
  if (Status s = CheckOrgKeys(g.orgs); !s.ok()) return s;
  if (admins == 0) return Bad("orgs", "no org has the admin role; governance would be impossible");
  if (g.params.gov_threshold > admins) {
    return Bad("params.gov_threshold",
               std::to_string(g.params.gov_threshold) + " exceeds the number of admin orgs (" +
                   std::to_string(admins) + "); no governance change could ever pass");
  }
  return CheckValidators(g.validators);
}

Result<Genesis> GenesisFromJson(std::string_view json) {
  if (json.size() > kMaxGenesisJsonBytes) {
    return Status::InvalidArgument("genesis: document is " + std::to_string(json.size()) +
                                   " bytes, over the limit of " +
                                   std::to_string(kMaxGenesisJsonBytes));
  }
  Genesis g;
  try {
    g = ReadGenesis(ParseStrict(json));
  } catch (const FieldError& e) {
    return Status::InvalidArgument("genesis: " + e.message);
  } catch (const Json::parse_error& e) {
    return Status::InvalidArgument(std::string("genesis: malformed JSON: ") + e.what());
  } catch (const Json::exception& e) {  // not expected: every access above checks its type first
    return Status::InvalidArgument(std::string("genesis: ") + e.what());
  }
  if (Status s = ValidateGenesis(g); !s.ok()) return s;
  return g;
}

Result<Genesis> GenesisFromFile(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::InvalidArgument("genesis: cannot read " + path + ": " + ec.message());
  if (size > kMaxGenesisJsonBytes) {
    return Status::InvalidArgument("genesis: " + path + " is " + std::to_string(size) +
                                   " bytes, over the limit of " +
                                   std::to_string(kMaxGenesisJsonBytes));
  }
  std::ifstream in(path, std::ios::binary);
  std::string text(static_cast<size_t>(size), '\0');
  if (!in || !in.read(text.data(), static_cast<std::streamsize>(text.size())) || in.get() != EOF) {
    return Status::IoError("genesis: error reading " + path);
  }
  return GenesisFromJson(text);
}

std::string GenesisToJson(const Genesis& g) {
  using Ordered = nlohmann::ordered_json;  // keeps the documented field order
  Ordered doc;
  doc["chain_id"] = g.chain_id;
  doc["genesis_time_ms"] = g.genesis_time_ms;
  Ordered params = Ordered::object();
  ForEachParam(g.params, [&](const char* name, const auto& value) { params[name] = value; });
  doc["params"] = std::move(params);
  Ordered orgs = Ordered::array();
  for (const Org& org : g.orgs) {
    Ordered roles = Ordered::array();
    for (uint32_t bit = 1; (bit & kAllRoles) != 0; bit <<= 1) {
      if ((org.roles & bit) != 0) roles.push_back(std::string(RoleName(static_cast<Role>(bit))));
    }
    Ordered keys = Ordered::array();
    for (const PubKey& k : org.members) keys.push_back(k.ToHex());
    orgs.push_back({{"id", org.id},
                    {"name", org.name},
                    {"roles", std::move(roles)},
                    {"keys", std::move(keys)}});
  }
  doc["orgs"] = std::move(orgs);
  Ordered validators = Ordered::array();
  for (const Validator& v : g.validators) {
    validators.push_back({{"key", v.key.ToHex()}, {"name", v.name}, {"address", v.address}});
  }
  doc["validators"] = std::move(validators);
  // replace: a (necessarily invalid) genesis holding non-UTF-8 bytes must not throw here.
  return doc.dump(2, ' ', false, Ordered::error_handler_t::replace) + "\n";
}

Hash256 GenesisHash(const Genesis& g) {
  static const TaggedHasher kHasher("circuledger/genesis");
  return kHasher.Hash(Encode(g));
}

}  // namespace circuledger::ledger

// Governance proposals and approvals from user arguments (wallet/builder.h).
#include <limits>
#include <set>
#include <type_traits>

#include "ledger/crypto.h"
#include "ledger/genesis.h"
#include "wallet/builder.h"

namespace circuledger::wallet {

using ledger::Op;

namespace {

Op Propose(ledger::GovChange change) { return Op(ledger::Propose{std::move(change)}); }

Status Need(std::string_view what) {
  return Status::InvalidArgument(std::string(what) + " must not be empty");
}

}  // namespace

Result<uint32_t> ParseRoles(std::string_view csv) {
  uint32_t roles = 0;
  size_t pos = 0;
  while (pos <= csv.size()) {
    size_t comma = csv.find(',', pos);
    if (comma == std::string_view::npos) comma = csv.size();
    const std::string_view name = csv.substr(pos, comma - pos);
    std::optional<ledger::Role> r = ledger::RoleFromName(name);
    if (!r) {
      return Status::InvalidArgument("unknown role \"" + std::string(name) + "\" (roles: " +
                                     ledger::RolesToString(ledger::kAllRoles) + ")");
    }
    roles |= static_cast<uint32_t>(*r);
    pos = comma + 1;
  }
  return roles;
}

Result<ledger::PubKey> ParsePubKey(std::string_view hex) {
  std::optional<ledger::PubKey> k = ledger::PubKey::FromHex(hex);
  if (!k || !ledger::IsValidPubKey(*k)) {
    return Status::InvalidArgument("bad public key \"" + std::string(hex) +
                                   "\": expected 64 hex digits of a BIP-340 key");
  }
  return *k;
}

Result<Op> MakeProposeAddOrg(std::string_view id, std::string_view name, std::string_view roles,
                             const std::vector<std::string>& key_hexes) {
  if (id.empty()) return Need("the org id");
  if (name.empty()) return Need("the org name");
  Result<uint32_t> r = ParseRoles(roles);
  if (!r.ok()) return r.status();
  if (key_hexes.empty()) return Status::InvalidArgument("a new org needs at least one member key");
  ledger::AddOrg add{std::string(id), std::string(name), *r, {}};
  for (const std::string& h : key_hexes) {
    Result<ledger::PubKey> k = ParsePubKey(h);
    if (!k.ok()) return k.status();
    add.keys.push_back(*k);
  }
  return Propose(std::move(add));
}

Result<Op> MakeProposeOrgStatus(std::string_view org, bool active) {
  if (org.empty()) return Need("the org id");
  return Propose(ledger::SetOrgStatus{
      std::string(org), active ? ledger::OrgStatus::kActive : ledger::OrgStatus::kSuspended});
}

Result<Op> MakeProposeSetRoles(std::string_view org, std::string_view roles) {
  if (org.empty()) return Need("the org id");
  Result<uint32_t> r = ParseRoles(roles);
  if (!r.ok()) return r.status();
  return Propose(ledger::SetOrgRoles{std::string(org), *r});
}

Result<Op> MakeProposeAddKey(std::string_view org, std::string_view key_hex) {
  if (org.empty()) return Need("the org id");
  Result<ledger::PubKey> k = ParsePubKey(key_hex);
  if (!k.ok()) return k.status();
  return Propose(ledger::AddMemberKey{std::string(org), *k});
}

Result<Op> MakeProposeRevokeKey(std::string_view org, std::string_view key_hex) {
  if (org.empty()) return Need("the org id");
  Result<ledger::PubKey> k = ParsePubKey(key_hex);
  if (!k.ok()) return k.status();
  return Propose(ledger::RevokeMemberKey{std::string(org), *k});
}

Result<Op> MakeProposeAddValidator(std::string_view key_hex, std::string_view name,
                                   std::string_view address) {
  Result<ledger::PubKey> k = ParsePubKey(key_hex);
  if (!k.ok()) return k.status();
  if (name.empty()) return Need("the validator name");
  if (address.find(':') == std::string_view::npos)
    return Status::InvalidArgument("the validator address is HOST:PORT");
  return Propose(
      ledger::AddValidator{ledger::Validator{*k, std::string(name), std::string(address)}});
}

Result<Op> MakeProposeRemoveValidator(std::string_view key_hex) {
  Result<ledger::PubKey> k = ParsePubKey(key_hex);
  if (!k.ok()) return k.status();
  return Propose(ledger::RemoveValidator{*k});
}

Result<Op> MakeProposeSetRuleSetOwner(std::string_view rule_set, std::string_view org) {
  if (rule_set.empty()) return Status::InvalidArgument("missing the rule set id");
  if (org.empty()) return Status::InvalidArgument("missing the org id");
  return Propose(ledger::SetRuleSetOwner{std::string(rule_set), std::string(org)});
}

namespace {

std::string ParamNames() {
  std::string names;
  ledger::Params p;
  ledger::ForEachParam(p, [&](const char* name, auto&) { names += (names.empty() ? "" : ", ") + std::string(name); });
  return names;
}

// Sets the parameter `name` of `p` from `text`; InvalidArgument for an unknown name or a value
// that is not an unsigned integer of the parameter's width.
Status SetParam(ledger::Params& p, std::string_view name, std::string_view text) {
  bool found = false;
  Status status = Status::Ok();
  ledger::ForEachParam(p, [&](const char* n, auto& member) {
    if (name != n) return;
    found = true;
    using T = std::remove_reference_t<decltype(member)>;
    Result<uint64_t> v = ParseU64(text, n);
    if (!v.ok()) {
      status = v.status();
    } else if (*v > std::numeric_limits<T>::max()) {
      status = Status::InvalidArgument(std::string(n) + " must be at most " +
                                       std::to_string(std::numeric_limits<T>::max()));
    } else {
      member = static_cast<T>(*v);
    }
  });
  if (!found) {
    return Status::InvalidArgument("unknown parameter \"" + std::string(name) + "\" (parameters: " + ParamNames() + ")");
  }
  return status;
}

}  // namespace

Result<ledger::Params> ParamsFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidArgument("the node's parameters are not a JSON object");
  ledger::Params p;
  size_t seen = 0;
  Status status = Status::Ok();
  ledger::ForEachParam(p, [&](const char* name, auto&) {
    auto it = j.find(name);
    if (!status.ok()) return;
    // A parsed answer holds non-negative integers as unsigned; one built in code may hold them signed.
    const bool whole = it != j.end() && it->is_number_integer() && (it->is_number_unsigned() || it->get<int64_t>() >= 0);
    if (!whole) {
      status = Status::InvalidArgument(std::string("the node's parameters lack ") + name + " (an unsigned integer)");
      return;
    }
    ++seen;
    status = SetParam(p, name, std::to_string(it->get<uint64_t>()));
  });
  if (!status.ok()) return status;
  if (seen != j.size()) return Status::InvalidArgument("the node's parameters name one this wallet does not know");
  return p;
}

Result<Op> MakeProposeSetParams(ledger::Params current, const std::vector<std::string>& sets) {
  if (sets.empty()) return Status::InvalidArgument("name at least one parameter to change: --set NAME=VALUE");
  std::set<std::string, std::less<>> named;
  for (const std::string& s : sets) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("bad --set \"" + s + "\": expected NAME=VALUE");
    }
    const std::string name = s.substr(0, eq);
    if (!named.insert(name).second) return Status::InvalidArgument("parameter " + name + " is set twice");
    if (Status st = SetParam(current, name, std::string_view(s).substr(eq + 1)); !st.ok()) return st;
  }
  if (ledger::Status st = ledger::ValidateParams(current); !st.ok()) return Status::InvalidArgument(st.detail());
  return Propose(ledger::SetParams{current});
}

Result<Op> MakeApprove(std::string_view proposal_hex) {
  std::optional<ledger::Hash256> id = ledger::Hash256::FromHex(proposal_hex);
  if (!id)
    return Status::InvalidArgument("a proposal id is the 64-hex tx id of its propose transaction");
  return Op(ledger::Approve{*id});
}

}  // namespace circuledger::wallet

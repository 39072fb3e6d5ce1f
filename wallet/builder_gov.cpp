// Governance proposals and approvals from user arguments (wallet/builder.h).
#include "ledger/crypto.h"
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

Result<Op> MakeApprove(std::string_view proposal_hex) {
  std::optional<ledger::Hash256> id = ledger::Hash256::FromHex(proposal_hex);
  if (!id)
    return Status::InvalidArgument("a proposal id is the 64-hex tx id of its propose transaction");
  return Op(ledger::Approve{*id});
}

}  // namespace circuledger::wallet

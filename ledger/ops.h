// ledger/ops.h: the operation payloads of transactions (DESIGN.md section 3) and governance changes.
//
// Plain data owned by the transaction that carries it. Lot and product ids share one namespace,
// so an operation names an item by id alone. Validity rules are in ledger/executor.
#pragma once

#include <variant>

#include "ledger/types.h"

namespace circuledger::ledger {

// A lot an operation creates. For controlled blending and recycling the ledger computes the
// recycled mass and the transaction must declare 0; for mass balance it declares it.
struct OutputLot {
  std::string id;
  Composition composition;
  auto operator<=>(const OutputLot&) const = default;
};

struct CreateLot {
  std::string id;
  Composition composition;
  auto operator<=>(const CreateLot&) const = default;
};

// Hands a lot or product to another org.
struct Transfer {
  std::string id;
  std::string to_org;
  auto operator<=>(const Transfer&) const = default;
};

struct Transform {
  std::vector<std::string> inputs;  // lot ids
  std::vector<OutputLot> outputs;
  Allocation allocation = Allocation::kControlledBlending;
  // Manufacturing scrap this transform made: lots like the outputs (same mass balance and recycled
  // allocation), marked pre-consumer waste, so a recycler may take them (WasteOrigin).
  std::vector<OutputLot> scrap;
  auto operator<=>(const Transform&) const = default;
};

struct NewProduct {
  std::string id;
  std::string category;
  std::string model;
  Composition composition;
  std::vector<Attribute> attributes;
  auto operator<=>(const NewProduct&) const = default;
};

struct Assemble {
  std::vector<std::string> inputs;  // lot or product ids
  NewProduct product;
  std::vector<OutputLot> leftovers;
  Allocation allocation = Allocation::kControlledBlending;
  std::vector<OutputLot> scrap;  // manufacturing scrap of the assembly (as Transform::scrap)
  auto operator<=>(const Assemble&) const = default;
};

// Removed parts become lots of the signer's org (recycled mass follows the product's blend);
// added lots (owned by the signer's org) are built in.
struct Repair {
  std::string product;
  std::vector<OutputLot> removed;
  std::vector<std::string> added;
  auto operator<=>(const Repair&) const = default;
};

struct EndOfLife {
  std::string product;
  std::string to_org;  // a collector or recycler
  auto operator<=>(const EndOfLife&) const = default;
};

// Outputs are secondary material: recycled mass = total mass, set by the ledger. Inputs are waste
// the ledger knows: collected products, waste lots (scrap, parts removed in a repair), or the
// outputs of an earlier recycling (black mass refined further).
struct Recycle {
  std::vector<std::string> inputs;  // collected product ids or lot ids
  std::vector<OutputLot> outputs;
  auto operator<=>(const Recycle&) const = default;
};

struct Dispose {
  std::string id;
  auto operator<=>(const Dispose&) const = default;
};

struct Attest {
  std::string subject;  // lot or product id
  std::string kind;
  std::string reference;
  uint64_t expiry_ms = 0;  // 0 = does not expire
  auto operator<=>(const Attest&) const = default;
};

// The owner of a product lets another org repair it until `expiry_ms` (block time, exclusive).
// A later grant to the same org replaces the earlier one; a grant ends with the owner's
// revocation or when the product changes owner (it names the org that granted it).
struct AuthorizeRepair {
  std::string product;
  std::string repairer;  // org id
  uint64_t expiry_ms = 0;
  auto operator<=>(const AuthorizeRepair&) const = default;
};
struct RevokeRepair {
  std::string product;
  std::string repairer;  // org id
  auto operator<=>(const RevokeRepair&) const = default;
};

// Governance changes.
struct AddOrg {
  std::string id;
  std::string name;
  uint32_t roles = 0;
  std::vector<PubKey> keys;
  auto operator<=>(const AddOrg&) const = default;
};
struct SetOrgStatus {
  std::string org;
  OrgStatus status = OrgStatus::kActive;
  auto operator<=>(const SetOrgStatus&) const = default;
};
struct SetOrgRoles {
  std::string org;
  uint32_t roles = 0;
  auto operator<=>(const SetOrgRoles&) const = default;
};
struct AddMemberKey {
  std::string org;
  PubKey key;
  auto operator<=>(const AddMemberKey&) const = default;
};
struct RevokeMemberKey {
  std::string org;
  PubKey key;
  auto operator<=>(const RevokeMemberKey&) const = default;
};
struct AddValidator {
  Validator validator;
  auto operator<=>(const AddValidator&) const = default;
};
struct RemoveValidator {
  PubKey key;
  auto operator<=>(const RemoveValidator&) const = default;
};
struct SetParams {
  Params params;
  auto operator<=>(const SetParams&) const = default;
};
// Gives a rule set id to another regulator org: the only way anyone but the owner registers new
// versions of it (a rule set id belongs to the regulator that first registered it).
struct SetRuleSetOwner {
  std::string rule_set;
  std::string org;
  auto operator<=>(const SetRuleSetOwner&) const = default;
};
using GovChange = std::variant<AddOrg, SetOrgStatus, SetOrgRoles, AddMemberKey, RevokeMemberKey,
                               AddValidator, RemoveValidator, SetParams, SetRuleSetOwner>;

struct Propose {
  GovChange change;
  auto operator<=>(const Propose&) const = default;
};
struct Approve {
  Hash256 proposal;  // the tx id of the propose transaction
  auto operator<=>(const Approve&) const = default;
};

enum class ProposalStatus : uint8_t { kPending = 0, kApplied = 1 };
constexpr uint8_t kMaxProposalStatus = 1;

struct Proposal {
  Hash256 id;
  std::string proposer;  // org id
  GovChange change;
  std::vector<std::string> approvals;  // admin org ids, sorted
  uint64_t created_height = 0;
  uint64_t expires_height = 0;  // approvals are refused after this height
  ProposalStatus status = ProposalStatus::kPending;
  auto operator<=>(const Proposal&) const = default;
};

// One open proposal in an org's count (OrgProposals).
struct OpenProposal {
  Hash256 id;
  uint64_t expires_height = 0;  // copied from the proposal: open while height <= expires_height
  auto operator<=>(const OpenProposal&) const = default;
};

// The proposals an org has open (statekey::OrgProposals), so that one admin org cannot keep more
// than limits::kMaxOpenProposalsPerOrg governance proposals open at once. Owned by the state; the
// proposing org's entry is added when its proposal stays pending, removed when the proposal
// applies, and entries past their expiry are dropped when the org next proposes. Proposals made
// before this count existed are not in it.
struct OrgProposals {
  std::string org;
  std::vector<OpenProposal> open;  // in the order they were proposed
  auto operator<=>(const OrgProposals&) const = default;
};

// A regulator registers a rule set (contracts/RULES.md): the ledger compiles the source; its id,
// version and effective date come from the source's header.
struct RegisterRules {
  std::string source;
  auto operator<=>(const RegisterRules&) const = default;
};

// Variant order is part of the encoding: append only.
using Op = std::variant<CreateLot, Transfer, Transform, Assemble, Repair, EndOfLife, Recycle,
                        Dispose, Attest, Propose, Approve, RegisterRules, AuthorizeRepair, RevokeRepair>;
std::string_view OpName(const Op& op);

}  // namespace circuledger::ledger

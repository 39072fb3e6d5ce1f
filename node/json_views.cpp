#include "node/json_views.h"

#include "node/rules_views.h"

#include "contracts/facts.h"

namespace circuledger::node {

using namespace circuledger::ledger;
using nlohmann::json;

namespace {

json AttestationsJson(const std::vector<Attestation>& v) {
  json out = json::array();
  for (const Attestation& a : v) {
    out.push_back({{"kind", a.kind}, {"reference", a.reference}, {"issuer", a.issuer}, {"time_ms", a.time_ms},
                   {"expiry_ms", a.expiry_ms}, {"tx", a.tx.ToHex()}});
  }
  return out;
}

json OutputsJson(const std::vector<OutputLot>& v) {
  json out = json::array();
  for (const OutputLot& o : v) out.push_back({{"id", o.id}, {"composition", CompositionJson(o.composition)}});
  return out;
}

std::string_view AllocationName(Allocation a) {
  return a == Allocation::kMassBalance ? "mass_balance" : "controlled_blending";
}

struct OpToJson {
  json operator()(const CreateLot& o) const { return {{"id", o.id}, {"composition", CompositionJson(o.composition)}}; }
  json operator()(const Transfer& o) const { return {{"id", o.id}, {"to_org", o.to_org}}; }
  json operator()(const Transform& o) const {
    return {{"inputs", o.inputs},
            {"outputs", OutputsJson(o.outputs)},
            {"allocation", AllocationName(o.allocation)},
            {"scrap", OutputsJson(o.scrap)}};
  }
  json operator()(const Assemble& o) const {
    json attrs = json::object();
    for (const Attribute& a : o.product.attributes) attrs[a.name] = a.value;
    return {{"inputs", o.inputs},
            {"product",
             {{"id", o.product.id}, {"category", o.product.category}, {"model", o.product.model},
              {"composition", CompositionJson(o.product.composition)}, {"attributes", attrs}}},
            {"leftovers", OutputsJson(o.leftovers)},
            {"allocation", AllocationName(o.allocation)},
            {"scrap", OutputsJson(o.scrap)}};
  }
  json operator()(const Repair& o) const {
    return {{"product", o.product}, {"removed", OutputsJson(o.removed)}, {"added", o.added}};
  }
  json operator()(const EndOfLife& o) const { return {{"product", o.product}, {"to_org", o.to_org}}; }
  json operator()(const Recycle& o) const { return {{"inputs", o.inputs}, {"outputs", OutputsJson(o.outputs)}}; }
  json operator()(const Dispose& o) const { return {{"id", o.id}}; }
  json operator()(const Attest& o) const {
    return {{"subject", o.subject}, {"kind", o.kind}, {"reference", o.reference}, {"expiry_ms", o.expiry_ms}};
  }
  json operator()(const Propose& o) const { return {{"change", GovJson(o.change)}}; }
  json operator()(const Approve& o) const { return {{"proposal", o.proposal.ToHex()}}; }
  json operator()(const RegisterRules& o) const { return {{"source", o.source}}; }
  json operator()(const AuthorizeRepair& o) const {
    return {{"product", o.product}, {"repairer", o.repairer}, {"expiry_ms", o.expiry_ms}};
  }
  json operator()(const RevokeRepair& o) const { return {{"product", o.product}, {"repairer", o.repairer}}; }

  static json GovJson(const GovChange& c) {
    return std::visit(
        [](const auto& ch) -> json {
          using T = std::decay_t<decltype(ch)>;
          if constexpr (std::is_same_v<T, AddOrg>) {
            json keys = json::array();
            for (const PubKey& k : ch.keys) keys.push_back(k.ToHex());
            return {{"type", "add_org"}, {"id", ch.id}, {"name", ch.name}, {"roles", RolesToString(ch.roles)}, {"keys", keys}};
          } else if constexpr (std::is_same_v<T, SetOrgStatus>) {
            return {{"type", "set_org_status"}, {"org", ch.org},
                    {"status", ch.status == OrgStatus::kActive ? "active" : "suspended"}};
          } else if constexpr (std::is_same_v<T, SetOrgRoles>) {
            return {{"type", "set_org_roles"}, {"org", ch.org}, {"roles", RolesToString(ch.roles)}};
          } else if constexpr (std::is_same_v<T, AddMemberKey>) {
            return {{"type", "add_member_key"}, {"org", ch.org}, {"key", ch.key.ToHex()}};
          } else if constexpr (std::is_same_v<T, RevokeMemberKey>) {
            return {{"type", "revoke_member_key"}, {"org", ch.org}, {"key", ch.key.ToHex()}};
          } else if constexpr (std::is_same_v<T, AddValidator>) {
            return {{"type", "add_validator"}, {"key", ch.validator.key.ToHex()}, {"name", ch.validator.name},
                    {"address", ch.validator.address}};
          } else if constexpr (std::is_same_v<T, RemoveValidator>) {
            return {{"type", "remove_validator"}, {"key", ch.key.ToHex()}};
          } else if constexpr (std::is_same_v<T, SetRuleSetOwner>) {
            return {{"type", "set_rule_set_owner"}, {"rule_set", ch.rule_set}, {"org", ch.org}};
          } else {
            json out = ParamsJson(ch.params);
            out["type"] = "set_params";
            return out;
          }
        },
        c);
  }
};

}  // namespace

json CompositionJson(const Composition& c) {
  json out = json::array();
  for (const MaterialAmount& m : c.entries) {
    out.push_back({{"material", m.material},
                   {"total_mg", m.total_mg},
                   {"recycled_mg", m.recycled_mg},
                   {"recycled_percent", contracts::FormatPercent2(m.recycled_mg, m.total_mg)}});
  }
  return out;
}

json LotJson(const Lot& lot) {
  return {{"id", lot.id},
          {"kind", "lot"},
          {"owner", lot.owner},
          {"composition", CompositionJson(lot.composition)},
          {"custody", CustodyName(lot.custody)},
          {"waste", WasteOriginName(lot.waste)},
          {"status", LotStatusName(lot.status)},
          {"created_by", lot.created_by.ToHex()},
          {"created_height", lot.created_height},
          {"consumed_by", lot.consumed_by.IsZero() ? json(nullptr) : json(lot.consumed_by.ToHex())},
          {"parents", lot.parents},
          {"attestations", AttestationsJson(lot.attestations)}};
}

json ProductJson(const Product& p) {
  json attrs = json::object();
  for (const Attribute& a : p.attributes) attrs[a.name] = a.value;
  json repairs = json::array();
  for (const RepairRecord& r : p.repairs) {
    repairs.push_back({{"tx", r.tx.ToHex()}, {"height", r.height}, {"time_ms", r.time_ms}, {"repairer", r.repairer},
                       {"removed_lots", r.removed_lots}, {"added_lots", r.added_lots}});
  }
  return {{"id", p.id},
          {"kind", "product"},
          {"category", p.category},
          {"model", p.model},
          {"manufacturer", p.manufacturer},
          {"owner", p.owner},
          {"status", ProductStatusName(p.status)},
          {"composition", CompositionJson(p.composition)},
          {"custody", CustodyName(p.custody)},
          {"attributes", attrs},
          {"repair_count", p.repairs.size()},
          {"repairs", repairs},
          {"attestations", AttestationsJson(p.attestations)},
          {"created_by", p.created_by.ToHex()},
          {"created_height", p.created_height},
          {"consumed_by", p.consumed_by.IsZero() ? json(nullptr) : json(p.consumed_by.ToHex())},
          {"parents", p.parents}};
}

json ParamsJson(const Params& p) {
  json out = json::object();
  ForEachParam(p, [&](const char* name, const auto& value) { out[name] = value; });
  return out;
}

json OrgJson(const Org& org) {
  json keys = json::array();
  for (const PubKey& k : org.members) keys.push_back(k.ToHex());
  json roles = json::array();
  for (uint32_t bit = 1; bit <= kAllRoles; bit <<= 1) {
    if (org.roles & bit) roles.push_back(RoleName(static_cast<Role>(bit)));
  }
  return {{"id", org.id},
          {"name", org.name},
          {"roles", roles},
          {"keys", keys},
          {"status", org.status == OrgStatus::kActive ? "active" : "suspended"}};
}

json OpJson(const Op& op) {
  json j = std::visit(OpToJson{}, op);
  j["type"] = OpName(op);
  return j;
}

json TxJson(const Tx& tx, const Hash256& id) {
  return {{"id", id.ToHex()},
          {"genesis_hash", tx.body.genesis_hash.ToHex()},
          {"signer", tx.body.signer.ToHex()},
          {"nonce", tx.body.nonce},
          {"op", OpJson(tx.body.op)},
          {"signature", tx.sig.ToHex()}};
}

json HeaderJson(const BlockHeader& h) {
  return {{"chain_id", h.chain_id},
          {"height", h.height},
          {"time_ms", h.time_ms},
          {"hash", BlockHash(h).ToHex()},
          {"prev_hash", h.prev_hash.ToHex()},
          {"tx_root", h.tx_root.ToHex()},
          {"state_root", h.state_root.ToHex()},
          {"proposer", h.proposer.ToHex()},
          {"validator_set_hash", h.validator_set_hash.ToHex()}};
}

json RecyclingJson(const RecyclingRecord& r) {
  json materials = json::array();
  for (const RecoveryEntry& e : r.materials) {
    materials.push_back({{"material", e.material},
                         {"input_mg", e.input_mg},
                         {"recovered_mg", e.recovered_mg},
                         {"recovered_percent", contracts::FormatPercent2(e.recovered_mg, e.input_mg)}});
  }
  return {{"tx", r.tx.ToHex()}, {"recycler", r.recycler}, {"height", r.height}, {"time_ms", r.time_ms},
          {"materials", materials}, {"rules", RuleOutcomesJson(r.rules)}};
}

}  // namespace circuledger::node

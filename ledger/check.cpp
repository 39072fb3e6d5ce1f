// Stateless transaction checks: everything that can be decided from the transaction alone.
#include <set>

#include "contracts/compiler.h"
#include "ledger/apply.h"
#include "ledger/genesis.h"
#include "ledger/limits.h"
#include "ledger/mass.h"

namespace circuledger::ledger {

namespace L = limits;

bool IsValidItemId(std::string_view id) {
  if (id.empty() || id.size() > L::kMaxIdLen) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool IsValidToken(std::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool IsPrintable(std::string_view s, size_t max_len) {
  if (s.size() > max_len) return false;
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

namespace {

Status BadId(std::string_view what) { return Status::Rejected(Reject::kBadId, std::string(what)); }

Status CheckIds(const std::vector<std::string>& ids, size_t max, bool allow_empty) {
  if (ids.size() > max) return Status::Rejected(Reject::kTooManyItems, "too many inputs");
  if (ids.empty() && !allow_empty) return Status::Rejected(Reject::kTooManyItems, "no inputs");
  std::set<std::string_view> seen;
  for (const std::string& id : ids) {
    if (!IsValidItemId(id)) return BadId("bad item id");
    if (!seen.insert(id).second) return Status::Rejected(Reject::kDuplicateInput, id);
  }
  return Status::Ok();
}

// Output lots: ids valid and distinct from each other and from `also` (inputs / product id).
Status CheckOutputs(const std::vector<OutputLot>& outs, size_t min, bool allow_recycled,
                    const std::vector<std::string>& inputs, std::string_view extra_id) {
  if (outs.size() > L::kMaxOutputs) return Status::Rejected(Reject::kTooManyItems, "too many outputs");
  if (outs.size() < min) return Status::Rejected(Reject::kTooManyItems, "no outputs");
  std::set<std::string_view> seen(inputs.begin(), inputs.end());
  if (!extra_id.empty()) seen.insert(extra_id);
  for (const OutputLot& o : outs) {
    if (!IsValidItemId(o.id)) return BadId("bad output id");
    if (!seen.insert(o.id).second) return Status::Rejected(Reject::kDuplicateInput, "output id repeated: " + o.id);
    if (Status s = CheckComposition(o.composition, allow_recycled); !s.ok()) {
      // Recycled mass in an output whose recycled share the ledger computes is a false claim.
      if (s.reason() == Reject::kRecycledNotAllowed) return Status::Rejected(Reject::kRecycledDeclared, o.id);
      return s;
    }
  }
  return Status::Ok();
}

std::vector<OutputLot> WithScrap(const std::vector<OutputLot>& outputs, const std::vector<OutputLot>& scrap) {
  std::vector<OutputLot> all = outputs;
  all.insert(all.end(), scrap.begin(), scrap.end());
  return all;
}

Status CheckAttributes(const std::vector<Attribute>& attrs) {
  if (attrs.size() > L::kMaxAttributes) return Status::Rejected(Reject::kBadAttribute, "too many attributes");
  for (size_t i = 0; i < attrs.size(); ++i) {
    if (!IsValidToken(attrs[i].name, L::kMaxNameLen)) return Status::Rejected(Reject::kBadAttribute, "bad name");
    if (i > 0 && !(attrs[i - 1].name < attrs[i].name)) {
      return Status::Rejected(Reject::kBadAttribute, "attributes not sorted or duplicated");
    }
  }
  return Status::Ok();
}

Status CheckOrgRef(std::string_view org) { return IsValidOrgId(org) ? Status::Ok() : BadId("bad org id"); }

struct StatelessChecker {
  Status operator()(const CreateLot& op) const {
    if (!IsValidItemId(op.id)) return BadId("bad lot id");
    return CheckComposition(op.composition, /*allow_recycled=*/true);  // role decides later
  }
  Status operator()(const Transfer& op) const {
    if (!IsValidItemId(op.id)) return BadId("bad item id");
    return CheckOrgRef(op.to_org);
  }
  Status operator()(const Transform& op) const {
    if (Status s = CheckIds(op.inputs, L::kMaxInputs, false); !s.ok()) return s;
    if (op.outputs.empty()) return Status::Rejected(Reject::kTooManyItems, "no outputs");
    // Scrap lots are outputs too: ids distinct from all the others, within one count bound.
    return CheckOutputs(WithScrap(op.outputs, op.scrap), 1, op.allocation == Allocation::kMassBalance, op.inputs, {});
  }
  Status operator()(const Assemble& op) const {
    if (Status s = CheckIds(op.inputs, L::kMaxInputs, false); !s.ok()) return s;
    const NewProduct& p = op.product;
    if (!IsValidItemId(p.id)) return BadId("bad product id");
    if (!IsValidToken(p.category, L::kMaxNameLen)) return BadId("bad category");
    if (!IsPrintable(p.model, L::kMaxNameLen)) return BadId("bad model");
    for (const std::string& in : op.inputs) {
      if (in == p.id) return Status::Rejected(Reject::kDuplicateInput, "product id is an input");
    }
    const bool mb = op.allocation == Allocation::kMassBalance;
    if (Status s = CheckComposition(p.composition, mb); !s.ok()) {
      return s.reason() == Reject::kRecycledNotAllowed ? Status::Rejected(Reject::kRecycledDeclared, p.id) : s;
    }
    if (Status s = CheckAttributes(p.attributes); !s.ok()) return s;
    return CheckOutputs(WithScrap(op.leftovers, op.scrap), 0, mb, op.inputs, p.id);
  }
  Status operator()(const Repair& op) const {
    if (!IsValidItemId(op.product)) return BadId("bad product id");
    if (op.removed.empty() && op.added.empty()) return Status::Rejected(Reject::kTooManyItems, "repair changes nothing");
    if (Status s = CheckIds(op.added, L::kMaxInputs, true); !s.ok()) return s;
    for (const std::string& a : op.added) {
      if (a == op.product) return Status::Rejected(Reject::kDuplicateInput, "product added to itself");
    }
    return CheckOutputs(op.removed, 0, false, op.added, op.product);
  }
  Status operator()(const EndOfLife& op) const {
    if (!IsValidItemId(op.product)) return BadId("bad product id");
    return CheckOrgRef(op.to_org);
  }
  Status operator()(const Recycle& op) const {
    if (Status s = CheckIds(op.inputs, L::kMaxInputs, false); !s.ok()) return s;
    return CheckOutputs(op.outputs, 1, false, op.inputs, {});
  }
  Status operator()(const Dispose& op) const { return IsValidItemId(op.id) ? Status::Ok() : BadId("bad item id"); }
  Status operator()(const Attest& op) const {
    if (!IsValidItemId(op.subject)) return BadId("bad subject id");
    if (!IsValidToken(op.kind, L::kMaxNameLen)) return BadId("bad attestation kind");
    if (!IsPrintable(op.reference, L::kMaxTextLen)) return BadId("bad attestation reference");
    return Status::Ok();
  }
  Status operator()(const AuthorizeRepair& op) const {
    if (!IsValidItemId(op.product)) return BadId("bad product id");
    return CheckOrgRef(op.repairer);
  }
  Status operator()(const RevokeRepair& op) const {
    if (!IsValidItemId(op.product)) return BadId("bad product id");
    return CheckOrgRef(op.repairer);
  }
  Status operator()(const Propose&) const { return Status::Ok(); }  // checked against state on apply
  Status operator()(const Approve&) const { return Status::Ok(); }
  Status operator()(const RegisterRules& op) const {
    auto compiled = contracts::Compile(op.source);
    if (auto* e = std::get_if<contracts::CompileError>(&compiled)) return Status::Rejected(Reject::kRulesInvalid, e->ToString());
    return Status::Ok();
  }
};

}  // namespace

Status CheckTxStateless(const Tx& tx, const Hash256& genesis_hash) {
  if (tx.body.version != kTxVersion) return Status::Rejected(Reject::kUnknownVersion);
  // A transaction signed for another chain (also one relaunched under the same chain id) is
  // refused here, so its signature is never even checked.
  if (tx.body.genesis_hash != genesis_hash) {
    return Status::Rejected(Reject::kWrongChain, "signed for genesis " + tx.body.genesis_hash.ToHex());
  }
  return std::visit(StatelessChecker{}, tx.body.op);
}

}  // namespace circuledger::ledger

// The transaction envelope (signer, nonce, org) and the material operations of DESIGN.md 3.
// Each handler first checks everything, then writes: a handler that returns a reject has written
// nothing (and ApplyTx's caller rolls back anyway).
#include <algorithm>
#include <cstdint>

#include "ledger/detail/apply_internal.h"
#include "ledger/limits.h"
#include "ledger/mass.h"

namespace circuledger::ledger {

using detail::TxScope;
namespace L = limits;

namespace {

Status Reject_(Reject r, std::string detail = {}) { return Status::Rejected(r, std::move(detail)); }

// Custody of a derived output: no recycled mass, no claim; otherwise an allocated claim stays
// marked mass_balance (for regulators) and a physical blend is controlled_blending.
Custody DerivedCustody(Allocation a, bool any_input_mass_balance, bool has_recycled) {
  if (!has_recycled) return Custody::kNone;
  if (a == Allocation::kMassBalance || any_input_mass_balance) return Custody::kMassBalance;
  return Custody::kControlledBlending;
}

bool HasRecycled(const Composition& c) {
  return std::any_of(c.entries.begin(), c.entries.end(), [](const MaterialAmount& m) { return m.recycled_mg > 0; });
}

void Blend(Composition& c, const MaterialSums& in) {
  for (MaterialAmount& m : c.entries) m.recycled_mg = BlendedRecycled(m.total_mg, in.find(m.material)->second);
}

// An input an operation consumes: a lot or (where allowed) a product, snapshotted before writes.
struct Input {
  std::optional<Lot> lot;
  std::optional<Product> product;
  const Composition& composition() const { return lot ? lot->composition : product->composition; }
  Custody custody() const { return lot ? lot->custody : product->custody; }
};

Status CheckReceiver(WorkingState& st, std::string_view org_id) {
  const Org* to = st.GetOrg(org_id);
  if (!to) return Reject_(Reject::kUnknownOrg, std::string(org_id));
  if (to->status != OrgStatus::kActive) return Reject_(Reject::kReceiverInactive, std::string(org_id));
  return Status::Ok();
}

class MaterialOps {
 public:
  explicit MaterialOps(const TxScope& s) : s_(s), st_(s.state) {}

  Status operator()(const CreateLot& op) {
    if (!s_.Has(Role::kSupplier) && !s_.Has(Role::kManufacturer) && !s_.Has(Role::kRecycler)) {
      return Reject_(Reject::kRoleNotAllowed, "create_lot needs supplier, manufacturer or recycler");
    }
    const bool recycled = HasRecycled(op.composition);
    // Recycled mass enters the ledger only through recyclers.
    if (recycled && !s_.Has(Role::kRecycler)) return Reject_(Reject::kRecycledNotAllowed, op.id);
    if (st_.ItemExists(op.id)) return Reject_(Reject::kIdExists, op.id);
    Lot lot = NewLot(op.id, op.composition, recycled ? Custody::kRecycled : Custody::kNone, {});
    st_.PutLot(std::move(lot));
    return Status::Ok();
  }

  Status operator()(const Transfer& op) {
    if (Status r = CheckReceiver(st_, op.to_org); !r.ok()) return r;
    if (const Lot* lot = st_.GetLot(op.id)) {
      if (lot->status != LotStatus::kActive) return Reject_(Reject::kLotAlreadyConsumed, op.id);
      if (lot->owner != s_.org.id) return Reject_(Reject::kNotOwner, op.id);
      Lot next = *lot;
      next.owner = op.to_org;
      st_.PutLot(std::move(next));
      return Status::Ok();
    }
    if (const Product* p = st_.GetProduct(op.id)) {
      if (p->status != ProductStatus::kActive && p->status != ProductStatus::kCollected) {
        return Reject_(Reject::kBadStatus, op.id);
      }
      if (p->owner != s_.org.id) return Reject_(Reject::kNotOwner, op.id);
      // A collected product (end of life) moves on only along the take-back chain.
      if (p->status == ProductStatus::kCollected) {
        const Org* to = st_.GetOrg(op.to_org);
        if (!HasRole(to->roles, Role::kCollector) && !HasRole(to->roles, Role::kRecycler)) {
          return Reject_(Reject::kReceiverNotAllowed, op.to_org + " is neither collector nor recycler");
        }
      }
      Product next = *p;
      next.owner = op.to_org;
      st_.PutProduct(std::move(next));
      return Status::Ok();
    }
    return Reject_(Reject::kUnknownItem, op.id);
  }

  Status operator()(const Transform& op) {
    std::vector<Input> inputs;
    if (Status r = LoadInputs(op.inputs, /*allow_products=*/false, ProductStatus::kActive, inputs); !r.ok()) return r;
    // Scrap is an output like the others (mass balance, recycled allocation), marked as waste.
    std::vector<OutputLot> outputs = Concat(op.outputs, op.scrap);
    if (Status r = Allocate(inputs, op.allocation, nullptr, outputs); !r.ok()) return r;
    if (Status r = CheckUnused(outputs); !r.ok()) return r;
    Consume(inputs);
    CreateOutputs(outputs, op.inputs, [&](const Composition& c) {
      return DerivedCustody(op.allocation, AnyMassBalance(inputs), HasRecycled(c));
    }, op.outputs.size());
    return Status::Ok();
  }

  Status operator()(const Assemble& op) {
    if (!s_.Has(Role::kManufacturer)) return Reject_(Reject::kRoleNotAllowed, "assemble needs manufacturer");
    std::vector<Input> inputs;
    if (Status r = LoadInputs(op.inputs, /*allow_products=*/true, ProductStatus::kActive, inputs); !r.ok()) return r;
    Composition product_comp = op.product.composition;
    std::vector<OutputLot> leftovers = Concat(op.leftovers, op.scrap);
    if (Status r = Allocate(inputs, op.allocation, &product_comp, leftovers); !r.ok()) return r;
    if (st_.ItemExists(op.product.id)) return Reject_(Reject::kIdExists, op.product.id);
    if (Status r = CheckUnused(leftovers); !r.ok()) return r;

    Product p;
    p.id = op.product.id;
    p.category = op.product.category;
    p.model = op.product.model;
    p.manufacturer = s_.org.id;
    p.owner = s_.org.id;
    p.composition = std::move(product_comp);
    p.custody = DerivedCustody(op.allocation, AnyMassBalance(inputs), HasRecycled(p.composition));
    p.attributes = op.product.attributes;
    p.created_by = s_.id;
    p.created_height = s_.ctx.height;
    p.parents = op.inputs;
    if (std::optional<std::string> rule = FirstAssembleViolation(st_, s_.ctx.rule_cache, p, s_.ctx.time_ms)) {
      return Reject_(Reject::kRuleViolated, *rule);
    }
    Consume(inputs);
    for (const std::string& in : op.inputs) st_.AddEdge(in, p.id);
    st_.PutProduct(std::move(p));
    CreateOutputs(leftovers, op.inputs, [&](const Composition& c) {
      return DerivedCustody(op.allocation, AnyMassBalance(inputs), HasRecycled(c));
    }, op.leftovers.size());
    return Status::Ok();
  }

  Status operator()(const Repair& op) {
    const Product* found = st_.GetProduct(op.product);
    if (!found) return Reject_(Reject::kUnknownItem, op.product);
    Product p = *found;
    if (p.status != ProductStatus::kActive) return Reject_(Reject::kBadStatus, op.product);
    // The owner repairs its own product; anyone else repairs only what the owner authorized.
    if (p.owner != s_.org.id) {
      if (!s_.Has(Role::kRepairer)) return Reject_(Reject::kRoleNotAllowed, "repair needs the owner or a repairer");
      if (Status r = CheckRepairGrant(p); !r.ok()) return r;
    }
    if (p.repairs.size() >= L::kMaxRepairs) return Reject_(Reject::kLimitReached, "repair history full");
    if (p.parents.size() + op.added.size() > L::kMaxParents) return Reject_(Reject::kLimitReached, "too many parents");

    // Removed parts carry the product's blend of recycled mass.
    MaterialSums content;
    AddTo(content, p.composition);
    MaterialSums removed_sums;
    std::vector<OutputLot> removed = op.removed;
    for (const OutputLot& r : removed) AddTo(removed_sums, r.composition);
    if (Status r = CheckNoMassCreated(content, removed_sums); !r.ok()) {
      return Reject_(Reject::kRemovedExceedsContent, r.detail());
    }
    std::vector<Composition*> parts;
    for (OutputLot& r : removed) parts.push_back(&r.composition);
    SplitRecycled(parts, p.composition);
    Composition removed_all;
    for (const OutputLot& r : removed) removed_all = Add(removed_all, r.composition);
    if (Status r = CheckUnused(removed); !r.ok()) return r;

    std::vector<Input> added;
    if (Status r = LoadInputs(op.added, /*allow_products=*/false, ProductStatus::kActive, added); !r.ok()) return r;
    Composition added_all;
    for (const Input& a : added) added_all = Add(added_all, a.composition());

    Composition next = Add(Subtract(p.composition, removed_all), added_all);
    if (next.entries.empty()) return Reject_(Reject::kBadComposition, "repair would leave the product empty");
    // Added parts may bring materials the product did not have.
    if (next.entries.size() > L::kMaxMaterials) {
      return Reject_(Reject::kTooManyMaterials, std::to_string(next.entries.size()) + " materials after the repair");
    }
    for (const MaterialAmount& m : next.entries) {
      if (m.total_mg > L::kMaxMassMg) return Reject_(Reject::kBadComposition, "mass of " + m.material + " over limit");
    }

    const Custody removed_custody = p.custody == Custody::kMassBalance ? Custody::kMassBalance
                                                                        : Custody::kControlledBlending;
    Consume(added);
    // Parts taken out of a used product are post-consumer waste, should they be recycled.
    CreateOutputs(removed, {p.id}, [&](const Composition& c) {
      return HasRecycled(c) ? removed_custody : Custody::kNone;
    }, 0, WasteOrigin::kPostConsumer);
    for (const std::string& a : op.added) {
      st_.AddEdge(a, p.id);
      p.parents.push_back(a);
    }
    p.composition = std::move(next);
    if (AnyMassBalance(added)) {
      p.custody = Custody::kMassBalance;
    } else if (p.custody == Custody::kNone && HasRecycled(p.composition)) {
      p.custody = Custody::kControlledBlending;
    }
    RepairRecord rec;
    rec.tx = s_.id;
    rec.height = s_.ctx.height;
    rec.time_ms = s_.ctx.time_ms;
    rec.repairer = s_.org.id;
    for (const OutputLot& r : removed) rec.removed_lots.push_back(r.id);
    rec.added_lots = op.added;
    p.repairs.push_back(std::move(rec));
    st_.PutProduct(std::move(p));
    return Status::Ok();
  }

  Status operator()(const EndOfLife& op) {
    const Product* found = st_.GetProduct(op.product);
    if (!found) return Reject_(Reject::kUnknownItem, op.product);
    if (found->status != ProductStatus::kActive) return Reject_(Reject::kBadStatus, op.product);
    if (found->owner != s_.org.id) return Reject_(Reject::kNotOwner, op.product);
    if (Status r = CheckReceiver(st_, op.to_org); !r.ok()) return r;
    const Org* to = st_.GetOrg(op.to_org);
    if (!HasRole(to->roles, Role::kCollector) && !HasRole(to->roles, Role::kRecycler)) {
      return Reject_(Reject::kReceiverNotAllowed, op.to_org + " is neither collector nor recycler");
    }
    Product p = *found;
    p.status = ProductStatus::kCollected;
    p.owner = op.to_org;
    st_.PutProduct(std::move(p));
    return Status::Ok();
  }

  Status operator()(const Recycle& op) {
    if (!s_.Has(Role::kRecycler)) return Reject_(Reject::kRoleNotAllowed, "recycle needs recycler");
    std::vector<Input> inputs;
    if (Status r = LoadInputs(op.inputs, /*allow_products=*/true, ProductStatus::kCollected, inputs); !r.ok()) return r;
    // Only waste the ledger knows becomes recycled material: a lot bought in (virgin or not)
    // relabelled as recycled is the laundering this refuses.
    for (const Input& i : inputs) {
      if (i.lot && i.lot->waste == WasteOrigin::kNone && i.lot->custody != Custody::kRecycled) {
        return Reject_(Reject::kNotWaste, i.lot->id + " is not waste: recycling takes collected products, scrap declared "
                                                      "by the transform or assembly that made it, parts a repair removed, "
                                                      "or recycled material");
      }
    }
    MaterialSums in;
    MaterialSums out;
    for (const Input& i : inputs) AddTo(in, i.composition());
    for (const OutputLot& o : op.outputs) AddTo(out, o.composition);
    if (Status r = CheckNoMassCreated(in, out); !r.ok()) return r;
    if (Status r = CheckUnused(op.outputs); !r.ok()) return r;
    // The recovery figures list every input material: inputs of many materials each can hold more.
    if (in.size() > L::kMaxMaterials) {
      return Reject_(Reject::kTooManyMaterials, std::to_string(in.size()) + " input materials in one recycling");
    }

    RecyclingRecord rec;
    rec.tx = s_.id;
    rec.recycler = s_.org.id;
    rec.height = s_.ctx.height;
    rec.time_ms = s_.ctx.time_ms;
    for (const auto& [material, sum] : in) {
      auto it = out.find(material);
      rec.materials.push_back(RecoveryEntry{material, sum.total_mg, it == out.end() ? 0 : it->second.total_mg});
    }
    std::vector<std::string> categories;
    for (const Input& i : inputs) {
      if (i.product) categories.push_back(i.product->category);
    }
    std::optional<std::string> violated;
    rec.rules = EvaluateRecycleRules(st_, s_.ctx.rule_cache, rec, categories, &violated);
    if (violated) return Reject_(Reject::kRuleViolated, *violated);
    std::vector<OutputLot> outputs = op.outputs;
    for (OutputLot& o : outputs) {
      for (MaterialAmount& m : o.composition.entries) m.recycled_mg = m.total_mg;  // secondary material
    }
    Consume(inputs, ProductStatus::kRecycled);
    CreateOutputs(outputs, op.inputs, [](const Composition&) { return Custody::kRecycled; });
    st_.PutRecycling(std::move(rec));
    return Status::Ok();
  }

  Status operator()(const Dispose& op) {
    if (const Lot* lot = st_.GetLot(op.id)) {
      if (lot->owner != s_.org.id) return Reject_(Reject::kNotOwner, op.id);
      if (lot->status != LotStatus::kActive) return Reject_(Reject::kLotAlreadyConsumed, op.id);
      Lot next = *lot;
      next.status = LotStatus::kDisposed;
      next.consumed_by = s_.id;
      st_.PutLot(std::move(next));
      return Status::Ok();
    }
    if (const Product* p = st_.GetProduct(op.id)) {
      if (p->owner != s_.org.id) return Reject_(Reject::kNotOwner, op.id);
      if (p->status != ProductStatus::kActive && p->status != ProductStatus::kCollected) {
        return Reject_(Reject::kBadStatus, op.id);
      }
      Product next = *p;
      next.status = ProductStatus::kDisposed;
      next.consumed_by = s_.id;
      st_.PutProduct(std::move(next));
      return Status::Ok();
    }
    return Reject_(Reject::kUnknownItem, op.id);
  }

  Status operator()(const Attest& op) {
    if (!s_.Has(Role::kCertifier) && !s_.Has(Role::kRegulator)) {
      return Reject_(Reject::kRoleNotAllowed, "attest needs certifier or regulator");
    }
    if (op.expiry_ms != 0 && op.expiry_ms <= s_.ctx.time_ms) return Reject_(Reject::kBadExpiry, "expiry in the past");
    Attestation a{op.kind, op.reference, s_.org.id, s_.ctx.time_ms, op.expiry_ms, s_.id};
    if (const Lot* lot = st_.GetLot(op.subject)) {
      if (Status r = CheckAttestationRoom(lot->attestations); !r.ok()) return r;
      Lot next = *lot;
      next.attestations.push_back(std::move(a));
      st_.PutLot(std::move(next));
      return Status::Ok();
    }
    if (const Product* p = st_.GetProduct(op.subject)) {
      if (Status r = CheckAttestationRoom(p->attestations); !r.ok()) return r;
      Product next = *p;
      next.attestations.push_back(std::move(a));
      st_.PutProduct(std::move(next));
      return Status::Ok();
    }
    return Reject_(Reject::kUnknownItem, op.subject);
  }

  Status operator()(const AuthorizeRepair& op) {
    const Product* p = st_.GetProduct(op.product);
    if (!p) return Reject_(Reject::kUnknownItem, op.product);
    if (p->owner != s_.org.id) return Reject_(Reject::kNotOwner, op.product);
    if (p->status != ProductStatus::kActive) return Reject_(Reject::kBadStatus, op.product);
    if (op.repairer == s_.org.id) return Reject_(Reject::kReceiverNotAllowed, "the owner needs no authorization");
    if (Status r = CheckReceiver(st_, op.repairer); !r.ok()) return r;
    if (!HasRole(st_.GetOrg(op.repairer)->roles, Role::kRepairer)) {
      return Reject_(Reject::kReceiverNotAllowed, op.repairer + " is not a repairer");
    }
    // An authorization ends: an open-ended one would outlive the reason it was given.
    if (op.expiry_ms <= s_.ctx.time_ms) return Reject_(Reject::kBadExpiry, "expiry at or before the block time");
    st_.PutRepairGrant(RepairGrant{op.product, op.repairer, s_.org.id, op.expiry_ms, 0, s_.id});
    return Status::Ok();
  }

  Status operator()(const RevokeRepair& op) {
    const Product* p = st_.GetProduct(op.product);
    if (!p) return Reject_(Reject::kUnknownItem, op.product);
    if (p->owner != s_.org.id) return Reject_(Reject::kNotOwner, op.product);
    const RepairGrant* g = st_.GetRepairGrant(op.product, op.repairer);
    if (!g || g->revoked) return Reject_(Reject::kUnknownItem, "no authorization of " + op.repairer + " on " + op.product);
    RepairGrant next = *g;
    next.revoked = 1;
    next.tx = s_.id;
    st_.PutRepairGrant(std::move(next));
    return Status::Ok();
  }

  Status operator()(const Propose& op) { return detail::ApplyPropose(s_, op); }
  Status operator()(const Approve& op) { return detail::ApplyApprove(s_, op); }
  Status operator()(const RegisterRules& op) { return detail::ApplyRegisterRules(s_, op); }

 private:
  // Looks up inputs: active lots, or (when allowed) products in `product_status`, all owned by the
  // signer's org. Ids are already distinct (stateless check).
  Status LoadInputs(const std::vector<std::string>& ids, bool allow_products, ProductStatus product_status,
                    std::vector<Input>& out) {
    out.reserve(ids.size());
    for (const std::string& id : ids) {
      if (const Lot* lot = st_.GetLot(id)) {
        if (lot->status != LotStatus::kActive) return Reject_(Reject::kLotAlreadyConsumed, id);
        if (lot->owner != s_.org.id) return Reject_(Reject::kNotOwner, id);
        out.push_back(Input{*lot, std::nullopt});
      } else if (const Product* p = st_.GetProduct(id)) {
        if (!allow_products) return Reject_(Reject::kUnknownItem, id + " is a product, not a lot");
        if (p->status != product_status) return Reject_(Reject::kBadStatus, id);
        if (p->owner != s_.org.id) return Reject_(Reject::kNotOwner, id);
        out.push_back(Input{std::nullopt, *p});
      } else {
        return Reject_(Reject::kUnknownItem, id);
      }
    }
    return Status::Ok();
  }

  // Checks mass conservation and fills in recycled mass for a transform or assemble. `product`
  // is the assembled product's composition (nullptr for a transform).
  Status Allocate(const std::vector<Input>& inputs, Allocation allocation, Composition* product,
                  std::vector<OutputLot>& outputs) {
    MaterialSums in;
    MaterialSums out;
    for (const Input& i : inputs) AddTo(in, i.composition());
    if (product) AddTo(out, *product);
    for (const OutputLot& o : outputs) AddTo(out, o.composition);
    if (Status r = CheckNoMassCreated(in, out); !r.ok()) return r;
    if (allocation == Allocation::kMassBalance) return CheckMassBalance(in, out);
    if (product) Blend(*product, in);
    for (OutputLot& o : outputs) Blend(o.composition, in);
    return Status::Ok();
  }

  // The signer's org holds an authorization to repair `p` from its current owner, unrevoked and
  // unexpired at block time. A grant of a former owner does not count: selling the product ends it.
  Status CheckRepairGrant(const Product& p) {
    const RepairGrant* g = st_.GetRepairGrant(p.id, s_.org.id);
    if (!g) return Reject_(Reject::kRepairNotAuthorized, s_.org.id + " holds no authorization for " + p.id);
    if (g->revoked) return Reject_(Reject::kRepairNotAuthorized, "authorization revoked");
    if (g->granted_by != p.owner) return Reject_(Reject::kRepairNotAuthorized, "authorization of a former owner");
    if (s_.ctx.time_ms >= g->expiry_ms) return Reject_(Reject::kRepairNotAuthorized, "authorization expired");
    return Status::Ok();
  }

  // Room for one more attestation by the signer's org: the subject's list has a bound, and one
  // issuer may fill only its share of it, so no certifier can crowd out the others.
  Status CheckAttestationRoom(const std::vector<Attestation>& list) {
    if (list.size() >= L::kMaxAttestations) return Reject_(Reject::kLimitReached, "attestations full");
    const size_t mine = std::count_if(list.begin(), list.end(), [&](const Attestation& a) { return a.issuer == s_.org.id; });
    if (mine >= L::kMaxAttestationsPerIssuer) {
      return Reject_(Reject::kLimitReached, s_.org.id + " has " + std::to_string(mine) + " attestations on this subject");
    }
    return Status::Ok();
  }

  Status CheckUnused(const std::vector<OutputLot>& outputs) {
    for (const OutputLot& o : outputs) {
      if (st_.ItemExists(o.id)) return Reject_(Reject::kIdExists, o.id);
    }
    return Status::Ok();
  }

  static bool AnyMassBalance(const std::vector<Input>& inputs) {
    return std::any_of(inputs.begin(), inputs.end(), [](const Input& i) { return i.custody() == Custody::kMassBalance; });
  }

  Lot NewLot(const std::string& id, Composition c, Custody custody, std::vector<std::string> parents) const {
    Lot lot;
    lot.id = id;
    lot.owner = s_.org.id;
    lot.composition = std::move(c);
    lot.custody = custody;
    lot.created_by = s_.id;
    lot.created_height = s_.ctx.height;
    lot.parents = std::move(parents);
    return lot;
  }

  void Consume(const std::vector<Input>& inputs, ProductStatus product_status = ProductStatus::kIncorporated) {
    for (const Input& i : inputs) {
      if (i.lot) {
        Lot next = *i.lot;
        next.status = LotStatus::kConsumed;
        next.consumed_by = s_.id;
        st_.PutLot(std::move(next));
      } else {
        Product next = *i.product;
        next.status = product_status;
        next.consumed_by = s_.id;
        st_.PutProduct(std::move(next));
      }
    }
  }

  // Creates the output lots; those from index `waste_from` on are waste of origin `waste` (scrap
  // lists follow the outputs; a repair's removed parts are all waste).
  template <class CustodyFn>
  void CreateOutputs(const std::vector<OutputLot>& outputs, const std::vector<std::string>& parents, CustodyFn custody,
                     size_t waste_from = SIZE_MAX, WasteOrigin waste = WasteOrigin::kPreConsumer) {
    for (size_t i = 0; i < outputs.size(); ++i) {
      const OutputLot& o = outputs[i];
      for (const std::string& parent : parents) st_.AddEdge(parent, o.id);
      Lot lot = NewLot(o.id, o.composition, custody(o.composition), parents);
      if (i >= waste_from) lot.waste = waste;
      st_.PutLot(std::move(lot));
    }
  }

  static std::vector<OutputLot> Concat(const std::vector<OutputLot>& a, const std::vector<OutputLot>& b) {
    std::vector<OutputLot> all = a;
    all.insert(all.end(), b.begin(), b.end());
    return all;
  }

  const TxScope& s_;
  WorkingState& st_;
};

}  // namespace

Status ApplyTx(WorkingState& state, const Tx& tx, const Hash256& tx_id, const BlockContext& ctx) {
  const Account* account = state.GetAccount(tx.body.signer);
  if (!account || account->revoked) return Reject_(Reject::kUnknownSigner, tx.body.signer.ToHex());
  // Replay protection: exactly the next nonce; a replayed or skipped one is refused.
  if (tx.body.nonce != account->next_nonce) {
    return Reject_(Reject::kBadNonce, "expected " + std::to_string(account->next_nonce) + ", got " +
                                          std::to_string(tx.body.nonce));
  }
  const Org* org_ptr = state.GetOrg(account->org);
  if (!org_ptr) throw StorageError("account " + tx.body.signer.ToHex() + " names a missing org");
  if (org_ptr->status != OrgStatus::kActive) return Reject_(Reject::kOrgSuspended, org_ptr->id);
  const detail::SignerOrg org{org_ptr->id, org_ptr->roles};  // a copy: governance may rewrite the org
  Account next = *account;

  TxScope scope{state, tx, tx_id, ctx, org};
  MaterialOps ops(scope);
  if (Status r = std::visit(ops, tx.body.op); !r.ok()) return r;
  // Every object written must read back: a bound broken here would make the object unreadable
  // for every later transaction (and stall block building on it).
  if (Status r = state.CheckTxWrites(); !r.ok()) return r;
  next.next_nonce += 1;
  // Governance may have revoked the signer's own key in this transaction: keep that flag.
  if (const Account* now = state.GetAccount(tx.body.signer)) next.revoked = now->revoked;
  state.PutAccount(tx.body.signer, std::move(next));
  return Status::Ok();
}

}  // namespace circuledger::ledger

// Operations from user arguments (wallet/builder.h, first half).
#include "wallet/builder.h"

#include <algorithm>
#include <charconv>

#include "wallet/amounts.h"

namespace circuledger::wallet {

using ledger::Op;

namespace {

Status Need(std::string_view what) {
  return Status::InvalidArgument(std::string(what) + " must not be empty");
}

Result<std::vector<ledger::OutputLot>> ParseOutputs(const std::vector<std::string>& specs) {
  std::vector<ledger::OutputLot> out;
  for (const std::string& s : specs) {
    Result<ledger::OutputLot> o = ParseOutputLot(s);
    if (!o.ok()) return o.status();
    out.push_back(std::move(*o));
  }
  return out;
}

bool DeclaresRecycled(const ledger::Composition& c) {
  return std::any_of(c.entries.begin(), c.entries.end(),
                     [](const auto& m) { return m.recycled_mg > 0; });
}

// Where the ledger computes recycled mass itself, a declared one is a false claim it would
// reject ("recycled-declared"); say why before signing.
Status NoRecycledDeclared(const std::vector<ledger::OutputLot>& outs, std::string_view why) {
  for (const ledger::OutputLot& o : outs) {
    if (DeclaresRecycled(o.composition)) {
      return Status::InvalidArgument("output " + o.id + " declares a recycled part, but " +
                                     std::string(why));
    }
  }
  return Status::Ok();
}

constexpr std::string_view kBlendingComputes =
    "the ledger computes recycled mass under controlled blending (declare it only with mass "
    "balance)";

Status CheckInputs(const std::vector<std::string>& inputs, std::string_view op) {
  if (inputs.empty()) return Status::InvalidArgument(std::string(op) + " needs at least one input");
  for (const std::string& i : inputs) {
    if (i.empty()) return Need("an input id");
  }
  return Status::Ok();
}

}  // namespace

Result<uint64_t> ParseU64(std::string_view text, std::string_view what) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) {
    return Status::InvalidArgument(std::string(what) + " must be a non-negative integer, not \"" +
                                   std::string(text) + "\"");
  }
  return v;
}

Result<std::vector<ledger::Attribute>> ParseAttributes(const std::vector<std::string>& specs) {
  std::vector<ledger::Attribute> out;
  for (const std::string& s : specs) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::InvalidArgument("bad attribute \"" + s + "\": expected NAME=INT");
    ledger::Attribute a;
    a.name = s.substr(0, eq);
    const std::string_view v = std::string_view(s).substr(eq + 1);
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), a.value);
    if (v.empty() || ec != std::errc() || p != v.data() + v.size()) {
      return Status::InvalidArgument("bad attribute \"" + s +
                                     "\": the value must be a 64-bit integer");
    }
    out.push_back(std::move(a));
  }
  // The ledger requires attributes sorted by name and unique (ledger/check.cpp).
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].name == out[i - 1].name)
      return Status::InvalidArgument("attribute " + out[i].name + " given twice");
  }
  return out;
}

Result<Op> MakeCreateLot(std::string_view id, std::string_view composition_spec) {
  if (id.empty()) return Need("the lot id");
  Result<ledger::Composition> c = ParseComposition(composition_spec);
  if (!c.ok()) return c.status();
  return Op(ledger::CreateLot{std::string(id), std::move(*c)});
}

Result<Op> MakeTransfer(std::string_view id, std::string_view to_org) {
  if (id.empty()) return Need("the id");
  if (to_org.empty()) return Need("the receiving org");
  return Op(ledger::Transfer{std::string(id), std::string(to_org)});
}

Result<Op> MakeTransform(const std::vector<std::string>& inputs,
                         const std::vector<std::string>& outputs, bool mass_balance,
                         const std::vector<std::string>& scrap) {
  if (Status s = CheckInputs(inputs, "transform"); !s.ok()) return s;
  if (outputs.empty()) return Status::InvalidArgument("transform needs at least one output");
  Result<std::vector<ledger::OutputLot>> outs = ParseOutputs(outputs);
  if (!outs.ok()) return outs.status();
  Result<std::vector<ledger::OutputLot>> scrap_lots = ParseOutputs(scrap);
  if (!scrap_lots.ok()) return scrap_lots.status();
  if (!mass_balance) {
    if (Status s = NoRecycledDeclared(*outs, kBlendingComputes); !s.ok()) return s;
    if (Status s = NoRecycledDeclared(*scrap_lots, kBlendingComputes); !s.ok()) return s;
  }
  ledger::Transform t;
  t.inputs = inputs;
  t.outputs = std::move(*outs);
  t.scrap = std::move(*scrap_lots);
  t.allocation =
      mass_balance ? ledger::Allocation::kMassBalance : ledger::Allocation::kControlledBlending;
  return Op(std::move(t));
}

Result<Op> MakeAssemble(const AssembleArgs& a) {
  if (Status s = CheckInputs(a.inputs, "assemble"); !s.ok()) return s;
  if (a.product_id.empty()) return Need("the product id");
  if (a.category.empty()) return Need("the category");
  if (a.model.empty()) return Need("the model");
  Result<ledger::Composition> c = ParseComposition(a.composition);
  if (!c.ok()) return c.status();
  if (!a.mass_balance && DeclaresRecycled(*c)) {
    return Status::InvalidArgument("the product composition declares a recycled part, but " +
                                   std::string(kBlendingComputes));
  }
  Result<std::vector<ledger::Attribute>> attrs = ParseAttributes(a.attributes);
  if (!attrs.ok()) return attrs.status();
  Result<std::vector<ledger::OutputLot>> leftovers = ParseOutputs(a.leftovers);
  if (!leftovers.ok()) return leftovers.status();
  Result<std::vector<ledger::OutputLot>> scrap_lots = ParseOutputs(a.scrap);
  if (!scrap_lots.ok()) return scrap_lots.status();
  if (!a.mass_balance) {
    if (Status s = NoRecycledDeclared(*leftovers, kBlendingComputes); !s.ok()) return s;
    if (Status s = NoRecycledDeclared(*scrap_lots, kBlendingComputes); !s.ok()) return s;
  }
  ledger::Assemble op;
  op.inputs = a.inputs;
  op.product =
      ledger::NewProduct{a.product_id, a.category, a.model, std::move(*c), std::move(*attrs)};
  op.leftovers = std::move(*leftovers);
  op.scrap = std::move(*scrap_lots);
  op.allocation =
      a.mass_balance ? ledger::Allocation::kMassBalance : ledger::Allocation::kControlledBlending;
  return Op(std::move(op));
}

Result<Op> MakeRepair(std::string_view product, const std::vector<std::string>& removed,
                      const std::vector<std::string>& added) {
  if (product.empty()) return Need("the product id");
  if (removed.empty() && added.empty())
    return Status::InvalidArgument("a repair must remove or add something");
  Result<std::vector<ledger::OutputLot>> outs = ParseOutputs(removed);
  if (!outs.ok()) return outs.status();
  if (Status s = NoRecycledDeclared(*outs, "removed parts follow the product's recycled blend");
      !s.ok())
    return s;
  for (const std::string& id : added) {
    if (id.empty()) return Need("an added lot id");
  }
  return Op(ledger::Repair{std::string(product), std::move(*outs), added});
}

Result<Op> MakeEndOfLife(std::string_view product, std::string_view to_org) {
  if (product.empty()) return Need("the product id");
  if (to_org.empty()) return Need("the receiving org");
  return Op(ledger::EndOfLife{std::string(product), std::string(to_org)});
}

Result<Op> MakeRecycle(const std::vector<std::string>& inputs,
                       const std::vector<std::string>& outputs) {
  if (Status s = CheckInputs(inputs, "recycle"); !s.ok()) return s;
  if (outputs.empty()) return Status::InvalidArgument("recycle needs at least one output");
  Result<std::vector<ledger::OutputLot>> outs = ParseOutputs(outputs);
  if (!outs.ok()) return outs.status();
  if (Status s = NoRecycledDeclared(
          *outs, "recycling outputs are wholly recycled by definition (the ledger sets it)");
      !s.ok()) {
    return s;
  }
  return Op(ledger::Recycle{inputs, std::move(*outs)});
}

Result<Op> MakeDispose(std::string_view id) {
  if (id.empty()) return Need("the id");
  return Op(ledger::Dispose{std::string(id)});
}

Result<Op> MakeAttest(std::string_view subject, std::string_view kind, std::string_view reference,
                      uint64_t expiry_ms) {
  if (subject.empty()) return Need("the subject id");
  if (kind.empty()) return Need("the attestation kind");
  if (reference.empty()) return Need("the attestation reference");
  return Op(
      ledger::Attest{std::string(subject), std::string(kind), std::string(reference), expiry_ms});
}

Result<Op> MakeAuthorizeRepair(std::string_view product, std::string_view repairer,
                               uint64_t expiry_ms) {
  if (product.empty()) return Need("the product id");
  if (repairer.empty()) return Need("the repairer org");
  if (expiry_ms == 0) return Status::InvalidArgument("a repair authorization needs an expiry");
  return Op(ledger::AuthorizeRepair{std::string(product), std::string(repairer), expiry_ms});
}

Result<Op> MakeRevokeRepair(std::string_view product, std::string_view repairer) {
  if (product.empty()) return Need("the product id");
  if (repairer.empty()) return Need("the repairer org");
  return Op(ledger::RevokeRepair{std::string(product), std::string(repairer)});
}

}  // namespace circuledger::wallet

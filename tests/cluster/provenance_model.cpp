#include "tests/cluster/provenance_model.h"

#include <deque>
#include <stdexcept>

namespace circuledger::cluster {

using namespace circuledger::ledger;

void ProvenanceModel::ConsumeInput(const std::string& id, const char* product_status) {
  ModelItem& item = items_.at(id);
  item.status = item.product ? product_status : "consumed";
}

void ProvenanceModel::Apply(const std::string& org, const Op& op) {
  if (const auto* create = std::get_if<CreateLot>(&op)) {
    NewLot(create->id, org);
  } else if (const auto* transfer = std::get_if<Transfer>(&op)) {
    items_.at(transfer->id).owner = transfer->to_org;
  } else if (const auto* transform = std::get_if<Transform>(&op)) {
    for (const std::string& in : transform->inputs) ConsumeInput(in, "incorporated");
    for (const OutputLot& out : transform->outputs) {
      NewLot(out.id, org);
      for (const std::string& in : transform->inputs) Link(in, out.id);
    }
  } else if (const auto* assemble = std::get_if<Assemble>(&op)) {
    for (const std::string& in : assemble->inputs) ConsumeInput(in, "incorporated");
    items_[assemble->product.id] = ModelItem{true, org, "active"};
    for (const std::string& in : assemble->inputs) Link(in, assemble->product.id);
    for (const OutputLot& out : assemble->leftovers) {
      NewLot(out.id, org);
      for (const std::string& in : assemble->inputs) Link(in, out.id);
    }
  } else if (const auto* repair = std::get_if<Repair>(&op)) {
    for (const OutputLot& removed : repair->removed) {
      NewLot(removed.id, org);
      Link(repair->product, removed.id);
    }
    for (const std::string& added : repair->added) {
      ConsumeInput(added, "incorporated");
      Link(added, repair->product);
    }
  } else if (const auto* eol = std::get_if<EndOfLife>(&op)) {
    ModelItem& p = items_.at(eol->product);
    p.status = "collected";
    p.owner = eol->to_org;
  } else if (const auto* recycle = std::get_if<Recycle>(&op)) {
    for (const std::string& in : recycle->inputs) ConsumeInput(in, "recycled");
    for (const OutputLot& out : recycle->outputs) {
      NewLot(out.id, org);
      for (const std::string& in : recycle->inputs) Link(in, out.id);
    }
  } else if (const auto* dispose = std::get_if<Dispose>(&op)) {
    items_.at(dispose->id).status = "disposed";
  } else if (std::holds_alternative<AuthorizeRepair>(op) || std::holds_alternative<RevokeRepair>(op)) {
    // A repair grant is stored beside the product: no node, edge, owner or status changes.
  } else {
    throw std::logic_error("the provenance model does not follow this operation");
  }
}

Subgraph ProvenanceModel::Reach(const std::string& root, bool backward, uint32_t depth) const {
  Subgraph g;
  g.depth[root] = 0;
  std::deque<std::string> queue{root};
  while (!queue.empty()) {
    const std::string id = queue.front();
    queue.pop_front();
    const uint32_t d = g.depth.at(id);
    if (d >= depth) continue;
    for (const auto& [from, to] : edges_) {
      const bool adjacent = backward ? to == id : from == id;
      if (!adjacent) continue;
      g.edges.emplace(from, to);
      const std::string& next = backward ? from : to;
      if (g.depth.emplace(next, d + 1).second) queue.push_back(next);
    }
  }
  return g;
}

}  // namespace circuledger::cluster

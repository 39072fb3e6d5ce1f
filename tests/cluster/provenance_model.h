// tests/cluster/provenance_model.h: the test's own picture of the provenance graph, derived from
// the operations a test sent (DESIGN.md section 3), independent of the node's trace index.
//
// Edges point from parent to child: every input -> every output of transform and recycle, every
// input -> the product and each leftover of assemble, product -> each removed-part lot and each
// added lot -> product for repair. The model also follows kind, owner and status of each item.
// Reach() gives the subgraph a trace must return: breadth-first distances from the root (up to
// `depth`), and the edges into (backward) or out of (forward) nodes closer than `depth`. Plain
// value; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "ledger/ops.h"

namespace circuledger::cluster {

struct ModelItem {
  bool product = false;
  std::string owner;
  std::string status;  // "active", "consumed", "collected", "recycled", "incorporated", "disposed"
};

using EdgeSet = std::set<std::pair<std::string, std::string>>;  // (from, to)

struct Subgraph {
  std::map<std::string, uint32_t> depth;  // node id -> distance from the root
  EdgeSet edges;
};

class ProvenanceModel {
 public:
  // Records the effect of `op`, committed with `org` as the signer's org.
  void Apply(const std::string& org, const ledger::Op& op);

  Subgraph Reach(const std::string& root, bool backward, uint32_t depth = 64) const;
  const std::map<std::string, ModelItem>& items() const { return items_; }
  const EdgeSet& edges() const { return edges_; }

 private:
  void NewLot(const std::string& id, const std::string& org) {
    items_[id] = ModelItem{false, org, "active"};
  }
  void ConsumeInput(const std::string& id, const char* product_status);
  void Link(const std::string& from, const std::string& to) { edges_.emplace(from, to); }

  std::map<std::string, ModelItem> items_;
  EdgeSet edges_;
};

}  // namespace circuledger::cluster

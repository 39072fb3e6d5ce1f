// node/trace.h: provenance traces — the graph of lots and products behind (backward) or built
// from (forward) an item, walked breadth-first over the store's trace indexes.
//
// Bounded: at most `depth` edges away from the root and at most offset+limit nodes visited, where
// offset + limit <= limits::kMaxTraceNodes (the caller checks: CheckTraceWindow), so a request's
// work never exceeds that of the largest page. The result says whether more remain (then ask
// again with offset += limit; past kMaxTraceNodes, trace again from a node of the last page's
// frontier). Deterministic order:
// breadth-first, neighbours in key order. Reads only; thread-safe with concurrent commits (each
// index read sees a committed state).
#pragma once

#include <string>
#include <vector>

#include "ledger/limits.h"
#include "ledger/store.h"
#include "node/limits.h"

namespace circuledger::node {

struct TraceOptions {
  bool backward = true;
  uint32_t depth = 64;      // max edges from the root
  uint32_t offset = 0;      // skip this many nodes of the breadth-first order (paging)
  uint32_t limit = 1000;    // return at most this many nodes
};
using limits::kMaxTraceDepth;
using limits::kMaxTraceLimit;
using limits::kMaxTraceNodes;

// Ok, or InvalidArgument naming the bound when offset + limit > kMaxTraceNodes.
ledger::Status CheckTraceWindow(const TraceOptions& options);

struct TraceNode {
  std::string id;
  uint32_t depth = 0;
};

struct TraceResult {
  std::vector<TraceNode> nodes;     // this page, in breadth-first order (the root is node 0 of page 0)
  std::vector<ledger::Edge> edges;  // parent -> child edges found while expanding this page's nodes
  bool truncated = false;           // more nodes follow (next page: offset + limit)
};

// Walks the trace; `options` must pass CheckTraceWindow (asserted).
TraceResult Trace(const ledger::Store& store, const std::string& root, const TraceOptions& options);

}  // namespace circuledger::node

#include "node/trace.h"

#include <cassert>
#include <deque>
#include <unordered_set>

namespace circuledger::node {

ledger::Status CheckTraceWindow(const TraceOptions& o) {
  if (uint64_t{o.offset} + o.limit > kMaxTraceNodes) {
    return ledger::Status::InvalidArgument(
        "offset + limit must be at most " + std::to_string(kMaxTraceNodes) +
        " (a request walks offset + limit nodes); for a larger graph, trace again from a node of the last page");
  }
  return ledger::Status::Ok();
}

TraceResult Trace(const ledger::Store& store, const std::string& root, const TraceOptions& o) {
  assert(CheckTraceWindow(o).ok());
  TraceResult out;
  const size_t end = static_cast<size_t>(o.offset) + o.limit;
  std::unordered_set<std::string> seen{root};
  std::deque<TraceNode> queue{TraceNode{root, 0}};
  size_t index = 0;  // position in the breadth-first order
  while (!queue.empty()) {
    TraceNode node = std::move(queue.front());
    queue.pop_front();
    if (index >= end) {
      out.truncated = true;
      break;
    }
    const bool in_page = index >= o.offset;
    ++index;
    if (node.depth < o.depth) {
      const std::vector<std::string> next =
          o.backward ? store.Parents(node.id, ledger::limits::kMaxParents) : store.Children(node.id, SIZE_MAX);
      for (const std::string& n : next) {
        if (in_page) out.edges.push_back(o.backward ? ledger::Edge{n, node.id} : ledger::Edge{node.id, n});
        if (seen.insert(n).second) queue.push_back(TraceNode{n, node.depth + 1});
      }
    }
    if (in_page) out.nodes.push_back(std::move(node));
  }
  return out;
}

}  // namespace circuledger::node

// bench/trace.h: `circuledger-bench trace` — provenance trace latency over HTTP on a graph of
// more than 10,000 lots: median and p99 of 1,000-node forward traces and of backward traces.
#pragma once

#include <string>
#include <vector>

namespace circuledger::bench {

int RunTrace(const std::vector<std::string>& args);

}  // namespace circuledger::bench

// bench/api.h: `circuledger-bench api` — transactions submitted over HTTP to a running dev node
// from several client connections, committed end to end, against raw verifications per second.
#pragma once

#include <string>
#include <vector>

namespace circuledger::bench {

int RunApi(const std::vector<std::string>& args);

}  // namespace circuledger::bench

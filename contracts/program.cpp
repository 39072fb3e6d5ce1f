#include "contracts/program.h"

namespace circuledger::contracts {

const char* ModeName(Mode m) { return m == Mode::kEnforce ? "enforce" : "report"; }
const char* TriggerName(Trigger t) { return t == Trigger::kAssemble ? "assemble" : "recycle"; }

bool CategoryMatches(std::string_view pattern, std::string_view category) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == ".*") {
    pattern.remove_suffix(1);  // keep the dot: "battery.*" matches "battery.ev", not "batteryx"
    return category.size() > pattern.size() && category.substr(0, pattern.size()) == pattern;
  }
  return pattern == category;
}

bool Rule::AppliesTo(std::string_view category) const {
  for (const std::string& c : categories) {
    if (CategoryMatches(c, category)) return true;
  }
  return false;
}

}  // namespace circuledger::contracts

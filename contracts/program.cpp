#include "contracts/program.h"

#include "contracts/limits.h"

namespace circuledger::contracts {

const char* ModeName(Mode m) { return m == Mode::kEnforce ? "enforce" : "report"; }
const char* TriggerName(Trigger t) { return t == Trigger::kAssemble ? "assemble" : "recycle"; }

bool CategoryMatches(std::string_view pattern, std::string_view category) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == ".*") {
    pattern.remove_suffix(1);  // keep the dot: "battery.*" matches "battery.ev", not "batteryx"
    return category.size() > pattern.size() && category.substr(0, pattern.size()) == pattern;
  }
  if (category.size() > pattern.size() + 1 && category.substr(0, pattern.size()) == pattern &&
      category[pattern.size()] == '.') {
    return true;  // a subcategory of the exact pattern
  }
  return pattern == category;
}

bool IsValidMaterialCode(std::string_view code) {
  if (code.empty() || code.size() > limits::kMaxMaterialLen) return false;
  for (char c : code) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool Rule::AppliesTo(std::string_view category) const {
  for (const std::string& c : categories) {
    if (CategoryMatches(c, category)) return true;
  }
  return false;
}

}  // namespace circuledger::contracts

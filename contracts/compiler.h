// contracts/compiler.h: compiles rule set source text (contracts/RULES.md) into a RuleSet.
//
// Deterministic: the same source gives the same RuleSet, byte for byte once encoded, on every
// machine. Checks syntax, types, the context of facts (recovery facts only in `on recycle` rules;
// recycled content, attributes, attestations and repairs only in `on assemble` rules) and every limit of contracts/limits.h; errors name
// the line and column. Stateless and thread-safe.
#pragma once

#include <string_view>
#include <variant>

#include "contracts/lexer.h"
#include "contracts/program.h"

namespace circuledger::contracts {

// The compiled rule set, or the first error.
std::variant<RuleSet, CompileError> Compile(std::string_view source);

}  // namespace circuledger::contracts

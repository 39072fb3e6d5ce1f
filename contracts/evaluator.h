// contracts/evaluator.h: runs a compiled rule against the facts of one product (or one recycling).
//
// Exact rational arithmetic on 128-bit integers, no floating point; overflow and division by zero
// are evaluation errors, never wrapped. Bounded: at most limits::kMaxEvalSteps instructions and
// limits::kMaxStackDepth values, checked while running (a damaged program is an error, not a
// crash). Deterministic and thread-safe: a Rule may be evaluated by many threads at once.
//
// Defined cases (contracts/RULES.md): a material the product does not contain has mass 0 and a
// share of 0 (0 mg of 0 mg is 0%); reading an attribute the product does not declare is an error.
#pragma once

#include <string>
#include <vector>

#include "contracts/facts.h"
#include "contracts/program.h"

namespace circuledger::contracts {

enum class Outcome : uint8_t { kPass = 0, kFail = 1, kError = 2 };
const char* OutcomeName(Outcome o);

// One comparison the evaluation made: its source text, both sides for display, and the result.
struct Figure {
  std::string expr;
  std::string left;
  std::string right;
  bool holds = false;
};

struct Evaluation {
  Outcome outcome = Outcome::kError;
  std::string error;             // why, when outcome is kError
  std::vector<Figure> figures;   // comparisons in evaluation order (short-circuited ones absent)
  uint32_t steps = 0;            // instructions executed
};

// Hot path: pass, fail or error, without explanations. `error` (optional) gets the reason.
Outcome Evaluate(const Rule& rule, const ProductFacts& facts, std::string* error = nullptr);

// The same evaluation with the figures it used. `source` is the rule set's source text (the
// comparisons' spans point into it); pass an empty view to get figures without expression text.
Evaluation Explain(const Rule& rule, const ProductFacts& facts, std::string_view source);

}  // namespace circuledger::contracts

// contracts/limits.h: every bound of the rule language, in one place.
//
// A rule set is compiled on every node at registration and each rule is evaluated inside the
// validation hot path, so source size, program size, nesting and evaluation steps are all
// bounded. Changing one is a consensus change.
#pragma once

#include <cstddef>
#include <cstdint>

namespace circuledger::contracts::limits {

constexpr size_t kMaxSourceBytes = 32 * 1024;   // one rule set's source text
constexpr size_t kMaxRules = 64;                // rules in one rule set
constexpr size_t kMaxCategories = 16;           // category patterns of one rule
constexpr size_t kMaxIdLen = 64;                // rule set and rule ids
constexpr size_t kMaxStringLen = 64;            // material codes, attribute names, kinds, categories
constexpr size_t kMaxOrgIdLen = 32;             // an issuer named in has_attestation (ledger's org ids)
constexpr size_t kMaxMaterialLen = 16;          // material codes (ledger::limits::kMaxMaterialLen)
constexpr size_t kMaxTitleLen = 160;            // a rule's human title
constexpr size_t kMaxInstructions = 256;        // compiled instructions of one rule's expression
constexpr size_t kMaxEvalSteps = 256;           // instructions one evaluation may execute
constexpr size_t kMaxStackDepth = 32;           // evaluation stack of one rule
constexpr size_t kMaxNesting = 32;              // parenthesis / operator nesting while parsing
constexpr int64_t kMaxLiteral = 1'000'000'000'000'000'000;  // integer literals (and masses in mg)

// Jumps only go forward, so an evaluation executes each instruction at most once: a rule that
// compiles within kMaxInstructions always finishes within kMaxEvalSteps.
static_assert(kMaxEvalSteps >= kMaxInstructions);
static_assert(kMaxOrgIdLen <= kMaxStringLen, "an org id fits the string pool");
static_assert(kMaxInstructions < (1u << 16), "string indexes fit 16 bits (PackStrings)");
static_assert(kMaxStackDepth <= kMaxInstructions);
static_assert(kMaxNesting <= kMaxInstructions);

}  // namespace circuledger::contracts::limits

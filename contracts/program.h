// contracts/program.h: the compiled form of a rule set (what the compiler produces, the ledger
// stores beside the source, and the evaluator runs).
//
// Plain data, owned by whoever holds it; immutable once compiled, so one compiled RuleSet may be
// shared by many threads. An expression is a postfix program for a small stack machine whose
// jumps only go forward (and/or short-circuit), so every evaluation is bounded by its length.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

namespace circuledger::contracts {

enum class Mode : uint8_t { kEnforce = 0, kReport = 1 };
// When a rule is evaluated: on the product an `assemble` creates, or on the inputs and outputs of
// a `recycle` (recovery rules).
enum class Trigger : uint8_t { kAssemble = 0, kRecycle = 1 };
constexpr uint8_t kMaxMode = 1;
constexpr uint8_t kMaxTrigger = 1;
const char* ModeName(Mode m);
const char* TriggerName(Trigger t);

// What a number means, for display only (never for validity).
enum class Unit : uint8_t { kPlain = 0, kMass = 1, kShare = 2, kTime = 3 };
constexpr uint8_t kMaxUnit = 3;

enum class OpCode : uint8_t {
  kPushConst = 0,       // arg: index into consts
  kPushBool,            // arg: 0 or 1
  kMass,                // arg: string index (material)
  kRecycledMass,
  kRecycledShare,
  kRecoveredMass,
  kRecoveredShare,
  kAttr,                // arg: string index (attribute name); error when not declared
  kHasAttr,
  kHasAttestation,      // arg: string index (kind); any issuer
  kRepairCount,
  kTime,
  kCategoryIs,          // arg: string index (exact category)
  kCategoryMatches,     // arg: string index (pattern)
  kAdd, kSub, kMul, kDiv, kNeg,
  kLt, kLe, kGt, kGe, kEq, kNe,  // arg: index into spans (the comparison's source text)
  kNot,
  kJumpIfFalseKeep,     // arg: absolute target; leaves the condition on the stack
  kJumpIfTrueKeep,
  kPop,
  // Appended (op codes are stored in compiled rule sets: never renumber). arg: the kind's string
  // index in the low 16 bits, the issuing org's string index in the high 16 (PackStrings).
  kHasAttestationBy,
};
constexpr uint8_t kMaxOpCode = static_cast<uint8_t>(OpCode::kHasAttestationBy);

// Two string indexes in one instruction argument (each < 2^16; a pool holds at most 256).
constexpr uint32_t PackStrings(uint32_t low, uint32_t high) { return low | (high << 16); }
constexpr uint32_t LowString(uint32_t arg) { return arg & 0xffffu; }
constexpr uint32_t HighString(uint32_t arg) { return arg >> 16; }

struct Instr {
  OpCode op = OpCode::kPushBool;
  uint32_t arg = 0;
  auto operator<=>(const Instr&) const = default;
};

// A number literal: num/den, den > 0.
struct Const {
  int64_t num = 0;
  int64_t den = 1;
  Unit unit = Unit::kPlain;
  auto operator<=>(const Const&) const = default;
};

// Byte range of a comparison in the rule set's source, for explaining an evaluation.
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
  auto operator<=>(const Span&) const = default;
};

struct Program {
  std::vector<Instr> code;
  std::vector<Const> consts;
  std::vector<std::string> strings;
  std::vector<Span> spans;
  uint32_t max_stack = 0;
  auto operator<=>(const Program&) const = default;
};

constexpr uint64_t kNoEnd = UINT64_MAX;

struct Rule {
  std::string id;
  std::string title;
  Mode mode = Mode::kReport;
  Trigger trigger = Trigger::kAssemble;
  std::vector<std::string> categories;  // exact ("battery.ev"), prefix ("battery.*") or "*"
  uint64_t from_ms = 0;                 // in force from this block time (inclusive)
  uint64_t until_ms = kNoEnd;           // to this block time (exclusive)
  Program program;

  auto operator<=>(const Rule&) const = default;
  bool InForceAt(uint64_t time_ms) const { return from_ms <= time_ms && time_ms < until_ms; }
  bool AppliesTo(std::string_view category) const;
};

struct RuleSet {
  std::string id;
  uint32_t version = 0;
  uint64_t from_ms = 0;   // when this version supersedes the previous one; 0 = not stated
  std::vector<Rule> rules;
  auto operator<=>(const RuleSet&) const = default;
};

// True when `category` matches `pattern`. Categories form a tree by their dots: an exact pattern
// "x" covers x and every subcategory "x.y..." (a rule on battery.ev covers battery.ev.nmc, not
// battery.evx); "x.*" covers the subcategories only; "*" covers everything.
bool CategoryMatches(std::string_view pattern, std::string_view category);

// A material code: 1 to kMaxMaterialLen characters of [A-Za-z0-9_-]. The one syntax of the
// ledger's compositions, the wallet's composition specs and the rules' mass("X") facts, so every
// material the ledger holds can be named by a rule.
bool IsValidMaterialCode(std::string_view code);

}  // namespace circuledger::contracts

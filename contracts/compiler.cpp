#include "contracts/compiler.h"

#include <algorithm>
#include <optional>
#include <set>

#include "contracts/limits.h"

namespace circuledger::contracts {
namespace {

enum class Type : uint8_t { kNum, kBool };
const char* TypeName(Type t) { return t == Type::kNum ? "a number" : "a condition"; }

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}
bool IsValidId(std::string_view s) {
  return !s.empty() && s.size() <= limits::kMaxIdLen && std::all_of(s.begin(), s.end(), IsIdChar);
}
bool IsValidCategoryPattern(std::string_view s) {
  if (s == "*") return true;
  if (s.size() > 2 && s.substr(s.size() - 2) == ".*") s.remove_suffix(2);
  return !s.empty() && s.size() <= limits::kMaxStringLen && std::all_of(s.begin(), s.end(), IsIdChar);
}
// An org id as the ledger writes them (ledger/genesis.h IsValidOrgId): 1..32 of [a-z0-9._-].
bool IsValidOrgId(std::string_view s) {
  return !s.empty() && s.size() <= limits::kMaxOrgIdLen && std::all_of(s.begin(), s.end(), IsIdChar);
}

struct Fact {
  std::string_view name;
  OpCode op;
  bool has_arg;      // takes ("string")
  bool material;     // the argument is a material code (else a lower-case name)
  Type type;
  int context;       // 0 both, 1 assemble only, 2 recycle only
};
constexpr Fact kFacts[] = {
    {"mass", OpCode::kMass, true, true, Type::kNum, 0},
    {"recycled_mass", OpCode::kRecycledMass, true, true, Type::kNum, 1},
    {"recycled_share", OpCode::kRecycledShare, true, true, Type::kNum, 1},
    {"recovered_mass", OpCode::kRecoveredMass, true, true, Type::kNum, 2},
    {"recovered_share", OpCode::kRecoveredShare, true, true, Type::kNum, 2},
    {"attr", OpCode::kAttr, true, false, Type::kNum, 1},
    {"has_attr", OpCode::kHasAttr, true, false, Type::kBool, 1},
    {"has_attestation", OpCode::kHasAttestation, true, false, Type::kBool, 1},
    {"repair_count", OpCode::kRepairCount, false, false, Type::kNum, 1},
    {"time", OpCode::kTime, false, false, Type::kNum, 0},
};

// Recursive descent over the tokens; expressions are emitted as postfix code while parsing.
class Compiler {
 public:
  Compiler(std::string_view src, std::vector<Token> toks) : src_(src), t_(std::move(toks)) {}

  std::variant<RuleSet, CompileError> Run() {
    RuleSet set;
    if (!Header(set)) return err_;
    std::set<std::string, std::less<>> ids;
    while (Peek().kind != Tok::kEnd) {
      const Token& at = Peek();
      if (set.rules.size() == limits::kMaxRules) {
        return Error(at, "more than " + std::to_string(limits::kMaxRules) + " rules in one rule set");
      }
      Rule rule;
      if (!ParseRule(rule, set.from_ms)) return err_;
      if (!ids.insert(rule.id).second) return Error(at, "rule \"" + rule.id + "\" is defined twice");
      set.rules.push_back(std::move(rule));
    }
    if (set.rules.empty()) return Error(Peek(), "a rule set needs at least one rule");
    return set;
  }

 private:
  const Token& Peek(size_t ahead = 0) const { return t_[std::min(pos_ + ahead, t_.size() - 1)]; }
  const Token& Next() {
    const Token& t = t_[pos_];
    if (pos_ + 1 < t_.size()) ++pos_;
    return t;
  }
  bool Fail(const Token& at, std::string msg) {
    if (!failed_) err_ = CompileError{at.line, at.col, std::move(msg)};
    failed_ = true;
    return false;
  }
  CompileError Error(const Token& at, std::string msg) {
    Fail(at, std::move(msg));
    return err_;
  }
  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case Tok::kEnd: return "end of input";
      case Tok::kString: return "\"" + t.text + "\"";
      default: return "'" + t.text + "'";
    }
  }
  bool IsKeyword(std::string_view kw, size_t ahead = 0) const {
    return Peek(ahead).kind == Tok::kIdent && Peek(ahead).text == kw;
  }
  bool IsPunct(std::string_view p) const { return Peek().kind == Tok::kPunct && Peek().text == p; }
  bool Expect(std::string_view kw) {
    if (!IsKeyword(kw)) return Fail(Peek(), "expected '" + std::string(kw) + "', found " + Describe(Peek()));
    Next();
    return true;
  }
  bool ExpectPunct(std::string_view p) {
    if (!IsPunct(p)) return Fail(Peek(), "expected '" + std::string(p) + "', found " + Describe(Peek()));
    Next();
    return true;
  }
  bool ExpectKind(Tok kind, const char* what, Token* out) {
    if (Peek().kind != kind) return Fail(Peek(), std::string("expected ") + what + ", found " + Describe(Peek()));
    *out = Next();
    return true;
  }

  // ruleset "id" version N [from DATE]
  bool Header(RuleSet& set) {
    Token id, version, from;
    if (!Expect("ruleset") || !ExpectKind(Tok::kString, "the rule set id", &id)) return false;
    if (!IsValidId(id.text)) return Fail(id, "a rule set id is 1 to 64 of [a-z0-9._-]");
    if (!Expect("version") || !ExpectKind(Tok::kInt, "a version number", &version)) return false;
    if (version.value < 1 || version.value > UINT32_MAX) return Fail(version, "versions are 1 to 4294967295");
    if (IsKeyword("from")) {
      Next();
      if (!ExpectKind(Tok::kDate, "a date", &from)) return false;
      set.from_ms = static_cast<uint64_t>(from.value);
    }
    set.id = id.text;
    set.version = static_cast<uint32_t>(version.value);
    return true;
  }

  // rule "id" { clause... }
  bool ParseRule(Rule& rule, uint64_t set_from_ms) {
    Token id;
    if (!Expect("rule") || !ExpectKind(Tok::kString, "the rule id", &id)) return false;
    if (!IsValidId(id.text)) return Fail(id, "a rule id is 1 to 64 of [a-z0-9._-]");
    rule.id = id.text;
    if (!ExpectPunct("{")) return false;
    std::set<std::string, std::less<>> seen;
    std::optional<Token> require_at;
    bool has_from = false;
    while (!IsPunct("}")) {
      const Token kw = Peek();
      if (kw.kind != Tok::kIdent) return Fail(kw, "expected a clause (title, mode, on, categories, from, until, require) or '}', found " + Describe(kw));
      if (!seen.insert(kw.text).second) return Fail(kw, "clause '" + kw.text + "' given twice");
      Next();
      if (kw.text == "title") {
        Token s;
        if (!ExpectKind(Tok::kString, "a title", &s)) return false;
        rule.title = s.text;
      } else if (kw.text == "mode") {
        if (IsKeyword("enforce")) rule.mode = Mode::kEnforce;
        else if (IsKeyword("report")) rule.mode = Mode::kReport;
        else return Fail(Peek(), "mode is 'enforce' or 'report', found " + Describe(Peek()));
        Next();
      } else if (kw.text == "on") {
        if (IsKeyword("assemble")) rule.trigger = Trigger::kAssemble;
        else if (IsKeyword("recycle")) rule.trigger = Trigger::kRecycle;
        else return Fail(Peek(), "on is 'assemble' or 'recycle', found " + Describe(Peek()));
        Next();
      } else if (kw.text == "categories") {
        if (!Categories(rule)) return false;
      } else if (kw.text == "from" || kw.text == "until") {
        Token d;
        if (!ExpectKind(Tok::kDate, "a date", &d)) return false;
        (kw.text == "from" ? rule.from_ms : rule.until_ms) = static_cast<uint64_t>(d.value);
        has_from |= kw.text == "from";
      } else if (kw.text == "require") {
        require_at = Peek();
        Type type;
        if (!Expr(rule.program, type, 0)) return false;
        if (type != Type::kBool) return Fail(*require_at, "require needs a condition, found a number");
      } else {
        return Fail(kw, "unknown clause '" + kw.text + "'");
      }
    }
    const Token& close = Next();
    if (!seen.count("mode")) return Fail(close, "rule \"" + rule.id + "\" has no mode (enforce or report)");
    if (!seen.count("categories")) return Fail(close, "rule \"" + rule.id + "\" has no categories");
    if (!require_at) return Fail(close, "rule \"" + rule.id + "\" has no require clause");
    if (!has_from) rule.from_ms = set_from_ms;
    if (rule.until_ms <= rule.from_ms) return Fail(close, "rule \"" + rule.id + "\" ends before it starts");
    if (rule.program.code.size() > limits::kMaxInstructions) {
      return Fail(*require_at, "rule \"" + rule.id + "\" compiles to " + std::to_string(rule.program.code.size()) +
                                   " instructions, more than the limit of " + std::to_string(limits::kMaxInstructions));
    }
    if (rule.program.strings.size() > limits::kMaxInstructions) {  // the decoder's bound on the pool
      return Fail(*require_at, "rule \"" + rule.id + "\" names more than " + std::to_string(limits::kMaxInstructions) +
                                   " distinct strings");
    }
    if (rule.trigger == Trigger::kAssemble && recovery_fact_) {
      return Fail(*recovery_fact_, "'" + recovery_fact_->text + "' is only defined in rules 'on recycle'");
    }
    if (rule.trigger == Trigger::kRecycle && product_fact_) {
      return Fail(*product_fact_, "'" + product_fact_->text + "' is only defined in rules 'on assemble'");
    }
    recovery_fact_.reset();
    product_fact_.reset();
    return true;
  }

  bool Categories(Rule& rule) {
    do {
      Token s;
      if (!ExpectKind(Tok::kString, "a category such as \"battery.ev\" or \"battery.*\"", &s)) return false;
      if (!IsValidCategoryPattern(s.text)) return Fail(s, "a category is [a-z0-9._-], optionally ending in .* (or just *)");
      if (rule.categories.size() == limits::kMaxCategories) return Fail(s, "too many categories");
      if (std::find(rule.categories.begin(), rule.categories.end(), s.text) != rule.categories.end()) {
        return Fail(s, "category \"" + s.text + "\" listed twice");
      }
      rule.categories.push_back(s.text);
    } while (IsPunct(",") && (Next(), true));
    return true;
  }

  // ---- expressions: each returns its static type through `type` ----
  void Emit(Program& p, OpCode op, uint32_t arg = 0) { p.code.push_back(Instr{op, arg}); }
  bool Push(Program& p, const Token& at) {
    ++depth_now_;
    if (static_cast<size_t>(depth_now_) > limits::kMaxStackDepth) return Fail(at, "expression too deep for the evaluation stack");
    p.max_stack = std::max<uint32_t>(p.max_stack, static_cast<uint32_t>(depth_now_));
    return true;
  }
  uint32_t StringIndex(Program& p, const std::string& s) {
    auto it = std::find(p.strings.begin(), p.strings.end(), s);
    if (it != p.strings.end()) return static_cast<uint32_t>(it - p.strings.begin());
    p.strings.push_back(s);
    return static_cast<uint32_t>(p.strings.size() - 1);
  }
  bool Nest(const Token& at, int nesting) {
    if (nesting > static_cast<int>(limits::kMaxNesting)) return Fail(at, "expression nested too deeply");
    return true;
  }

  bool Expr(Program& p, Type& type, int nesting) {
    depth_now_ = 0;
    return Or(p, type, nesting);
  }

  bool Or(Program& p, Type& type, int nesting) { return Logical(p, type, nesting, "or"); }
  bool And(Program& p, Type& type, int nesting) { return Logical(p, type, nesting, "and"); }

  // a or b:  a; JumpIfTrueKeep L; Pop; b; L:   (and: JumpIfFalseKeep)
  bool Logical(Program& p, Type& type, int nesting, std::string_view word) {
    const bool is_or = word == "or";
    if (!(is_or ? And(p, type, nesting) : Not(p, type, nesting))) return false;
    while (IsKeyword(word)) {
      const Token op = Next();
      if (type != Type::kBool) return Fail(op, "'" + std::string(word) + "' needs conditions, the left side is a number");
      const size_t jump = p.code.size();
      Emit(p, is_or ? OpCode::kJumpIfTrueKeep : OpCode::kJumpIfFalseKeep);
      Emit(p, OpCode::kPop);
      --depth_now_;
      Type rhs;
      const Token rhs_at = Peek();
      if (!(is_or ? And(p, rhs, nesting) : Not(p, rhs, nesting))) return false;
      if (rhs != Type::kBool) return Fail(rhs_at, "'" + std::string(word) + "' needs conditions, the right side is a number");
      p.code[jump].arg = static_cast<uint32_t>(p.code.size());
    }
    return true;
  }

  bool Not(Program& p, Type& type, int nesting) {
    if (IsKeyword("not")) {
      const Token op = Next();
      if (!Nest(op, nesting + 1) || !Not(p, type, nesting + 1)) return false;
      if (type != Type::kBool) return Fail(op, "'not' needs a condition");
      Emit(p, OpCode::kNot);
      return true;
    }
    return Compare(p, type, nesting);
  }

  bool Compare(Program& p, Type& type, int nesting) {
    const Token start = Peek();
    if (!Sum(p, type, nesting)) return false;
    static constexpr std::pair<std::string_view, OpCode> kOps[] = {
        {"<", OpCode::kLt}, {"<=", OpCode::kLe}, {">", OpCode::kGt}, {">=", OpCode::kGe}, {"==", OpCode::kEq}, {"!=", OpCode::kNe}};
    for (const auto& [text, code] : kOps) {
      if (!IsPunct(text)) continue;
      const Token op = Next();
      Type rhs;
      if (!Sum(p, rhs, nesting)) return false;
      const bool equality = code == OpCode::kEq || code == OpCode::kNe;
      if (type != rhs || (!equality && type != Type::kNum)) {
        return Fail(op, "cannot compare " + std::string(TypeName(type)) + " " + op.text + " " + TypeName(rhs));
      }
      p.spans.push_back(Span{start.offset, t_[pos_ - 1].end});
      Emit(p, code, static_cast<uint32_t>(p.spans.size() - 1));
      --depth_now_;
      type = Type::kBool;
      for (const auto& other : kOps) {
        if (IsPunct(other.first)) return Fail(Peek(), "comparisons do not chain: add parentheses and 'and'");
      }
      return true;
    }
    return true;
  }

  bool Sum(Program& p, Type& type, int nesting) { return Arith(p, type, nesting, true); }

  bool Arith(Program& p, Type& type, int nesting, bool additive) {
    if (!(additive ? Arith(p, type, nesting, false) : Unary(p, type, nesting))) return false;
    while (additive ? (IsPunct("+") || IsPunct("-")) : (IsPunct("*") || IsPunct("/"))) {
      const Token op = Next();
      Type rhs;
      if (!(additive ? Arith(p, rhs, nesting, false) : Unary(p, rhs, nesting))) return false;
      if (type != Type::kNum || rhs != Type::kNum) return Fail(op, "'" + op.text + "' needs numbers");
      Emit(p, op.text == "+" ? OpCode::kAdd : op.text == "-" ? OpCode::kSub : op.text == "*" ? OpCode::kMul : OpCode::kDiv);
      --depth_now_;
    }
    return true;
  }

  bool Unary(Program& p, Type& type, int nesting) {
    if (IsPunct("-")) {
      const Token op = Next();
      if (!Nest(op, nesting + 1) || !Unary(p, type, nesting + 1)) return false;
      if (type != Type::kNum) return Fail(op, "'-' needs a number");
      Emit(p, OpCode::kNeg);
      return true;
    }
    return Primary(p, type, nesting);
  }

  bool Literal(Program& p, const Token& t, int64_t num, int64_t den, Unit unit) {
    if (!Push(p, t)) return false;
    const Const c{num, den, unit};
    auto it = std::find(p.consts.begin(), p.consts.end(), c);
    if (it == p.consts.end()) it = p.consts.insert(p.consts.end(), c);
    Emit(p, OpCode::kPushConst, static_cast<uint32_t>(it - p.consts.begin()));
    return true;
  }

  bool Primary(Program& p, Type& type, int nesting) {
    const Token t = Next();
    type = Type::kNum;
    switch (t.kind) {
      case Tok::kInt: return Literal(p, t, t.value, 1, Unit::kPlain);
      case Tok::kPercent: return Literal(p, t, t.value, 10000, Unit::kShare);
      case Tok::kMass: return Literal(p, t, t.value, 1, Unit::kMass);
      case Tok::kDate: return Literal(p, t, t.value, 1, Unit::kTime);
      case Tok::kPunct:
        if (t.text == "(") {
          if (!Nest(t, nesting + 1)) return false;
          if (!Or(p, type, nesting + 1)) return false;
          return ExpectPunct(")");
        }
        return Fail(t, "expected a value, found " + Describe(t));
      case Tok::kIdent: return Named(p, t, type);
      default: return Fail(t, "expected a value, found " + Describe(t));
    }
  }

  bool Named(Program& p, const Token& t, Type& type) {
    if (t.text == "true" || t.text == "false") {
      type = Type::kBool;
      if (!Push(p, t)) return false;
      Emit(p, OpCode::kPushBool, t.text == "true" ? 1 : 0);
      return true;
    }
    if (t.text == "category") return CategoryTest(p, t, type);
    for (const Fact& f : kFacts) {
      if (f.name != t.text) continue;
      type = f.type;
      OpCode op = f.op;
      uint32_t arg = 0;
      if (f.has_arg) {
        // The tokens first, then their meaning: the order of checks (and so the first error a
        // source gets) is the one every source had before the issuer form existed.
        Token s;
        std::optional<Token> org;
        if (!ExpectPunct("(") || !ExpectKind(Tok::kString, "a quoted name", &s)) return false;
        if (f.op == OpCode::kHasAttestation && IsPunct(",")) {
          Next();
          if (!ExpectKind(Tok::kString, "the issuing org's id", &org.emplace())) return false;
        }
        if (!ExpectPunct(")")) return false;
        const bool ok = f.material ? IsValidMaterialCode(s.text) : IsValidId(s.text) && s.text.size() <= limits::kMaxStringLen;
        if (!ok) return Fail(s, f.material ? "a material code is 1 to 16 of [A-Za-z0-9_-]" : "a name is 1 to 64 of [a-z0-9._-]");
        if (org && !IsValidOrgId(org->text)) {
          return Fail(*org, "an org id is 1 to " + std::to_string(limits::kMaxOrgIdLen) + " of [a-z0-9._-]");
        }
        arg = StringIndex(p, s.text);
        if (org) {
          // has_attestation("kind", "org"): both string indexes in one argument.
          arg = PackStrings(arg, StringIndex(p, org->text));
          op = OpCode::kHasAttestationBy;
        }
      }
      if (f.context == 1 && !product_fact_) product_fact_ = t;
      if (f.context == 2 && !recovery_fact_) recovery_fact_ = t;
      if (!Push(p, t)) return false;
      Emit(p, op, arg);
      return true;
    }
    return Fail(t, "unknown name '" + t.text + "'");
  }

  // category == "x" | category != "x" | category matches "x.*"
  bool CategoryTest(Program& p, const Token& t, Type& type) {
    type = Type::kBool;
    const Token op = Next();
    const bool eq = op.kind == Tok::kPunct && (op.text == "==" || op.text == "!=");
    const bool matches = op.kind == Tok::kIdent && op.text == "matches";
    if (!eq && !matches) return Fail(op, "category is compared with ==, != or matches");
    Token s;
    if (!ExpectKind(Tok::kString, "a category", &s)) return false;
    if (!(matches ? IsValidCategoryPattern(s.text) : IsValidCategoryPattern(s.text) && s.text.find('*') == std::string::npos)) {
      return Fail(s, "a category is [a-z0-9._-] (patterns end in .*)");
    }
    if (!Push(p, t)) return false;
    Emit(p, matches ? OpCode::kCategoryMatches : OpCode::kCategoryIs, StringIndex(p, s.text));
    if (op.text == "!=") Emit(p, OpCode::kNot);
    return true;
  }

  std::string_view src_;
  std::vector<Token> t_;
  size_t pos_ = 0;
  bool failed_ = false;
  CompileError err_;
  int depth_now_ = 0;  // evaluation stack depth at this point of the emitted code
  std::optional<Token> recovery_fact_;  // first recovery-only fact in the current rule
  std::optional<Token> product_fact_;   // first assemble-only fact in the current rule
};

}  // namespace

std::variant<RuleSet, CompileError> Compile(std::string_view source) {
  std::vector<Token> tokens;
  CompileError error;
  if (!Tokenize(source, tokens, &error)) return error;
  return Compiler(source, std::move(tokens)).Run();
}

}  // namespace circuledger::contracts

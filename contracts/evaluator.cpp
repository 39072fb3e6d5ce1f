#include "contracts/evaluator.h"

#include <array>
#include <numeric>

#include "contracts/limits.h"
#include "contracts/time.h"

namespace circuledger::contracts {
namespace {

__extension__ using i128 = __int128;
__extension__ using u128 = unsigned __int128;

struct Num {
  i128 num = 0;
  i128 den = 1;  // > 0
  Unit unit = Unit::kPlain;
};

struct Value {
  bool is_bool = false;
  bool b = false;
  Num n;
};

struct EvalError {
  const char* what;
};

// -v, or an evaluation error for the one value whose negation does not fit (INT128_MIN): negating
// it is undefined behaviour, and a rule can reach it (e.g. (0 - 2^124) * 8).
i128 Neg(i128 v) {
  i128 r = 0;
  if (__builtin_sub_overflow(i128{0}, v, &r)) throw EvalError{"arithmetic overflow"};
  return r;
}

// Greatest common divisor of |a| and |b| (b > 0). |a| is taken as unsigned, so INT128_MIN needs no
// negation; the result is at most b, so it fits.
i128 Gcd(i128 a, i128 b) {
  u128 x = a < 0 ? u128{0} - static_cast<u128>(a) : static_cast<u128>(a);
  u128 y = static_cast<u128>(b);
  while (y != 0) {
    const u128 t = x % y;
    x = y;
    y = t;
  }
  return static_cast<i128>(x);
}

i128 Mul(i128 a, i128 b) {
  i128 r = 0;
  if (__builtin_mul_overflow(a, b, &r)) throw EvalError{"arithmetic overflow"};
  return r;
}
i128 AddI(i128 a, i128 b) {
  i128 r = 0;
  if (__builtin_add_overflow(a, b, &r)) throw EvalError{"arithmetic overflow"};
  return r;
}

Num Normalize(i128 num, i128 den, Unit unit) {
  if (den < 0) num = Neg(num), den = Neg(den);
  const i128 g = Gcd(num, den);
  if (g > 1) num /= g, den /= g;
  return Num{num, den, unit};
}

Unit AddUnit(Unit a, Unit b) { return a == b ? a : Unit::kPlain; }
Unit MulUnit(Unit a, Unit b) {
  if (a == Unit::kPlain) return b;
  if (b == Unit::kPlain) return a;
  if ((a == Unit::kShare && b == Unit::kMass) || (a == Unit::kMass && b == Unit::kShare)) return Unit::kMass;
  return Unit::kPlain;
}
Unit DivUnit(Unit a, Unit b) {
  if (b == Unit::kPlain) return a;
  if (a == Unit::kMass && b == Unit::kMass) return Unit::kShare;
  return Unit::kPlain;
}

// -1, 0, 1 by cross-multiplication (denominators are positive).
int Cmp(const Num& a, const Num& b) {
  const i128 l = Mul(a.num, b.den);
  const i128 r = Mul(b.num, a.den);
  return l < r ? -1 : l > r ? 1 : 0;
}

std::string U128ToString(u128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v > 0) s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10))), v /= 10;
  return s;
}
std::string I128ToString(i128 v) {
  return v < 0 ? "-" + U128ToString(static_cast<u128>(-(v + 1)) + 1) : U128ToString(static_cast<u128>(v));
}

// For display: percent rounded toward zero to two decimals, masses in mg, times as dates.
std::string Display(const Value& v) {
  if (v.is_bool) return v.b ? "true" : "false";
  const Num& n = v.n;
  const bool neg = n.num < 0;
  const u128 mag = neg ? static_cast<u128>(-(n.num + 1)) + 1 : static_cast<u128>(n.num);
  const u128 den = static_cast<u128>(n.den);
  const std::string sign = neg ? "-" : "";
  switch (n.unit) {
    case Unit::kShare: {
      if (mag > UINT64_MAX || den > UINT64_MAX) break;  // out of display range: show the ratio
      return sign + FormatPercent2(static_cast<uint64_t>(mag), static_cast<uint64_t>(den)) + "%";
    }
    case Unit::kMass:
      if (den == 1) return sign + U128ToString(mag) + " mg";
      return sign + U128ToString(mag) + "/" + U128ToString(den) + " mg";
    case Unit::kTime:
      if (!neg && den == 1 && mag <= UINT64_MAX) return FormatUtc(static_cast<uint64_t>(mag));
      break;
    case Unit::kPlain:
      break;
  }
  return den == 1 ? I128ToString(n.num) : I128ToString(n.num) + "/" + U128ToString(den);
}

Num Share(uint64_t part, uint64_t whole) {
  if (whole == 0) return Num{0, 1, Unit::kShare};  // defined: a share of nothing is 0%
  return Num{static_cast<i128>(part), static_cast<i128>(whole), Unit::kShare};
}

class Machine {
 public:
  Machine(const Rule& rule, const ProductFacts& facts, std::vector<Figure>* figures, std::string_view source)
      : p_(rule.program), facts_(facts), figures_(figures), source_(source) {}

  Outcome Run(std::string* error, uint32_t* steps_out) {
    try {
      const Value v = Exec();
      if (steps_out) *steps_out = steps_;
      if (!v.is_bool) throw EvalError{"the rule did not produce a condition"};
      return v.b ? Outcome::kPass : Outcome::kFail;
    } catch (const EvalError& e) {
      if (steps_out) *steps_out = steps_;
      if (error) *error = e.what;
      return Outcome::kError;
    }
  }

 private:
  void Push(const Value& v) {
    if (sp_ == stack_.size()) throw EvalError{"evaluation stack overflow"};
    stack_[sp_++] = v;
  }
  Value Pop() {
    if (sp_ == 0) throw EvalError{"malformed program: stack underflow"};
    return stack_[--sp_];
  }
  Num PopNum() {
    const Value v = Pop();
    if (v.is_bool) throw EvalError{"malformed program: number expected"};
    return v.n;
  }
  bool PopBool() {
    const Value v = Pop();
    if (!v.is_bool) throw EvalError{"malformed program: condition expected"};
    return v.b;
  }
  const std::string& Str(uint32_t i) const {
    if (i >= p_.strings.size()) throw EvalError{"malformed program: string index"};
    return p_.strings[i];
  }
  void PushNum(Num n) { Push(Value{false, false, n}); }
  void PushBool(bool b) { Push(Value{true, b, {}}); }
  void PushMass(uint64_t mg) { PushNum(Num{static_cast<i128>(mg), 1, Unit::kMass}); }

  void Compare(OpCode op, uint32_t span) {
    const Value r = Pop();
    const Value l = Pop();
    if (l.is_bool != r.is_bool) throw EvalError{"malformed program: comparison of mixed types"};
    int c = 0;
    if (l.is_bool) {
      if (op != OpCode::kEq && op != OpCode::kNe) throw EvalError{"malformed program: ordering of conditions"};
      c = l.b == r.b ? 0 : 1;
    } else {
      c = Cmp(l.n, r.n);
    }
    bool holds = false;
    switch (op) {
      case OpCode::kLt: holds = c < 0; break;
      case OpCode::kLe: holds = c <= 0; break;
      case OpCode::kGt: holds = c > 0; break;
      case OpCode::kGe: holds = c >= 0; break;
      case OpCode::kEq: holds = c == 0; break;
      default: holds = c != 0; break;
    }
    if (figures_) {
      std::string text;
      if (span < p_.spans.size() && p_.spans[span].begin <= p_.spans[span].end && p_.spans[span].end <= source_.size()) {
        text = std::string(source_.substr(p_.spans[span].begin, p_.spans[span].end - p_.spans[span].begin));
      }
      // A plain literal compared with a mass, share or date is shown in that unit ("0 mg").
      Value dl = l, dr = r;
      if (!l.is_bool && dl.n.unit == Unit::kPlain) dl.n.unit = r.n.unit;
      if (!r.is_bool && dr.n.unit == Unit::kPlain) dr.n.unit = l.n.unit;
      figures_->push_back(Figure{std::move(text), Display(dl), Display(dr), holds});
    }
    PushBool(holds);
  }

  void Arith(OpCode op) {
    const Num b = PopNum();
    const Num a = PopNum();
    switch (op) {
      case OpCode::kAdd:
      case OpCode::kSub: {
        const i128 rhs = Mul(op == OpCode::kAdd ? b.num : Neg(b.num), a.den);
        PushNum(Normalize(AddI(Mul(a.num, b.den), rhs), Mul(a.den, b.den), AddUnit(a.unit, b.unit)));
        return;
      }
      case OpCode::kMul:
        PushNum(Normalize(Mul(a.num, b.num), Mul(a.den, b.den), MulUnit(a.unit, b.unit)));
        return;
      default:
        if (b.num == 0) throw EvalError{"division by zero"};
        PushNum(Normalize(Mul(a.num, b.den), Mul(a.den, b.num), DivUnit(a.unit, b.unit)));
        return;
    }
  }

  Value Exec() {
    const std::vector<Instr>& code = p_.code;
    size_t pc = 0;
    while (pc < code.size()) {
      if (++steps_ > limits::kMaxEvalSteps) throw EvalError{"step limit reached"};
      const Instr in = code[pc++];
      switch (in.op) {
        case OpCode::kPushConst: {
          if (in.arg >= p_.consts.size()) throw EvalError{"malformed program: constant index"};
          const Const& c = p_.consts[in.arg];
          if (c.den <= 0) throw EvalError{"malformed program: constant"};
          PushNum(Num{c.num, c.den, c.unit});
          break;
        }
        case OpCode::kPushBool: PushBool(in.arg != 0); break;
        case OpCode::kMass: PushMass(facts_.Mass(Str(in.arg))); break;
        case OpCode::kRecycledMass: PushMass(facts_.RecycledMass(Str(in.arg))); break;
        case OpCode::kRecycledShare: {
          const std::string& m = Str(in.arg);
          PushNum(Share(facts_.RecycledMass(m), facts_.Mass(m)));
          break;
        }
        case OpCode::kRecoveredMass: PushMass(facts_.RecoveredMass(Str(in.arg))); break;
        case OpCode::kRecoveredShare: {
          const std::string& m = Str(in.arg);
          PushNum(Share(facts_.RecoveredMass(m), facts_.Mass(m)));
          break;
        }
        case OpCode::kAttr: {
          std::optional<int64_t> v = facts_.Attribute(Str(in.arg));
          if (!v) throw EvalError{"an attribute the rule reads is not declared"};
          PushNum(Num{*v, 1, Unit::kPlain});
          break;
        }
        case OpCode::kHasAttr: PushBool(facts_.Attribute(Str(in.arg)).has_value()); break;
        case OpCode::kHasAttestation: PushBool(facts_.HasAttestation(Str(in.arg))); break;
        case OpCode::kHasAttestationBy:
          PushBool(facts_.HasAttestationBy(Str(LowString(in.arg)), Str(HighString(in.arg))));
          break;
        case OpCode::kRepairCount: PushNum(Num{static_cast<i128>(facts_.RepairCount()), 1, Unit::kPlain}); break;
        case OpCode::kTime: PushNum(Num{static_cast<i128>(facts_.BlockTimeMs()), 1, Unit::kTime}); break;
        case OpCode::kCategoryIs: PushBool(facts_.Category() == Str(in.arg)); break;
        case OpCode::kCategoryMatches: PushBool(CategoryMatches(Str(in.arg), facts_.Category())); break;
        case OpCode::kAdd:
        case OpCode::kSub:
        case OpCode::kMul:
        case OpCode::kDiv: Arith(in.op); break;
        case OpCode::kNeg: {
          Num n = PopNum();
          n.num = Neg(n.num);
          PushNum(n);
          break;
        }
        case OpCode::kLt:
        case OpCode::kLe:
        case OpCode::kGt:
        case OpCode::kGe:
        case OpCode::kEq:
        case OpCode::kNe: Compare(in.op, in.arg); break;
        case OpCode::kNot: PushBool(!PopBool()); break;
        case OpCode::kJumpIfFalseKeep:
        case OpCode::kJumpIfTrueKeep: {
          if (in.arg <= pc - 1 || in.arg > code.size()) throw EvalError{"malformed program: jump target"};
          const bool cond = PopBool();
          PushBool(cond);
          if (cond == (in.op == OpCode::kJumpIfTrueKeep)) pc = in.arg;
          break;
        }
        case OpCode::kPop: Pop(); break;
        default: throw EvalError{"malformed program: unknown instruction"};
      }
    }
    const Value v = Pop();
    if (sp_ != 0) throw EvalError{"malformed program: values left on the stack"};
    return v;
  }

  const Program& p_;
  const ProductFacts& facts_;
  std::vector<Figure>* figures_;
  std::string_view source_;
  std::array<Value, limits::kMaxStackDepth> stack_{};
  size_t sp_ = 0;
  uint32_t steps_ = 0;
};

}  // namespace

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPass: return "pass";
    case Outcome::kFail: return "fail";
    default: return "error";
  }
}

Outcome Evaluate(const Rule& rule, const ProductFacts& facts, std::string* error) {
  return Machine(rule, facts, nullptr, {}).Run(error, nullptr);
}

Evaluation Explain(const Rule& rule, const ProductFacts& facts, std::string_view source) {
  Evaluation e;
  e.outcome = Machine(rule, facts, &e.figures, source).Run(&e.error, &e.steps);
  return e;
}

}  // namespace circuledger::contracts

#include "contracts/lexer.h"

#include "contracts/limits.h"
#include "contracts/time.h"

namespace circuledger::contracts {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }

class Lexer {
 public:
  Lexer(std::string_view src, std::vector<Token>& out, CompileError* err) : s_(src), out_(out), err_(err) {}

  bool Run() {
    while (true) {
      SkipSpaceAndComments();
      if (failed_) return false;
      Token t;
      t.line = line_;
      t.col = col_;
      t.offset = static_cast<uint32_t>(i_);
      if (i_ >= s_.size()) {
        t.end = t.offset;
        out_.push_back(std::move(t));
        return true;
      }
      const char c = s_[i_];
      bool ok = false;
      if (IsDigit(c)) {
        ok = Number(t);
      } else if (IsIdentStart(c)) {
        ok = Ident(t);
      } else if (c == '"') {
        ok = String(t);
      } else {
        ok = Punct(t);
      }
      if (!ok) return false;
      t.end = static_cast<uint32_t>(i_);
      out_.push_back(std::move(t));
    }
  }

 private:
  bool Fail(uint32_t line, uint32_t col, std::string msg) {
    if (err_) *err_ = CompileError{line, col, std::move(msg)};
    failed_ = true;
    return false;
  }
  void Advance() {
    if (s_[i_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++i_;
  }
  void SkipSpaceAndComments() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        Advance();
      } else if (c == '#') {
        while (i_ < s_.size() && s_[i_] != '\n') Advance();
      } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
        Fail(line_, col_, "unexpected byte " + std::to_string(static_cast<unsigned char>(c)) +
                              " (rule sources are printable ASCII)");
        return;
      } else {
        return;
      }
    }
  }

  bool Ident(Token& t) {
    const size_t start = i_;
    while (i_ < s_.size() && IsIdentChar(s_[i_])) Advance();
    t.kind = Tok::kIdent;
    t.text = std::string(s_.substr(start, i_ - start));
    if (t.text.size() > 32) return Fail(t.line, t.col, "name too long: " + t.text.substr(0, 32) + "...");
    return true;
  }

  bool String(Token& t) {
    Advance();  // opening quote
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\n') {
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c < 0x20 || c > 0x7e) return Fail(line_, col_, "strings hold printable ASCII only");
      if (c == '\\') return Fail(line_, col_, "strings have no escapes");
      Advance();
    }
    if (i_ >= s_.size() || s_[i_] != '"') return Fail(t.line, t.col, "unterminated string");
    t.kind = Tok::kString;
    t.text = std::string(s_.substr(start, i_ - start));
    Advance();  // closing quote
    if (t.text.size() > limits::kMaxTitleLen) return Fail(t.line, t.col, "string too long");
    return true;
  }

  // Digits with an optional fraction, then an optional suffix: %, mg, g, kg, t; or a date.
  bool Number(Token& t) {
    const size_t start = i_;
    while (i_ < s_.size() && IsDigit(s_[i_])) Advance();
    if (i_ < s_.size() && s_[i_] == '-' && i_ - start == 4) return Date(t, start);
    const std::string_view whole = s_.substr(start, i_ - start);
    std::string_view frac;
    if (i_ < s_.size() && s_[i_] == '.') {
      Advance();
      const size_t fs = i_;
      while (i_ < s_.size() && IsDigit(s_[i_])) Advance();
      frac = s_.substr(fs, i_ - fs);
      if (frac.empty()) return Fail(t.line, t.col, "a decimal point must be followed by digits");
    }
    const size_t us = i_;
    while (i_ < s_.size() && (IsIdentChar(s_[i_]) || s_[i_] == '%')) Advance();
    const std::string_view unit = s_.substr(us, i_ - us);
    if (whole.size() > 19) return Fail(t.line, t.col, "number too large");

    int64_t scale = 1;  // how many units of the result one unit of the literal is
    size_t max_frac = 0;
    if (unit.empty()) {
      t.kind = Tok::kInt;
    } else if (unit == "%") {
      t.kind = Tok::kPercent, scale = 100, max_frac = 2;
    } else if (unit == "mg") {
      t.kind = Tok::kMass, scale = 1;
    } else if (unit == "g") {
      t.kind = Tok::kMass, scale = 1000, max_frac = 3;
    } else if (unit == "kg") {
      t.kind = Tok::kMass, scale = 1'000'000, max_frac = 6;
    } else if (unit == "t") {
      t.kind = Tok::kMass, scale = 1'000'000'000, max_frac = 9;
    } else {
      return Fail(t.line, t.col, "unknown unit '" + std::string(unit) + "' (use %, mg, g, kg or t)");
    }
    if (frac.size() > max_frac) {
      return Fail(t.line, t.col, max_frac == 0 ? "a number without a unit must be an integer"
                                 : t.kind == Tok::kPercent ? "percentages have at most two decimals"
                                                           : "a mass must come to whole milligrams");
    }
    // value = (whole * 10^|frac| + frac) * scale / 10^|frac|, exactly and within kMaxLiteral.
    __extension__ using i128 = __int128;
    i128 v = 0;
    for (char c : whole) v = v * 10 + (c - '0');
    i128 pow10 = 1;
    for (char c : frac) v = v * 10 + (c - '0'), pow10 *= 10;
    v = v * scale / pow10;
    if (v > limits::kMaxLiteral) return Fail(t.line, t.col, "number too large");
    t.value = static_cast<int64_t>(v);
    t.text = std::string(s_.substr(start, i_ - start));
    return true;
  }

  bool Date(Token& t, size_t start) {
    while (i_ < s_.size() && (IsDigit(s_[i_]) || s_[i_] == '-' || s_[i_] == ':' || s_[i_] == 'T' || s_[i_] == 'Z')) {
      Advance();
    }
    t.text = std::string(s_.substr(start, i_ - start));
    std::optional<uint64_t> ms = ParseUtc(t.text);
    if (!ms) return Fail(t.line, t.col, "bad date '" + t.text + "' (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC)");
    t.kind = Tok::kDate;
    t.value = static_cast<int64_t>(*ms);
    return true;
  }

  bool Punct(Token& t) {
    static constexpr std::string_view kTwo[] = {"<=", ">=", "==", "!="};
    for (std::string_view p : kTwo) {
      if (s_.substr(i_, 2) == p) {
        Advance(), Advance();
        t.kind = Tok::kPunct, t.text = std::string(p);
        return true;
      }
    }
    const char c = s_[i_];
    if (std::string_view("(){},+-*/<>").find(c) == std::string_view::npos) {
      return Fail(t.line, t.col, std::string("unexpected character '") + c + "'");
    }
    Advance();
    t.kind = Tok::kPunct, t.text = std::string(1, c);
    return true;
  }

  std::string_view s_;
  std::vector<Token>& out_;
  CompileError* err_;
  size_t i_ = 0;
  uint32_t line_ = 1;
  uint32_t col_ = 1;
  bool failed_ = false;
};

}  // namespace

std::string CompileError::ToString() const {
  return std::to_string(line) + ":" + std::to_string(col) + ": " + message;
}

bool Tokenize(std::string_view source, std::vector<Token>& out, CompileError* error) {
  out.clear();
  if (source.size() > limits::kMaxSourceBytes) {
    if (error) *error = CompileError{1, 1, "source larger than " + std::to_string(limits::kMaxSourceBytes) + " bytes"};
    return false;
  }
  return Lexer(source, out, error).Run();
}

}  // namespace circuledger::contracts

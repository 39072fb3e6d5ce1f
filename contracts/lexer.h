// contracts/lexer.h: splits rule source text into tokens with line and column.
//
// Literals are checked here: integers up to limits::kMaxLiteral, percents with at most two
// decimals, masses with a unit (mg, g, kg, t) that come to whole milligrams, dates as in
// contracts/time.h, strings of printable ASCII without escapes. Stateless functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace circuledger::contracts {

enum class Tok : uint8_t {
  kEnd,
  kIdent,     // keyword or fact name
  kString,    // text = contents without quotes
  kInt,       // value
  kPercent,   // value = basis points (16% = 1600)
  kMass,      // value = milligrams
  kDate,      // value = ms since epoch
  kPunct,     // text = "(", ")", "{", "}", ",", "+", "-", "*", "/", "<", "<=", ">", ">=", "==", "!="
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  int64_t value = 0;
  uint32_t line = 1;
  uint32_t col = 1;
  uint32_t offset = 0;  // byte offset of the token's first character
  uint32_t end = 0;     // byte offset just past it
};

// A compile error at a position: "line:col: message" when printed.
struct CompileError {
  uint32_t line = 0;
  uint32_t col = 0;
  std::string message;
  std::string ToString() const;
};

// Tokens of `source`, ending with one kEnd token; false and *error on the first bad token.
bool Tokenize(std::string_view source, std::vector<Token>& out, CompileError* error);

}  // namespace circuledger::contracts

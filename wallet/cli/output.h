// wallet/cli/output.h: human-readable output of the CLI: aligned tables, labelled fields, masses,
// times, compositions. Reads the API's JSON shapes (docs: node/api.h); a missing or mistyped
// field throws nlohmann::json::exception, which main turns into exit code 3 ("unexpected
// answer"). Stateless helpers; not thread-safe only in that they write to the given stream.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace circuledger::wallet::cli {

// Columns padded to their widest cell; columns flagged in `right` are right-aligned (numbers).
class Table {
 public:
  explicit Table(std::vector<std::string> header, std::vector<bool> right = {});
  void Add(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }
  void Print(std::ostream& out, const std::string& indent = "") const;

 private:
  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// "label   value" lines with the values aligned.
void PrintFields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& fields);

// Unix milliseconds as "2026-01-01 12:00:00.123 UTC".
std::string FormatTimeMs(uint64_t ms);
// num/den as "16.00%" (exact, rounded down; the ledger's FormatPercent2).
std::string Percent(uint64_t num, uint64_t den);
// A JSON array of strings as "a, b, c", or "-" when empty.
std::string JoinList(const nlohmann::json& array);
// A JSON string or null as text ("-" for null).
std::string TextOrDash(const nlohmann::json& v);

// A composition (the API's [{"material","total_mg","recycled_mg"}]) as a table with a total row.
void PrintComposition(std::ostream& out, const nlohmann::json& composition,
                      const std::string& indent = "  ");
// One line: "Co 12.5 kg (16.00% recycled), Li 3 kg".
std::string CompositionSummary(const nlohmann::json& composition);
// Attestations as a table (nothing when there are none).
void PrintAttestations(std::ostream& out, const nlohmann::json& attestations);

}  // namespace circuledger::wallet::cli

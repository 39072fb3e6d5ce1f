#include "wallet/cli/output.h"

#include <ctime>
#include <ostream>

#include "contracts/facts.h"
#include "wallet/amounts.h"

namespace circuledger::wallet::cli {

using nlohmann::json;

namespace {

// Display width: count UTF-8 code points, not bytes (ids are ASCII; org names may not be).
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A mass cell: "0" rather than "0 mg" beside masses in kg.
std::string MassCell(uint64_t mg) { return mg == 0 ? "0" : FormatMass(mg); }

}  // namespace

Table::Table(std::vector<std::string> header, std::vector<bool> right)
    : header_(std::move(header)), right_(std::move(right)) {
  right_.resize(header_.size(), false);
}

void Table::Add(std::vector<std::string> row) {
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

void Table::Print(std::ostream& out, const std::string& indent) const {
  std::vector<size_t> width(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], Width(row[i]));
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  auto print = [&](const std::vector<std::string>& row) {
    std::string line = indent;
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - Width(row[i]), ' ');
      const bool last = i + 1 == row.size();
      line += right_[i] ? pad + row[i] : row[i] + (last ? "" : pad);
      if (!last) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print(header_);
  for (const auto& r : rows_) print(r);
}

void PrintFields(std::ostream& out,
                 const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t w = 0;
  for (const auto& [label, value] : fields) w = std::max(w, Width(label));
  for (const auto& [label, value] : fields) {
    out << label << std::string(w - Width(label) + 2, ' ') << value << "\n";
  }
}

std::string FormatTimeMs(uint64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  if (!::gmtime_r(&secs, &tm)) return std::to_string(ms) + " ms";
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::string frac = std::to_string(ms % 1000);
  frac.insert(0, 3 - frac.size(), '0');
  return std::string(buf, n) + "." + frac + " UTC";
}

std::string Percent(uint64_t num, uint64_t den) {
  return contracts::FormatPercent2(num, den) + "%";
}

std::string JoinList(const json& array) {
  if (!array.is_array() || array.empty()) return "-";
  std::string out;
  for (const json& v : array) {
    if (!out.empty()) out += ", ";
    out += v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

std::string TextOrDash(const json& v) {
  if (v.is_null()) return "-";
  return v.is_string() ? v.get<std::string>() : v.dump();
}

void PrintComposition(std::ostream& out, const json& composition, const std::string& indent) {
  Table t({"MATERIAL", "TOTAL", "RECYCLED", "RECYCLED %"}, {false, true, true, true});
  uint64_t total = 0;
  uint64_t recycled = 0;
  for (const json& m : composition) {
    const uint64_t tm = m.at("total_mg").get<uint64_t>();
    const uint64_t rm = m.at("recycled_mg").get<uint64_t>();
    total += tm;
    recycled += rm;
    t.Add({m.at("material").get<std::string>(), MassCell(tm), MassCell(rm), Percent(rm, tm)});
  }
  if (composition.size() > 1)
    t.Add({"(all)", MassCell(total), MassCell(recycled), Percent(recycled, total)});
  t.Print(out, indent);
}

std::string CompositionSummary(const json& composition) {
  std::string out;
  for (const json& m : composition) {
    const uint64_t tm = m.at("total_mg").get<uint64_t>();
    const uint64_t rm = m.at("recycled_mg").get<uint64_t>();
    if (!out.empty()) out += ", ";
    out += m.at("material").get<std::string>() + " " + FormatMass(tm);
    if (rm > 0) out += " (" + Percent(rm, tm) + " recycled)";
  }
  return out.empty() ? "-" : out;
}

void PrintAttestations(std::ostream& out, const json& attestations) {
  if (!attestations.is_array() || attestations.empty()) return;
  out << "\nattestations (" << attestations.size() << ")\n";
  Table t({"KIND", "ISSUER", "REFERENCE", "ISSUED", "EXPIRES"});
  for (const json& a : attestations) {
    const uint64_t expiry = a.at("expiry_ms").get<uint64_t>();
    t.Add({a.at("kind").get<std::string>(), a.at("issuer").get<std::string>(),
           a.at("reference").get<std::string>(), FormatTimeMs(a.at("time_ms").get<uint64_t>()),
           expiry == 0 ? "never" : FormatTimeMs(expiry)});
  }
  t.Print(out, "  ");
}

}  // namespace circuledger::wallet::cli

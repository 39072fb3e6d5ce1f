// `circuledger rules check|register|list|show` and `circuledger compliance`: eco-design rule sets
// (contracts/RULES.md). `rules check` compiles and evaluates offline, without a node.
#include <fstream>
#include <ostream>
#include <sstream>

#include "contracts/compiler.h"
#include "contracts/evaluator.h"
#include "contracts/time.h"
#include "wallet/builder.h"
#include "wallet/cli/context.h"
#include "wallet/cli/output.h"
#include "wallet/passport_facts.h"

namespace circuledger::wallet::cli {

using nlohmann::json;

namespace {

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// --at: a UTC date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ) or ms since the epoch; default now.
Result<uint64_t> AtTime(const ParsedArgs& a) {
  if (!a.Has("--at")) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  }
  const std::string v = a.Get("--at");
  if (std::optional<uint64_t> t = contracts::ParseUtc(v)) return *t;
  Result<uint64_t> ms = ParseU64(v, "--at");
  if (!ms.ok()) return Status::InvalidArgument("--at is YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or ms since the epoch");
  return *ms;
}

std::string Period(const contracts::Rule& r) {
  return contracts::FormatUtc(r.from_ms) + " .. " + (r.until_ms == contracts::kNoEnd ? "" : contracts::FormatUtc(r.until_ms));
}

// Compiles FILE; prints "FILE:line:col: message" on failure (exit 2, as the ledger would refuse it).
int CompileFile(Context& ctx, const std::string& path, std::string& source, contracts::RuleSet& set) {
  Result<std::string> text = ReadText(path);
  if (!text.ok()) return ctx.Usage(text.status().message());
  source = *text;
  auto compiled = contracts::Compile(source);
  if (auto* e = std::get_if<contracts::CompileError>(&compiled)) {
    return ctx.Fail(Status::Rejected("rules-invalid", path + ":" + e->ToString()));
  }
  set = std::get<contracts::RuleSet>(std::move(compiled));
  return kExitOk;
}

json FiguresJson(const std::vector<contracts::Figure>& figures) {
  json out = json::array();
  for (const contracts::Figure& f : figures) {
    out.push_back({{"expr", f.expr}, {"left", f.left}, {"right", f.right}, {"holds", f.holds}});
  }
  return out;
}

std::string FiguresText(const json& figures) {
  std::string s;
  for (const json& f : figures) {
    s += (s.empty() ? "" : "; ") + f.at("expr").get<std::string>() + ": " + f.at("left").get<std::string>() +
         " vs " + f.at("right").get<std::string>();
  }
  return s.empty() ? "-" : s;
}

int Check(Context& ctx, const ParsedArgs& a) {
  std::string source;
  contracts::RuleSet set;
  if (int rc = CompileFile(ctx, a.positionals[0], source, set); rc != kExitOk) return rc;
  if (!a.Has("--product")) {
    if (ctx.json()) {
      json rules = json::array();
      for (const contracts::Rule& r : set.rules) {
        rules.push_back({{"id", r.id}, {"mode", contracts::ModeName(r.mode)}, {"on", contracts::TriggerName(r.trigger)},
                         {"categories", r.categories}, {"from_ms", r.from_ms}, {"instructions", r.program.code.size()}});
      }
      ctx.out() << json{{"rule_set", set.id}, {"version", set.version}, {"rules", rules}}.dump(2) << "\n";
      return kExitOk;
    }
    ctx.out() << "rule set " << set.id << " version " << set.version << ": compiles, " << set.rules.size() << " rules\n";
    Table t({"RULE", "MODE", "ON", "CATEGORIES", "IN FORCE", "INSTRUCTIONS"}, {false, false, false, false, false, true});
    for (const contracts::Rule& r : set.rules) {
      std::string cats;
      for (const std::string& c : r.categories) cats += (cats.empty() ? "" : ",") + c;
      t.Add({r.id, contracts::ModeName(r.mode), contracts::TriggerName(r.trigger), cats, Period(r),
             std::to_string(r.program.code.size())});
    }
    t.Print(ctx.out(), "  ");
    return kExitOk;
  }
  Result<uint64_t> at = AtTime(a);
  if (!at.ok()) return ctx.Usage(at.status().message());
  Result<std::string> passport = ReadText(a.Get("--product"));
  if (!passport.ok()) return ctx.Usage(passport.status().message());
  Result<PassportFacts> facts = PassportFacts::Parse(*passport, *at);
  if (!facts.ok()) return ctx.Usage(facts.status().message());
  json rules = json::array();
  bool enforced_failure = false;
  for (const contracts::Rule& r : set.rules) {
    if (r.trigger != contracts::Trigger::kAssemble || !r.InForceAt(*at) || !r.AppliesTo(facts->Category())) continue;
    const contracts::Evaluation e = contracts::Explain(r, *facts, source);
    enforced_failure |= r.mode == contracts::Mode::kEnforce && e.outcome != contracts::Outcome::kPass;
    json j = {{"rule", r.id}, {"title", r.title}, {"mode", contracts::ModeName(r.mode)},
              {"outcome", contracts::OutcomeName(e.outcome)}, {"figures", FiguresJson(e.figures)}};
    if (e.outcome == contracts::Outcome::kError) j["error"] = e.error;
    rules.push_back(std::move(j));
  }
  if (ctx.json()) {
    ctx.out() << json{{"product", facts->id()}, {"category", facts->Category()}, {"time_ms", *at}, {"rules", rules}}.dump(2) << "\n";
  } else {
    ctx.out() << facts->id() << " (" << facts->Category() << ") at " << contracts::FormatUtc(*at) << ": "
              << rules.size() << " rules of " << set.id << " v" << set.version << " in force\n";
    Table t({"RULE", "MODE", "OUTCOME", "FIGURES"});
    for (const json& r : rules) {
      t.Add({r.at("rule").get<std::string>(), r.at("mode").get<std::string>(),
             r.at("outcome").get<std::string>() + (r.contains("error") ? " (" + r["error"].get<std::string>() + ")" : ""),
             FiguresText(r.at("figures"))});
    }
    if (!t.empty()) t.Print(ctx.out(), "  ");
  }
  return enforced_failure ? kExitRejected : kExitOk;
}

int Register(Context& ctx, const ParsedArgs& a) {
  std::string source;
  contracts::RuleSet set;
  if (int rc = CompileFile(ctx, a.positionals[0], source, set); rc != kExitOk) return rc;
  return ctx.SendOp(ledger::Op{ledger::RegisterRules{std::move(source)}}, a);
}

// GET and print: the JSON with --json, else `human(json)`. 404 -> exit 6.
template <class Human>
int Query(Context& ctx, const std::string& path, Human human) {
  Result<const Client*> c = ctx.client();
  if (!c.ok()) return ctx.Usage(c.status().message());
  Result<json> j = GetJson(**c, path);
  if (!j.ok()) return j.status().IsInvalidArgument() ? ctx.Usage(j.status().message()) : ctx.Fail(j.status());
  if (ctx.json()) {
    ctx.out() << j->dump(2) << "\n";
  } else {
    human(ctx.out(), *j);
  }
  return kExitOk;
}

int List(Context& ctx, const ParsedArgs&) {
  return Query(ctx, "/v1/rules", [](std::ostream& out, const json& j) {
    Table t({"RULE SET", "VERSION", "EFFECTIVE", "TX"}, {false, true});
    for (const json& e : j.at("rule_sets")) {
      t.Add({e.at("id").get<std::string>(), std::to_string(e.at("version").get<uint32_t>()),
             e.at("effective").get<std::string>(), e.at("tx").get<std::string>()});
    }
    if (t.empty()) out << "no rule sets registered\n";
    else t.Print(out);
  });
}

int Show(Context& ctx, const ParsedArgs& a) {
  std::string path = "/v1/rules/" + PercentEncode(a.positionals[0]);
  if (a.Has("--version")) {
    Result<uint64_t> v = ParseU64(a.Get("--version"), "--version");
    if (!v.ok()) return ctx.Usage(v.status().message());
    path += "?version=" + std::to_string(*v);
  }
  return Query(ctx, path, [](std::ostream& out, const json& j) {
    PrintFields(out, {{"rule set", j.at("id").get<std::string>()},
                      {"version", std::to_string(j.at("version").get<uint32_t>())},
                      {"effective", j.at("effective").get<std::string>()},
                      {"registered by", j.at("registered_by").get<std::string>()},
                      {"height", std::to_string(j.at("height").get<uint64_t>())}});
    out << "\n" << j.at("source").get<std::string>();
  });
}

int Compliance(Context& ctx, const ParsedArgs& a) {
  std::string path = "/v1/products/" + PercentEncode(a.positionals[0]) + "/compliance";
  if (a.Has("--at")) {
    Result<uint64_t> at = AtTime(a);
    if (!at.ok()) return ctx.Usage(at.status().message());
    path += "?at=" + std::to_string(*at);
  }
  return Query(ctx, path, [](std::ostream& out, const json& j) {
    out << j.at("product").get<std::string>() << " (" << j.at("category").get<std::string>() << ") at "
        << j.at("time").get<std::string>() << ": "
        << (j.at("rules").empty() ? "no rules in force" : j.at("compliant").get<bool>() ? "compliant" : "NOT compliant")
        << "\n";
    Table t({"RULE SET", "RULE", "MODE", "OUTCOME", "FIGURES"});
    for (const json& r : j.at("rules")) {
      t.Add({r.at("rule_set").get<std::string>() + " v" + std::to_string(r.at("version").get<uint32_t>()),
             r.at("id").get<std::string>(), r.at("mode").get<std::string>(),
             r.at("outcome").get<std::string>() + (r.contains("error") ? " (" + r["error"].get<std::string>() + ")" : ""),
             FiguresText(r.at("figures"))});
    }
    if (!t.empty()) t.Print(out, "  ");
  });
}

}  // namespace

std::vector<Command> RuleCommands() {
  const OptionSpec as{"--as", true, false, true};
  const OptionSpec at{"--at", true, false, false};
  return {
      {{"rules", "check"},
       "FILE [--product PASSPORT.json] [--at DATE]",
       "compile a rule set offline; with --product, evaluate it against a passport",
       "Without --product: lists the rules. With it: every `on assemble` rule in force at --at\n"
       "(default now) for the passport's category, pass/fail/error and the figures it used.\n"
       "PASSPORT.json is `circuledger show product ID --json`. DATE: YYYY-MM-DD (UTC).\n"
       "Exit 2 on a compile error (FILE:line:col: message) or when an enforced rule fails.",
       {OptionSpec{"--product", true, false, false}, at},
       1,
       1,
       Check},
      {{"rules", "register"},
       "FILE --as KEY",
       "register a rule set on the ledger (regulator keys only)",
       "Compiles locally first; the ledger compiles it again. See contracts/RULES.md.",
       {as},
       1,
       1,
       Register},
      {{"rules", "list"}, "", "registered rule sets and versions", "", {}, 0, 0, List},
      {{"rules", "show"},
       "ID [--version N]",
       "a rule set version (default the latest) with its source",
       "",
       {OptionSpec{"--version", true, false, false}},
       1,
       1,
       Show},
      {{"compliance"},
       "PRODUCT [--at DATE]",
       "every rule in force for a product: pass or fail, and the figures used",
       "DATE: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC) or ms; default the latest block time.",
       {at},
       1,
       1,
       Compliance},
  };
}

}  // namespace circuledger::wallet::cli

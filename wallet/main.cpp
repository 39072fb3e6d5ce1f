// circuledger: the CircuLedger wallet CLI. Builds and signs transactions locally (keys never leave
// the process), talks to a node's HTTP JSON API, and prints tables or (--json) JSON.
// Commands live in wallet/cli/; this file parses argv, finds the command and prints help.
#include <cassert>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "wallet/cli/context.h"

using namespace circuledger::wallet;
using namespace circuledger::wallet::cli;

namespace {

constexpr const char* kVersion = "circuledger 0.1.0";

constexpr const char* kGlobalHelp =
    "global options (anywhere on the line):\n"
    "  --node URL            node API (default: $CIRCULEDGER_NODE or http://127.0.0.1:8645)\n"
    "  --keystore DIR        key directory (default: $CIRCULEDGER_KEYSTORE or "
    "~/.circuledger/keys)\n"
    "  --password-file F     read the key password from the first line of F\n"
    "                        (else $CIRCULEDGER_PASSWORD, else a prompt on the terminal)\n"
    "  --json                machine output: the API's JSON, or a JSON object; errors as\n"
    "                        {\"error\":{\"code\",\"message\"}} on stdout\n"
    "  --no-wait             submit and return without waiting for the commit\n"
    "  --wait-timeout S      wait at most S seconds for the commit (default 30; then exit 5)\n"
    "  --help, -h            help for any command or group (e.g. `circuledger gov propose "
    "--help`)\n"
    "  --version\n";

constexpr const char* kExitHelp =
    "exit codes:\n"
    "  0  success\n"
    "  1  usage error (bad option, argument, amount or composition spec)\n"
    "  2  rejected by the ledger (prints `rejected: <reject string> (<detail>)`)\n"
    "  3  node unreachable, or an unexpected HTTP error or answer\n"
    "  4  keystore error (wrong password, unknown key, corrupt key file)\n"
    "  5  timed out waiting for the commit (the transaction may still commit)\n"
    "  6  not found (show or trace of an unknown id)\n"
    "  7  wrong chain: the node presents another genesis hash than the one pinned for its URL\n"
    "     (nothing signed; see `circuledger node trust --help`)\n";

struct Group {
  const char* title;
  std::vector<Command> commands;
};

std::vector<Group> AllGroups() {
  return {{"keys (local, encrypted)", KeyCommands()},
          {"operations (signed with --as KEY)", OpCommands()},
          {"governance (admin orgs)", GovCommands()},
          {"rules (eco-design compliance, contracts/RULES.md)", RuleCommands()},
          {"nodes (which chain each node URL is trusted to serve)", NodeCommands()},
          {"queries", [] {
             std::vector<Command> q = QueryCommands();
             for (Command& c : TraceCommands()) q.push_back(std::move(c));
             return q;
           }()}};
}

std::string Words(const Command& c) {
  std::string s;
  for (std::string_view w : c.words) s += (s.empty() ? "" : " ") + std::string(w);
  return s;
}

void PrintEntry(std::ostream& out, const Command& c) {
  out << "  " << Words(c) << (c.synopsis.empty() ? "" : " ") << c.synopsis << "\n      "
      << c.summary << "\n";
}

void PrintTopHelp(std::ostream& out, const std::vector<Group>& groups) {
  out << "circuledger: the CircuLedger wallet (keystore, transaction signer, queries)\n\n"
      << "usage: circuledger [global options] COMMAND [arguments]\n";
  for (const Group& g : groups) {
    out << "\n" << g.title << ":\n";
    for (const Command& c : g.commands) PrintEntry(out, c);
  }
  out << "\n" << kGlobalHelp << "\n" << kExitHelp;
}

void PrintCommandHelp(std::ostream& out, const Command& c) {
  out << "usage: circuledger " << Words(c) << (c.synopsis.empty() ? "" : " ") << c.synopsis
      << "\n\n"
      << c.summary << "\n";
  if (!c.details.empty()) out << "\n" << c.details << "\n";
  out << "\n" << kGlobalHelp << "\n" << kExitHelp;
}

bool StartsWith(const std::vector<std::string_view>& words, const std::vector<std::string>& pos,
                size_t n) {
  if (pos.size() < n || words.size() < n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (words[i] != pos[i]) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<Group> groups = AllGroups();
  std::vector<const Command*> commands;
  std::set<std::string, std::less<>> value_options;
  std::map<std::string_view, bool> arity;
  for (const Group& g : groups) {
    for (const Command& c : g.commands) {
      commands.push_back(&c);
      for (const OptionSpec& o : c.options) {
        // One name, one arity, across all commands: argv is split before the command is known.
        auto [it, fresh] = arity.emplace(o.name, o.takes_value);
        assert(fresh || it->second == o.takes_value);
        if (o.takes_value) value_options.emplace(o.name);
      }
    }
  }

  GlobalOptions globals;
  Result<ParsedArgs> parsed = SplitArgs({argv + 1, argv + argc}, value_options, &globals);
  Context ctx(globals, std::cout, std::cerr);
  if (!parsed.ok()) return ctx.Usage(parsed.status().message());
  ParsedArgs& args = *parsed;
  if (globals.version) {
    std::cout << kVersion << "\n";
    return kExitOk;
  }

  // The command whose words are the longest prefix of the positionals.
  const Command* cmd = nullptr;
  for (const Command* c : commands) {
    if (StartsWith(c->words, args.positionals, c->words.size()) &&
        (!cmd || c->words.size() > cmd->words.size())) {
      cmd = c;
    }
  }
  if (!cmd) {
    if (args.positionals.empty()) {
      PrintTopHelp(globals.help ? std::cout : std::cerr, groups);
      return globals.help ? kExitOk : kExitUsage;
    }
    // A group ("gov", "gov propose", "show"): list its commands.
    std::vector<const Command*> members;
    for (const Command* c : commands) {
      if (c->words.size() > args.positionals.size() &&
          StartsWith(c->words, args.positionals, args.positionals.size())) {
        members.push_back(c);
      }
    }
    std::string words;
    for (const std::string& p : args.positionals) words += (words.empty() ? "" : " ") + p;
    if (members.empty()) return ctx.Usage("unknown command \"" + words + "\"");
    std::ostream& out = globals.help ? std::cout : std::cerr;
    if (!globals.help) out << "circuledger: " << words << ": which one?\n";
    out << "usage: circuledger " << words << " SUBCOMMAND ...\n\n";
    for (const Command* c : members) PrintEntry(out, *c);
    out << "\nhelp on one: circuledger " << words << " SUBCOMMAND --help\n";
    return globals.help ? kExitOk : kExitUsage;
  }
  ctx.SetCommand(cmd);
  if (globals.help) {
    PrintCommandHelp(std::cout, *cmd);
    return kExitOk;
  }
  args.positionals.erase(args.positionals.begin(),
                         args.positionals.begin() + static_cast<long>(cmd->words.size()));
  if (Status s = CheckArgs(args, cmd->options, cmd->min_positionals, cmd->max_positionals);
      !s.ok()) {
    return ctx.Usage(s.message() + "\nusage: circuledger " + Words(*cmd) + " " +
                     std::string(cmd->synopsis));
  }
  try {
    return cmd->run(ctx, args);
  } catch (const nlohmann::json::exception& e) {
    // The node answered JSON of another shape than this wallet knows (a version mismatch?).
    return ctx.Fail(
        Status::Unavailable(std::string("unexpected answer from the node: ") + e.what()));
  }
}

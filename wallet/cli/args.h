// wallet/cli/args.h: command-line parsing of the circuledger CLI.
//
// Global options (--node, --keystore, --json, --no-wait, --wait-timeout, --password-file, --help,
// --version) may
// appear anywhere. Every other "--name" is a command option; which of them take a value is one
// table for all commands (an option name means the same everywhere), so argv splits in one pass
// before the command is known. "--name=value" works too; "--" ends the options.
// Plain data and pure functions; not shared between threads.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "wallet/status.h"

namespace circuledger::wallet::cli {

struct GlobalOptions {
  std::optional<std::string> node;           // --node URL
  std::optional<std::string> keystore;       // --keystore DIR
  std::optional<std::string> password_file;  // --password-file F
  std::optional<std::string> wait_timeout;   // --wait-timeout SECONDS (default 30)
  bool json = false;                         // --json
  bool no_wait = false;                      // --no-wait
  bool help = false;                         // --help, -h
  bool version = false;                      // --version
};

struct ParsedArgs {
  std::vector<std::string> positionals;
  std::map<std::string, std::vector<std::string>> options;  // "--to" -> values; a flag -> {""}

  bool Has(const std::string& name) const { return options.count(name) != 0; }
  // The (last) value of an option, or "".
  std::string Get(const std::string& name) const;
  // Every value of a repeatable option, in order.
  std::vector<std::string> All(const std::string& name) const;
};

// One option a command accepts.
struct OptionSpec {
  std::string_view name;  // "--to"
  bool takes_value = true;
  bool repeatable = false;
  bool required = false;
};

// Splits argv (without argv[0]). `value_options` names the command options that take a value.
// InvalidArgument for a value option without its value or a single-dash option other than -h.
Result<ParsedArgs> SplitArgs(const std::vector<std::string>& argv,
                             const std::set<std::string, std::less<>>& value_options,
                             GlobalOptions* globals);

// Checks a command's options and positional count (after its command words are removed):
// unknown options, repeats of non-repeatable ones, missing required ones, wrong arity.
Status CheckArgs(const ParsedArgs& args, const std::vector<OptionSpec>& specs,
                 size_t min_positionals, size_t max_positionals);

}  // namespace circuledger::wallet::cli

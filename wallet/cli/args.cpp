#include "wallet/cli/args.h"

namespace circuledger::wallet::cli {

std::string ParsedArgs::Get(const std::string& name) const {
  auto it = options.find(name);
  return it == options.end() || it->second.empty() ? std::string() : it->second.back();
}

std::vector<std::string> ParsedArgs::All(const std::string& name) const {
  auto it = options.find(name);
  return it == options.end() ? std::vector<std::string>() : it->second;
}

Result<ParsedArgs> SplitArgs(const std::vector<std::string>& argv,
                             const std::set<std::string, std::less<>>& value_options,
                             GlobalOptions* g) {
  ParsedArgs out;
  bool options_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (options_done || a == "-" || a.empty() || a[0] != '-') {
      out.positionals.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (a == "-h") {
      g->help = true;
      continue;
    }
    if (a.size() < 3 || a[1] != '-') return Status::InvalidArgument("unknown option " + a);
    std::string name = a;
    std::optional<std::string> inline_value;
    if (const size_t eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
    }
    const bool global_value = name == "--node" || name == "--keystore" ||
                              name == "--password-file" || name == "--wait-timeout";
    const bool takes_value = global_value || value_options.count(name) != 0;
    std::string value;
    if (takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < argv.size()) {
        value = argv[++i];
      } else {
        return Status::InvalidArgument(name + " needs a value");
      }
    } else if (inline_value) {
      return Status::InvalidArgument(name + " takes no value");
    }
    if (name == "--node") {
      g->node = value;
    } else if (name == "--keystore") {
      g->keystore = value;
    } else if (name == "--password-file") {
      g->password_file = value;
    } else if (name == "--wait-timeout") {
      g->wait_timeout = value;
    } else if (name == "--json") {
      g->json = true;
    } else if (name == "--no-wait") {
      g->no_wait = true;
    } else if (name == "--help") {
      g->help = true;
    } else if (name == "--version") {
      g->version = true;
    } else {
      out.options[name].push_back(value);
    }
  }
  return out;
}

Status CheckArgs(const ParsedArgs& args, const std::vector<OptionSpec>& specs,
                 size_t min_positionals, size_t max_positionals) {
  for (const auto& [name, values] : args.options) {
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (!spec) return Status::InvalidArgument("unknown option " + name + " for this command");
    if (!spec->repeatable && values.size() > 1)
      return Status::InvalidArgument(name + " may be given only once");
  }
  for (const OptionSpec& s : specs) {
    if (s.required && !args.Has(std::string(s.name)))
      return Status::InvalidArgument(std::string(s.name) + " is required");
  }
  const size_t n = args.positionals.size();
  if (n < min_positionals) return Status::InvalidArgument("missing argument");
  if (n > max_positionals)
    return Status::InvalidArgument("unexpected argument \"" + args.positionals[max_positionals] +
                                   "\"");
  return Status::Ok();
}

}  // namespace circuledger::wallet::cli

#include "bench/flags.h"

#include <charconv>

namespace circuledger::bench {

using ledger::Status;

void Flags::AddUint(std::string name, uint64_t* out, uint64_t min, uint64_t max, std::string help) {
  uints_.push_back(Uint{std::move(name), out, min, max, *out, std::move(help)});
}

Flags::Uint* Flags::Find(const std::string& name) {
  for (Uint& u : uints_) {
    if (u.name == name) return &u;
  }
  return nullptr;
}

Status Flags::Parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) return Status::InvalidArgument("unexpected argument " + arg);
    std::string name = arg.substr(2);
    std::string value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Status::InvalidArgument("--" + name + ": missing value");
    }
    Uint* flag = Find(name);
    if (!flag) return Status::InvalidArgument("unknown flag --" + name);
    uint64_t v = 0;
    const char* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, v);
    if (value.empty() || ec != std::errc() || ptr != end) {
      return Status::InvalidArgument("--" + name + ": not an unsigned integer: " + value);
    }
    if (v < flag->min || v > flag->max) {
      return Status::InvalidArgument("--" + name + ": " + value + " is outside " +
                                     std::to_string(flag->min) + ".." + std::to_string(flag->max));
    }
    *flag->out = v;
  }
  return Status::Ok();
}

std::string Flags::Usage() const {
  std::string out;
  for (const Uint& u : uints_) {
    out +=
        "  --" + u.name + " N  " + u.help + " (default " + std::to_string(u.default_value) + ")\n";
  }
  return out;
}

}  // namespace circuledger::bench

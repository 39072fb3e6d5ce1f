// bench/flags.h: the command-line flags of one subcommand ("--name N" or "--name=N").
//
// A subcommand declares the flags it knows with their defaults and bounds; Parse() fills them and
// returns InvalidArgument naming the first unknown flag, missing value or out-of-range number.
// Plain values; not synchronized.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/status.h"

namespace circuledger::bench {

class Flags {
 public:
  // Declares an unsigned flag; `*out` holds the default and receives the parsed value.
  void AddUint(std::string name, uint64_t* out, uint64_t min, uint64_t max, std::string help);

  // Parses args (the words after the subcommand). InvalidArgument("--txs: ...") on failure.
  ledger::Status Parse(const std::vector<std::string>& args);

  // One line per flag: "  --txs N  help (default 100000)".
  std::string Usage() const;

 private:
  struct Uint {
    std::string name;
    uint64_t* out = nullptr;
    uint64_t min = 0;
    uint64_t max = 0;
    uint64_t default_value = 0;
    std::string help;
  };
  Uint* Find(const std::string& name);
  std::vector<Uint> uints_;
};

}  // namespace circuledger::bench

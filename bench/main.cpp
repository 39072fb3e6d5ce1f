// circuledger-bench: benchmark programs of DESIGN.md section 9, one subcommand each.
//
// A subcommand is a function from its arguments to an exit code, listed in kSubcommands.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "bench/api.h"
#include "bench/cluster.h"
#include "bench/p2p.h"
#include "bench/rules.h"
#include "bench/trace.h"
#include "bench/validate.h"

namespace {

struct Subcommand {
  std::string_view name;
  std::string_view summary;
  int (*run)(const std::vector<std::string>& args);
};

constexpr Subcommand kSubcommands[] = {
    {"validate", "block validation (signatures, apply, synced commit) against raw verify/s",
     circuledger::bench::RunValidate},
    {"api", "transactions over HTTP to a dev node, committed, against raw verify/s; p99 commit latency",
     circuledger::bench::RunApi},
    {"cluster", "validator processes under HTTP load vs raw verify/s per validator; commit latency",
     circuledger::bench::RunCluster},
    {"p2p", "encrypted frame throughput between two P2pNodes beside the raw AEAD rate on one core",
     circuledger::bench::RunP2p},
    {"trace", "provenance trace latency (median, p99) on a graph of more than 10,000 lots",
     circuledger::bench::RunTrace},
    {"rules", "cost of one compliance rule evaluation and of an assemble's rule check, beside one verify",
     circuledger::bench::RunRules},
};

int Usage(std::ostream& out) {
  out << "usage: circuledger-bench <subcommand> [flags]   (circuledger-bench <subcommand> "
         "--help)\n";
  for (const Subcommand& s : kSubcommands) out << "  " << s.name << "  " << s.summary << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage(std::cerr);
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    Usage(std::cout);
    return 0;
  }
  for (const Subcommand& s : kSubcommands) {
    if (s.name == name) return s.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::cerr << "unknown subcommand " << name << "\n";
  return Usage(std::cerr);
}

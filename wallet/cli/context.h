// wallet/cli/context.h: what every command of the circuledger CLI gets: resolved global options,
// the node client, the keystore, and the exit-code contract.
//
// Exit codes (documented in `circuledger --help` and wallet/README.md):
//   0 success; 1 usage error; 2 rejected by the ledger; 3 node unreachable or unexpected HTTP
//   error; 4 keystore error; 5 timed out waiting for commit; 6 not found; 7 the node presents
//   another chain (genesis hash) than the one pinned for its URL.
// One Context per process run, used from the main thread only.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ops.h"
#include "wallet/cli/args.h"
#include "wallet/client.h"
#include "wallet/keystore.h"
#include "wallet/status.h"

namespace circuledger::wallet::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,
  kExitRejected = 2,
  kExitUnavailable = 3,
  kExitKeystore = 4,
  kExitTimeout = 5,
  kExitNotFound = 6,
  kExitWrongChain = 7,
};

int ExitCodeOf(const Status& s);

class Context;
using Handler = int (*)(Context&, const ParsedArgs&);

// One command: its words ("gov", "propose", "add-org"), its arguments and its help.
struct Command {
  std::vector<std::string_view> words;
  std::string_view synopsis;  // arguments after the words, e.g. "ID --to ORG --as KEY"
  std::string_view summary;   // one line
  std::string details;        // further help lines (may be empty)
  std::vector<OptionSpec> options;
  size_t min_positionals = 0;
  size_t max_positionals = 0;
  Handler run = nullptr;
};

// The command tables, one per file of wallet/cli/.
std::vector<Command> KeyCommands();
std::vector<Command> OpCommands();
std::vector<Command> GovCommands();
std::vector<Command> QueryCommands();
std::vector<Command> TraceCommands();
std::vector<Command> RuleCommands();
std::vector<Command> NodeCommands();

class Context {
 public:
  Context(GlobalOptions globals, std::ostream& out, std::ostream& err);

  const GlobalOptions& globals() const { return globals_; }
  bool json() const { return globals_.json; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  const std::string& node_url() const { return node_url_; }
  const std::string& keystore_dir() const { return keystore_dir_; }

  Keystore keystore() const;
  // The client for --node (created on first use).
  Result<const Client*> client();

  // Prints the failure (to stderr; with --json also {"error":{...}} on stdout) and returns its
  // exit code.
  int Fail(const Status& s);
  // A usage error for the current command: prints the message and a pointer to --help; exit 1.
  int Usage(const std::string& message);

  // Unlocks --as, signs `op` for the chain pinned for --node (pinning it on first use, refusing
  // with exit 7 a node that presents another), submits it, waits unless --no-wait, prints the
  // outcome.
  int SendOp(const Result<ledger::Op>& op, const ParsedArgs& args);
  // Resolves a key argument: 64 hex digits, or the name of a key in the keystore.
  Result<std::string> KeyHex(const std::string& hex_or_name);

  // The command being run (named by Usage); set by main.
  void SetCommand(const Command* command) { command_ = command; }

 private:
  GlobalOptions globals_;
  std::ostream& out_;
  std::ostream& err_;
  std::string node_url_;
  std::string keystore_dir_;
  std::optional<Client> client_;
  const Command* command_ = nullptr;
};

}  // namespace circuledger::wallet::cli

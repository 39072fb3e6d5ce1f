#include "wallet/cli/context.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "wallet/builder.h"
#include "wallet/cli/password.h"
#include "wallet/genesis_pins.h"

namespace circuledger::wallet::cli {

namespace {

std::string DefaultKeystoreDir() {
  if (const char* dir = std::getenv("CIRCULEDGER_KEYSTORE"); dir && *dir) return dir;
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    const passwd* pw = ::getpwuid(::getuid());
    home = pw ? pw->pw_dir : ".";
  }
  return std::string(home) + "/.circuledger/keys";
}

std::string DefaultNodeUrl() {
  if (const char* url = std::getenv("CIRCULEDGER_NODE"); url && *url) return url;
  return kDefaultNodeUrl;
}

// The "code" of the --json error object: the reject string for rejects, else the kind.
std::string ErrorCode(const Status& s) {
  using C = Status::Code;
  switch (s.code()) {
    case C::kRejected:
      return s.reject();
    case C::kInvalidArgument:
      return "usage";
    case C::kUnavailable:
      return "node-unavailable";
    case C::kNoKey:
      return "no-key";
    case C::kWrongPassword:
      return "wrong-password";
    case C::kCorruptKey:
      return "corrupt-key";
    case C::kKeyExists:
      return "key-exists";
    case C::kKeystoreIo:
      return "keystore-io";
    case C::kTimeout:
      return "timeout";
    case C::kNotFound:
      return "not-found";
    case C::kWrongChain:
      return "wrong-chain";
    case C::kOk:
      return "ok";
  }
  return "error";
}

}  // namespace

int ExitCodeOf(const Status& s) {
  if (s.ok()) return kExitOk;
  if (s.IsRejected()) return kExitRejected;
  if (s.IsUnavailable()) return kExitUnavailable;
  if (s.IsKeystore()) return kExitKeystore;
  if (s.IsTimeout()) return kExitTimeout;
  if (s.IsNotFound()) return kExitNotFound;
  if (s.IsWrongChain()) return kExitWrongChain;
  return kExitUsage;
}

Context::Context(GlobalOptions globals, std::ostream& out, std::ostream& err)
    : globals_(std::move(globals)),
      out_(out),
      err_(err),
      node_url_(globals_.node ? *globals_.node : DefaultNodeUrl()),
      keystore_dir_(globals_.keystore ? *globals_.keystore : DefaultKeystoreDir()) {}

Keystore Context::keystore() const {
  return Keystore(KeystoreOptions{keystore_dir_, kKeystoreDefaultScryptN});
}

Result<const Client*> Context::client() {
  if (!client_) {
    ClientOptions o;
    o.base_url = node_url_;
    Result<Client> c = Client::Create(o);
    if (!c.ok()) return c.status();
    client_.emplace(std::move(*c));
  }
  return &*client_;
}

int Context::Fail(const Status& s) {
  err_ << "circuledger: " << s.ToString() << "\n";
  if (globals_.json)
    out_ << nlohmann::json{{"error", {{"code", ErrorCode(s)}, {"message", s.ToString()}}}}.dump(2)
         << "\n";
  return ExitCodeOf(s);
}

int Context::Usage(const std::string& message) {
  std::string where = "circuledger";
  if (command_) {
    for (std::string_view w : command_->words) where += " " + std::string(w);
  }
  err_ << "circuledger: " << message << "\n(see `" << where << " --help`)\n";
  if (globals_.json)
    out_ << nlohmann::json{{"error", {{"code", "usage"}, {"message", message}}}}.dump(2) << "\n";
  return kExitUsage;
}

Result<std::string> Context::KeyHex(const std::string& hex_or_name) {
  if (hex_or_name.size() == 64 && ledger::PubKey::FromHex(hex_or_name)) return hex_or_name;
  if (!CheckKeyName(hex_or_name).ok()) {
    return Status::InvalidArgument("\"" + hex_or_name +
                                   "\" is neither 64 hex digits nor a key name");
  }
  Result<KeyInfo> info = keystore().Show(hex_or_name);
  if (!info.ok()) return info.status();
  return info->public_key.ToHex();
}

int Context::SendOp(const Result<ledger::Op>& op, const ParsedArgs& args) {
  if (!op.ok()) return Usage(op.status().message());
  SubmitOptions so;
  so.wait = !globals_.no_wait;
  if (globals_.wait_timeout) {
    Result<uint64_t> secs = ParseU64(*globals_.wait_timeout, "--wait-timeout");
    if (!secs.ok() || *secs == 0 || *secs > 86400)
      return Usage("--wait-timeout is 1..86400 seconds");
    so.wait_timeout_ms = static_cast<uint32_t>(*secs * 1000);
  }
  const std::string name = args.Get("--as");
  const Keystore ks = keystore();
  // Fail on an unknown key before asking for its password.
  if (Result<KeyInfo> info = ks.Show(name); !info.ok()) return Fail(info.status());
  Result<const Client*> c = client();
  if (!c.ok()) return Usage(c.status().message());
  // The chain to sign for, before the password is asked: the genesis hash pinned for this node
  // URL (pinned now on first use); a node on another chain is refused here.
  bool pinned_now = false;
  Result<ledger::Hash256> chain = TrustedGenesisHash(**c, GenesisPins(keystore_dir_), node_url_, &pinned_now);
  if (!chain.ok()) return Fail(chain.status());
  if (pinned_now) {
    err_ << "circuledger: pinned genesis hash " << chain->ToHex() << " for " << *NodeUrlKey(node_url_)
         << " (first use; see `circuledger node pins`)\n";
  }
  so.genesis_hash = *chain;
  Result<std::string> password =
      ReadPassword(globals_.password_file, "password for key " + name + ": ", false);
  if (!password.ok()) return Usage(password.status().message());
  Result<ledger::SecretKey> key = ks.Unlock(name, *password);
  WipeString(*password);
  if (!key.ok()) return Fail(key.status());

  const Submitter submitter(**c, so);
  Result<TxOutcome> sent = submitter.Send(*op, *key);
  if (!sent.ok()) return Fail(sent.status());
  const std::string id = sent->id.ToHex();
  if (globals_.json) {
    out_ << sent->json.dump(2) << "\n";
    return kExitOk;
  }
  if (sent->state == "committed") {
    out_ << "committed " << id << " at height " << sent->height << "\n";
  } else {
    out_ << "submitted " << id << " (" << sent->state << "; not waiting for a block)\n";
  }
  if (std::holds_alternative<ledger::Propose>(*op)) {
    out_ << "proposal id: " << id << "\n"
         << "admins approve it with: circuledger gov approve " << id << " --as KEY\n";
  }
  return kExitOk;
}

}  // namespace circuledger::wallet::cli

// `circuledger key ...`: the local encrypted keystore. Never contacts a node, never prints secrets.
#include <ostream>

#include "wallet/cli/context.h"
#include "wallet/cli/output.h"
#include "wallet/cli/password.h"

namespace circuledger::wallet::cli {

using nlohmann::json;

namespace {

json KeyJson(const KeyInfo& k) {
  return {{"name", k.name},
          {"public_key", k.public_key.ToHex()},
          {"path", k.path},
          {"scrypt_n", k.scrypt_n}};
}

int PrintKey(Context& ctx, const KeyInfo& k, const char* verb) {
  if (ctx.json()) {
    ctx.out() << KeyJson(k).dump(2) << "\n";
  } else {
    if (verb) ctx.out() << verb << " key " << k.name << "\n";
    PrintFields(ctx.out(),
                {{"name", k.name}, {"public key", k.public_key.ToHex()}, {"file", k.path}});
  }
  return kExitOk;
}

// Creates or imports: asks for the new password (twice on a terminal) and writes the file.
int Store(Context& ctx, const std::string& name, const std::optional<std::string>& secret_hex) {
  const Keystore ks = ctx.keystore();
  if (Status s = CheckKeyName(name); !s.ok()) return ctx.Usage(s.message());
  if (Result<KeyInfo> existing = ks.Show(name); existing.ok() || !existing.status().IsNoKey()) {
    return ctx.Fail(existing.ok() ? Status::KeyExists("a key named " + name + " already exists (" +
                                                      existing->path + ")")
                                  : existing.status());
  }
  Result<std::string> password =
      ReadPassword(ctx.globals().password_file, "new password for key " + name + ": ", true);
  if (!password.ok()) return ctx.Usage(password.status().message());
  Result<KeyInfo> info =
      secret_hex ? ks.Import(name, *secret_hex, *password) : ks.Create(name, *password);
  WipeString(*password);
  if (!info.ok())
    return info.status().IsInvalidArgument() ? ctx.Usage(info.status().message())
                                             : ctx.Fail(info.status());
  return PrintKey(ctx, *info, secret_hex ? "imported" : "created");
}

int KeyNew(Context& ctx, const ParsedArgs& a) { return Store(ctx, a.positionals[0], std::nullopt); }

int KeyImport(Context& ctx, const ParsedArgs& a) {
  const std::string& name = a.positionals[0];
  if (Status s = CheckKeyName(name); !s.ok()) return ctx.Usage(s.message());
  std::optional<std::string> file;
  if (a.Has("--file")) file = a.Get("--file");
  Result<std::string> secret = ReadSecretHex(file);
  if (!secret.ok()) return ctx.Usage(secret.status().message());
  const int code = Store(ctx, name, *secret);
  WipeString(*secret);
  return code;
}

int KeyList(Context& ctx, const ParsedArgs&) {
  std::vector<std::string> problems;
  Result<std::vector<KeyInfo>> keys = ctx.keystore().List(&problems);
  if (!keys.ok()) return ctx.Fail(keys.status());
  for (const std::string& p : problems) ctx.err() << "circuledger: warning: " << p << "\n";
  if (ctx.json()) {
    json arr = json::array();
    for (const KeyInfo& k : *keys) arr.push_back(KeyJson(k));
    ctx.out() << json{{"keystore", ctx.keystore_dir()}, {"keys", arr}}.dump(2) << "\n";
    return kExitOk;
  }
  if (keys->empty()) {
    ctx.out() << "no keys in " << ctx.keystore_dir()
              << " (create one with `circuledger key new NAME`)\n";
    return kExitOk;
  }
  Table t({"NAME", "PUBLIC KEY"});
  for (const KeyInfo& k : *keys) t.Add({k.name, k.public_key.ToHex()});
  t.Print(ctx.out());
  return kExitOk;
}

int KeyShow(Context& ctx, const ParsedArgs& a) {
  Result<KeyInfo> k = ctx.keystore().Show(a.positionals[0]);
  if (!k.ok())
    return k.status().IsInvalidArgument() ? ctx.Usage(k.status().message()) : ctx.Fail(k.status());
  return PrintKey(ctx, *k, nullptr);
}

}  // namespace

std::vector<Command> KeyCommands() {
  return {
      {{"key", "new"},
       "NAME",
       "generate a key and store it encrypted under a new password",
       "NAME is 1-64 of a-z 0-9 . _ -. The password comes from --password-file, "
       "CIRCULEDGER_PASSWORD,\n"
       "or a prompt (asked twice). Give the printed public key to your org's admins.",
       {},
       1,
       1,
       KeyNew},
      {{"key", "list"}, "", "list the keys of the keystore", "", {}, 0, 0, KeyList},
      {{"key", "show"},
       "NAME",
       "show a key's public key and file (never the secret)",
       "",
       {},
       1,
       1,
       KeyShow},
      {{"key", "import"},
       "NAME [--file F]",
       "store an existing secret key (64 hex digits) encrypted",
       "The secret is read from F, or from stdin (without echo on a terminal). With stdin piped,\n"
       "give the password with --password-file or CIRCULEDGER_PASSWORD. Example with a dev node:\n"
       "  circuledger key import mine --file HOME/dev-keys/mine.key",
       {{"--file"}},
       1,
       1,
       KeyImport},
  };
}

}  // namespace circuledger::wallet::cli

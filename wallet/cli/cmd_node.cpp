// `circuledger node ...`: which chain each node URL is trusted to serve (wallet/genesis_pins.h).
#include <ostream>

#include "wallet/builder.h"
#include "wallet/cli/context.h"
#include "wallet/cli/output.h"
#include "wallet/genesis_pins.h"

namespace circuledger::wallet::cli {

using nlohmann::json;

namespace {

int PrintPin(Context& ctx, const std::string& url, const ledger::Hash256& hash, const char* what) {
  if (ctx.json()) {
    ctx.out() << json{{"node", url}, {"genesis_hash", hash.ToHex()}, {"result", what}}.dump(2) << "\n";
  } else {
    ctx.out() << what << "\n";
    PrintFields(ctx.out(), {{"node", url}, {"genesis hash", hash.ToHex()}});
  }
  return kExitOk;
}

// Pins the genesis hash the node presents. Without --genesis-hash only a first pin (or the same
// one again); replacing a pin needs the new hash typed out, obtained from the chain's operators.
int NodeTrust(Context& ctx, const ParsedArgs& a) {
  std::optional<ledger::Hash256> wanted;
  if (a.Has("--genesis-hash")) {
    wanted = ledger::Hash256::FromHex(a.Get("--genesis-hash"));
    if (!wanted) return ctx.Usage("--genesis-hash is 64 hex digits");
  }
  Result<std::string> url = NodeUrlKey(ctx.node_url());
  if (!url.ok()) return ctx.Usage(url.status().message());
  Result<const Client*> c = ctx.client();
  if (!c.ok()) return ctx.Usage(c.status().message());
  const GenesisPins pins(ctx.keystore_dir());
  Result<std::optional<ledger::Hash256>> pinned = pins.Get(*url);
  if (!pinned.ok()) return ctx.Fail(pinned.status());
  Result<ledger::Hash256> presented = NodeGenesisHash(**c);
  if (!presented.ok()) return ctx.Fail(presented.status());
  if (wanted && *wanted != *presented) {
    return ctx.Fail(Status::WrongChain("the node at " + *url + " presents genesis hash " + presented->ToHex() +
                                       ", not " + wanted->ToHex() + "; nothing pinned"));
  }
  if (*pinned && **pinned == *presented) return PrintPin(ctx, *url, *presented, "already pinned");
  if (*pinned && !wanted) {
    return ctx.Fail(Status::WrongChain(WrongChainMessage(*url, *presented, **pinned)));
  }
  if (Status s = pins.Set(*url, *presented); !s.ok()) return ctx.Fail(s);
  return PrintPin(ctx, *url, *presented, *pinned ? "replaced the pin" : "pinned");
}

int NodePins(Context& ctx, const ParsedArgs&) {
  Result<std::map<std::string, ledger::Hash256>> all = GenesisPins(ctx.keystore_dir()).All();
  if (!all.ok()) return ctx.Fail(all.status());
  if (ctx.json()) {
    json pins = json::object();
    for (const auto& [url, hash] : *all) pins[url] = hash.ToHex();
    ctx.out() << json{{"pins", pins}}.dump(2) << "\n";
    return kExitOk;
  }
  if (all->empty()) ctx.out() << "no node pinned yet (the first signed operation pins its node)\n";
  for (const auto& [url, hash] : *all) ctx.out() << url << "  " << hash.ToHex() << "\n";
  return kExitOk;
}

}  // namespace

std::vector<Command> NodeCommands() {
  return {
      {{"node", "trust"},
       "[--genesis-hash HEX]",
       "pin the genesis hash (the chain) of the --node URL, or replace its pin",
       "Signed operations pin the genesis hash a node presents on first use and refuse (exit 7) a\n"
       "node URL that later presents another. Without --genesis-hash: pins the node's hash if none\n"
       "is pinned yet. With it: the node must present HEX, which replaces any pin (after a\n"
       "deliberate relaunch of the chain; get HEX from its operators, not from the node).",
       {{"--genesis-hash"}},
       0,
       0,
       NodeTrust},
      {{"node", "pins"}, "", "list the pinned node URLs and their genesis hashes", "", {}, 0, 0, NodePins},
  };
}

}  // namespace circuledger::wallet::cli

// Queries: `show lot|product|org|block|tx|account`, `status`. Read-only, no key needed.
// (`trace` lives in cmd_trace.cpp.)
#include <ostream>

#include "wallet/amounts.h"
#include "wallet/builder.h"
#include "wallet/cli/context.h"
#include "wallet/cli/output.h"

namespace circuledger::wallet::cli {

using nlohmann::json;

namespace {

// GET and print: the JSON with --json, else `human(json)`. 404 -> exit 6.
template <class Human>
int Query(Context& ctx, const std::string& path, Human human) {
  Result<const Client*> c = ctx.client();
  if (!c.ok()) return ctx.Usage(c.status().message());
  Result<json> j = GetJson(**c, path);
  if (!j.ok())
    return j.status().IsInvalidArgument() ? ctx.Usage(j.status().message()) : ctx.Fail(j.status());
  if (ctx.json()) {
    ctx.out() << j->dump(2) << "\n";
  } else {
    human(ctx.out(), *j);
  }
  return kExitOk;
}

std::string Created(const json& j) {
  return "height " + std::to_string(j.at("created_height").get<uint64_t>()) + ", tx " +
         j.at("created_by").get<std::string>();
}

void PrintLot(std::ostream& out, const json& j) {
  PrintFields(out, {{"lot", j.at("id").get<std::string>()},
                    {"owner", j.at("owner").get<std::string>()},
                    {"status", j.at("status").get<std::string>()},
                    {"custody", j.at("custody").get<std::string>()},
                    {"waste", j.value("waste", std::string("none"))},
                    {"created", Created(j)},
                    {"consumed by", TextOrDash(j.at("consumed_by"))},
                    {"parents", JoinList(j.at("parents"))}});
  out << "\ncomposition\n";
  PrintComposition(out, j.at("composition"));
  PrintAttestations(out, j.at("attestations"));
}

void PrintProduct(std::ostream& out, const json& j) {
  std::string attrs;
  for (const auto& [name, value] : j.at("attributes").items()) {
    attrs += (attrs.empty() ? "" : ", ") + name + "=" + value.dump();
  }
  PrintFields(out, {{"product", j.at("id").get<std::string>()},
                    {"category", j.at("category").get<std::string>()},
                    {"model", j.at("model").get<std::string>()},
                    {"manufacturer", j.at("manufacturer").get<std::string>()},
                    {"owner", j.at("owner").get<std::string>()},
                    {"status", j.at("status").get<std::string>()},
                    {"custody", j.at("custody").get<std::string>()},
                    {"created", Created(j)},
                    {"consumed by", TextOrDash(j.at("consumed_by"))},
                    {"attributes", attrs.empty() ? "-" : attrs},
                    {"parents", JoinList(j.at("parents"))}});
  out << "\ncomposition\n";
  PrintComposition(out, j.at("composition"));
  const json& repairs = j.at("repairs");
  out << "\nrepairs (" << repairs.size() << ")\n";
  if (!repairs.empty()) {
    Table t({"#", "HEIGHT", "TIME", "REPAIRER", "REMOVED", "ADDED"}, {true, true});
    size_t n = 0;
    for (const json& r : repairs) {
      t.Add({std::to_string(++n), std::to_string(r.at("height").get<uint64_t>()),
             FormatTimeMs(r.at("time_ms").get<uint64_t>()), r.at("repairer").get<std::string>(),
             JoinList(r.at("removed_lots")), JoinList(r.at("added_lots"))});
    }
    t.Print(out, "  ");
  }
  PrintAttestations(out, j.at("attestations"));
}

void PrintOrg(std::ostream& out, const json& j) {
  PrintFields(out, {{"org", j.at("id").get<std::string>()},
                    {"name", j.at("name").get<std::string>()},
                    {"roles", JoinList(j.at("roles"))},
                    {"status", j.at("status").get<std::string>()}});
  out << "\nmember keys (" << j.at("keys").size() << ")\n";
  for (const json& k : j.at("keys")) out << "  " << k.get<std::string>() << "\n";
}

void PrintParams(std::ostream& out, const json& j) {
  for (const auto& item : j.items()) out << item.key() << "  " << item.value().dump() << "\n";
}

void PrintBlock(std::ostream& out, const json& j) {
  if (!j.contains("header")) {  // height 0: the genesis
    PrintFields(out, {{"height", "0 (genesis)"},
                      {"chain", j.at("chain_id").get<std::string>()},
                      {"genesis hash", j.at("genesis_hash").get<std::string>()},
                      {"time", FormatTimeMs(j.at("time_ms").get<uint64_t>())}});
    return;
  }
  const json& h = j.at("header");
  PrintFields(out, {{"height", std::to_string(h.at("height").get<uint64_t>())},
                    {"hash", h.at("hash").get<std::string>()},
                    {"time", FormatTimeMs(h.at("time_ms").get<uint64_t>())},
                    {"chain", h.at("chain_id").get<std::string>()},
                    {"prev hash", h.at("prev_hash").get<std::string>()},
                    {"tx root", h.at("tx_root").get<std::string>()},
                    {"state root", h.at("state_root").get<std::string>()},
                    {"proposer", h.at("proposer").get<std::string>()}});
  const json& txs = j.at("txs");
  out << "\ntransactions (" << txs.size() << ")\n";
  if (txs.empty()) return;
  Table t({"#", "TX", "OP", "SIGNER", "NONCE"}, {true, false, false, false, true});
  size_t n = 0;
  for (const json& tx : txs) {
    t.Add({std::to_string(n++), tx.at("id").get<std::string>(),
           tx.at("op").at("type").get<std::string>(), tx.at("signer").get<std::string>(),
           std::to_string(tx.at("nonce").get<uint64_t>())});
  }
  t.Print(out, "  ");
}

// The fields of an operation, one per line, values as compact JSON unless plain strings.
void PrintOp(std::ostream& out, const json& op) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& [name, value] : op.items()) {
    if (name == "type") continue;
    fields.emplace_back("  " + name, value.is_string() ? value.get<std::string>() : value.dump());
  }
  PrintFields(out, fields);
}

void PrintTx(std::ostream& out, const json& j) {
  const std::string state = j.at("status").get<std::string>();
  std::vector<std::pair<std::string, std::string>> f = {{"tx", j.at("id").get<std::string>()},
                                                        {"status", state}};
  if (state == "committed") {
    f.emplace_back("height", std::to_string(j.at("height").get<uint64_t>()) + " (index " +
                                 std::to_string(j.at("index").get<uint64_t>()) + ")");
    f.emplace_back("time", FormatTimeMs(j.at("time_ms").get<uint64_t>()));
    const json& tx = j.at("tx");
    f.emplace_back("signer", tx.at("signer").get<std::string>());
    f.emplace_back("nonce", std::to_string(tx.at("nonce").get<uint64_t>()));
    f.emplace_back("op", tx.at("op").at("type").get<std::string>());
    PrintFields(out, f);
    PrintOp(out, tx.at("op"));
    return;
  }
  if (state == "rejected") {
    const json& r = j.at("reject");
    f.emplace_back("reject", r.at("code").get<std::string>() + " (" +
                                 r.at("message").get<std::string>() + ")");
  }
  PrintFields(out, f);
}

void PrintAccount(std::ostream& out, const json& j) {
  PrintFields(out,
              {{"account", j.at("key").get<std::string>()},
               {"org", j.at("org").get<std::string>()},
               {"next nonce", std::to_string(j.at("next_nonce").get<uint64_t>())},
               {"pending nonce", j.contains("pending_nonce") ? j["pending_nonce"].dump() : "-"},
               {"revoked", j.at("revoked").get<bool>() ? "yes" : "no"}});
}

void PrintStatus(std::ostream& out, const json& j) {
  PrintFields(out,
              {{"chain", j.at("chain_id").get<std::string>()},
               {"height", std::to_string(j.at("height").get<uint64_t>())},
               {"block hash", j.at("block_hash").get<std::string>()},
               {"block time", FormatTimeMs(j.at("time_ms").get<uint64_t>())},
               {"state root", j.at("state_root").get<std::string>()},
               {"mempool", std::to_string(j.at("mempool_size").get<uint64_t>()) + " transactions"},
               {"node key", j.at("node_key").get<std::string>()},
               {"genesis hash", j.at("genesis_hash").get<std::string>()}});
}

int ShowLot(Context& ctx, const ParsedArgs& a) {
  return Query(ctx, "/v1/lots/" + PercentEncode(a.positionals[0]), PrintLot);
}
int ShowProduct(Context& ctx, const ParsedArgs& a) {
  return Query(ctx, "/v1/products/" + PercentEncode(a.positionals[0]), PrintProduct);
}
int ShowOrg(Context& ctx, const ParsedArgs& a) {
  return Query(ctx, "/v1/orgs/" + PercentEncode(a.positionals[0]), PrintOrg);
}
int ShowParams(Context& ctx, const ParsedArgs&) { return Query(ctx, "/v1/params", PrintParams); }
int ShowBlock(Context& ctx, const ParsedArgs& a) {
  const std::string& which = a.positionals[0];
  if (which != "latest") {
    if (Result<uint64_t> h = ParseU64(which, "the height"); !h.ok())
      return ctx.Usage(h.status().message() + " or \"latest\"");
  }
  return Query(ctx, "/v1/blocks/" + which, PrintBlock);
}
int ShowTx(Context& ctx, const ParsedArgs& a) {
  if (!ledger::Hash256::FromHex(a.positionals[0]))
    return ctx.Usage("a transaction id is 64 hex digits");
  return Query(ctx, "/v1/tx/" + a.positionals[0], PrintTx);
}
int ShowAccount(Context& ctx, const ParsedArgs& a) {
  Result<std::string> hex = ctx.KeyHex(a.positionals[0]);
  if (!hex.ok())
    return hex.status().IsInvalidArgument() ? ctx.Usage(hex.status().message())
                                            : ctx.Fail(hex.status());
  return Query(ctx, "/v1/accounts/" + *hex, PrintAccount);
}
int ShowStatus(Context& ctx, const ParsedArgs&) { return Query(ctx, "/v1/status", PrintStatus); }

}  // namespace

std::vector<Command> QueryCommands() {
  return {
      {{"show", "lot"},
       "ID",
       "a lot: owner, status, custody model, composition, parents",
       "",
       {},
       1,
       1,
       ShowLot},
      {{"show", "product"},
       "ID",
       "a product passport: composition, attributes, repairs, attestations",
       "",
       {},
       1,
       1,
       ShowProduct},
      {{"show", "org"},
       "ID",
       "an organization: name, roles, status, member keys",
       "",
       {},
       1,
       1,
       ShowOrg},
      {{"show", "params"},
       "",
       "the chain's parameters in force (block limits, governance threshold, timeouts)",
       "",
       {},
       0,
       0,
       ShowParams},
      {{"show", "block"},
       "HEIGHT|latest",
       "a block header and its transactions (0 = genesis)",
       "",
       {},
       1,
       1,
       ShowBlock},
      {{"show", "tx"},
       "TXID",
       "a transaction: pending, committed (height, operation) or rejected (why)",
       "",
       {},
       1,
       1,
       ShowTx},
      {{"show", "account"},
       "KEY",
       "an account's org and nonces (KEY: 64 hex digits or a keystore key name)",
       "",
       {},
       1,
       1,
       ShowAccount},
      {{"status"},
       "",
       "the node's chain id, height, last block and mempool size",
       "",
       {},
       0,
       0,
       ShowStatus},
  };
}

}  // namespace circuledger::wallet::cli

// `circuledger gov ...`: governance proposals and approvals (admin orgs; DESIGN.md section 2).
#include "wallet/builder.h"
#include "wallet/cli/context.h"

namespace circuledger::wallet::cli {

namespace {

constexpr OptionSpec kAs{"--as", true, false, true};

// Resolves every --key argument (hex, or a key name of the keystore) to hex.
Result<std::vector<std::string>> Keys(Context& ctx, const ParsedArgs& a) {
  std::vector<std::string> out;
  for (const std::string& k : a.All("--key")) {
    Result<std::string> hex = ctx.KeyHex(k);
    if (!hex.ok()) return hex.status();
    out.push_back(*hex);
  }
  return out;
}

// Sends an op whose arguments include --key values resolved through the keystore.
template <class Build>
int WithKeys(Context& ctx, const ParsedArgs& a, Build build) {
  Result<std::vector<std::string>> keys = Keys(ctx, a);
  if (!keys.ok())
    return keys.status().IsInvalidArgument() ? ctx.Usage(keys.status().message())
                                             : ctx.Fail(keys.status());
  return ctx.SendOp(build(*keys), a);
}

int AddOrg(Context& ctx, const ParsedArgs& a) {
  return WithKeys(ctx, a, [&](const std::vector<std::string>& keys) {
    return MakeProposeAddOrg(a.Get("--id"), a.Get("--name"), a.Get("--roles"), keys);
  });
}
int SuspendOrg(Context& ctx, const ParsedArgs& a) {
  return ctx.SendOp(MakeProposeOrgStatus(a.positionals[0], false), a);
}
int ActivateOrg(Context& ctx, const ParsedArgs& a) {
  return ctx.SendOp(MakeProposeOrgStatus(a.positionals[0], true), a);
}
int SetRoles(Context& ctx, const ParsedArgs& a) {
  return ctx.SendOp(MakeProposeSetRoles(a.positionals[0], a.Get("--roles")), a);
}
int AddKey(Context& ctx, const ParsedArgs& a) {
  return WithKeys(ctx, a, [&](const std::vector<std::string>& k) {
    return MakeProposeAddKey(a.positionals[0], k[0]);
  });
}
int RevokeKey(Context& ctx, const ParsedArgs& a) {
  return WithKeys(ctx, a, [&](const std::vector<std::string>& k) {
    return MakeProposeRevokeKey(a.positionals[0], k[0]);
  });
}
int AddValidator(Context& ctx, const ParsedArgs& a) {
  return WithKeys(ctx, a, [&](const std::vector<std::string>& k) {
    return MakeProposeAddValidator(k[0], a.Get("--name"), a.Get("--address"));
  });
}
int RemoveValidator(Context& ctx, const ParsedArgs& a) {
  return WithKeys(
      ctx, a, [&](const std::vector<std::string>& k) { return MakeProposeRemoveValidator(k[0]); });
}
int SetRuleSetOwner(Context& ctx, const ParsedArgs& a) {
  return ctx.SendOp(MakeProposeSetRuleSetOwner(a.positionals[0], a.Get("--org")), a);
}
// Reads the parameters in force from the node, applies the --set changes, proposes the result.
int SetParams(Context& ctx, const ParsedArgs& a) {
  Result<const Client*> c = ctx.client();
  if (!c.ok()) return ctx.Usage(c.status().message());
  Result<nlohmann::json> current = GetJson(**c, "/v1/params");
  if (!current.ok()) return ctx.Fail(current.status());
  Result<ledger::Params> params = ParamsFromJson(*current);
  if (!params.ok()) return ctx.Fail(params.status());
  return ctx.SendOp(MakeProposeSetParams(*params, a.All("--set")), a);
}
int Approve(Context& ctx, const ParsedArgs& a) {
  return ctx.SendOp(MakeApprove(a.positionals[0]), a);
}

constexpr std::string_view kKeyHelp =
    "--key takes 64 hex digits of a public key, or the name of a key in your keystore.";
constexpr std::string_view kRoles =
    "Roles: admin, supplier, manufacturer, repairer, collector, recycler, certifier, regulator.";

}  // namespace

std::vector<Command> GovCommands() {
  const OptionSpec key{"--key", true, false, true};
  return {
      {{"gov", "propose", "add-org"},
       "--id ID --name NAME --roles R1,R2 --key HEX... --as KEY",
       "propose a new organization with its roles and member keys",
       std::string(kRoles) + "\n" + std::string(kKeyHelp),
       {{"--id", true, false, true},
        {"--name", true, false, true},
        {"--roles", true, false, true},
        {"--key", true, true, true},
        kAs},
       0,
       0,
       AddOrg},
      {{"gov", "propose", "suspend-org"},
       "ORG --as KEY",
       "propose suspending an org (its keys can no longer sign)",
       "",
       {kAs},
       1,
       1,
       SuspendOrg},
      {{"gov", "propose", "activate-org"},
       "ORG --as KEY",
       "propose re-activating a suspended org",
       "",
       {kAs},
       1,
       1,
       ActivateOrg},
      {{"gov", "propose", "set-roles"},
       "ORG --roles R1,R2 --as KEY",
       "propose replacing an org's roles",
       std::string(kRoles),
       {{"--roles", true, false, true}, kAs},
       1,
       1,
       SetRoles},
      {{"gov", "propose", "add-key"},
       "ORG --key HEX --as KEY",
       "propose adding a member key to an org",
       std::string(kKeyHelp),
       {key, kAs},
       1,
       1,
       AddKey},
      {{"gov", "propose", "revoke-key"},
       "ORG --key HEX --as KEY",
       "propose revoking a member key of an org",
       std::string(kKeyHelp),
       {key, kAs},
       1,
       1,
       RevokeKey},
      {{"gov", "propose", "add-validator"},
       "--key HEX --name NAME --address HOST:PORT --as KEY",
       "propose adding a validator (applies a few heights later)",
       std::string(kKeyHelp),
       {key, {"--name", true, false, true}, {"--address", true, false, true}, kAs},
       0,
       0,
       AddValidator},
      {{"gov", "propose", "remove-validator"},
       "--key HEX --as KEY",
       "propose removing a validator",
       std::string(kKeyHelp),
       {key, kAs},
       0,
       0,
       RemoveValidator},
      {{"gov", "propose", "set-rule-set-owner"},
       "RULE_SET --org ORG --as KEY",
       "propose giving a rule set id to another regulator org",
       "A rule set id belongs to the regulator that first registered it; only its owner registers\n"
       "new versions. This change moves it (for example when a regulator's mandate moves).",
       {{"--org", true, false, true}, kAs},
       1,
       1,
       SetRuleSetOwner},
      {{"gov", "propose", "set-params"},
       "--set NAME=VALUE... --as KEY",
       "propose changing chain parameters (the others keep their values in force)",
       "Parameters (docs/genesis.md): max_block_txs, max_block_bytes, gov_threshold,\n"
       "proposal_ttl_blocks, max_time_drift_ms, timeout_propose_ms, timeout_vote_ms,\n"
       "timeout_delta_ms. The wallet reads the values in force from the node (GET /v1/params)\n"
       "and proposes them with your changes; `circuledger show params` prints them.",
       {{"--set", true, true, true}, kAs},
       0,
       0,
       SetParams},
      {{"gov", "approve"},
       "PROPOSAL_ID --as KEY",
       "approve a pending proposal (its id is the tx id of the propose transaction)",
       "The change applies when the governance threshold of admin orgs have approved it.",
       {kAs},
       1,
       1,
       Approve},
  };
}

}  // namespace circuledger::wallet::cli

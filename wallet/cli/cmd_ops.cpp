// The material operations (DESIGN.md section 3): build, sign with --as, submit, wait.
#include "wallet/builder.h"
#include "wallet/cli/context.h"

namespace circuledger::wallet::cli {

namespace {

constexpr OptionSpec kAs{"--as", true, false, true};
constexpr OptionSpec kInputs{"--input", true, true, true};
constexpr OptionSpec kOutputs{"--output", true, true, true};
constexpr OptionSpec kMassBalance{"--mass-balance", false, false, false};
constexpr OptionSpec kScrap{"--scrap", true, true, false};

int LotCreate(Context& ctx, const ParsedArgs& a) {
  return ctx.SendOp(MakeCreateLot(a.positionals[0], a.Get("--composition")), a);
}

int Transfer(Context& ctx, const ParsedArgs& a) {
  return ctx.SendOp(MakeTransfer(a.positionals[0], a.Get("--to")), a);
}

int Transform(Context& ctx, const ParsedArgs& a) {
  return ctx.SendOp(MakeTransform(a.All("--input"), a.All("--output"), a.Has("--mass-balance"), a.All("--scrap")), a);
}

int Assemble(Context& ctx, const ParsedArgs& a) {
  AssembleArgs args;
  args.inputs = a.All("--input");
  args.product_id = a.Get("--product");
  args.category = a.Get("--category");
  args.model = a.Get("--model");
  args.composition = a.Get("--composition");
  args.attributes = a.All("--attr");
  args.leftovers = a.All("--leftover");
  args.scrap = a.All("--scrap");
  args.mass_balance = a.Has("--mass-balance");
  return ctx.SendOp(MakeAssemble(args), a);
}

int Repair(Context& ctx, const ParsedArgs& a) {
  return ctx.SendOp(MakeRepair(a.positionals[0], a.All("--remove"), a.All("--add")), a);
}

int EndOfLife(Context& ctx, const ParsedArgs& a) {
  return ctx.SendOp(MakeEndOfLife(a.positionals[0], a.Get("--to")), a);
}

int Recycle(Context& ctx, const ParsedArgs& a) {
  return ctx.SendOp(MakeRecycle(a.All("--input"), a.All("--output")), a);
}

int Dispose(Context& ctx, const ParsedArgs& a) {
  return ctx.SendOp(MakeDispose(a.positionals[0]), a);
}

int Attest(Context& ctx, const ParsedArgs& a) {
  uint64_t expiry = 0;
  if (a.Has("--expires-ms")) {
    Result<uint64_t> e = ParseU64(a.Get("--expires-ms"), "--expires-ms");
    if (!e.ok()) return ctx.Usage(e.status().message());
    expiry = *e;
  }
  return ctx.SendOp(MakeAttest(a.positionals[0], a.Get("--kind"), a.Get("--reference"), expiry), a);
}

int AuthorizeRepair(Context& ctx, const ParsedArgs& a) {
  Result<uint64_t> e = ParseU64(a.Get("--expires-ms"), "--expires-ms");
  if (!e.ok()) return ctx.Usage(e.status().message());
  return ctx.SendOp(MakeAuthorizeRepair(a.positionals[0], a.Get("--repairer"), *e), a);
}

int RevokeRepair(Context& ctx, const ParsedArgs& a) {
  return ctx.SendOp(MakeRevokeRepair(a.positionals[0], a.Get("--repairer")), a);
}

constexpr std::string_view kSpecHelp =
    "Masses: 12.5kg, 2 kg, 300g, 1.5t, 12000mg (exact; no sub-milligram digits).\n"
    "Composition SPEC: MATERIAL=MASS entries separated by commas; `recycled=MASS` after an entry\n"
    "sets its recycled part, as does MATERIAL=TOTAL/RECYCLED:\n"
    "  Co=12.5kg,recycled=2kg,Li=3kg    Co=12.5kg/2kg,Li=3kg\n"
    "Output lot ID@SPEC: split at the last '@', so GS1 URNs with ':' and '/' work:\n"
    "  urn:epc:id:sgtin:4012345.011111.7@Co=10kg";

}  // namespace

std::vector<Command> OpCommands() {
  return {
      {{"lot", "create"},
       "ID --composition SPEC --as KEY",
       "create a lot of material owned by your org",
       std::string(kSpecHelp),
       {{"--composition", true, false, true}, kAs},
       1,
       1,
       LotCreate},
      {{"transfer"},
       "ID --to ORG --as KEY",
       "hand a lot or product to another org",
       "",
       {{"--to", true, false, true}, kAs},
       1,
       1,
       Transfer},
      {{"transform"},
       "--input ID... --output ID@SPEC... [--scrap ID@SPEC...] [--mass-balance] --as KEY",
       "consume lots and create output lots (split, blend, refine)",
       "Without --mass-balance the ledger computes each output's recycled part (controlled "
       "blending):\n"
       "outputs then declare totals only. With --mass-balance outputs declare recycled parts, "
       "within\n"
       "the inputs' recycled mass scaled by the mass kept. --scrap declares manufacturing scrap\n"
       "the transform made: lots like the outputs, marked pre-consumer waste, which a recycler may\n"
       "recycle (recycling refuses lots that are not waste).\n\n" +
           std::string(kSpecHelp),
       {kInputs, kOutputs, kScrap, kMassBalance, kAs},
       0,
       0,
       Transform},
      {{"assemble"},
       "--input ID... --product ID --category CAT --model MODEL --composition SPEC [--attr "
       "NAME=INT...]\n"
       "      [--leftover ID@SPEC...] [--scrap ID@SPEC...] [--mass-balance] --as KEY",
       "build a product (with its passport) from lots or sub-assemblies",
       "Attributes are declared integers, e.g. --attr capacity_wh=75000 --attr "
       "spare_parts_years=10\n"
       "(sorted by name before signing). Enforced compliance rules of the category must pass.\n\n" +
           std::string(kSpecHelp),
       {kInputs,
        {"--product", true, false, true},
        {"--category", true, false, true},
        {"--model", true, false, true},
        {"--composition", true, false, true},
        {"--attr", true, true, false},
        {"--leftover", true, true, false},
        kScrap,
        kMassBalance,
        kAs},
       0,
       0,
       Assemble},
      {{"repair"},
       "PRODUCT [--remove ID@SPEC...] [--add LOT...] --as KEY",
       "record a repair: removed parts become your lots, added lots are built in",
       "Removed parts declare totals only; their recycled part follows the product's blend.\n\n" +
           std::string(kSpecHelp),
       {{"--remove", true, true, false}, {"--add", true, true, false}, kAs},
       1,
       1,
       Repair},
      {{"end-of-life"},
       "PRODUCT --to ORG --as KEY",
       "hand a product to a collector or recycler at end of life",
       "",
       {{"--to", true, false, true}, kAs},
       1,
       1,
       EndOfLife},
      {{"recycle"},
       "--input ID... --output ID@SPEC... --as KEY",
       "recycle collected products or waste lots into secondary-material lots",
       "Inputs must be waste the ledger knows: products collected at end of life, scrap lots\n"
       "(transform/assemble --scrap), parts a repair removed, or earlier recycling outputs; any\n"
       "other lot is refused (not-waste). Outputs declare totals only: recycling outputs are\n"
       "wholly recycled (the ledger sets it).\n\n" +
           std::string(kSpecHelp),
       {kInputs, kOutputs, kAs},
       0,
       0,
       Recycle},
      {{"dispose"},
       "ID --as KEY",
       "dispose of a lot or product (terminal)",
       "",
       {kAs},
       1,
       1,
       Dispose},
      {{"attest"},
       "SUBJECT --kind KIND --reference REF [--expires-ms MS] --as KEY",
       "attach an attestation (certifiers, regulators)",
       "--expires-ms is a unix time in milliseconds.",
       {{"--kind", true, false, true},
        {"--reference", true, false, true},
        {"--expires-ms", true, false, false},
        kAs},
       1,
       1,
       Attest},
      {{"authorize-repair"},
       "PRODUCT --repairer ORG --expires-ms MS --as KEY",
       "let another org repair a product you own, until a time",
       "Only the owner's org may grant it; the repairer org needs the repairer role. The grant\n"
       "ends at --expires-ms (unix time in milliseconds), on `revoke-repair`, or when the product\n"
       "changes owner. A new grant to the same org replaces the old one.",
       {{"--repairer", true, false, true}, {"--expires-ms", true, false, true}, kAs},
       1,
       1,
       AuthorizeRepair},
      {{"revoke-repair"},
       "PRODUCT --repairer ORG --as KEY",
       "withdraw a repair authorization you granted",
       "",
       {{"--repairer", true, false, true}, kAs},
       1,
       1,
       RevokeRepair},
  };
}

}  // namespace circuledger::wallet::cli

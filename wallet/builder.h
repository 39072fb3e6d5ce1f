// wallet/builder.h: transactions from user arguments, signed locally and sent to a node.
//
// Two halves:
//  - Make*(): build one ledger::Op from the strings a user typed (ids, composition specs of
//    wallet/amounts.h, "NAME=INT" attributes, role lists, hex keys). They check what can be
//    checked without the ledger and return InvalidArgument with a readable reason; the ledger
//    remains the judge of everything else (ownership, roles, mass balance).
//  - Submitter: fetches the genesis hash (GET /v1/status; checked against the expected one) and the signer's next nonce (GET
//    /v1/accounts/{key}, field pending_nonce: it counts transactions already waiting in the
//    mempool), signs with ledger::SignTx (the key never leaves the process), submits with
//    POST /v1/tx and optionally polls GET /v1/tx/{id} until committed or rejected.
// Pure functions and a Submitter holding only a borrowed Client and options: thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/tx.h"
#include "wallet/client.h"
#include "wallet/status.h"

namespace circuledger::wallet {

// ---- Operations ----------------------------------------------------------------------------

Result<ledger::Op> MakeCreateLot(std::string_view id, std::string_view composition_spec);
Result<ledger::Op> MakeTransfer(std::string_view id, std::string_view to_org);

// `outputs` are "ID@COMPOSITION" specs. Without mass_balance the ledger computes each output's
// recycled mass (controlled blending), so an output spec must not declare one.
// `scrap` are "ID@COMPOSITION" specs of the manufacturing scrap it made (lots a recycler may take).
Result<ledger::Op> MakeTransform(const std::vector<std::string>& inputs,
                                 const std::vector<std::string>& outputs, bool mass_balance,
                                 const std::vector<std::string>& scrap = {});

struct AssembleArgs {
  std::vector<std::string> inputs;  // lot or product ids
  std::string product_id;
  std::string category;  // e.g. "battery.ev"
  std::string model;
  std::string composition;              // composition spec of the product
  std::vector<std::string> attributes;  // "NAME=INT"
  std::vector<std::string> leftovers;   // "ID@COMPOSITION"
  std::vector<std::string> scrap;       // "ID@COMPOSITION": manufacturing scrap (waste lots)
  bool mass_balance = false;
};
Result<ledger::Op> MakeAssemble(const AssembleArgs& args);

// `removed` are "ID@COMPOSITION" specs of the parts taken out; `added` are lot ids built in.
Result<ledger::Op> MakeRepair(std::string_view product, const std::vector<std::string>& removed,
                              const std::vector<std::string>& added);
Result<ledger::Op> MakeEndOfLife(std::string_view product, std::string_view to_org);
Result<ledger::Op> MakeRecycle(const std::vector<std::string>& inputs,
                               const std::vector<std::string>& outputs);
Result<ledger::Op> MakeDispose(std::string_view id);
// expiry_ms: unix time in milliseconds, 0 = does not expire.
Result<ledger::Op> MakeAttest(std::string_view subject, std::string_view kind,
                              std::string_view reference, uint64_t expiry_ms);

// The product's owner lets `repairer` (an org with the repairer role) repair it until
// expiry_ms (unix time in milliseconds, required: an authorization always ends).
Result<ledger::Op> MakeAuthorizeRepair(std::string_view product, std::string_view repairer,
                                       uint64_t expiry_ms);
Result<ledger::Op> MakeRevokeRepair(std::string_view product, std::string_view repairer);

// ---- Governance ----------------------------------------------------------------------------

Result<ledger::Op> MakeProposeAddOrg(std::string_view id, std::string_view name,
                                     std::string_view roles,
                                     const std::vector<std::string>& key_hexes);
Result<ledger::Op> MakeProposeOrgStatus(std::string_view org, bool active);
Result<ledger::Op> MakeProposeSetRoles(std::string_view org, std::string_view roles);
Result<ledger::Op> MakeProposeAddKey(std::string_view org, std::string_view key_hex);
Result<ledger::Op> MakeProposeRevokeKey(std::string_view org, std::string_view key_hex);
Result<ledger::Op> MakeProposeAddValidator(std::string_view key_hex, std::string_view name,
                                           std::string_view address);
Result<ledger::Op> MakeProposeRemoveValidator(std::string_view key_hex);
// Gives rule set `rule_set` to the regulator org `org` (only the owner registers new versions).
Result<ledger::Op> MakeProposeSetRuleSetOwner(std::string_view rule_set, std::string_view org);
// The chain's parameters from a node's GET /v1/params answer: every parameter of
// ledger::ForEachParam present, an unsigned integer in its type's range, nothing else.
Result<ledger::Params> ParamsFromJson(const nlohmann::json& j);
// A set_params proposal: `current` (the parameters in force) with each "NAME=VALUE" of `sets`
// applied (NAME as in ledger::ForEachParam, each at most once, at least one), checked by
// ledger::ValidateParams so the ledger will not refuse it for its values.
Result<ledger::Op> MakeProposeSetParams(ledger::Params current, const std::vector<std::string>& sets);
// proposal: the 64-hex tx id of the propose transaction.
Result<ledger::Op> MakeApprove(std::string_view proposal_hex);

// ---- Argument helpers ----------------------------------------------------------------------

// "NAME=INT" (INT a signed 64-bit decimal) -> attributes sorted by name, as the ledger requires.
// InvalidArgument for a malformed entry or a repeated name.
Result<std::vector<ledger::Attribute>> ParseAttributes(const std::vector<std::string>& specs);
// "supplier,manufacturer" -> role bit set; InvalidArgument naming an unknown role.
Result<uint32_t> ParseRoles(std::string_view csv);
// 64 hex digits of a valid BIP-340 x-only public key.
Result<ledger::PubKey> ParsePubKey(std::string_view hex);
// A decimal uint64 ("1767225600000"); InvalidArgument naming `what` otherwise.
Result<uint64_t> ParseU64(std::string_view text, std::string_view what);

// ---- Sending -------------------------------------------------------------------------------

struct SubmitOptions {
  bool wait = true;  // poll until committed or rejected
  uint32_t wait_timeout_ms = 30000;
  uint32_t poll_interval_ms = 200;
  uint32_t nonce_retries = 3;  // re-sign with a fresh nonce after "bad-nonce" (a racing sender)
  // The chain to sign for (wallet/genesis_pins.h TrustedGenesisHash gives the pinned one). Set:
  // a node whose /v1/status presents another genesis hash is refused with WrongChain before
  // anything is signed. Unset (default): sign for whatever the node presents (trusts the node).
  std::optional<ledger::Hash256> genesis_hash;
};

struct TxOutcome {
  ledger::Hash256 id;
  std::string state;    // "pending" (not waited for) or "committed"
  uint64_t height = 0;  // when committed
  nlohmann::json json;  // the node's answer: GET /v1/tx/{id} once committed, else the POST answer
};

class Submitter {
 public:
  Submitter(const Client& client, SubmitOptions options) : client_(client), options_(options) {}

  // The genesis hash the node presents (GET /v1/status, field genesis_hash): the chain that
  // transactions are signed for.
  Result<ledger::Hash256> GenesisHash() const;
  // The nonce the next transaction of `signer` should carry (0 for an account the ledger does
  // not know: the ledger will then answer "unknown-signer").
  Result<uint64_t> NextNonce(const ledger::PubKey& signer) const;
  // Fetches the genesis hash and the nonce and signs. WrongChain when options.genesis_hash is set
  // and the node presents another.
  Result<ledger::Tx> Sign(const ledger::Op& op, const ledger::SecretKey& key) const;
  // Signs, submits, and (options.wait) waits. Rejected with the ledger's reject string, Timeout
  // when the wait expires (the transaction may still commit), Unavailable on transport errors.
  Result<TxOutcome> Send(const ledger::Op& op, const ledger::SecretKey& key) const;
  // Submits one signed transaction (no wait).
  Result<TxOutcome> Submit(const ledger::Tx& tx) const;
  // Polls until the transaction is committed (ok) or rejected (Rejected) or the timeout passes.
  Result<TxOutcome> Wait(const ledger::Hash256& id) const;

 private:
  const Client& client_;
  SubmitOptions options_;
};

// GET path and expect a JSON object: 200 -> the body; 404 -> NotFound; 400 -> InvalidArgument
// (the node refused our parameters); anything else -> Unavailable. Messages carry the API's.
Result<nlohmann::json> GetJson(const Client& client, std::string_view path);

}  // namespace circuledger::wallet

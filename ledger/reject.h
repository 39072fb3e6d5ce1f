// ledger/reject.h: every reason the ledger rejects input, with its stable reject string.
//
// The strings are an API: clients, tests and the HTTP layer match on them, so never rename one.
// ledger/REJECTS.md documents each (a test checks that the table lists them all).
#pragma once

#include <cstdint>
#include <string_view>

namespace circuledger::ledger {

// X(enum name, reject string, sender at fault)
#define CIRCULEDGER_REJECTS(X)                                   \
  X(kNone, "", false)                                            \
  /* encoding */                                                 \
  X(kMalformed, "malformed", true)                               \
  X(kTrailingBytes, "trailing-bytes", true)                      \
  X(kUnknownVersion, "unknown-version", true)                    \
  X(kOversized, "oversized", true)                               \
  X(kNonCanonical, "non-canonical", true)                        \
  /* transaction envelope */                                     \
  X(kWrongChain, "wrong-chain", true)                            \
  X(kBadSignature, "bad-signature", true)                        \
  X(kBadNonce, "bad-nonce", false)                               \
  X(kUnknownSigner, "unknown-signer", true)                      \
  X(kOrgSuspended, "org-suspended", true)                        \
  X(kRoleNotAllowed, "role-not-allowed", true)                   \
  /* ids and objects */                                          \
  X(kBadId, "bad-id", true)                                      \
  X(kIdExists, "id-exists", false)                               \
  X(kUnknownItem, "unknown-item", false)                         \
  X(kUnknownOrg, "unknown-org", false)                           \
  X(kNotOwner, "not-owner", true)                                \
  X(kLotAlreadyConsumed, "lot-already-consumed", false)          \
  X(kBadStatus, "bad-status", false)                             \
  X(kDuplicateInput, "duplicate-input", true)                    \
  X(kTooManyItems, "too-many-items", true)                       \
  X(kReceiverNotAllowed, "receiver-not-allowed", true)           \
  X(kReceiverInactive, "receiver-inactive", false)               \
  /* mass accounting */                                          \
  X(kBadComposition, "bad-composition", true)                    \
  X(kMassCreated, "mass-created", true)                          \
  X(kRecycledNotAllowed, "recycled-not-allowed", true)           \
  X(kRecycledDeclared, "recycled-declared", true)                \
  X(kRecycledOverAllocation, "recycled-over-allocation", true)   \
  X(kRemovedExceedsContent, "removed-exceeds-content", true)     \
  X(kNotWaste, "not-waste", true)                                \
  X(kBadAttribute, "bad-attribute", true)                        \
  X(kLimitReached, "limit-reached", false)                       \
  X(kTooManyMaterials, "too-many-materials", false)              \
  X(kObjectTooLarge, "object-too-large", false)                  \
  X(kBadExpiry, "bad-expiry", true)                              \
  X(kRuleViolated, "rule-violated", false)                       \
  X(kRepairNotAuthorized, "repair-not-authorized", true)         \
  /* rule sets */                                                \
  X(kRulesInvalid, "rules-invalid", true)                        \
  X(kRulesVersionNotNewer, "rules-version-not-newer", false)     \
  X(kRuleIdTaken, "rule-id-taken", false)                        \
  X(kRuleSetOwned, "rule-set-owned", true)                       \
  X(kRulesEffectiveInPast, "rules-effective-in-past", false)     \
  /* governance */                                               \
  X(kUnknownProposal, "unknown-proposal", false)                 \
  X(kDuplicateApproval, "duplicate-approval", false)             \
  X(kProposalClosed, "proposal-closed", false)                   \
  X(kBadGovChange, "bad-gov-change", true)                       \
  X(kKeyInUse, "key-in-use", false)                              \
  X(kThresholdUnreachable, "threshold-unreachable", false)       \
  /* blocks */                                                   \
  X(kBadHeight, "bad-block-height", true)                        \
  X(kBadPrevHash, "bad-prev-hash", true)                         \
  X(kBadTxRoot, "bad-tx-root", true)                             \
  X(kBadStateRoot, "bad-state-root", true)                       \
  X(kBadBlockTime, "bad-block-time", true)                       \
  X(kBlockTooLarge, "block-too-large", true)                     \
  X(kDuplicateTx, "duplicate-tx", true)                          \
  X(kBadValidatorSet, "bad-validator-set", true)                 \
  X(kBadTx, "bad-tx", true)                                      \
  /* node admission */                                           \
  X(kMempoolFull, "mempool-full", false)                         \
  X(kMempoolAccountFull, "mempool-account-full", false)          \
  X(kMempoolOrgFull, "mempool-org-full", false)                  \
  X(kMempoolExpired, "mempool-expired", false)

enum class Reject : uint8_t {
#define CIRCULEDGER_REJECT_ENUM(name, str, fault) name,
  CIRCULEDGER_REJECTS(CIRCULEDGER_REJECT_ENUM)
#undef CIRCULEDGER_REJECT_ENUM
};

struct RejectInfo {
  std::string_view text;
  bool sender_fault;
};

// Table lookup; every enumerator has an entry.
RejectInfo RejectInfoOf(Reject r);
// Number of enumerators, for tests that walk the table.
uint8_t RejectCount();

}  // namespace circuledger::ledger

// ledger/encoding.h: the canonical byte encoding of every ledger value (ledger/ENCODING.md).
//
// Encode<T> gives the one canonical encoding of a value. Decode<T> accepts exactly those bytes:
// it checks every length prefix against its limit and the remaining input before allocating, and
// rejects trailing bytes, unknown versions, over-limit sizes and any input whose re-encoding
// differs ("non-canonical"). Failures are Status::Rejected with the reason. Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace circuledger::ledger {

// Defined for: Tx, TxBody, Block, BlockHeader, Composition, Org, Account, Lot, Product, Proposal,
// RecyclingRecord, ValidatorSet, Params, Genesis, ChainTip, AdminSet, RuleSetRecord, RuleIndex,
// RepairGrant, RuleSetOwner, OrgProposals.
template <class T>
std::string Encode(const T& value);

template <class T>
Result<T> Decode(std::string_view bytes);

// Ok when Decode<T> would accept Encode(value): every list and string within its limit and the
// encoding within the type's byte limit (kMaxStateObjectBytes for state objects). Otherwise
// Rejected(kObjectTooLarge). Computes the size without encoding. Same types as Encode.
template <class T>
Status CheckDecodable(const T& value);

// `prefix` followed by Encode(value), built in one allocation. Defined for Lot and Product (the
// kind-tagged item values of the state).
template <class T>
std::string EncodeAfter(std::string_view prefix, const T& value);

struct Block;
struct BlockHeader;
// The header at the start of a block's encoding (Encode(block) begins with Encode(block.header)),
// without decoding the transactions after it: what a node needs for the block hash, e.g. to check
// a proposal's signature before it decodes a body of up to kMaxBlockBytes. Rejected as Decode
// would for the header's bytes; the bytes after it are not looked at (decode the whole block to
// know it is one).
Result<BlockHeader> DecodeBlockHeaderPrefix(std::string_view block_bytes);

// Encode(block) from its transactions' body encodings (Encode(tx.body) of each, in order), which
// block validation computes anyway for the tx ids: the same bytes without encoding twice.
std::string EncodeBlockFromBodies(const Block& block, const std::vector<std::string>& encoded_bodies);

}  // namespace circuledger::ledger

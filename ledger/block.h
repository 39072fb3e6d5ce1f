// ledger/block.h: block headers, blocks and the Merkle tree of their transactions (DESIGN.md 4).
//
// block hash = tagged_hash("circuledger/block", Encode(header)). The header's tx_root is the
// Merkle root over each transaction's commitment, a tagged hash of its id AND its signature, so
// the block hash, and a commit certificate over it, cover every byte of the block: a peer cannot
// ship a certified block with a damaged signature. Merkle leaves and inner nodes use distinct
// tags and an odd node is carried up unchanged, never duplicated (CVE-2012-2459).
// Plain values; not synchronized.
#pragma once

#include <vector>

#include "ledger/tx.h"

namespace circuledger::ledger {

constexpr uint8_t kBlockVersion = 2;  // 2: tx_root commits to signatures (issue 16)

struct BlockHeader {
  uint8_t version = kBlockVersion;
  std::string chain_id;
  uint64_t height = 0;
  uint64_t time_ms = 0;
  Hash256 prev_hash;
  Hash256 tx_root;
  Hash256 state_root;
  PubKey proposer;
  Hash256 validator_set_hash;
  auto operator<=>(const BlockHeader&) const = default;
};

struct Block {
  BlockHeader header;
  std::vector<Tx> txs;
  auto operator<=>(const Block&) const = default;
};

Hash256 BlockHash(const BlockHeader& header);

// What a transaction contributes to tx_root: tagged_hash("circuledger/tx-commit", tx_id || sig)
// (96 bytes in). It binds the signature, which tx_id (a hash of the body) does not cover.
Hash256 TxCommitment(const Hash256& tx_id, const Signature& sig);
// The commitments of `txs` in block order; ids[i] must be TxId(txs[i].body).
std::vector<Hash256> TxCommitments(const std::vector<Hash256>& ids, const std::vector<Tx>& txs);
// tx_root of a block: MerkleRoot(TxCommitments(ids, txs)). ids[i] must be TxId(txs[i].body).
Hash256 TxRoot(const std::vector<Hash256>& ids, const std::vector<Tx>& txs);
// tx_root computed from the transactions alone (hashes every body; for tests and tools).
Hash256 TxRoot(const std::vector<Tx>& txs);

// Merkle root over leaf values (for tx_root: tx commitments, never bare tx ids). Each value is
// hashed with the leaf tag first. The empty tree has the root
// tagged_hash("circuledger/merkle/empty", "").
Hash256 MerkleRoot(const std::vector<Hash256>& leaves);

// A Merkle inclusion proof: sibling hashes from the leaf up; `left[i]` says the sibling is on the left.
struct MerkleProof {
  std::vector<Hash256> siblings;
  std::vector<uint8_t> left;
};
// The proof for leaves[index] (for tx_root: leaves are TxCommitments).
MerkleProof MakeMerkleProof(const std::vector<Hash256>& leaves, size_t index);
// True iff `leaf` (a leaf value, before the leaf tag) is in the tree with `root` per `proof`.
bool VerifyMerkleProof(const Hash256& leaf, const MerkleProof& proof, const Hash256& root);
// True iff the transaction with this id AND this signature is in the block whose header has
// tx_root `root`: the proof proves the signature too (another signature fails).
bool VerifyTxInclusion(const Hash256& tx_id, const Signature& sig, const MerkleProof& proof, const Hash256& root);

// Hash of a validator set, committed in every header.
Hash256 ValidatorSetHash(const std::vector<Validator>& validators);

}  // namespace circuledger::ledger

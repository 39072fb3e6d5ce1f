// ledger/block.h: block headers, blocks and the Merkle tree of transaction ids (DESIGN.md 4).
//
// block hash = tagged_hash("circuledger/block", Encode(header)). Merkle leaves and inner nodes
// use distinct tags and an odd node is carried up unchanged, never duplicated (CVE-2012-2459).
// Plain values; not synchronized.
#pragma once

#include <vector>

#include "ledger/tx.h"

namespace circuledger::ledger {

constexpr uint8_t kBlockVersion = 1;

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

// Merkle root over leaves (tx ids). The empty tree has the root tagged_hash("circuledger/merkle/empty", "").
Hash256 MerkleRoot(const std::vector<Hash256>& leaves);

// A Merkle inclusion proof: sibling hashes from the leaf up; `left[i]` says the sibling is on the left.
struct MerkleProof {
  std::vector<Hash256> siblings;
  std::vector<uint8_t> left;
};
MerkleProof MakeMerkleProof(const std::vector<Hash256>& leaves, size_t index);
bool VerifyMerkleProof(const Hash256& leaf, const MerkleProof& proof, const Hash256& root);

// Hash of a validator set, committed in every header.
Hash256 ValidatorSetHash(const std::vector<Validator>& validators);

}  // namespace circuledger::ledger

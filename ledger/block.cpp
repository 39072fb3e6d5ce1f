#include "ledger/block.h"

#include <cassert>

#include "ledger/encoding.h"

namespace circuledger::ledger {

namespace {
const TaggedHasher& LeafHasher() {
  static const TaggedHasher h("circuledger/merkle/leaf");
  return h;
}
const TaggedHasher& NodeHasher() {
  static const TaggedHasher h("circuledger/merkle/node");
  return h;
}
Hash256 Node(const Hash256& l, const Hash256& r) { return NodeHasher().Hash2(l.View(), r.View()); }

// One level up: pairs are hashed, an odd last node is carried up as it is.
std::vector<Hash256> Up(const std::vector<Hash256>& level) {
  std::vector<Hash256> next;
  next.reserve((level.size() + 1) / 2);
  for (size_t i = 0; i + 1 < level.size(); i += 2) next.push_back(Node(level[i], level[i + 1]));
  if (level.size() % 2 == 1) next.push_back(level.back());
  return next;
}
std::vector<Hash256> Leaves(const std::vector<Hash256>& ids) {
  std::vector<Hash256> out;
  out.reserve(ids.size());
  for (const Hash256& id : ids) out.push_back(LeafHasher().Hash(id.View()));
  return out;
}
}  // namespace

Hash256 BlockHash(const BlockHeader& header) {
  static const TaggedHasher hasher("circuledger/block");
  return hasher.Hash(Encode(header));
}

Hash256 TxCommitment(const Hash256& tx_id, const Signature& sig) {
  static const TaggedHasher hasher("circuledger/tx-commit");
  return hasher.Hash2(tx_id.View(), sig.View());
}

std::vector<Hash256> TxCommitments(const std::vector<Hash256>& ids, const std::vector<Tx>& txs) {
  assert(ids.size() == txs.size());
  std::vector<Hash256> out;
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) out.push_back(TxCommitment(ids[i], txs[i].sig));
  return out;
}

Hash256 TxRoot(const std::vector<Hash256>& ids, const std::vector<Tx>& txs) { return MerkleRoot(TxCommitments(ids, txs)); }

Hash256 TxRoot(const std::vector<Tx>& txs) {
  std::vector<Hash256> ids;
  ids.reserve(txs.size());
  for (const Tx& tx : txs) ids.push_back(TxId(tx.body));
  return TxRoot(ids, txs);
}

Hash256 MerkleRoot(const std::vector<Hash256>& leaves) {
  if (leaves.empty()) return TaggedHash("circuledger/merkle/empty", "");
  std::vector<Hash256> level = Leaves(leaves);
  while (level.size() > 1) level = Up(level);
  return level[0];
}

MerkleProof MakeMerkleProof(const std::vector<Hash256>& leaves, size_t index) {
  MerkleProof proof;
  std::vector<Hash256> level = Leaves(leaves);
  while (level.size() > 1) {
    const size_t sibling = index ^ 1;
    if (sibling < level.size()) {
      proof.siblings.push_back(level[sibling]);
      proof.left.push_back(sibling < index ? 1 : 0);
    }
    level = Up(level);
    index /= 2;
  }
  return proof;
}

bool VerifyMerkleProof(const Hash256& leaf, const MerkleProof& proof, const Hash256& root) {
  if (proof.siblings.size() != proof.left.size()) return false;
  Hash256 h = LeafHasher().Hash(leaf.View());
  for (size_t i = 0; i < proof.siblings.size(); ++i) {
    h = proof.left[i] ? Node(proof.siblings[i], h) : Node(h, proof.siblings[i]);
  }
  return h == root;
}

bool VerifyTxInclusion(const Hash256& tx_id, const Signature& sig, const MerkleProof& proof, const Hash256& root) {
  return VerifyMerkleProof(TxCommitment(tx_id, sig), proof, root);
}

Hash256 ValidatorSetHash(const std::vector<Validator>& validators) {
  ValidatorSet set{validators, {}};
  static const TaggedHasher hasher("circuledger/validators");
  return hasher.Hash(Encode(set));
}

}  // namespace circuledger::ledger

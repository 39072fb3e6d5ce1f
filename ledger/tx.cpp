#include "ledger/tx.h"

#include <cassert>

#include "ledger/encoding.h"

namespace circuledger::ledger {

namespace {
const TaggedHasher& TxHasher() {
  static const TaggedHasher hasher("circuledger/tx");
  return hasher;
}
}  // namespace

Hash256 TxId(const TxBody& body) { return TxHasher().Hash(Encode(body)); }

Hash256 TxIdOfEncodedBody(std::string_view encoded_body) { return TxHasher().Hash(encoded_body); }

Tx SignTx(TxBody body, const SecretKey& key) {
  assert(body.signer == key.Public());
  const Hash256 id = TxId(body);
  Tx tx{std::move(body), {}};
  tx.sig = key.Sign(id.View());
  return tx;
}

bool VerifyTxSignature(const Tx& tx, const Hash256& id) {
  return VerifySchnorr(tx.body.signer, id.View(), tx.sig);
}

}  // namespace circuledger::ledger

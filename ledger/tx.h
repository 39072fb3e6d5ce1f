// ledger/tx.h: signed transactions (DESIGN.md section 4).
//
// tx_id = tagged_hash("circuledger/tx", Encode(body)); the signer signs the 32-byte tx id with
// BIP-340. The body names the chain by its genesis hash (ledger/genesis.h), so a signature is
// valid on one chain only, also against a chain relaunched under the same chain id. Nonces per
// account start at 0 and grow by one. Plain values; not synchronized.
#pragma once

#include "ledger/crypto.h"
#include "ledger/ops.h"

namespace circuledger::ledger {

// 2: the body names its chain by genesis hash (issue 16); 3: transform and assemble carry scrap
// outputs (issue 17).
constexpr uint8_t kTxVersion = 3;

struct TxBody {
  uint8_t version = kTxVersion;
  Hash256 genesis_hash;  // GenesisHash() of the chain this transaction is for
  PubKey signer;
  uint64_t nonce = 0;
  Op op;
  auto operator<=>(const TxBody&) const = default;
};

struct Tx {
  TxBody body;
  Signature sig;
  auto operator<=>(const Tx&) const = default;
};

Hash256 TxId(const TxBody& body);
// The tx id from the canonical encoding of a body (saves encoding twice on the hot path).
Hash256 TxIdOfEncodedBody(std::string_view encoded_body);
// Signs body with key; body.signer must be key's public key.
Tx SignTx(TxBody body, const SecretKey& key);
// True when tx.sig is the signer's BIP-340 signature of `id` (which must be TxId(tx.body)).
bool VerifyTxSignature(const Tx& tx, const Hash256& id);

}  // namespace circuledger::ledger

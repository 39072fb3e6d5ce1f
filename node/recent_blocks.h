// node/recent_blocks.h: the newest committed blocks, decoded, for the API's reads.
//
// Clients waiting for a commit poll GET /v1/tx/{id}, and watchers read each new block: they ask
// for the newest heights again and again, and decoding a block of thousands of transactions (and
// hashing their ids) costs far more than an answer. RecentBlocks keeps the `capacity` highest
// heights it has read; a committed block never changes, so an entry is never stale. Reading an
// older block decodes it without evicting newer ones. Thread-safe; borrows the Store.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "ledger/block.h"
#include "ledger/status.h"
#include "ledger/store.h"

namespace circuledger::node {

struct DecodedBlock {
  ledger::Block block;
  std::vector<ledger::Hash256> tx_ids;  // TxId of each transaction, in block order
};

class RecentBlocks {
 public:
  RecentBlocks(const ledger::Store& store, size_t capacity) : store_(store), capacity_(capacity) {}

  // NotFound for a height not committed; Corruption when the stored bytes do not decode.
  ledger::Result<std::shared_ptr<const DecodedBlock>> Get(uint64_t height);

 private:
  const ledger::Store& store_;
  const size_t capacity_;
  std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<const DecodedBlock>> blocks_;  // guarded by mu_
};

}  // namespace circuledger::node

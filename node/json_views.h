// node/json_views.h: the JSON shapes of ledger values in the HTTP API (docs/api.md).
//
// Masses are integers in milligrams; recycled shares are also given as percent strings with two
// decimals ("15.99", rounded down) for people. Ids and keys are plain strings / lower-case hex.
// Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "ledger/block.h"
#include "ledger/store.h"

namespace circuledger::node {

nlohmann::json CompositionJson(const ledger::Composition& c);
nlohmann::json LotJson(const ledger::Lot& lot);
// The product passport: composition with recycled share per material, attributes, repair
// history, attestations, status and owner.
nlohmann::json ProductJson(const ledger::Product& p);
nlohmann::json OrgJson(const ledger::Org& org);
// Every chain parameter by name (ledger::ForEachParam): GET /v1/params and set_params proposals.
nlohmann::json ParamsJson(const ledger::Params& p);
nlohmann::json OpJson(const ledger::Op& op);
nlohmann::json TxJson(const ledger::Tx& tx, const ledger::Hash256& id);
nlohmann::json HeaderJson(const ledger::BlockHeader& h);
nlohmann::json RecyclingJson(const ledger::RecyclingRecord& r);

}  // namespace circuledger::node

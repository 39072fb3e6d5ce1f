// ledger/genesis.h: the genesis description of a chain (DESIGN.md section 2), loaded from JSON.
//
// Genesis holds the chain id, genesis time, parameters (including the governance threshold: m of
// the n admin orgs), the initial orgs with their keys and roles, and the validators. Its hash,
// tagged_hash("circuledger/genesis", Encode(genesis)), is the prev_hash of block 1.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"
#include "ledger/types.h"

namespace circuledger::ledger {

struct Genesis {
  std::string chain_id;
  uint64_t genesis_time_ms = 0;
  Params params;
  std::vector<Org> orgs;  // members are the org's initial keys
  std::vector<Validator> validators;
  auto operator<=>(const Genesis&) const = default;
};

// Parses and validates a genesis JSON document (see docs/genesis.md for the format). Sorts each
// org's keys and the validators by key. On failure returns Status::InvalidArgument whose detail
// starts with "genesis: " and names the offending field ("genesis: orgs[1].keys[0]: ...").
// Malformed JSON, unknown or duplicate object keys, and integers that are not unsigned JSON
// integers in range (floats, negatives, strings, overflow) are all failures.
Result<Genesis> GenesisFromJson(std::string_view json);
// GenesisFromJson on the contents of a file. A path that does not name a readable regular file
// gives InvalidArgument ("genesis: cannot read <path>: <reason>"); a read error gives IoError.
Result<Genesis> GenesisFromFile(const std::string& path);
// The JSON document of a genesis, in the format GenesisFromJson reads (every param written out).
// For a genesis that passes ValidateGenesis, GenesisFromJson(GenesisToJson(g)) == g.
std::string GenesisToJson(const Genesis& genesis);
// Checks ids, keys, roles, threshold reachability and limits; the same rules as governance.
// Returns Status::InvalidArgument("genesis: <field>: <what is wrong>") on the first failure.
Status ValidateGenesis(const Genesis& genesis);
// tagged_hash("circuledger/genesis", Encode(genesis)).
Hash256 GenesisHash(const Genesis& genesis);

// Checks the parameter bounds that do not depend on state: max_block_txs in 1..kMaxBlockTxs,
// max_block_bytes in 1024..kMaxBlockBytes, gov_threshold, proposal_ttl_blocks and every timeout
// at least 1. Returns InvalidArgument("params.<field>: ...") on failure. That gov_threshold does
// not exceed the number of admin orgs is the caller's check (it depends on the org set).
Status ValidateParams(const Params& params);
// An org id: 1..limits::kMaxOrgIdLen characters of [a-z0-9-._].
bool IsValidOrgId(std::string_view id);
// A display name: 1..limits::kMaxNameLen printable ASCII characters (0x20..0x7e).
bool IsValidName(std::string_view name);

}  // namespace circuledger::ledger

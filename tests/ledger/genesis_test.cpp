// Tests of ledger/genesis.h: the JSON format, its validation rules and the genesis hash.
#include "ledger/genesis.h"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "ledger/crypto.h"
#include "ledger/encoding.h"
#include "ledger/limits.h"

namespace circuledger::ledger {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

// A valid key: the public key of the secret scalar n (n >= 1).
PubKey KeyOf(uint32_t n) {
  std::string secret(32, '\0');
  secret[28] = static_cast<char>(n >> 24);
  secret[29] = static_cast<char>(n >> 16);
  secret[30] = static_cast<char>(n >> 8);
  secret[31] = static_cast<char>(n);
  auto sk = SecretKey::FromBytes(secret);
  REQUIRE(sk);
  return sk->Public();
}
std::string HexOf(uint32_t n) { return KeyOf(n).ToHex(); }

// BIP-340 test vector 5: an x coordinate with no point on the curve.
constexpr const char* kNotOnCurve =
    "EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34";
// BIP-340 test vector 14: p + 1, not a field element.
constexpr const char* kOverP = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30";

// A valid document: two admin orgs (threshold 2), one recycler; keys and validators listed out of
// order so that the sorting is observable. Keys 1..4 are org keys, 10 and 11 validator keys.
std::string ValidDoc() {
  const bool k2_first = KeyOf(2) > KeyOf(3);  // list acme's keys in descending order
  const bool v10_first = KeyOf(10) > KeyOf(11);
  const std::string acme_keys = k2_first ? "\"" + HexOf(2) + "\", \"" + HexOf(3) + "\""
                                         : "\"" + HexOf(3) + "\", \"" + HexOf(2) + "\"";
  const std::string v_hi = v10_first ? HexOf(10) : HexOf(11);
  const std::string v_lo = v10_first ? HexOf(11) : HexOf(10);
  return R"({
  "chain_id": "circuledger-dev",
  "genesis_time_ms": 1767225600000,
  "params": {"max_block_txs": 4000, "max_block_bytes": 4194304, "gov_threshold": 2,
             "proposal_ttl_blocks": 90000, "max_time_drift_ms": 4000, "timeout_propose_ms": 2500,
             "timeout_vote_ms": 900, "timeout_delta_ms": 400},
  "orgs": [
    {"id": "eu-regulator", "name": "EU Regulator", "roles": ["regulator", "admin"], "keys": [")" +
         HexOf(1) + R"("]},
    {"id": "acme-mining", "name": "Acme Mining", "roles": ["admin", "supplier"], "keys": [)" +
         acme_keys + R"(]},
    {"id": "recyco", "name": "ReCyCo", "roles": ["recycler"], "keys": [")" +
         HexOf(4) + R"("]}
  ],
  "validators": [
    {"key": ")" +
         v_hi + R"(", "name": "validator-hi", "address": "10.0.0.2:26656"},
    {"key": ")" +
         v_lo + R"(", "name": "validator-lo", "address": "127.0.0.1:26656"}
  ]
})";
}

// ValidDoc with `from` (which must occur exactly once) replaced by `to`.
std::string Mutated(const std::string& from, const std::string& to) {
  std::string doc = ValidDoc();
  const size_t at = doc.find(from);
  REQUIRE(at != std::string::npos);
  REQUIRE(doc.find(from, at + 1) == std::string::npos);
  return doc.replace(at, from.size(), to);
}

// Parsing `doc` fails with InvalidArgument whose message contains `needle`.
void ExpectRejected(const std::string& doc, const std::string& needle) {
  INFO(doc);
  auto r = GenesisFromJson(doc);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsInvalidArgument());
  CHECK_THAT(r.status().detail(), StartsWith("genesis: ") && Contains(needle));
}

Genesis ValidGenesis() {
  auto r = GenesisFromJson(ValidDoc());
  REQUIRE(r.ok());
  return *r;
}

void ExpectInvalid(const Genesis& g, const std::string& needle) {
  Status s = ValidateGenesis(g);
  REQUIRE_FALSE(s.ok());
  CHECK(s.IsInvalidArgument());
  CHECK_THAT(s.detail(), StartsWith("genesis: ") && Contains(needle));
}

TEST_CASE("genesis: a valid document parses, sorted", "[genesis]") {
  auto r = GenesisFromJson(ValidDoc());
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  const Genesis& g = *r;
  CHECK(g.chain_id == "circuledger-dev");
  CHECK(g.genesis_time_ms == 1767225600000u);
  CHECK(g.params.max_block_txs == 4000);
  CHECK(g.params.max_block_bytes == 4194304);
  CHECK(g.params.gov_threshold == 2);
  CHECK(g.params.proposal_ttl_blocks == 90000);
  CHECK(g.params.max_time_drift_ms == 4000);
  CHECK(g.params.timeout_propose_ms == 2500);
  CHECK(g.params.timeout_vote_ms == 900);
  CHECK(g.params.timeout_delta_ms == 400);
  REQUIRE(g.orgs.size() == 3);
  CHECK(g.orgs[0].id == "eu-regulator");  // orgs keep file order
  CHECK(g.orgs[0].name == "EU Regulator");
  CHECK(g.orgs[0].roles ==
        (static_cast<uint32_t>(Role::kAdmin) | static_cast<uint32_t>(Role::kRegulator)));
  CHECK(g.orgs[0].members == std::vector<PubKey>{KeyOf(1)});
  CHECK(g.orgs[0].status == OrgStatus::kActive);
  CHECK(g.orgs[1].id == "acme-mining");
  CHECK(g.orgs[1].roles ==
        (static_cast<uint32_t>(Role::kAdmin) | static_cast<uint32_t>(Role::kSupplier)));
  const PubKey k2 = KeyOf(2), k3 = KeyOf(3);
  const auto [lo, hi] = std::minmax(k2, k3);
  CHECK(g.orgs[1].members == std::vector<PubKey>{lo, hi});  // listed descending in the file
  CHECK(g.orgs[2].roles == static_cast<uint32_t>(Role::kRecycler));
  REQUIRE(g.validators.size() == 2);
  CHECK(g.validators[0].key < g.validators[1].key);  // listed descending in the file
  CHECK(g.validators[1].name == "validator-hi");
  CHECK(g.validators[1].address == "10.0.0.2:26656");
  CHECK(ValidateGenesis(g).ok());
}

TEST_CASE("genesis: params and each param are optional", "[genesis]") {
  std::string doc = ValidDoc();
  const size_t from = doc.find("\"params\"");
  const size_t to = doc.find("\"orgs\"");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  std::string no_params = doc.substr(0, from) + doc.substr(to);
  // Without params, gov_threshold defaults to 1: still valid with two admin orgs.
  auto r = GenesisFromJson(no_params);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->params == Params{});

  std::string partial =
      doc.substr(0, from) + R"("params": {"timeout_vote_ms": 7}, )" + doc.substr(to);
  auto p = GenesisFromJson(partial);
  REQUIRE(p.ok());
  Params expected;
  expected.timeout_vote_ms = 7;
  CHECK(p->params == expected);
}

TEST_CASE("genesis: JSON round trip gives an equal genesis and hash", "[genesis]") {
  const Genesis g1 = ValidGenesis();
  const std::string json1 = GenesisToJson(g1);
  auto r2 = GenesisFromJson(json1);
  INFO(json1);
  REQUIRE(r2.ok());
  CHECK(*r2 == g1);
  CHECK(GenesisToJson(*r2) == json1);
  CHECK(GenesisHash(*r2) == GenesisHash(g1));
  // The writer emits every param, so a round trip of defaults is explicit too.
  CHECK_THAT(json1, Contains("\"timeout_delta_ms\": 400") && Contains("\"keys\"") &&
                        Contains("\"roles\": [\n        \"admin\",\n        \"regulator\""));
}

TEST_CASE("genesis: the hash is the tagged hash of the canonical encoding", "[genesis]") {
  const Genesis g = ValidGenesis();
  CHECK(GenesisHash(g) == TaggedHash("circuledger/genesis", Encode(g)));
}

TEST_CASE("genesis: the hash changes when any field changes", "[genesis]") {
  const Genesis base = ValidGenesis();
  std::vector<Genesis> variants;
  auto vary = [&](auto&& change) {
    Genesis g = base;
    change(g);
    variants.push_back(g);
  };
  vary([](Genesis& g) { g.chain_id = "circuledger-deu"; });
  vary([](Genesis& g) { g.genesis_time_ms += 1; });
  vary([](Genesis& g) { g.params.max_block_txs += 1; });
  vary([](Genesis& g) { g.params.max_block_bytes += 1; });
  vary([](Genesis& g) { g.params.gov_threshold = 1; });
  vary([](Genesis& g) { g.params.proposal_ttl_blocks += 1; });
  vary([](Genesis& g) { g.params.max_time_drift_ms += 1; });
  vary([](Genesis& g) { g.params.timeout_propose_ms += 1; });
  vary([](Genesis& g) { g.params.timeout_vote_ms += 1; });
  vary([](Genesis& g) { g.params.timeout_delta_ms += 1; });
  vary([](Genesis& g) { g.orgs[2].id = "recycol"; });
  vary([](Genesis& g) { g.orgs[2].name = "ReCyCo2"; });
  vary([](Genesis& g) { g.orgs[2].roles |= static_cast<uint32_t>(Role::kCollector); });
  vary([](Genesis& g) { g.orgs[2].members = {KeyOf(5)}; });
  vary([](Genesis& g) { g.orgs[2].status = OrgStatus::kSuspended; });
  vary([](Genesis& g) { std::swap(g.orgs[0], g.orgs[1]); });
  vary([](Genesis& g) { g.orgs.pop_back(); });
  vary([](Genesis& g) { g.validators[0].key = KeyOf(12); });
  vary([](Genesis& g) { g.validators[0].name = "validator-x"; });
  vary([](Genesis& g) { g.validators[0].address = "127.0.0.1:26657"; });
  vary([](Genesis& g) { g.validators.pop_back(); });

  std::set<Hash256> hashes{GenesisHash(base)};
  for (const Genesis& g : variants) {
    REQUIRE(g != base);
    hashes.insert(GenesisHash(g));
  }
  CHECK(hashes.size() == variants.size() + 1);  // all distinct
}

TEST_CASE("genesis: org rules", "[genesis]") {
  SECTION("duplicate org id") {
    ExpectRejected(Mutated(R"("id": "recyco")", R"("id": "acme-mining")"), "duplicate org id");
  }
  SECTION("key in two orgs") {
    ExpectRejected(Mutated("\"keys\": [\"" + HexOf(4) + "\"]", "\"keys\": [\"" + HexOf(1) + "\"]"),
                   "already belongs to org \"eu-regulator\"");
  }
  SECTION("key twice in one org") {
    ExpectRejected(Mutated("\"keys\": [\"" + HexOf(4) + "\"]",
                           "\"keys\": [\"" + HexOf(4) + "\", \"" + HexOf(4) + "\"]"),
                   "orgs[2].keys: duplicate key");
  }
  SECTION("bad hex key") {
    std::string bad = HexOf(4);
    bad[10] = 'g';
    ExpectRejected(Mutated(HexOf(4), bad), "orgs[2].keys[0]: expected 64 hex digits");
    ExpectRejected(Mutated(HexOf(4), HexOf(4).substr(2)),
                   "orgs[2].keys[0]: expected 64 hex digits");
  }
  SECTION("key not on the curve") {
    ExpectRejected(Mutated(HexOf(4), kNotOnCurve), "orgs[2].keys: not a valid x-only public key");
    ExpectRejected(Mutated(HexOf(4), kOverP), "orgs[2].keys: not a valid x-only public key");
  }
  SECTION("no keys") {
    ExpectRejected(Mutated("[\"" + HexOf(4) + "\"]", "[]"),
                   "orgs[2].keys: must hold 1..64 keys, got 0");
  }
  SECTION("too many keys") {
    std::string keys;
    for (uint32_t n = 100; n < 100 + limits::kMaxOrgKeys; ++n) keys += ", \"" + HexOf(n) + "\"";
    ExpectRejected(Mutated("\"" + HexOf(4) + "\"", "\"" + HexOf(4) + "\"" + keys),
                   "orgs[2].keys: must hold 1..64 keys, got 65");
  }
  SECTION("oversized id") {
    ExpectRejected(Mutated(R"("id": "recyco")", "\"id\": \"" + std::string(33, 'r') + "\""),
                   "orgs[2].id: must be 1..32 characters");
  }
  SECTION("bad characters in id") {
    ExpectRejected(Mutated(R"("id": "recyco")", R"("id": "ReCyCo")"), "orgs[2].id: must be");
    ExpectRejected(Mutated(R"("id": "recyco")", R"("id": "")"), "orgs[2].id: must be");
  }
  SECTION("bad name") {
    ExpectRejected(Mutated(R"("name": "ReCyCo")", R"("name": "")"), "orgs[2].name: must be 1..128");
    ExpectRejected(Mutated(R"("name": "ReCyCo")", R"("name": "Re\nCo")"),
                   "orgs[2].name: must be 1..128");
    ExpectRejected(Mutated(R"("name": "ReCyCo")", "\"name\": \"" + std::string(129, 'n') + "\""),
                   "orgs[2].name: must be 1..128");
  }
  SECTION("roles") {
    // An org without roles (a customer) is fine: it can own, transfer and hand in products.
    Result<Genesis> no_roles = GenesisFromJson(Mutated(R"(["recycler"])", "[]"));
    REQUIRE(no_roles.ok());
    CHECK(no_roles->orgs[2].roles == 0);
    ExpectRejected(Mutated(R"(["recycler"])", R"(["recycler", "recyler"])"),
                   "orgs[2].roles[1]: unknown role \"recyler\"");
    ExpectRejected(Mutated(R"(["recycler"])", R"(["recycler", "recycler"])"),
                   "orgs[2].roles[1]: duplicate role");
  }
  SECTION("no admin org") {
    std::string doc = Mutated(R"(["regulator", "admin"])", R"(["regulator"])");
    const std::string acme_roles = R"(["admin", "supplier"])";
    const size_t at = doc.find(acme_roles);
    REQUIRE(at != std::string::npos);
    doc.replace(at, acme_roles.size(), R"(["supplier"])");
    ExpectRejected(doc, "no org has the admin role");
  }
}

TEST_CASE("genesis: governance threshold", "[genesis]") {
  ExpectRejected(Mutated(R"("gov_threshold": 2)", R"("gov_threshold": 0)"),
                 "params.gov_threshold: must be at least 1");
  ExpectRejected(Mutated(R"("gov_threshold": 2)", R"("gov_threshold": 3)"),
                 "params.gov_threshold: 3 exceeds the number of admin orgs (2)");
  CHECK(GenesisFromJson(Mutated(R"("gov_threshold": 2)", R"("gov_threshold": 1)")).ok());
}

TEST_CASE("genesis: validator rules", "[genesis]") {
  SECTION("no validators") {
    std::string doc = ValidDoc();
    const size_t from = doc.find("\"validators\": [") + 15;
    const size_t to = doc.rfind(']');
    ExpectRejected(doc.substr(0, from) + doc.substr(to),
                   "validators: must hold 1..128 validators, got 0");
  }
  SECTION("duplicate key") {
    ExpectRejected(Mutated(HexOf(10), HexOf(11)), "duplicate validator key");
  }
  SECTION("invalid key") {
    ExpectRejected(Mutated(HexOf(10), kNotOnCurve), "not a valid x-only public key");
    ExpectRejected(Mutated(HexOf(10), "abc"), "expected 64 hex digits");
  }
  SECTION("name") {
    ExpectRejected(Mutated(R"("validator-lo")", R"("")"), ".name: must be 1..128");
  }
  SECTION("address") {
    for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", ":26656", "127.0.0.1:0",
                            "127.0.0.1:65536", "127.0.0.1:26a56", "host name:1"}) {
      ExpectRejected(Mutated("127.0.0.1:26656", bad), ".address: must be host:port");
    }
    ExpectRejected(Mutated("127.0.0.1:26656", std::string(252, 'h') + ":2665"),
                   ".address: must be host:port");
    CHECK(GenesisFromJson(Mutated("127.0.0.1:26656", std::string(251, 'h') + ":2665")).ok());
    CHECK(GenesisFromJson(Mutated("127.0.0.1:26656", "[::1]:65535")).ok());
  }
  SECTION("unknown field") {
    ExpectRejected(Mutated(R"("name": "validator-lo")", R"("name": "validator-lo", "power": 1)"),
                   "unknown field \"power\"");
  }
}

TEST_CASE("genesis: params rules", "[genesis]") {
  ExpectRejected(Mutated(R"("max_block_txs": 4000)", R"("max_block_txs": 20001)"),
                 "params.max_block_txs: must be 1..20000, got 20001");
  ExpectRejected(Mutated(R"("max_block_txs": 4000)", R"("max_block_txs": 0)"),
                 "params.max_block_txs");
  CHECK(GenesisFromJson(Mutated(R"("max_block_txs": 4000)", R"("max_block_txs": 20000)")).ok());
  ExpectRejected(Mutated(R"("max_block_bytes": 4194304)", R"("max_block_bytes": 1023)"),
                 "params.max_block_bytes: must be 1024..33554432");
  ExpectRejected(Mutated(R"("max_block_bytes": 4194304)", R"("max_block_bytes": 33554433)"),
                 "params.max_block_bytes");
  ExpectRejected(Mutated(R"("proposal_ttl_blocks": 90000)", R"("proposal_ttl_blocks": 0)"),
                 "params.proposal_ttl_blocks: must be at least 1");
  ExpectRejected(Mutated(R"("timeout_propose_ms": 2500)", R"("timeout_propose_ms": 0)"),
                 "params.timeout_propose_ms");
  ExpectRejected(Mutated(R"("timeout_vote_ms": 900)", R"("timeout_vote_ms": 0)"),
                 "params.timeout_vote_ms");
  ExpectRejected(Mutated(R"("timeout_delta_ms": 400)", R"("timeout_delta_ms": 0)"),
                 "params.timeout_delta_ms");
}

TEST_CASE("genesis: ValidateParams bounds", "[genesis]") {
  CHECK(ValidateParams(Params{}).ok());
  Params p;
  p.max_block_txs = limits::kMaxBlockTxs;
  p.max_block_bytes = 1024;
  CHECK(ValidateParams(p).ok());
  p.max_block_bytes = limits::kMaxBlockBytes;
  p.max_block_txs = 1;
  CHECK(ValidateParams(p).ok());
  p.max_block_bytes = limits::kMaxBlockBytes + 1;
  Status s = ValidateParams(p);
  CHECK(s.IsInvalidArgument());
  CHECK_THAT(s.detail(), StartsWith("params.max_block_bytes"));
  p.max_block_bytes = limits::kMaxBlockBytes;
  p.max_time_drift_ms = limits::kMaxTimeDriftMs;
  CHECK(ValidateParams(p).ok());
  p.max_time_drift_ms = limits::kMaxTimeDriftMs + 1;
  s = ValidateParams(p);
  CHECK_THAT(s.detail(), StartsWith("params.max_time_drift_ms"));
}

TEST_CASE("genesis: chain id", "[genesis]") {
  ExpectRejected(Mutated("circuledger-dev", "Circuledger"), "chain_id: must be 1..32");
  ExpectRejected(Mutated("circuledger-dev", ""), "chain_id: must be 1..32");
  ExpectRejected(Mutated("circuledger-dev", std::string(33, 'c')), "chain_id: must be 1..32");
  CHECK(GenesisFromJson(Mutated("circuledger-dev", std::string(32, 'c'))).ok());
  CHECK(GenesisFromJson(Mutated("circuledger-dev", "a.b_c-9")).ok());
}

TEST_CASE("genesis: document shape", "[genesis]") {
  SECTION("unknown fields") {
    ExpectRejected(Mutated(R"("chain_id")", R"("chain_idd": "x", "chain_id")"),
                   "unknown field \"chain_idd\"");
    ExpectRejected(Mutated(R"("max_block_txs")", R"("max_blocks_txs": 1, "max_block_txs")"),
                   "params: unknown field \"max_blocks_txs\"");
    ExpectRejected(Mutated(R"("id": "recyco")", R"("id": "recyco", "status": "active")"),
                   "orgs[2]: unknown field \"status\"");
  }
  SECTION("duplicate field") {
    ExpectRejected(
        Mutated(R"("timeout_vote_ms": 900)", R"("timeout_vote_ms": 900, "timeout_vote_ms": 1)"),
        "duplicate field \"timeout_vote_ms\"");
  }
  SECTION("missing field") {
    ExpectRejected(Mutated(R"("genesis_time_ms": 1767225600000,)", ""),
                   "genesis_time_ms: missing required field");
    ExpectRejected(Mutated(R"("name": "ReCyCo", )", ""), "orgs[2].name: missing required field");
  }
  SECTION("integers") {
    ExpectRejected(Mutated(R"("timeout_vote_ms": 900)", R"("timeout_vote_ms": 900.0)"),
                   "params.timeout_vote_ms: expected an unsigned integer, got 900.0");
    ExpectRejected(Mutated(R"("timeout_vote_ms": 900)", R"("timeout_vote_ms": 9e2)"),
                   "params.timeout_vote_ms: expected an unsigned integer");
    ExpectRejected(Mutated(R"("timeout_vote_ms": 900)", R"("timeout_vote_ms": -1)"),
                   "params.timeout_vote_ms: expected an unsigned integer, got -1");
    ExpectRejected(Mutated(R"("timeout_vote_ms": 900)", R"("timeout_vote_ms": "900")"),
                   "params.timeout_vote_ms: expected an unsigned integer, got \"900\"");
    ExpectRejected(Mutated(R"("timeout_vote_ms": 900)", R"("timeout_vote_ms": 4294967296)"),
                   "params.timeout_vote_ms: must be at most 4294967295");
    ExpectRejected(Mutated("1767225600000", "18446744073709551616"),
                   "genesis_time_ms: expected an unsigned integer");
    CHECK(GenesisFromJson(Mutated(R"("timeout_vote_ms": 900)", R"("timeout_vote_ms": 4294967295)"))
              .ok());
    CHECK(GenesisFromJson(Mutated("1767225600000", "18446744073709551615")).ok());
  }
  SECTION("wrong types") {
    ExpectRejected(Mutated(R"("chain_id": "circuledger-dev")", R"("chain_id": 7)"),
                   "chain_id: expected a string");
    ExpectRejected(Mutated(R"(["recycler"])", R"("recycler")"),
                   "orgs[2].roles: expected a JSON array");
    ExpectRejected("[]", "document: expected a JSON object");
  }
  SECTION("malformed JSON") {
    const std::string doc = ValidDoc();
    ExpectRejected(doc.substr(0, doc.size() / 2), "malformed JSON");
    ExpectRejected(Mutated(R"("timeout_delta_ms": 400})", R"("timeout_delta_ms": 400,})"),
                   "malformed JSON");
    ExpectRejected("", "malformed JSON");
    ExpectRejected(doc + "x", "malformed JSON");
  }
}

TEST_CASE("genesis: rules a JSON document cannot break", "[genesis]") {
  SECTION("org keys unsorted") {
    Genesis g = ValidGenesis();
    std::swap(g.orgs[1].members[0], g.orgs[1].members[1]);
    ExpectInvalid(g, "orgs[1].keys: keys must be sorted");
  }
  SECTION("validators unsorted") {
    Genesis g = ValidGenesis();
    std::swap(g.validators[0], g.validators[1]);
    ExpectInvalid(g, "validators: must be sorted by key");
  }
  SECTION("suspended org") {
    Genesis g = ValidGenesis();
    g.orgs[2].status = OrgStatus::kSuspended;
    ExpectInvalid(g, "orgs[2]: a genesis org must be active");
  }
  SECTION("role bits outside the known roles") {
    Genesis g = ValidGenesis();
    g.orgs[2].roles |= 1u << 8;
    ExpectInvalid(g, "orgs[2].roles");
  }
  SECTION("too many orgs") {
    Genesis g = ValidGenesis();
    g.orgs.resize(limits::kMaxOrgs + 1, g.orgs[2]);
    ExpectInvalid(g, "orgs: at most 4096 orgs, got 4097");
  }
  SECTION("too many validators") {
    Genesis g = ValidGenesis();
    g.validators.resize(limits::kMaxValidators + 1, g.validators[0]);
    ExpectInvalid(g, "validators: must hold 1..128 validators, got 129");
  }
}

TEST_CASE("genesis: helpers", "[genesis]") {
  CHECK(IsValidOrgId("a"));
  CHECK(IsValidOrgId(std::string(limits::kMaxOrgIdLen, 'a')));
  CHECK_FALSE(IsValidOrgId(std::string(limits::kMaxOrgIdLen + 1, 'a')));
  CHECK_FALSE(IsValidOrgId(""));
  CHECK_FALSE(IsValidOrgId("a/b"));
  CHECK_FALSE(IsValidOrgId("A"));
  CHECK(IsValidName(" ~"));
  CHECK(IsValidName(std::string(limits::kMaxNameLen, 'x')));
  CHECK_FALSE(IsValidName(std::string(limits::kMaxNameLen + 1, 'x')));
  CHECK_FALSE(IsValidName(""));
  CHECK_FALSE(IsValidName("tab\t"));
  CHECK_FALSE(IsValidName("\x7f"));
  CHECK_FALSE(IsValidName("caf\xc3\xa9"));

  CHECK(IsValidPubKey(KeyOf(1)));
  CHECK_FALSE(IsValidPubKey(*PubKey::FromHex(kNotOnCurve)));
  CHECK_FALSE(IsValidPubKey(*PubKey::FromHex(kOverP)));
  CHECK_FALSE(IsValidPubKey(PubKey{}));
}

TEST_CASE("genesis: from file", "[genesis]") {
  const auto dir = std::filesystem::temp_directory_path();
  SECTION("missing file") {
    const std::string path = (dir / "circuledger-genesis-test-missing.json").string();
    std::filesystem::remove(path);
    auto r = GenesisFromFile(path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsInvalidArgument());
    CHECK_THAT(r.status().detail(),
               Contains("genesis: cannot read " + path) && Contains("No such file"));
  }
  SECTION("a directory") {
    auto r = GenesisFromFile(dir.string());
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().detail(), StartsWith("genesis: cannot read"));
  }
  SECTION("a written file reads back") {
    const Genesis g = ValidGenesis();
    const std::string path =
        (dir / ("circuledger-genesis-test-" + std::to_string(::getpid()) + ".json")).string();
    {
      std::ofstream out(path, std::ios::binary);
      out << GenesisToJson(g);
    }
    auto r = GenesisFromFile(path);
    std::filesystem::remove(path);
    REQUIRE(r.ok());
    CHECK(*r == g);
  }
}

}  // namespace
}  // namespace circuledger::ledger

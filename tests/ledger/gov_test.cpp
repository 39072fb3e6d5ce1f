// Governance: propose / approve by admin orgs with the m-of-n threshold from genesis.
#include <catch2/catch.hpp>

#include "ledger/limits.h"
#include "tests/support/test_chain.h"

using namespace circuledger::testkit;

namespace {

// Proposes as `org`; returns the proposal id (the propose transaction's id).
Hash256 Propose_(TestChain& c, const std::string& org, GovChange change) {
  const Tx tx = c.Sign(org, Propose{std::move(change)});
  const Status s = c.Commit(tx);
  INFO(s.ToString());
  REQUIRE(s.ok());
  c.member(org).nonce++;
  return TxId(tx.body);
}

}  // namespace

TEST_CASE("governance: a change applies only when the threshold is met", "[gov]") {
  TestChain c;
  const PubKey newkey = KeyFor("newco").Public();
  const Hash256 id = Propose_(c, "admin-a", AddOrg{"newco", "New Co", static_cast<uint32_t>(Role::kRecycler), {newkey}});
  // One approval short (threshold 2, the proposer counts once): nothing applied yet.
  CHECK_FALSE(c.GetOrg("newco"));
  CHECK(c.Apply("admin-a", Approve{id}).RejectString() == "duplicate-approval");
  CHECK(c.Apply("mine", Approve{id}).RejectString() == "role-not-allowed");
  CHECK(c.Apply("admin-b", Approve{Hash256{}}).RejectString() == "unknown-proposal");
  CHECK_FALSE(c.GetOrg("newco"));
  REQUIRE(c.Apply("admin-b", Approve{id}).ok());
  auto org = c.GetOrg("newco");
  REQUIRE(org);
  CHECK(org->roles == static_cast<uint32_t>(Role::kRecycler));
  CHECK(c.Apply("admin-c", Approve{id}).RejectString() == "proposal-closed");
  // The new org's key can act at once.
  TxBody body;
  body.genesis_hash = c.genesis_hash();
  body.signer = newkey;
  body.op = CreateLot{"newco-lot", Comp("Co:5:5")};
  CHECK(c.Commit(SignTx(body, KeyFor("newco"))).ok());
}

TEST_CASE("governance: proposals are checked against state", "[gov]") {
  TestChain c;
  auto propose = [&](GovChange ch) { return c.Apply("admin-a", Propose{std::move(ch)}).RejectString(); };
  CHECK(propose(AddOrg{"mine", "Dup", static_cast<uint32_t>(Role::kSupplier), {KeyFor("x").Public()}}) == "id-exists");
  CHECK(propose(AddOrg{"x", "X", static_cast<uint32_t>(Role::kSupplier), {KeyFor("mine").Public()}}) == "key-in-use");
  CHECK(propose(AddOrg{"x", "X", 1u << 9, {KeyFor("x").Public()}}) == "bad-gov-change");
  CHECK(propose(AddOrg{"x", "X", static_cast<uint32_t>(Role::kSupplier), {}}) == "bad-gov-change");
  CHECK(propose(SetOrgStatus{"ghost", OrgStatus::kSuspended}) == "unknown-org");
  // Three admins, threshold 2: suspending two would leave one, below the threshold.
  Params p = c.genesis().params;
  p.gov_threshold = 4;
  CHECK(propose(SetParams{p}) == "threshold-unreachable");
  p.gov_threshold = 0;
  CHECK(propose(SetParams{p}) == "bad-gov-change");
  CHECK(propose(RevokeMemberKey{"mine", KeyFor("mine").Public()}) == "bad-gov-change");  // last key
  CHECK(propose(RemoveValidator{KeyFor("validator-0").Public()}) == "bad-gov-change");   // last validator
  CHECK(propose(RemoveValidator{KeyFor("nobody").Public()}) == "bad-gov-change");
}

TEST_CASE("governance: suspend an org, change roles, rotate keys", "[gov]") {
  TestChain c;
  Hash256 id = Propose_(c, "admin-a", SetOrgStatus{"mine", OrgStatus::kSuspended});
  REQUIRE(c.Apply("admin-c", Approve{id}).ok());
  CHECK(c.Apply("mine", CreateLot{"l", Comp("Co:1:0")}).RejectString() == "org-suspended");
  CHECK(c.Apply("refinery", CreateLot{"l", Comp("Co:1:0")}).ok());
  CHECK(c.Apply("refinery", Transfer{"l", "mine"}).RejectString() == "receiver-inactive");

  id = Propose_(c, "admin-a", SetOrgRoles{"refinery", static_cast<uint32_t>(Role::kCollector)});
  REQUIRE(c.Apply("admin-b", Approve{id}).ok());
  CHECK(c.Apply("refinery", CreateLot{"l2", Comp("Co:1:0")}).RejectString() == "role-not-allowed");

  const PubKey second = KeyFor("oem-2").Public();
  id = Propose_(c, "admin-a", AddMemberKey{"oem", second});
  REQUIRE(c.Apply("admin-b", Approve{id}).ok());
  id = Propose_(c, "admin-a", RevokeMemberKey{"oem", KeyFor("oem").Public()});
  REQUIRE(c.Apply("admin-b", Approve{id}).ok());
  CHECK(c.Apply("oem", CreateLot{"o1", Comp("Co:1:0")}).RejectString() == "unknown-signer");
  TxBody body;
  body.genesis_hash = c.genesis_hash();
  body.signer = second;
  body.op = CreateLot{"o1", Comp("Co:1:0")};
  CHECK(c.Commit(SignTx(body, KeyFor("oem-2"))).ok());
  // A revoked key is never reused, not even by its old org.
  CHECK(c.Apply("admin-a", Propose{AddMemberKey{"oem", KeyFor("oem").Public()}}).RejectString() == "key-in-use");
}

TEST_CASE("governance: validator changes apply from a later height", "[gov]") {
  TestChain c;
  const Validator v{KeyFor("validator-1").Public(), "validator-1", "127.0.0.1:26657"};
  const Hash256 id = Propose_(c, "admin-a", AddValidator{v});
  REQUIRE(c.Apply("admin-b", Approve{id}).ok());
  const uint64_t approved_at = c.store().Tip().height;
  auto active = [&] {
    WorkingState st(c.store());
    return st.GetValidators().active.size();
  };
  CHECK(active() == 1);
  while (c.store().Tip().height < approved_at + circuledger::ledger::limits::kValidatorChangeDelay) {
    REQUIRE(c.Apply("mine", CreateLot{"l" + std::to_string(c.store().Tip().height), Comp("Co:1:0")}).ok());
  }
  CHECK(active() == 2);
  REQUIRE(c.store().ReadBlock(c.store().Tip().height)->header.validator_set_hash ==
          ValidatorSetHash({c.genesis().validators[0], v}));
}

TEST_CASE("governance: the threshold counts approvals of current admins only", "[gov]") {
  TestChain c;
  // Raise the threshold to 3 (needs 2 approvals under the old threshold).
  Params p = c.genesis().params;
  p.gov_threshold = 3;
  Hash256 id = Propose_(c, "admin-a", SetParams{p});
  REQUIRE(c.Apply("admin-b", Approve{id}).ok());
  // Now a change needs all three admins.
  id = Propose_(c, "admin-a", SetOrgStatus{"mine", OrgStatus::kSuspended});
  REQUIRE(c.Apply("admin-b", Approve{id}).ok());
  CHECK(c.GetOrg("mine")->status == OrgStatus::kActive);  // one approval short
  REQUIRE(c.Apply("admin-c", Approve{id}).ok());
  CHECK(c.GetOrg("mine")->status == OrgStatus::kSuspended);
  // Suspending an admin now would leave 2 admins for a threshold of 3.
  CHECK(c.Apply("admin-a", Propose{SetOrgStatus{"admin-c", OrgStatus::kSuspended}}).RejectString() ==
        "threshold-unreachable");
}

TEST_CASE("governance: an org keeps at most its cap of open proposals; expiry or approval frees a place",
          "[gov][authorize]") {
  namespace L = circuledger::ledger::limits;
  TestChain c;
  // Short-lived proposals, so that expiry is reachable in a test.
  constexpr uint64_t kTtl = 24;
  static_assert(kTtl > L::kMaxOpenProposalsPerOrg + 2, "the first proposals are still open when the cap is hit");
  Params p = c.genesis().params;
  p.proposal_ttl_blocks = kTtl;
  REQUIRE(c.Apply("admin-b", Approve{Propose_(c, "admin-a", SetParams{p})}).ok());
  // A change that is always valid, so each proposal stays open until approved or expired.
  const GovChange same_roles = SetOrgRoles{"mine", static_cast<uint32_t>(Role::kSupplier)};
  auto open_of = [&](const std::string& org) {
    WorkingState st(c.store());
    const OrgProposals* found = st.GetOrgProposals(org);
    return found ? *found : OrgProposals{};
  };

  std::vector<Hash256> ids;
  for (size_t i = 0; i < L::kMaxOpenProposalsPerOrg; ++i) ids.push_back(Propose_(c, "admin-a", same_roles));
  const uint64_t first_expires = open_of("admin-a").open.front().expires_height;
  CHECK(open_of("admin-a").open.size() == L::kMaxOpenProposalsPerOrg);

  // At the cap: refused, and nothing changes (no block, the count and the nonce stay).
  const ChainTip before = c.store().Tip();
  const OrgProposals count_before = open_of("admin-a");
  const Status refused = c.Apply("admin-a", Propose{same_roles});
  INFO(refused.ToString());
  CHECK(refused.RejectString() == "limit-reached");
  CHECK(c.store().Tip() == before);
  CHECK(open_of("admin-a") == count_before);
  {
    WorkingState st(c.store());
    CHECK(st.GetAccount(c.member("admin-a").pub)->next_nonce == c.member("admin-a").nonce);
  }

  // Another org is not affected.
  const Hash256 b_id = Propose_(c, "admin-b", same_roles);
  CHECK(open_of("admin-b").open.size() == 1);

  // Once one of admin-a's proposals applies, admin-a has a place again, and only one.
  REQUIRE(c.Apply("admin-c", Approve{ids[5]}).ok());
  CHECK(open_of("admin-a").open.size() == L::kMaxOpenProposalsPerOrg - 1);
  ids.push_back(Propose_(c, "admin-a", same_roles));
  CHECK(c.Apply("admin-a", Propose{same_roles}).RejectString() == "limit-reached");

  // Once the first has expired (approvals are refused after its expiry height), another place.
  // The next block is at the tip's height + 1: stop where that block is the first's last open height.
  while (c.store().Tip().height + 1 < first_expires) {
    REQUIRE(c.Apply("mine", CreateLot{"l" + std::to_string(c.store().Tip().height), Comp("Co:1:0")}).ok());
  }
  CHECK(c.Apply("admin-a", Propose{same_roles}).RejectString() == "limit-reached");  // the first is still open
  REQUIRE(c.Apply("mine", CreateLot{"last", Comp("Co:1:0")}).ok());
  CHECK(c.Apply("admin-b", Approve{ids[0]}).RejectString() == "proposal-closed");
  const Hash256 again = Propose_(c, "admin-a", same_roles);
  const OrgProposals after = open_of("admin-a");
  CHECK(after.open.size() == L::kMaxOpenProposalsPerOrg);
  CHECK(after.open.back().id == again);
  CHECK(std::none_of(after.open.begin(), after.open.end(), [&](const OpenProposal& e) { return e.id == ids[0]; }));
  CHECK(open_of("admin-b").open.front().id == b_id);
}

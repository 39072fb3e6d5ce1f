// The state machine, one rule of Algorithm 1 at a time (consensus/SPEC.md line numbers in the
// names). The node under test is validator 0 of 4 (f = 1, quorum 3); at height 1 the proposer of
// round r is validator (1 + r) mod 4.
#include <catch2/catch.hpp>

#include "consensus/certificate.h"
#include "consensus/limits.h"
#include "fixture.h"

namespace circuledger::consensus::test {
namespace {

const Validators& Four() {
  static const Validators v(4);
  return v;
}

// Validator 0 has seen proposal `value` in round 0 and prevotes and precommits from 1 and 2: it
// is locked on `value` in round 0 and has precommitted it.
void LockInRoundZero(Node& n, const std::string& value) {
  const Validators& v = Four();
  n.sm->Start(1, v.set);
  n.sm->OnProposal(SignedProposal(v[1], 1, 0, value));
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 0, IdOf(value)));
  Output out = n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 0, IdOf(value)));
  REQUIRE(n.sm->locked_round() == 0u);
  REQUIRE(n.sm->step() == Step::kPrecommit);
}

TEST_CASE("consensus: a single validator decides every height alone (dev mode)", "[consensus]") {
  Validators v(1);
  Node n(v, &v[0]);
  for (uint64_t h = 1; h <= 3; ++h) {
    Output out = n.sm->Start(h, v.set);
    std::vector<Decide> d = Decisions(out);
    REQUIRE(d.size() == 1);
    CHECK(d[0].height == h);
    CHECK(d[0].value == "block-" + std::to_string(h));
    CHECK(d[0].certificate.value_id == IdOf(d[0].value));
    CHECK(VerifyCommitCertificate(d[0].certificate, v.set, kChain) == CertCheck::kOk);
    CHECK(PersistedBeforeSent(out, v[0].Key()));
    CHECK(Persists(out).size() == 4);  // proposal, prevote, lock record, precommit
  }
}

TEST_CASE("consensus: L22-L49 a valid proposal is prevoted, locked, precommitted and decided",
          "[consensus]") {
  const Validators& v = Four();
  Node n(v, &v[0]);
  Output out = n.sm->Start(1, v.set);
  REQUIRE(Timeouts(out).size() == 1);  // L21: not the proposer
  CHECK(Timeouts(out)[0].timeout == Timeout{1, 0, Step::kPropose});
  CHECK(Timeouts(out)[0].delay_ms == 300);
  CHECK(Broadcasts(out).empty());

  out = n.sm->OnProposal(SignedProposal(v[1], 1, 0, "A"));
  CHECK(out.verdict == Verdict::kAccepted);
  std::vector<Vote> votes = BroadcastVotes(out);
  REQUIRE(votes.size() == 1);
  CHECK(votes[0].type == VoteType::kPrevote);
  CHECK(votes[0].value_id == IdOf("A"));
  CHECK(PersistedBeforeSent(out, v[0].Key()));
  CHECK(n.sm->step() == Step::kPrevote);

  out = n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 0, IdOf("A")));
  CHECK(out.actions.empty());  // two of three
  out = n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 0, IdOf("A")));
  votes = BroadcastVotes(out);
  REQUIRE(votes.size() == 1);
  CHECK(votes[0].type == VoteType::kPrecommit);
  CHECK(votes[0].value_id == IdOf("A"));
  CHECK(n.sm->locked_round() == 0u);
  CHECK(n.sm->locked_id() == IdOf("A"));
  CHECK(n.sm->valid_round() == 0u);
  CHECK(PersistedBeforeSent(out, v[0].Key()));
  // L34: 2f+1 prevotes in the prevote step schedule the prevote timeout.
  REQUIRE(Timeouts(out).size() == 1);
  CHECK(Timeouts(out)[0].timeout == Timeout{1, 0, Step::kPrevote});

  CHECK(Decisions(n.sm->OnVote(SignedVote(v[1], VoteType::kPrecommit, 1, 0, IdOf("A")))).empty());
  out = n.sm->OnVote(SignedVote(v[3], VoteType::kPrecommit, 1, 0, IdOf("A")));
  std::vector<Decide> d = Decisions(out);
  REQUIRE(d.size() == 1);
  CHECK(d[0].value == "A");
  CHECK(d[0].certificate.signatures.size() == 3);
  CHECK(VerifyCommitCertificate(d[0].certificate, v.set, kChain) == CertCheck::kOk);
  CHECK(n.sm->decided());
  CHECK(n.sm->OnVote(SignedVote(v[2], VoteType::kPrecommit, 1, 0, IdOf("A"))).verdict ==
        Verdict::kStaleHeight);
}

TEST_CASE("consensus: L26 an invalid proposal gets a nil prevote", "[consensus]") {
  const Validators& v = Four();
  Node n(v, &v[0]);
  n.sm->Start(1, v.set);
  Output out = n.sm->OnProposal(SignedProposal(v[1], 1, 0, "bad-block"));
  std::vector<Vote> votes = BroadcastVotes(out);
  REQUIRE(votes.size() == 1);
  CHECK(votes[0].type == VoteType::kPrevote);
  CHECK(!votes[0].value_id);
  // Even with 2f+1 prevotes for it, an invalid value is never locked or decided (L36, L50).
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 0, IdOf("bad-block")));
  n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 0, IdOf("bad-block")));
  n.sm->OnVote(SignedVote(v[3], VoteType::kPrevote, 1, 0, IdOf("bad-block")));
  CHECK(!n.sm->locked_round());
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrecommit, 1, 0, IdOf("bad-block")));
  n.sm->OnVote(SignedVote(v[2], VoteType::kPrecommit, 1, 0, IdOf("bad-block")));
  out = n.sm->OnVote(SignedVote(v[3], VoteType::kPrecommit, 1, 0, IdOf("bad-block")));
  CHECK(Decisions(out).empty());
  CHECK(!n.sm->decided());
}

TEST_CASE("consensus: L57-L67 timeouts move the steps and rounds, growing with the round",
          "[consensus]") {
  const Validators& v = Four();
  Node n(v, &v[0]);
  n.sm->Start(1, v.set);
  // A timeout for another round or height does nothing.
  CHECK(n.sm->OnTimeout(Timeout{1, 1, Step::kPropose}).actions.empty());
  CHECK(n.sm->OnTimeout(Timeout{2, 0, Step::kPropose}).actions.empty());
  CHECK(n.sm->OnTimeout(Timeout{1, 0, Step::kPrevote}).actions.empty());  // not in prevote yet

  Output out = n.sm->OnTimeout(Timeout{1, 0, Step::kPropose});  // L57-L60
  std::vector<Vote> votes = BroadcastVotes(out);
  REQUIRE(votes.size() == 1);
  CHECK((votes[0].type == VoteType::kPrevote && !votes[0].value_id));
  CHECK(n.sm->step() == Step::kPrevote);

  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 0, std::nullopt));
  out = n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 0, IdOf("A")));
  CHECK(Timeouts(out).size() == 1);  // L34: 2f+1 of any kind
  out = n.sm->OnTimeout(Timeout{1, 0, Step::kPrevote});  // L61-L64
  votes = BroadcastVotes(out);
  REQUIRE(votes.size() == 1);
  CHECK((votes[0].type == VoteType::kPrecommit && !votes[0].value_id));

  n.sm->OnVote(SignedVote(v[1], VoteType::kPrecommit, 1, 0, std::nullopt));
  out = n.sm->OnVote(SignedVote(v[3], VoteType::kPrecommit, 1, 0, IdOf("A")));
  REQUIRE(Timeouts(out).size() == 1);  // L47
  CHECK(Timeouts(out)[0].timeout == Timeout{1, 0, Step::kPrecommit});
  CHECK(Timeouts(out)[0].delay_ms == 100);

  out = n.sm->OnTimeout(Timeout{1, 0, Step::kPrecommit});  // L65-L67
  CHECK(n.sm->round() == 1);
  CHECK(n.sm->step() == Step::kPropose);
  REQUIRE(Timeouts(out).size() == 1);
  CHECK(Timeouts(out)[0].delay_ms == 350);  // 300 + 50 * 1
  CHECK(!n.sm->decided());
}

TEST_CASE("consensus: L44 2f+1 nil prevotes give a nil precommit", "[consensus]") {
  const Validators& v = Four();
  Node n(v, &v[0]);
  n.sm->Start(1, v.set);
  n.sm->OnTimeout(Timeout{1, 0, Step::kPropose});
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 0, std::nullopt));
  Output out = n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 0, std::nullopt));
  std::vector<Vote> votes = BroadcastVotes(out);
  REQUIRE(votes.size() == 1);
  CHECK((votes[0].type == VoteType::kPrecommit && !votes[0].value_id));
  CHECK(n.sm->step() == Step::kPrecommit);
}

TEST_CASE("consensus: L23 and L29 a locked validator prevotes nil for another value unless a "
          "newer round saw 2f+1 prevotes for it",
          "[consensus]") {
  const Validators& v = Four();
  Node n(v, &v[0]);
  LockInRoundZero(n, "A");

  // Round 1 (proposer 2) proposes B fresh: locked on A, prevote nil.
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrecommit, 1, 0, std::nullopt));
  n.sm->OnVote(SignedVote(v[2], VoteType::kPrecommit, 1, 0, std::nullopt));
  n.sm->OnTimeout(Timeout{1, 0, Step::kPrecommit});
  REQUIRE(n.sm->round() == 1);
  Output out = n.sm->OnProposal(SignedProposal(v[2], 1, 1, "B"));
  std::vector<Vote> votes = BroadcastVotes(out);
  REQUIRE(votes.size() == 1);
  CHECK(!votes[0].value_id);

  // Two validators move to round 2 (f+1: L55), where proposer 3 re-proposes B with vr = 1.
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 2, std::nullopt));
  n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 2, std::nullopt));
  REQUIRE(n.sm->round() == 2);
  REQUIRE(n.sm->step() == Step::kPropose);
  // Without 2f+1 prevotes for B in round 1, the proposal waits (L28 needs them).
  out = n.sm->OnProposal(SignedProposal(v[3], 1, 2, "B", 1));
  CHECK(BroadcastVotes(out).empty());
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 1, IdOf("B")));
  n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 1, IdOf("B")));
  out = n.sm->OnVote(SignedVote(v[3], VoteType::kPrevote, 1, 1, IdOf("B")));
  votes = BroadcastVotes(out);
  REQUIRE(votes.size() == 1);  // L29: lockedRound 0 <= vr 1
  CHECK(votes[0].round == 2);
  CHECK(votes[0].value_id == IdOf("B"));
}

TEST_CASE("consensus: L29 a locked validator prevotes nil for a proposal whose valid round is "
          "older than its lock",
          "[consensus]") {
  const Validators& v = Four();
  Node n(v, &v[0]);
  // Round 0: 2f+1 prevotes for B (validator 0 never saw the proposal), then nil precommits.
  n.sm->Start(1, v.set);
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 0, IdOf("B")));
  n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 0, IdOf("B")));
  n.sm->OnVote(SignedVote(v[3], VoteType::kPrevote, 1, 0, IdOf("B")));
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrecommit, 1, 0, std::nullopt));
  n.sm->OnVote(SignedVote(v[2], VoteType::kPrecommit, 1, 0, std::nullopt));
  n.sm->OnVote(SignedVote(v[3], VoteType::kPrecommit, 1, 0, std::nullopt));
  n.sm->OnTimeout(Timeout{1, 0, Step::kPrecommit});
  REQUIRE(n.sm->round() == 1);
  // Round 1: proposer 2 proposes A; prevotes for A from 1 and 2 lock validator 0 on A in round 1.
  n.sm->OnProposal(SignedProposal(v[2], 1, 1, "A"));
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 1, IdOf("A")));
  n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 1, IdOf("A")));
  REQUIRE(n.sm->locked_round() == 1u);
  // Round 2: proposer 3 proposes B with vr = 0 (it has the round-0 quorum): older than the lock.
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 2, std::nullopt));
  n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 2, std::nullopt));
  REQUIRE(n.sm->round() == 2);
  Output out = n.sm->OnProposal(SignedProposal(v[3], 1, 2, "B", 0));
  std::vector<Vote> votes = BroadcastVotes(out);
  // A nil prevote; with 1's and 2's nil prevotes that makes 2f+1 nil, so a nil precommit (L44).
  REQUIRE(votes.size() == 2);
  CHECK((votes[0].type == VoteType::kPrevote && !votes[0].value_id));
  CHECK((votes[1].type == VoteType::kPrecommit && !votes[1].value_id));
}

TEST_CASE("consensus: L15-L16 a proposer re-proposes its valid value with its valid round",
          "[consensus]") {
  const Validators& v = Four();
  Node n(v, &v[0]);
  LockInRoundZero(n, "A");
  // Validator 0 proposes in round 3 at height 1. Two validators in round 3 pull it there (L55).
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 3, std::nullopt));
  Output out = n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 3, std::nullopt));
  REQUIRE(n.sm->round() == 3);
  std::vector<Message> sent = Broadcasts(out);
  REQUIRE(!sent.empty());
  const Proposal* p = std::get_if<Proposal>(&sent[0]);
  REQUIRE(p);
  CHECK(p->value == "A");
  CHECK(p->valid_round == 0u);
  REQUIRE(Persists(out).size() >= 1);  // the proposal, written before it is sent
  CHECK(Persists(out)[0] == sent[0]);
  // With it, the proof of lock: the three round-0 prevotes for A (its own, 1's and 2's). Then it
  // prevotes its own proposal: L28 holds with those.
  std::vector<Vote> votes = BroadcastVotes(out);
  REQUIRE(votes.size() == 4);
  for (size_t i = 0; i < 3; ++i) {
    CHECK((votes[i].round == 0 && votes[i].type == VoteType::kPrevote));
    CHECK(votes[i].value_id == IdOf("A"));
  }
  CHECK((votes[3].round == 3 && votes[3].type == VoteType::kPrevote));
  CHECK(votes[3].value_id == IdOf("A"));
  // Gossip: its own messages, the two others' prevotes of the proof of lock, and the way into
  // round 3: the round-3 prevotes of 1 and 2 that made it skip there.
  CHECK(n.sm->GossipMessages().size() == n.sm->OwnMessages().size() + 2 + 2);
}

TEST_CASE("consensus: a validator's gossip relays the votes that moved it into its round",
          "[consensus]") {
  const Validators& v = Four();
  Node n(v, &v[0]);
  n.sm->Start(1, v.set);
  // Three others precommit nil in round 0: 2f+1 precommits schedule the timeout (L47), which
  // moves this validator to round 1 (L65) although it never precommitted there itself.
  for (size_t i = 1; i <= 3; ++i) n.sm->OnVote(SignedVote(v[i], VoteType::kPrecommit, 1, 0, std::nullopt));
  n.sm->OnTimeout(Timeout{1, 0, Step::kPrecommit});
  REQUIRE(n.sm->round() == 1);
  n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 1, std::nullopt));
  // A validator that missed one of those precommits (say it disconnected their sender) hears of
  // them from this one: with them it leaves round 0 too, else the two could wait on each other.
  std::vector<Vote> relayed;
  for (const Message& m : n.sm->GossipMessages()) {
    const Vote* vote = std::get_if<Vote>(&m);
    if (vote && vote->validator != v[0].Key()) relayed.push_back(*vote);
  }
  REQUIRE(relayed.size() == 4);
  for (size_t i = 0; i < 3; ++i) {
    CHECK((relayed[i].round == 0 && relayed[i].type == VoteType::kPrecommit));
    CHECK(relayed[i].validator == v[i + 1].Key());
  }
  CHECK((relayed[3].round == 1 && relayed[3].type == VoteType::kPrevote && relayed[3].validator == v[2].Key()));
}

TEST_CASE("consensus: in round 0 a validator's gossip relays no other validator's votes", "[consensus]") {
  const Validators& v = Four();
  Node n(v, &v[0]);
  n.sm->Start(1, v.set);
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 0, std::nullopt));
  n.sm->OnVote(SignedVote(v[2], VoteType::kPrecommit, 1, 0, std::nullopt));
  REQUIRE(n.sm->round() == 0);
  CHECK(n.sm->GossipMessages().size() == n.sm->OwnMessages().size());
}

TEST_CASE("consensus: L55 f+1 senders of a later round make a validator skip to it",
          "[consensus]") {
  const Validators& v = Four();
  Node n(v, &v[0]);
  n.sm->Start(1, v.set);
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrecommit, 1, 5, std::nullopt));
  CHECK(n.sm->round() == 0);  // one sender may be the faulty one
  // The same sender again changes nothing.
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 5, std::nullopt));
  CHECK(n.sm->round() == 0);
  Output out = n.sm->OnProposal(SignedProposal(v[2], 1, 5, "X"));  // proposer of round 5 is 2
  CHECK(n.sm->round() == 5);
  // In round 5 it prevotes the proposal it already holds.
  std::vector<Vote> votes = BroadcastVotes(out);
  REQUIRE(votes.size() == 1);
  CHECK(votes[0].round == 5);
  CHECK(votes[0].value_id == IdOf("X"));
}

TEST_CASE("consensus: messages that fail a check are dropped with a verdict", "[consensus]") {
  const Validators& v = Four();
  const Validators outsiders(5);  // key 5 of this set is not among the four
  Node n(v, &v[0]);
  n.sm->Start(1, v.set);

  Vote forged = SignedVote(v[1], VoteType::kPrevote, 1, 0, IdOf("A"));
  forged.signature.bytes[5] ^= 1;
  CHECK(n.sm->OnVote(forged).verdict == Verdict::kBadSignature);
  // A signature for another chain does not verify here.
  CHECK(n.sm->OnVote(MakeVote(v[1], "other-chain", VoteType::kPrevote, 1, 0, IdOf("A"))).verdict ==
        Verdict::kBadSignature);
  const Signer* stranger = nullptr;
  for (const auto& s : outsiders.signers) {
    if (!v.set.IndexOf(s->Key())) stranger = s.get();
  }
  REQUIRE(stranger);
  CHECK(n.sm->OnVote(SignedVote(*stranger, VoteType::kPrevote, 1, 0, IdOf("A"))).verdict ==
        Verdict::kNotValidator);
  CHECK(n.sm->OnProposal(SignedProposal(v[2], 1, 0, "A")).verdict == Verdict::kNotProposer);
  Proposal bad_sig = SignedProposal(v[1], 1, 0, "A");
  bad_sig.value = "A2";  // the signature covers id(value)
  CHECK(n.sm->OnProposal(bad_sig).verdict == Verdict::kBadSignature);
  CHECK(n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, limits::kMaxRound + 1,
                                std::nullopt))
            .verdict == Verdict::kRoundTooHigh);
  CHECK(n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 0, 0, std::nullopt)).verdict ==
        Verdict::kStaleHeight);
  CHECK(n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 2, 0, std::nullopt)).verdict ==
        Verdict::kBuffered);
  CHECK(n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 3, 0, std::nullopt)).verdict ==
        Verdict::kFutureHeight);
  CHECK(n.sm->round() == 0);
  CHECK(n.sm->step() == Step::kPropose);

  // Duplicates and equivocations: the first vote counts, the second is evidence only.
  const Vote a1 = SignedVote(v[1], VoteType::kPrevote, 1, 0, IdOf("A"));
  CHECK(n.sm->OnVote(a1).verdict == Verdict::kAccepted);
  CHECK(n.sm->OnVote(a1).verdict == Verdict::kDuplicate);
  CHECK(n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 0, IdOf("B"))).verdict ==
        Verdict::kEquivocation);
  REQUIRE(n.sm->evidence().size() == 1);
  CHECK(std::get<Vote>(n.sm->evidence()[0].first) == a1);
  // Validator 1's prevote for B does not count: with it, 0 (itself), 1 and 2 would be a quorum.
  n.sm->OnProposal(SignedProposal(v[1], 1, 0, "B"));
  n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 0, IdOf("B")));
  CHECK(!n.sm->locked_round());
  n.sm->OnVote(SignedVote(v[3], VoteType::kPrevote, 1, 0, IdOf("B")));
  CHECK(n.sm->locked_id() == IdOf("B"));
  // A double proposal is evidence too.
  CHECK(n.sm->OnProposal(SignedProposal(v[1], 1, 0, "C")).verdict == Verdict::kEquivocation);
  CHECK(n.sm->evidence().size() == 2);
}

TEST_CASE("consensus: messages for the next height are kept and replayed when it starts",
          "[consensus]") {
  const Validators& v = Four();
  Node n(v, &v[0]);
  n.sm->Start(1, v.set);
  // Height 2, round 0: proposer (2 + 0) mod 4 = 2.
  CHECK(n.sm->OnProposal(SignedProposal(v[2], 2, 0, "next")).verdict == Verdict::kBuffered);
  CHECK(n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 2, 0, IdOf("next"))).verdict ==
        Verdict::kBuffered);
  Output out = n.sm->Start(2, v.set);
  std::vector<Vote> votes = BroadcastVotes(out);
  REQUIRE(votes.size() == 1);
  CHECK(votes[0].height == 2);
  CHECK(votes[0].value_id == IdOf("next"));
}

TEST_CASE("consensus: a node without a key follows and decides but never signs", "[consensus]") {
  const Validators& v = Four();
  Node n(v, nullptr);
  n.sm->Start(1, v.set);
  CHECK(BroadcastVotes(n.sm->OnProposal(SignedProposal(v[1], 1, 0, "A"))).empty());
  for (size_t i = 1; i <= 3; ++i) {
    n.sm->OnVote(SignedVote(v[i], VoteType::kPrevote, 1, 0, IdOf("A")));
  }
  Output out;
  for (size_t i = 1; i <= 3; ++i) {
    out = n.sm->OnVote(SignedVote(v[i], VoteType::kPrecommit, 1, 0, IdOf("A")));
  }
  CHECK(Persists(out).empty());
  REQUIRE(Decisions(out).size() == 1);
  CHECK(Decisions(out)[0].value == "A");
}

TEST_CASE("consensus: round-robin proposers rotate by height and round", "[consensus]") {
  const Validators& v = Four();
  RoundRobinProposer rr;
  CHECK(rr.Proposer(v.set, 1, 0) == v.set.At(1));
  CHECK(rr.Proposer(v.set, 1, 3) == v.set.At(0));
  CHECK(rr.Proposer(v.set, 4, 0) == v.set.At(0));
  CHECK(v.set.Quorum() == 3);
  CHECK(v.set.MaxFaulty() == 1);
  CHECK(Validators(1).set.Quorum() == 1);
  CHECK(Validators(7).set.Quorum() == 5);
  CHECK(Validators(7).set.MaxFaulty() == 2);
  CHECK(!ValidatorSet::Make({}));
  CHECK(!ValidatorSet::Make({v.set.At(0), v.set.At(0)}));
}

}  // namespace
}  // namespace circuledger::consensus::test

namespace circuledger::consensus::test {
namespace {

TEST_CASE("consensus: an equivocator's second vote counts only for a value with a proposal at "
          "hand",
          "[consensus]") {
  const Validators& v = Four();
  Node n(v, &v[0]);
  n.sm->Start(1, v.set);
  n.sm->OnProposal(SignedProposal(v[1], 1, 0, "X"));  // node 0 prevotes X
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 0, IdOf("X")));
  // Validator 3 showed this node a prevote for Y first (no proposal for Y here), then one for X,
  // the value the others saw. Both are in its message log; the one for X completes 2f+1.
  CHECK(n.sm->OnVote(SignedVote(v[3], VoteType::kPrevote, 1, 0, IdOf("Y"))).verdict ==
        Verdict::kAccepted);
  CHECK(!n.sm->locked_round());
  Output out = n.sm->OnVote(SignedVote(v[3], VoteType::kPrevote, 1, 0, IdOf("X")));
  CHECK(out.verdict == Verdict::kEquivocation);
  CHECK(n.sm->evidence().size() == 1);
  CHECK(n.sm->locked_id() == IdOf("X"));
  // A third vote, for an id with no proposal, is evidence only.
  CHECK(n.sm->OnVote(SignedVote(v[3], VoteType::kPrevote, 1, 0, IdOf("Z"))).verdict ==
        Verdict::kEquivocation);
  CHECK(n.sm->evidence().size() == 2);
}

}  // namespace
}  // namespace circuledger::consensus::test

// Restarts from the WAL (the PersistMessage actions, replayed into Start): a validator never signs
// two different messages for one height, round and step, and keeps its lock.
#include <catch2/catch.hpp>

#include <map>

#include "consensus/encoding.h"
#include "fixture.h"

namespace circuledger::consensus::test {
namespace {

const Validators& Four() {
  static const Validators v(4);
  return v;
}

// Records what a node persisted, as its WAL would.
struct Wal {
  std::vector<Message> records;
  Output Take(Output out) {
    for (const Message& m : Persists(out)) records.push_back(m);
    return out;
  }
};

// (height, round, kind) -> the one message a validator signed there.
using Signed = std::map<std::tuple<uint64_t, uint32_t, int>, Message>;
bool AddSigned(Signed& all, const std::vector<Message>& msgs, const PubKey& me) {
  for (const Message& m : msgs) {
    std::tuple<uint64_t, uint32_t, int> key;
    if (const Vote* v = std::get_if<Vote>(&m)) {
      if (v->validator != me) continue;
      key = {v->height, v->round, static_cast<int>(v->type)};
    } else {
      const Proposal& p = std::get<Proposal>(m);
      if (p.proposer != me) continue;
      key = {p.height, p.round, 0};
    }
    auto [it, fresh] = all.emplace(key, m);
    if (!fresh && EncodeMessage(it->second) != EncodeMessage(m)) return false;
  }
  return true;
}

TEST_CASE("consensus: a restarted validator re-sends its prevote and never signs another",
          "[consensus]") {
  const Validators& v = Four();
  Wal wal;
  Signed all;
  {
    Node n(v, &v[0]);
    wal.Take(n.sm->Start(1, v.set));
    Output out = wal.Take(n.sm->OnTimeout(Timeout{1, 0, Step::kPropose}));  // prevote nil
    REQUIRE(AddSigned(all, Broadcasts(out), v[0].Key()));
  }
  REQUIRE(wal.records.size() == 1);
  Node n(v, &v[0]);  // the restart: a fresh state machine, the same key, the WAL
  Output out = wal.Take(n.sm->Start(1, v.set, wal.records));
  CHECK(n.sm->round() == 0);
  CHECK(n.sm->step() == Step::kPrevote);
  REQUIRE(Broadcasts(out).size() == 1);  // the restored prevote, sent again
  CHECK(Persists(out).empty());
  REQUIRE(AddSigned(all, Broadcasts(out), v[0].Key()));

  // The proposal arrives late: the node already prevoted nil in round 0 and stays with that.
  out = wal.Take(n.sm->OnProposal(SignedProposal(v[1], 1, 0, "A")));
  CHECK(Persists(out).empty());
  REQUIRE(AddSigned(all, Broadcasts(out), v[0].Key()));
  // Its precommit is a new step: that one it may sign (here: lock on A).
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 0, IdOf("A")));
  n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 0, IdOf("A")));
  out = wal.Take(n.sm->OnVote(SignedVote(v[3], VoteType::kPrevote, 1, 0, IdOf("A"))));
  CHECK(AddSigned(all, Broadcasts(out), v[0].Key()));
  CHECK(n.sm->locked_id() == IdOf("A"));
}

TEST_CASE("consensus: a restarted validator keeps its lock and re-proposes the locked value",
          "[consensus]") {
  const Validators& v = Four();
  Wal wal;
  {
    Node n(v, &v[0]);
    wal.Take(n.sm->Start(1, v.set));
    wal.Take(n.sm->OnProposal(SignedProposal(v[1], 1, 0, "A")));
    wal.Take(n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 0, IdOf("A"))));
    wal.Take(n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 0, IdOf("A"))));
    REQUIRE(n.sm->locked_round() == 0u);
  }
  Node n(v, &v[0]);
  Output out = n.sm->Start(1, v.set, wal.records);
  CHECK(n.sm->locked_round() == 0u);
  CHECK(n.sm->locked_id() == IdOf("A"));
  CHECK(n.sm->valid_round() == 0u);
  CHECK(n.sm->step() == Step::kPrecommit);
  CHECK(Persists(out).empty());

  // Round 1 (proposer 2) offers B: locked on A, the node prevotes nil.
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrecommit, 1, 0, std::nullopt));
  n.sm->OnVote(SignedVote(v[2], VoteType::kPrecommit, 1, 0, std::nullopt));
  n.sm->OnTimeout(Timeout{1, 0, Step::kPrecommit});
  REQUIRE(n.sm->round() == 1);
  out = n.sm->OnProposal(SignedProposal(v[2], 1, 1, "B"));
  std::vector<Vote> votes = BroadcastVotes(out);
  REQUIRE(votes.size() == 1);
  CHECK(!votes[0].value_id);

  // Round 3 is its own: it proposes A again with valid round 0, not a fresh value.
  n.app.next_value = "fresh";
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 3, std::nullopt));
  out = n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 3, std::nullopt));
  REQUIRE(n.sm->round() == 3);
  const std::vector<Message> sent = Broadcasts(out);
  REQUIRE(!sent.empty());
  const Proposal* p = std::get_if<Proposal>(&sent[0]);
  REQUIRE(p);
  CHECK(p->value == "A");
  CHECK(p->valid_round == 0u);
  // And the proof of lock, read back from the WAL: the three round-0 prevotes for A.
  std::set<PubKey> pol;
  for (const Vote& vote : BroadcastVotes(out)) {
    if (vote.round == 0 && vote.type == VoteType::kPrevote && vote.value_id == IdOf("A")) {
      pol.insert(vote.validator);
    }
  }
  CHECK(pol == std::set<PubKey>{v.set.At(0), v.set.At(1), v.set.At(2)});
}

TEST_CASE("consensus: a restarted proposer re-sends its proposal rather than a new one",
          "[consensus]") {
  const Validators& v = Four();
  Wal wal;
  Proposal first;
  {
    Node n(v, &v[0]);
    Output out = wal.Take(n.sm->Start(4, v.set));  // height 4, round 0: proposer 0
    REQUIRE(!Broadcasts(out).empty());
    first = std::get<Proposal>(Broadcasts(out)[0]);
  }
  Node n(v, &v[0]);
  n.app.next_value = "something else";
  Output out = n.sm->Start(4, v.set, wal.records);
  CHECK(Persists(out).empty());
  bool resent = false;
  for (const Message& m : Broadcasts(out)) {
    if (const Proposal* p = std::get_if<Proposal>(&m)) {
      CHECK(*p == first);
      resent = true;
    }
  }
  CHECK(resent);
}

TEST_CASE("consensus: a single validator restarted before its commit decides the same value",
          "[consensus]") {
  Validators v(1);
  Wal wal;
  std::string decided;
  {
    Node n(v, &v[0]);
    Output out = wal.Take(n.sm->Start(1, v.set));
    REQUIRE(Decisions(out).size() == 1);
    decided = Decisions(out)[0].value;
  }
  Node n(v, &v[0]);
  n.app.next_value = "another block";
  Output out = n.sm->Start(1, v.set, wal.records);
  CHECK(Persists(out).empty());
  REQUIRE(Decisions(out).size() == 1);
  CHECK(Decisions(out)[0].value == decided);
}

TEST_CASE("consensus: WAL records of other heights are ignored", "[consensus]") {
  const Validators& v = Four();
  Wal wal;
  {
    Node n(v, &v[0]);
    wal.Take(n.sm->Start(1, v.set));
    wal.Take(n.sm->OnTimeout(Timeout{1, 0, Step::kPropose}));
  }
  Node n(v, &v[0]);
  n.sm->Start(2, v.set, wal.records);
  CHECK(n.sm->step() == Step::kPropose);
  CHECK(n.sm->OwnMessages().empty());
}

}  // namespace
}  // namespace circuledger::consensus::test

namespace circuledger::consensus::test {
namespace {

// A signer that refuses every slot at or below `floor`, as node/sign_guard.h does after a
// validator lost its WAL, and remembers what it was asked.
class FloorSigner final : public Signer {
 public:
  FloorSigner(const KeySigner& key, std::tuple<uint64_t, uint32_t, Step> floor) : key_(key), floor_(floor) {}
  const PubKey& Key() const override { return key_.Key(); }
  Signature Sign(const Hash256& msg) const override { return key_.Sign(msg); }
  bool Reserve(uint64_t height, uint32_t round, Step step) const override {
    asked.emplace_back(height, round, step);
    return std::make_tuple(height, round, step) > floor_;
  }
  mutable std::vector<std::tuple<uint64_t, uint32_t, Step>> asked;

 private:
  const KeySigner& key_;
  std::tuple<uint64_t, uint32_t, Step> floor_;
};

}  // namespace

TEST_CASE("consensus: a slot the signer refuses is neither signed, persisted nor sent; later ones are",
          "[consensus]") {
  const Validators& v = Four();
  // The validator signed up to height 1 round 1 precommit, then lost its WAL.
  FloorSigner signer(v[0], {1, 1, Step::kPrecommit});
  Node n(v, &signer);
  Output out = n.sm->Start(1, v.set);  // no WAL: round 0 again
  out = n.sm->OnTimeout(Timeout{1, 0, Step::kPropose});  // would prevote nil in round 0
  CHECK(Broadcasts(out).empty());
  CHECK(Persists(out).empty());
  CHECK(n.sm->step() == Step::kPrevote);  // it moves on as if its vote were lost
  REQUIRE(signer.asked.size() == 1);
  CHECK(signer.asked[0] == std::make_tuple(uint64_t{1}, uint32_t{0}, Step::kPrevote));
  // Its own refused vote does not count: three other prevotes are needed for the quorum.
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 0, std::nullopt));
  out = n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 0, std::nullopt));
  CHECK(Timeouts(out).empty());  // L34 needs 2f+1 = 3: its own would have been the third
  // L55: f+1 validators in round 3 move it there; round 3's proposer (1 + 3) mod 4 is itself,
  // and (1, 3, propose) is above the floor: it proposes, persisted before it is sent.
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 3, std::nullopt));
  out = n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 3, std::nullopt));
  CHECK(n.sm->round() == 3);
  REQUIRE(Persists(out).size() >= 1);
  CHECK(std::holds_alternative<Proposal>(Persists(out)[0]));
  CHECK(PersistedBeforeSent(out, v[0].Key()));
}

TEST_CASE("consensus: a proposer whose proposal slot is refused waits for the round's timeout",
          "[consensus]") {
  const Validators& v = Four();
  FloorSigner signer(v[0], {1, 3, Step::kPropose});
  Node n(v, &signer);
  n.sm->Start(1, v.set);
  n.sm->OnVote(SignedVote(v[1], VoteType::kPrevote, 1, 3, std::nullopt));
  Output out = n.sm->OnVote(SignedVote(v[2], VoteType::kPrevote, 1, 3, std::nullopt));
  REQUIRE(n.sm->round() == 3);
  for (const Message& m : Broadcasts(out)) CHECK_FALSE(std::holds_alternative<Proposal>(m));
  CHECK(Persists(out).empty());
  bool scheduled = false;
  for (const ScheduleTimeout& t : Timeouts(out)) scheduled |= t.timeout == Timeout{1, 3, Step::kPropose};
  CHECK(scheduled);  // L21, as a non-proposer
  // Its prevote of round 3 is a later slot: signed (and with the two nil prevotes it got, L44
  // makes it precommit nil too).
  out = n.sm->OnTimeout(Timeout{1, 3, Step::kPropose});
  const std::vector<Vote> votes = BroadcastVotes(out);
  REQUIRE(votes.size() == 2);
  CHECK((votes[0].type == VoteType::kPrevote && votes[0].round == 3));
  CHECK((votes[1].type == VoteType::kPrecommit && votes[1].round == 3));
  CHECK(PersistedBeforeSent(out, v[0].Key()));
}

}  // namespace circuledger::consensus::test

// Tendermint's Algorithm 1. "Lnn" comments cite the numbered lines of consensus/SPEC.md.
#include "consensus/state_machine.h"

#include <cassert>

#include "consensus/limits.h"

namespace circuledger::consensus {

namespace {
constexpr uint8_t kOwnProposal = 0;
uint8_t OwnKey(VoteType t) { return t == VoteType::kPrevote ? 1 : 2; }
Step StepOf(VoteType t) { return t == VoteType::kPrevote ? Step::kPrevote : Step::kPrecommit; }
uint64_t HeightOf(const Message& m) {
  return std::visit([](const auto& x) { return x.height; }, m);
}
}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kAccepted: return "accepted";
    case Verdict::kBuffered: return "buffered";
    case Verdict::kDuplicate: return "duplicate";
    case Verdict::kEquivocation: return "equivocation";
    case Verdict::kStaleHeight: return "stale-height";
    case Verdict::kFutureHeight: return "future-height";
    case Verdict::kRoundTooHigh: return "round-too-high";
    case Verdict::kNotValidator: return "not-validator";
    case Verdict::kNotProposer: return "not-proposer";
    case Verdict::kBadSignature: return "bad-signature";
    case Verdict::kMalformed: return "malformed";
    case Verdict::kNotStarted: return "not-started";
  }
  return "?";
}

ConsensusState::ConsensusState(Config config, Application& app, const ProposerSelector& proposers,
                               const SignatureVerifier& verifier, const Signer* signer)
    : config_(std::move(config)),
      app_(app),
      proposers_(proposers),
      verifier_(verifier),
      signer_(signer) {}

// ---- Inputs ----

// L10 (upon start), L52-L54 (next height: reset, empty message log, StartRound(0)).
Output ConsensusState::Start(uint64_t height, ValidatorSet validators,
                             const std::vector<Message>& wal) {
  assert(!started_ || height > height_);  // heights only go up: a lower one could re-sign
  assert(validators.Size() > 0);
  Output out;
  std::vector<Message> buffered;
  buffered.swap(buffered_);
  buffered_proposals_ = 0;

  started_ = true;
  height_ = height;
  round_ = 0;
  step_ = Step::kPropose;
  decided_ = false;
  locked_id_.reset();
  locked_round_.reset();
  valid_value_.reset();
  valid_round_.reset();
  validators_ = std::move(validators);
  rounds_.clear();
  own_.clear();
  evidence_.clear();

  Restore(wal, out.actions);
  // Messages that arrived while the previous height was still running.
  for (const Message& m : buffered) {
    if (HeightOf(m) != height_) continue;
    if (const Proposal* p = std::get_if<Proposal>(&m)) {
      AcceptProposal(*p, false);
    } else {
      AcceptVote(std::get<Vote>(m), false);
    }
  }
  Evaluate(out.actions);
  return out;
}

// The WAL replay. Own votes and proposals say what this node signed (it must never sign another
// for the same round and step: CastVote and StartRound re-send these instead). A precommit for a
// value is exactly when L36-L43 locked it, so the highest one restores lockedRound/lockedValue;
// the proposal and prevotes persisted just before it restore validValue and its proof of lock, so
// a proposer can re-propose it (L16) and convince the others (L28).
void ConsensusState::Restore(const std::vector<Message>& wal, Actions& out) {
  std::optional<std::pair<uint32_t, Step>> at;  // the furthest (round, step) this node signed in
  auto reach = [&](uint32_t r, Step s) {
    if (!at || std::make_pair(r, s) > *at) at = std::make_pair(r, s);
  };
  for (const Message& m : wal) {
    if (HeightOf(m) != height_) continue;
    if (const Proposal* p = std::get_if<Proposal>(&m)) {
      const bool own = signer_ && p->proposer == signer_->Key();
      if (own && p->round <= limits::kMaxRound) {
        own_.emplace(std::make_pair(p->round, kOwnProposal), *p);
        reach(p->round, Step::kPropose);
      }
      AcceptProposal(*p, own);
      continue;
    }
    const Vote& v = std::get<Vote>(m);
    if (!signer_ || v.validator != signer_->Key()) {
      AcceptVote(v, false);  // a prevote of the proof of lock persisted with the lock
      continue;
    }
    if (v.round > limits::kMaxRound) continue;
    own_.emplace(std::make_pair(v.round, OwnKey(v.type)), v);
    reach(v.round, StepOf(v.type));
    AcceptVote(v, true);
    if (v.type == VoteType::kPrecommit && v.value_id &&
        (!locked_round_ || v.round > *locked_round_)) {
      locked_round_ = v.round;
      locked_id_ = v.value_id;
    }
  }
  if (locked_round_) {
    for (const auto& [r, log] : rounds_) {
      if (const detail::ProposalEntry* e = log.FindProposal(*locked_id_)) {
        valid_value_ = e->proposal.value;
        valid_round_ = locked_round_;
        break;
      }
    }
  }
  if (!at) {
    StartRound(0, out);
    return;
  }
  // Re-send everything signed at this height: the crash may have come between persist and send.
  for (const auto& [key, m] : own_) out.push_back(BroadcastMessage{m});
  round_ = at->first;
  step_ = at->second;
  // L21: in the propose step only a proposer has signed; others wait for the proposal.
  if (step_ == Step::kPropose && !(IsValidator() && proposers_.Proposer(validators_, height_,
                                                                        round_) == signer_->Key())) {
    Schedule(Step::kPropose, out);
  }
}

Output ConsensusState::OnProposal(const Proposal& proposal) {
  Output out;
  if (!started_) {
    out.verdict = Verdict::kNotStarted;
  } else if (proposal.height < height_ || (proposal.height == height_ && decided_)) {
    out.verdict = Verdict::kStaleHeight;
  } else if (proposal.height > height_) {
    if (proposal.height == height_ + 1 && buffered_proposals_ < limits::kMaxBufferedProposals) {
      buffered_.push_back(proposal);
      buffered_proposals_ += 1;
      out.verdict = Verdict::kBuffered;
    } else {
      out.verdict = Verdict::kFutureHeight;
    }
  } else {
    out.verdict = AcceptProposal(proposal, false);
    if (out.verdict == Verdict::kAccepted || out.verdict == Verdict::kEquivocation) {
      Evaluate(out.actions);
    }
  }
  return out;
}

Output ConsensusState::OnVote(const Vote& vote) {
  Output out;
  if (!started_) {
    out.verdict = Verdict::kNotStarted;
  } else if (vote.height < height_ || (vote.height == height_ && decided_)) {
    out.verdict = Verdict::kStaleHeight;
  } else if (vote.height > height_) {
    if (vote.height == height_ + 1 &&
        buffered_.size() - buffered_proposals_ < limits::kMaxBufferedVotes) {
      buffered_.push_back(vote);
      out.verdict = Verdict::kBuffered;
    } else {
      out.verdict = Verdict::kFutureHeight;
    }
  } else {
    out.verdict = AcceptVote(vote, false);
    if (out.verdict == Verdict::kAccepted || out.verdict == Verdict::kEquivocation) {
      Evaluate(out.actions);
    }
  }
  return out;
}

// L57-L67.
Output ConsensusState::OnTimeout(const Timeout& t) {
  Output out;
  if (!started_ || decided_ || t.height != height_ || t.round != round_) {
    out.verdict = Verdict::kStaleHeight;
    return out;
  }
  switch (t.step) {
    case Step::kPropose:  // L57-L60
      if (step_ == Step::kPropose) {
        CastVote(VoteType::kPrevote, std::nullopt, out.actions);
        step_ = Step::kPrevote;
      }
      break;
    case Step::kPrevote:  // L61-L64
      if (step_ == Step::kPrevote) {
        CastVote(VoteType::kPrecommit, std::nullopt, out.actions);
        step_ = Step::kPrecommit;
      }
      break;
    case Step::kPrecommit:  // L65-L67
      if (round_ < limits::kMaxRound) StartRound(round_ + 1, out.actions);
      break;
  }
  Evaluate(out.actions);
  return out;
}

std::vector<Message> ConsensusState::OwnMessages() const {
  std::vector<Message> out;
  out.reserve(own_.size());
  for (const auto& [key, m] : own_) out.push_back(m);
  return out;
}

std::vector<Message> ConsensusState::GossipMessages() const {
  std::vector<Message> out = OwnMessages();
  for (const auto& [key, m] : own_) {
    if (const Proposal* p = std::get_if<Proposal>(&m)) {
      for (Vote& v : ProofOfLock(*p)) {
        if (v.validator != signer_->Key()) out.push_back(std::move(v));
      }
    }
  }
  // The way into the current round (SPEC.md, "Relaying"): the precommits of the round before
  // (line 47's timeout) and the votes of this round (line 55's skip) that other validators sent.
  // Round 0 is entered by Start alone: nothing to relay, so a healthy height gossips as before.
  if (round_ == 0) return out;
  const auto relay = [&](const detail::VoteTally& tally) {
    for (size_t i = 0; i < validators_.Size(); ++i) {
      const Vote* v = tally.First(i);
      if (v && (!signer_ || v->validator != signer_->Key())) out.push_back(*v);
    }
  };
  if (const detail::RoundLog* before = FindRound(round_ - 1)) relay(before->precommits);
  if (const detail::RoundLog* now = FindRound(round_)) {
    relay(now->prevotes);
    relay(now->precommits);
  }
  return out;
}

// ---- Checking and logging incoming messages ----

detail::RoundLog& ConsensusState::Round(uint32_t round) {
  auto it = rounds_.find(round);
  if (it == rounds_.end()) it = rounds_.emplace(round, detail::RoundLog(validators_.Size())).first;
  return it->second;
}

const detail::RoundLog* ConsensusState::FindRound(uint32_t round) const {
  auto it = rounds_.find(round);
  return it == rounds_.end() ? nullptr : &it->second;
}

bool ConsensusState::IsValidator() const {
  return signer_ != nullptr && validators_.IndexOf(signer_->Key()).has_value();
}

void ConsensusState::AddEvidence(Message first, Message second) {
  if (evidence_.size() < limits::kMaxEvidence) {
    evidence_.push_back(Evidence{std::move(first), std::move(second)});
  }
}

// Every check before any state changes; the signature last of the cheap ones and before storing
// anything, so forged messages cost one verification and no memory.
Verdict ConsensusState::AcceptProposal(const Proposal& p, bool own) {
  if (p.round > limits::kMaxRound) return Verdict::kRoundTooHigh;
  if (p.valid_round && *p.valid_round >= p.round) return Verdict::kMalformed;
  if (p.proposer != proposers_.Proposer(validators_, height_, p.round)) {
    return Verdict::kNotProposer;
  }
  const Hash256 id = app_.ValueId(p.value);
  const detail::RoundLog* existing = FindRound(p.round);
  if (existing) {
    for (const detail::ProposalEntry& e : existing->proposals) {
      if (e.id == id && e.proposal.valid_round == p.valid_round) return Verdict::kDuplicate;
    }
  }
  if (!own && !VerifyProposalSignature(p, id, config_.chain_id, verifier_)) {
    return Verdict::kBadSignature;
  }
  detail::RoundLog& log = Round(p.round);
  Verdict verdict = Verdict::kAccepted;
  if (!log.proposals.empty()) {
    // A second signed proposal for one height and round: the proposer equivocated. Keep a few
    // (a correct node may need the one that 2f+1 prevoted, L36/L49), never without bound.
    AddEvidence(log.proposals.front().proposal, p);
    verdict = Verdict::kEquivocation;
    if (log.proposals.size() >= limits::kMaxProposalsPerRound || log.FindProposal(id)) {
      return verdict;
    }
  }
  const bool valid = app_.ValidateValue(height_, p.value);
  if (!valid && !own && invalid_.size() < limits::kMaxInvalidProposalsKept) invalid_.push_back(InvalidProposal{id, p.proposer});
  log.proposals.push_back(detail::ProposalEntry{p, id, valid});
  log.MarkSender(*validators_.IndexOf(p.proposer));
  return verdict;
}

Verdict ConsensusState::AcceptVote(const Vote& v, bool own) {
  if (v.round > limits::kMaxRound) return Verdict::kRoundTooHigh;
  const std::optional<size_t> index = validators_.IndexOf(v.validator);
  if (!index) return Verdict::kNotValidator;
  const detail::RoundLog* existing = FindRound(v.round);
  const Vote* first = nullptr;
  if (existing) {
    const detail::VoteTally& tally =
        v.type == VoteType::kPrevote ? existing->prevotes : existing->precommits;
    if (tally.Find(*index, v.value_id)) return Verdict::kDuplicate;
    first = tally.First(*index);
  }
  if (!own && !VerifyVoteSignature(v, config_.chain_id, verifier_)) return Verdict::kBadSignature;
  if (first) {
    // A second, different vote for one round and step: evidence. It still counts for its value
    // if that value is one this node holds a proposal for, in the vote's round or the current
    // one: the paper's message log keeps every signed message, and lines 28, 36 and 49 need the
    // votes for *that* value. Without this, an equivocator that showed one node X and another
    // node Y could leave a correct lock on X that no proof-of-lock (L28) ever convinces the
    // second node of: a liveness attack. Votes for ids with no proposal at hand are not kept, so
    // one validator's votes per round and step stay bound by the proposals held
    // (kMaxProposalsPerRound per round).
    AddEvidence(*first, v);
    if (!v.value_id || !HoldsProposal(v.round, *v.value_id)) return Verdict::kEquivocation;
    Round(v.round).Tally(v.type).Add(*index, v);
    return Verdict::kEquivocation;
  }
  detail::RoundLog& log = Round(v.round);
  log.Tally(v.type).Add(*index, v);
  log.MarkSender(*index);
  return Verdict::kAccepted;
}

bool ConsensusState::HoldsProposal(uint32_t round, const Hash256& id) const {
  for (uint32_t r : {round, round_}) {
    const detail::RoundLog* log = FindRound(r);
    if (log && log->FindProposal(id)) return true;
  }
  return false;
}

// ---- The upon-rules ----

void ConsensusState::Evaluate(Actions& out) {
  while (!decided_) {
    if (TryDecide(out)) return;
    if (TrySkipRound(out) || TryPrevoteProposal(out) || TryScheduleTimeouts(out) ||
        TryLock(out) || TryPrecommitNil(out)) {
      continue;
    }
    return;
  }
}

// L49-L51 (L52-L54 are Start(height + 1), called by the caller once the block is committed).
bool ConsensusState::TryDecide(Actions& out) {
  const size_t quorum = validators_.Quorum();
  for (const auto& [r, log] : rounds_) {
    const std::optional<Hash256> id = log.precommits.QuorumValue(quorum);
    if (!id) continue;
    const detail::ProposalEntry* e = log.FindProposal(*id);
    if (!e || !e->valid) continue;  // L50
    CommitCertificate cert;
    cert.height = height_;
    cert.round = r;
    cert.value_id = *id;
    for (const Vote* v : log.precommits.VotesFor(*id)) {
      cert.signatures.push_back(CommitSig{v->validator, v->signature});
    }
    out.push_back(Decide{height_, e->proposal.value, std::move(cert)});
    decided_ = true;
    return true;
  }
  return false;
}

// L55-L56: f+1 validators are in a later round, so at least one correct one is: catch up.
bool ConsensusState::TrySkipRound(Actions& out) {
  const size_t needed = validators_.MaxFaulty() + 1;
  for (auto it = rounds_.rbegin(); it != rounds_.rend() && it->first > round_; ++it) {
    if (it->second.sender_count >= needed) {
      StartRound(it->first, out);
      return true;
    }
  }
  return false;
}

// L22-L27 and L28-L33.
bool ConsensusState::TryPrevoteProposal(Actions& out) {
  if (step_ != Step::kPropose) return false;
  const detail::RoundLog* log = FindRound(round_);
  if (!log) return false;
  for (const detail::ProposalEntry& e : log->proposals) {
    bool yes = false;
    if (!e.proposal.valid_round) {
      // L23: valid(v) and (lockedRound = -1 or lockedValue = v).
      yes = e.valid && (!locked_round_ || locked_id_ == e.id);
    } else {
      // L28: 2f+1 PREVOTE for id(v) in round vr < round_p (the decoder and AcceptProposal
      // already refused vr >= round).
      const uint32_t vr = *e.proposal.valid_round;
      const detail::RoundLog* vlog = FindRound(vr);
      if (!vlog || vlog->prevotes.Count(e.id) < validators_.Quorum()) continue;
      // L29: valid(v) and (lockedRound <= vr or lockedValue = v).
      yes = e.valid && (!locked_round_ || *locked_round_ <= vr || locked_id_ == e.id);
    }
    CastVote(VoteType::kPrevote, yes ? std::optional<Hash256>(e.id) : std::nullopt, out);  // L24/26/30/32
    step_ = Step::kPrevote;  // L27/L33
    return true;
  }
  return false;
}

// L34-L35 and L47-L48.
bool ConsensusState::TryScheduleTimeouts(Actions& out) {
  auto it = rounds_.find(round_);
  if (it == rounds_.end()) return false;
  detail::RoundLog& log = it->second;
  const size_t quorum = validators_.Quorum();
  if (step_ == Step::kPrevote && !log.prevote_timeout_scheduled && log.prevotes.Total() >= quorum) {
    log.prevote_timeout_scheduled = true;
    Schedule(Step::kPrevote, out);
    return true;
  }
  if (!log.precommit_timeout_scheduled && log.precommits.Total() >= quorum) {
    log.precommit_timeout_scheduled = true;
    Schedule(Step::kPrecommit, out);
    return true;
  }
  return false;
}

// L36-L43.
bool ConsensusState::TryLock(Actions& out) {
  if (step_ == Step::kPropose) return false;
  auto it = rounds_.find(round_);
  if (it == rounds_.end() || it->second.valid_value_updated) return false;
  detail::RoundLog& log = it->second;
  for (const detail::ProposalEntry& e : log.proposals) {
    if (!e.valid || log.prevotes.Count(e.id) < validators_.Quorum()) continue;
    log.valid_value_updated = true;
    const Proposal proposal = e.proposal;  // CastVote may add to the log: copy first
    const Hash256 id = e.id;
    if (step_ == Step::kPrevote) {  // L37
      locked_id_ = id;              // L38
      locked_round_ = round_;       // L39
      // The lock is what a restart must not forget: persist the value, and the 2f+1 prevotes
      // that justify it, before the precommit (Restore reads them back). Without the prevotes a
      // restarted node could never show the others its proof of lock (L28): if one of them came
      // from an equivocator that nobody else holds, the height would stall for ever.
      if (IsValidator()) {
        out.push_back(PersistMessage{proposal});
        for (const Vote* pv : log.prevotes.VotesFor(id)) {
          if (pv->validator != signer_->Key()) out.push_back(PersistMessage{*pv});
        }
      }
      CastVote(VoteType::kPrecommit, id, out);  // L40
      step_ = Step::kPrecommit;                 // L41
    }
    valid_value_ = proposal.value;  // L42
    valid_round_ = round_;          // L43
    return true;
  }
  return false;
}

// L44-L46.
bool ConsensusState::TryPrecommitNil(Actions& out) {
  if (step_ != Step::kPrevote) return false;
  const detail::RoundLog* log = FindRound(round_);
  if (!log || log->prevotes.Count(std::nullopt) < validators_.Quorum()) return false;
  CastVote(VoteType::kPrecommit, std::nullopt, out);
  step_ = Step::kPrecommit;
  return true;
}

// ---- Actions ----

// L11-L21.
void ConsensusState::StartRound(uint32_t round, Actions& out) {
  round_ = round;         // L12
  step_ = Step::kPropose;  // L13
  if (!IsValidator() || proposers_.Proposer(validators_, height_, round_) != signer_->Key()) {
    Schedule(Step::kPropose, out);  // L21
    return;
  }
  // L14: this node proposes. If it already signed a proposal for this round (before a restart),
  // it sends that one again: never two different proposals for one round.
  auto it = own_.find(std::make_pair(round_, kOwnProposal));
  if (it != own_.end()) {
    out.push_back(BroadcastMessage{it->second});
    for (const Vote& v : ProofOfLock(std::get<Proposal>(it->second))) {
      out.push_back(BroadcastMessage{v});
    }
    return;
  }
  std::string value;
  std::optional<uint32_t> vr;
  if (valid_value_) {  // L15-L16
    value = *valid_value_;
    vr = valid_round_;
  } else {  // L17-L18
    value = app_.ProposeValue(height_);
  }
  const Hash256 id = app_.ValueId(value);
  // The signer may refuse a slot it may have signed before (a WAL lost: Signer::Reserve); then
  // this node proposes nothing this round and waits like the others (L21).
  if (!signer_->Reserve(height_, round_, Step::kPropose, ProposalSignHash(config_.chain_id, height_, round_, vr, id))) {
    Schedule(Step::kPropose, out);
    return;
  }
  Proposal p = MakeProposal(*signer_, config_.chain_id, height_, round_, vr, std::move(value), id);
  own_.emplace(std::make_pair(round_, kOwnProposal), p);
  out.push_back(PersistMessage{p});  // write-ahead
  out.push_back(BroadcastMessage{p});  // L19
  AcceptProposal(p, true);
  // With a valid round, also relay its 2f+1 prevotes (the proof of lock): the others need them
  // for line 28, and may hold a different vote from an equivocator that this node saw.
  for (const Vote& v : ProofOfLock(std::get<Proposal>(own_.at({round_, kOwnProposal})))) {
    out.push_back(BroadcastMessage{v});
  }
}

std::vector<Vote> ConsensusState::ProofOfLock(const Proposal& p) const {
  std::vector<Vote> out;
  if (!p.valid_round) return out;
  const detail::RoundLog* log = FindRound(*p.valid_round);
  if (!log) return out;
  for (const Vote* v : log->prevotes.VotesFor(app_.ValueId(p.value))) out.push_back(*v);
  return out;
}

// Signs and sends a vote for the current round, unless this node already signed one for this
// round and step (restored from the WAL): then it re-sends that one, whatever it was for.
void ConsensusState::CastVote(VoteType type, const std::optional<Hash256>& id, Actions& out) {
  if (!IsValidator()) return;
  const auto key = std::make_pair(round_, OwnKey(type));
  auto it = own_.find(key);
  if (it != own_.end()) {
    out.push_back(BroadcastMessage{it->second});
    return;
  }
  if (!signer_->Reserve(height_, round_, StepOf(type), VoteSignHash(config_.chain_id, type, height_, round_, id))) {
    return;  // refused: sends nothing (Signer::Reserve)
  }
  Vote v = MakeVote(*signer_, config_.chain_id, type, height_, round_, id);
  own_.emplace(key, v);
  out.push_back(PersistMessage{v});  // write-ahead
  out.push_back(BroadcastMessage{v});
  AcceptVote(v, true);
}

void ConsensusState::Schedule(Step step, Actions& out) {
  const uint64_t delay = step == Step::kPropose ? config_.timeouts.Propose(round_)
                                                : config_.timeouts.Vote(round_);
  out.push_back(ScheduleTimeout{Timeout{height_, round_, step}, delay});
}

}  // namespace circuledger::consensus

#include "fixture.h"

#include <cassert>

#include "consensus/encoding.h"

namespace circuledger::consensus::test {

std::string ToyApp::ProposeValue(uint64_t height) {
  if (!next_value.empty()) return std::exchange(next_value, {});
  return "block-" + std::to_string(height);
}

Hash256 ToyApp::ValueId(std::string_view value) { return IdOf(value); }

bool ToyApp::ValidateValue(uint64_t, std::string_view value) {
  validations += 1;
  return value.substr(0, 3) != "bad";
}

Hash256 IdOf(std::string_view value) { return ledger::TaggedHash("test/value", value); }

Validators::Validators(size_t n) {
  std::vector<std::unique_ptr<KeySigner>> made;
  for (size_t i = 0; i < n; ++i) {
    ledger::FixedBytes<32> secret;
    secret.bytes[31] = static_cast<uint8_t>(i + 1);
    secret.bytes[0] = 0x42;
    made.push_back(std::make_unique<KeySigner>(*ledger::SecretKey::FromBytes(secret.View()), true));
  }
  std::vector<PubKey> keys;
  for (const auto& s : made) keys.push_back(s->Key());
  set = *ValidatorSet::Make(keys);
  for (size_t i = 0; i < n; ++i) {
    for (auto& s : made) {
      if (s && s->Key() == set.At(i)) signers.push_back(std::move(s));
    }
  }
  assert(signers.size() == n);
}

TimeoutConfig TestTimeouts() { return TimeoutConfig{300, 100, 50}; }

Node::Node(const Validators&, const Signer* signer) {
  config.chain_id = std::string(kChain);
  config.timeouts = TestTimeouts();
  sm = std::make_unique<ConsensusState>(config, app, proposers, DefaultVerifier(), signer);
}

std::vector<Message> Broadcasts(const Output& out) {
  std::vector<Message> v;
  for (const Action& a : out.actions) {
    if (const auto* b = std::get_if<BroadcastMessage>(&a)) v.push_back(b->message);
  }
  return v;
}

std::vector<Message> Persists(const Output& out) {
  std::vector<Message> v;
  for (const Action& a : out.actions) {
    if (const auto* p = std::get_if<PersistMessage>(&a)) v.push_back(p->message);
  }
  return v;
}

std::vector<Vote> BroadcastVotes(const Output& out) {
  std::vector<Vote> v;
  for (const Message& m : Broadcasts(out)) {
    if (const Vote* x = std::get_if<Vote>(&m)) v.push_back(*x);
  }
  return v;
}

std::vector<Decide> Decisions(const Output& out) {
  std::vector<Decide> v;
  for (const Action& a : out.actions) {
    if (const auto* d = std::get_if<Decide>(&a)) v.push_back(*d);
  }
  return v;
}

std::vector<ScheduleTimeout> Timeouts(const Output& out) {
  std::vector<ScheduleTimeout> v;
  for (const Action& a : out.actions) {
    if (const auto* t = std::get_if<ScheduleTimeout>(&a)) v.push_back(*t);
  }
  return v;
}

bool PersistedBeforeSent(const Output& out, const PubKey& me) {
  std::set<std::string> persisted;
  for (const Action& a : out.actions) {
    if (const auto* p = std::get_if<PersistMessage>(&a)) persisted.insert(EncodeMessage(p->message));
    if (const auto* b = std::get_if<BroadcastMessage>(&a)) {
      const Vote* v = std::get_if<Vote>(&b->message);
      const PubKey& signer = v ? v->validator : std::get<Proposal>(b->message).proposer;
      if (signer == me && !persisted.count(EncodeMessage(b->message))) return false;
    }
  }
  return true;
}

Vote SignedVote(const Signer& s, VoteType t, uint64_t h, uint32_t r,
                const std::optional<Hash256>& id) {
  return MakeVote(s, kChain, t, h, r, id);
}

Proposal SignedProposal(const Signer& s, uint64_t h, uint32_t r, const std::string& value,
                        std::optional<uint32_t> vr) {
  return MakeProposal(s, kChain, h, r, vr, value, IdOf(value));
}

}  // namespace circuledger::consensus::test

// tests/consensus/fixture.h: a small validator set with fixed keys, a toy application and helpers
// that pick actions out of a state machine's output. Test-only; not thread-safe.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "consensus/state_machine.h"

namespace circuledger::consensus::test {

inline constexpr std::string_view kChain = "test-chain";

// Values are strings; id = tagged hash; a value starting with "bad" is invalid.
class ToyApp final : public Application {
 public:
  std::string ProposeValue(uint64_t height) override;
  Hash256 ValueId(std::string_view value) override;
  bool ValidateValue(uint64_t height, std::string_view value) override;
  std::string next_value;  // if set, the next ProposeValue returns it
  int validations = 0;
};

// n validators with keys from fixed secrets, ordered as the ValidatorSet orders them.
struct Validators {
  explicit Validators(size_t n);
  std::vector<std::unique_ptr<KeySigner>> signers;  // signers[i] has set.At(i)
  ValidatorSet set;
  const KeySigner& operator[](size_t i) const { return *signers.at(i); }
};

// One node under test: its state machine and the objects it references.
struct Node {
  Node(const Validators& vals, const Signer* signer);
  ToyApp app;
  RoundRobinProposer proposers;
  std::unique_ptr<ConsensusState> sm;
  ConsensusState::Config config;
};

TimeoutConfig TestTimeouts();
std::vector<Message> Broadcasts(const Output& out);
std::vector<Message> Persists(const Output& out);
std::vector<Vote> BroadcastVotes(const Output& out);
std::vector<Decide> Decisions(const Output& out);
std::vector<ScheduleTimeout> Timeouts(const Output& out);
// Every message signed by `me` that the output broadcasts was persisted by an earlier action.
bool PersistedBeforeSent(const Output& out, const PubKey& me);

Vote SignedVote(const Signer& s, VoteType t, uint64_t h, uint32_t r,
                const std::optional<Hash256>& id);
Proposal SignedProposal(const Signer& s, uint64_t h, uint32_t r, const std::string& value,
                        std::optional<uint32_t> vr = std::nullopt);
Hash256 IdOf(std::string_view value);

}  // namespace circuledger::consensus::test

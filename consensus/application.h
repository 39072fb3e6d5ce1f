// consensus/application.h: what the state machine asks of the application (the ledger's
// node::LedgerApp; tests give it simpler ones), and how it picks proposers.
//
// The state machine calls these synchronously from its handlers, on the caller's thread. They
// must be deterministic functions of the committed chain: every correct validator must answer the
// same for the same height and value, or consensus can stall (never fork: safety needs only the
// signatures). The implementation owns its state; the state machine only holds a reference.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "consensus/messages.h"

namespace circuledger::consensus {

class Application {
 public:
  virtual ~Application() = default;
  // The paper's getValue() (SPEC.md line 18): a block for `height` on this node's committed
  // parent, in canonical bytes. Called only when this node proposes and holds no valid value.
  virtual std::string ProposeValue(uint64_t height) = 0;
  // The paper's id(v): the hash votes sign (the block hash). Total: garbage gets an id too, and is
  // then found invalid. Two values with one id must both be invalid or be the same block.
  virtual Hash256 ValueId(std::string_view value) = 0;
  // The paper's valid(v): whether the value is a block for `height` that executes validly on the
  // parent state. Called at most once per distinct proposal; may be expensive.
  virtual bool ValidateValue(uint64_t height, std::string_view value) = 0;
};

// The paper's proposer(h, r). Must be a deterministic function of its arguments.
class ProposerSelector {
 public:
  virtual ~ProposerSelector() = default;
  virtual const PubKey& Proposer(const ValidatorSet& validators, uint64_t height,
                                 uint32_t round) const = 0;
};

// Round-robin over the validators sorted by key: index (height + round) mod n. Equal weights make
// this fair; the height term moves round 0 on every height.
class RoundRobinProposer final : public ProposerSelector {
 public:
  const PubKey& Proposer(const ValidatorSet& validators, uint64_t height,
                         uint32_t round) const override {
    return validators.At(static_cast<size_t>((height + round) % validators.Size()));
  }
};

// The three timeouts of the paper, growing linearly with the round so that after GST some round
// is long enough for every correct validator to hear every other (the paper's liveness argument).
struct TimeoutConfig {
  uint64_t propose_ms = 3000;  // timeoutPropose(0); ledger Params::timeout_propose_ms
  uint64_t vote_ms = 1000;     // timeoutPrevote(0) and timeoutPrecommit(0); Params::timeout_vote_ms
  uint64_t delta_ms = 500;     // added per round; Params::timeout_delta_ms

  uint64_t Propose(uint32_t round) const { return propose_ms + delta_ms * round; }
  uint64_t Vote(uint32_t round) const { return vote_ms + delta_ms * round; }
};

}  // namespace circuledger::consensus

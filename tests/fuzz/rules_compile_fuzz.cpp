// libFuzzer target: the rule language compiler and evaluator (the source of register_rules).
// Whatever the input: compiling never crashes, is deterministic, and every rule that compiles
// evaluates within the step limit to pass, fail or error.
#include <cstdlib>
#include <string_view>

#include "contracts/compiler.h"
#include "contracts/evaluator.h"
#include "contracts/limits.h"

namespace {

struct Facts final : circuledger::contracts::ProductFacts {
  std::string_view Category() const override { return "battery.ev"; }
  uint64_t Mass(std::string_view m) const override { return m.size() * 1'000'003; }
  uint64_t RecycledMass(std::string_view m) const override { return m.size() * 160'001; }
  uint64_t RecoveredMass(std::string_view m) const override { return m.size() * 900'000; }
  std::optional<int64_t> Attribute(std::string_view n) const override {
    return n.size() % 2 ? std::optional<int64_t>(static_cast<int64_t>(n.size())) : std::nullopt;
  }
  uint64_t RepairCount() const override { return 2; }
  bool HasAttestation(std::string_view k) const override { return k.size() % 2 == 0; }
  bool HasAttestationBy(std::string_view k, std::string_view o) const override { return (k.size() + o.size()) % 2 == 0; }
  uint64_t BlockTimeMs() const override { return 1'944'777'600'000; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace circuledger::contracts;
  const std::string_view src(reinterpret_cast<const char*>(data), size);
  auto first = Compile(src);
  auto second = Compile(src);
  if (first.index() != second.index()) std::abort();
  const auto* set = std::get_if<RuleSet>(&first);
  if (!set) return 0;
  if (!(*set == std::get<RuleSet>(second))) std::abort();
  const Facts facts;
  for (const Rule& r : set->rules) {
    if (r.program.code.size() > limits::kMaxInstructions) std::abort();
    const Evaluation e = Explain(r, facts, src);
    if (e.steps > limits::kMaxEvalSteps) std::abort();
    if (Evaluate(r, facts) != e.outcome) std::abort();
  }
  return 0;
}

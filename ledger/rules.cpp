#include "ledger/rules.h"

#include <algorithm>

namespace circuledger::ledger {

std::optional<int64_t> ProductFactsView::Attribute(std::string_view name) const {
  auto it = std::lower_bound(p_.attributes.begin(), p_.attributes.end(), name,
                             [](const ledger::Attribute& a, std::string_view n) { return a.name < n; });
  if (it == p_.attributes.end() || it->name != name) return std::nullopt;
  return it->value;
}

bool ProductFactsView::HasAttestation(std::string_view kind) const {
  return std::any_of(p_.attestations.begin(), p_.attestations.end(), [&](const Attestation& a) {
    return a.kind == kind && (a.expiry_ms == 0 || a.expiry_ms > time_ms_);
  });
}

}  // namespace circuledger::ledger

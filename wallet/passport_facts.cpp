#include "wallet/passport_facts.h"

#include <nlohmann/json.hpp>

namespace circuledger::wallet {

Result<PassportFacts> PassportFacts::Parse(const std::string& json_text, uint64_t time_ms) {
  const nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("the passport is not a JSON object");
  PassportFacts f;
  f.time_ms_ = time_ms;
  try {
    f.id_ = j.at("id").get<std::string>();
    f.category_ = j.at("category").get<std::string>();
    for (const auto& m : j.at("composition")) {
      f.materials_[m.at("material").get<std::string>()] = {m.at("total_mg").get<uint64_t>(), m.at("recycled_mg").get<uint64_t>()};
    }
    for (const auto& [name, value] : j.at("attributes").items()) f.attributes_[name] = value.get<int64_t>();
    for (const auto& a : j.at("attestations")) {
      f.attestations_.push_back(
          {a.at("kind").get<std::string>(), a.at("issuer").get<std::string>(), a.value("expiry_ms", uint64_t{0})});
    }
    f.repairs_ = j.at("repairs").size();
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("not a product passport: ") + e.what());
  }
  return f;
}

uint64_t PassportFacts::Mass(std::string_view m) const {
  auto it = materials_.find(m);
  return it == materials_.end() ? 0 : it->second.total;
}
uint64_t PassportFacts::RecycledMass(std::string_view m) const {
  auto it = materials_.find(m);
  return it == materials_.end() ? 0 : it->second.recycled;
}
std::optional<int64_t> PassportFacts::Attribute(std::string_view name) const {
  auto it = attributes_.find(name);
  return it == attributes_.end() ? std::nullopt : std::optional<int64_t>(it->second);
}
bool PassportFacts::HasAttestation(std::string_view kind) const {
  for (const Attest& a : attestations_) {
    if (a.kind == kind && (a.expiry_ms == 0 || a.expiry_ms > time_ms_)) return true;
  }
  return false;
}
bool PassportFacts::HasAttestationBy(std::string_view kind, std::string_view issuer) const {
  for (const Attest& a : attestations_) {
    if (a.kind == kind && a.issuer == issuer && (a.expiry_ms == 0 || a.expiry_ms > time_ms_)) return true;
  }
  return false;
}

}  // namespace circuledger::wallet

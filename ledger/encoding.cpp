// Visit() functions: one per type, used for both encoding (Writer) and decoding (Reader), so the
// two directions cannot drift apart. Field order here IS the wire format: see ENCODING.md.
#include "ledger/encoding.h"

#include <cassert>

#include "contracts/limits.h"
#include "ledger/block.h"
#include "ledger/detail/codec.h"
#include "ledger/genesis.h"
#include "ledger/limits.h"
#include "ledger/tx.h"

namespace circuledger::ledger {

using detail::DecodeError;
namespace L = limits;

namespace {

// Smallest encodings, for the "count * min <= remaining" check before allocation.
constexpr size_t kStrMin = 4;

// Forward declarations: the variant helpers below instantiate Visit for types defined later.
template <class A> void Visit(A& a, MaterialAmount& x);
template <class A> void Visit(A& a, Composition& x);
template <class A> void Visit(A& a, Attribute& x);
template <class A> void Visit(A& a, Attestation& x);
template <class A> void Visit(A& a, Org& x);
template <class A> void Visit(A& a, Account& x);
template <class A> void Visit(A& a, Lot& x);
template <class A> void Visit(A& a, RepairRecord& x);
template <class A> void Visit(A& a, Product& x);
template <class A> void Visit(A& a, RecyclingRecord& x);
template <class A> void Visit(A& a, Validator& x);
template <class A> void Visit(A& a, ValidatorSet& x);
template <class A> void Visit(A& a, Params& x);
template <class A> void Visit(A& a, ChainTip& x);
template <class A> void Visit(A& a, AdminSet& x);
template <class A> void Visit(A& a, AddOrg& x);
template <class A> void Visit(A& a, SetOrgStatus& x);
template <class A> void Visit(A& a, SetOrgRoles& x);
template <class A> void Visit(A& a, AddMemberKey& x);
template <class A> void Visit(A& a, RevokeMemberKey& x);
template <class A> void Visit(A& a, AddValidator& x);
template <class A> void Visit(A& a, RemoveValidator& x);
template <class A> void Visit(A& a, SetParams& x);
template <class A> void Visit(A& a, Proposal& x);
template <class A> void Visit(A& a, OutputLot& x);
template <class A> void Visit(A& a, CreateLot& x);
template <class A> void Visit(A& a, Transfer& x);
template <class A> void Visit(A& a, Transform& x);
template <class A> void Visit(A& a, NewProduct& x);
template <class A> void Visit(A& a, Assemble& x);
template <class A> void Visit(A& a, Repair& x);
template <class A> void Visit(A& a, EndOfLife& x);
template <class A> void Visit(A& a, Recycle& x);
template <class A> void Visit(A& a, Dispose& x);
template <class A> void Visit(A& a, Attest& x);
template <class A> void Visit(A& a, Propose& x);
template <class A> void Visit(A& a, Approve& x);
template <class A> void Visit(A& a, RegisterRules& x);
template <class A> void Visit(A& a, AuthorizeRepair& x);
template <class A> void Visit(A& a, RevokeRepair& x);
template <class A> void Visit(A& a, RepairGrant& x);
template <class A> void Visit(A& a, SetRuleSetOwner& x);
template <class A> void Visit(A& a, RuleSetOwner& x);
template <class A> void Visit(A& a, OrgProposals& x);
template <class A> void Visit(A& a, contracts::RuleSet& x);
template <class A> void Visit(A& a, TxBody& x);
template <class A> void Visit(A& a, Tx& x);
template <class A> void Visit(A& a, BlockHeader& x);
template <class A> void Visit(A& a, Block& x);
template <class A> void Visit(A& a, Genesis& x);

template <class A> void Visit(A& a, MaterialAmount& x) {
  a.Str(x.material, L::kMaxMaterialLen);
  a.U64(x.total_mg);
  a.U64(x.recycled_mg);
}
template <class A> void Visit(A& a, Composition& x) {
  a.Vec(x.entries, L::kMaxMaterials, kStrMin + 16, [&](MaterialAmount& m) { Visit(a, m); });
}
template <class A> void VisitIds(A& a, std::vector<std::string>& v, size_t max) {
  a.Vec(v, max, kStrMin, [&](std::string& s) { a.Str(s, L::kMaxIdLen); });
}
template <class A> void Visit(A& a, Attribute& x) {
  a.Str(x.name, L::kMaxNameLen);
  a.I64(x.value);
}
template <class A> void Visit(A& a, Attestation& x) {
  a.Str(x.kind, L::kMaxNameLen);
  a.Str(x.reference, L::kMaxTextLen);
  a.Str(x.issuer, L::kMaxOrgIdLen);
  a.U64(x.time_ms);
  a.U64(x.expiry_ms);
  a.Fixed(x.tx);
}
template <class A> void VisitAttestations(A& a, std::vector<Attestation>& v) {
  a.Vec(v, L::kMaxAttestations, 3 * kStrMin + 48, [&](Attestation& x) { Visit(a, x); });
}
template <class A> void Visit(A& a, Org& x) {
  a.Str(x.id, L::kMaxOrgIdLen);
  a.Str(x.name, L::kMaxNameLen);
  a.U32(x.roles);
  a.Vec(x.members, L::kMaxOrgKeys, 32, [&](PubKey& k) { a.Fixed(k); });
  a.Enum(x.status, kMaxOrgStatus);
}
template <class A> void Visit(A& a, Account& x) {
  a.Str(x.org, L::kMaxOrgIdLen);
  a.U64(x.next_nonce);
  a.U8(x.revoked);
  if constexpr (A::kReading) {
    if (x.revoked > 1) throw DecodeError{Reject::kMalformed, "revoked flag"};
  }
}
template <class A> void Visit(A& a, Lot& x) {
  a.Str(x.id, L::kMaxIdLen);
  a.Str(x.owner, L::kMaxOrgIdLen);
  Visit(a, x.composition);
  a.Enum(x.custody, kMaxCustody);
  a.Enum(x.status, kMaxLotStatus);
  a.Fixed(x.created_by);
  a.U64(x.created_height);
  a.Fixed(x.consumed_by);
  VisitIds(a, x.parents, L::kMaxParents);
  VisitAttestations(a, x.attestations);
  a.Enum(x.waste, kMaxWasteOrigin);
}
template <class A> void Visit(A& a, RepairRecord& x) {
  a.Fixed(x.tx);
  a.U64(x.height);
  a.U64(x.time_ms);
  a.Str(x.repairer, L::kMaxOrgIdLen);
  VisitIds(a, x.removed_lots, L::kMaxOutputs);
  VisitIds(a, x.added_lots, L::kMaxInputs);
}
template <class A> void Visit(A& a, Product& x) {
  a.Str(x.id, L::kMaxIdLen);
  a.Str(x.category, L::kMaxNameLen);
  a.Str(x.model, L::kMaxNameLen);
  a.Str(x.manufacturer, L::kMaxOrgIdLen);
  a.Str(x.owner, L::kMaxOrgIdLen);
  Visit(a, x.composition);
  a.Enum(x.custody, kMaxCustody);
  a.Vec(x.attributes, L::kMaxAttributes, kStrMin + 8, [&](Attribute& at) { Visit(a, at); });
  VisitAttestations(a, x.attestations);
  a.Vec(x.repairs, L::kMaxRepairs, 32 + 16 + 3 * kStrMin, [&](RepairRecord& r) { Visit(a, r); });
  a.Enum(x.status, kMaxProductStatus);
  a.Fixed(x.created_by);
  a.U64(x.created_height);
  a.Fixed(x.consumed_by);
  VisitIds(a, x.parents, L::kMaxParents);
}
template <class A> void Visit(A& a, RecyclingRecord& x) {
  a.Fixed(x.tx);
  a.Str(x.recycler, L::kMaxOrgIdLen);
  a.U64(x.height);
  a.U64(x.time_ms);
  a.Vec(x.materials, L::kMaxMaterials, kStrMin + 16, [&](RecoveryEntry& e) {
    a.Str(e.material, L::kMaxMaterialLen);
    a.U64(e.input_mg);
    a.U64(e.recovered_mg);
  });
  a.Vec(x.rules, L::kMaxRuleOutcomes, 2 * kStrMin + 5, [&](RuleOutcome& o) {
    a.Str(o.rule_set, contracts::limits::kMaxIdLen);
    a.U32(o.version);
    a.Str(o.rule, contracts::limits::kMaxIdLen);
    a.U8(o.outcome);
    if constexpr (A::kReading) {
      if (o.outcome > 2) throw DecodeError{Reject::kMalformed, "rule outcome"};
    }
  });
}

// Compiled rule sets (contracts/program.h). Indexes inside a program are not checked here: the
// evaluator checks each one as it runs, so a damaged program is an evaluation error.
namespace CL = contracts::limits;
template <class A> void Visit(A& a, contracts::Program& x) {
  a.Vec(x.code, CL::kMaxInstructions, 5, [&](contracts::Instr& i) {
    a.Enum(i.op, contracts::kMaxOpCode);
    a.U32(i.arg);
  });
  a.Vec(x.consts, CL::kMaxInstructions, 17, [&](contracts::Const& c) {
    a.I64(c.num);
    a.I64(c.den);
    a.Enum(c.unit, contracts::kMaxUnit);
  });
  a.Vec(x.strings, CL::kMaxInstructions, kStrMin, [&](std::string& str) { a.Str(str, CL::kMaxStringLen); });
  a.Vec(x.spans, CL::kMaxInstructions, 8, [&](contracts::Span& sp) {
    a.U32(sp.begin);
    a.U32(sp.end);
  });
  a.U32(x.max_stack);
}
template <class A> void Visit(A& a, contracts::Rule& x) {
  a.Str(x.id, CL::kMaxIdLen);
  a.Str(x.title, CL::kMaxTitleLen);
  a.Enum(x.mode, contracts::kMaxMode);
  a.Enum(x.trigger, contracts::kMaxTrigger);
  a.Vec(x.categories, CL::kMaxCategories, kStrMin, [&](std::string& c) { a.Str(c, CL::kMaxStringLen); });
  a.U64(x.from_ms);
  a.U64(x.until_ms);
  Visit(a, x.program);
}
template <class A> void Visit(A& a, contracts::RuleSet& x) {
  a.Str(x.id, CL::kMaxIdLen);
  a.U32(x.version);
  a.U64(x.from_ms);
  a.Vec(x.rules, CL::kMaxRules, 3 * kStrMin + 38, [&](contracts::Rule& r) { Visit(a, r); });
}
template <class A> void Visit(A& a, RuleSetRecord& x) {
  a.Str(x.id, CL::kMaxIdLen);
  a.U32(x.version);
  a.U64(x.effective_ms);
  a.Str(x.source, CL::kMaxSourceBytes);
  Visit(a, x.compiled);
  a.Str(x.registered_by, L::kMaxOrgIdLen);
  a.Fixed(x.tx);
  a.U64(x.height);
  a.U64(x.time_ms);
}
template <class A> void Visit(A& a, RuleIndex& x) {
  a.Vec(x.entries, L::kMaxRuleSetVersions, kStrMin + 44, [&](RuleSetRef& r) {
    a.Str(r.id, CL::kMaxIdLen);
    a.U32(r.version);
    a.U64(r.effective_ms);
    a.Fixed(r.tx);
  });
}
template <class A> void Visit(A& a, Validator& x) {
  a.Fixed(x.key);
  a.Str(x.name, L::kMaxNameLen);
  a.Str(x.address, L::kMaxTextLen);
}
template <class A> void Visit(A& a, ValidatorSet& x) {
  a.Vec(x.active, L::kMaxValidators, 32 + 2 * kStrMin, [&](Validator& v) { Visit(a, v); });
  a.Vec(x.pending, L::kMaxPendingValidatorChanges, 9 + 32 + 2 * kStrMin, [&](PendingValidatorChange& p) {
    a.U64(p.height);
    a.U8(p.add);
    if constexpr (A::kReading) {
      if (p.add > 1) throw DecodeError{Reject::kMalformed, "add flag"};
    }
    Visit(a, p.validator);
  });
}
template <class A> void Visit(A& a, Params& x) {
  ForEachParam(x, [&](const char*, auto& member) {
    using T = std::remove_reference_t<decltype(member)>;
    static_assert(std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>, "params are u32 or u64");
    if constexpr (std::is_same_v<T, uint32_t>) {
      a.U32(member);
    } else {
      a.U64(member);
    }
  });
}
template <class A> void Visit(A& a, AdminSet& x) {
  a.Vec(x.orgs, L::kMaxOrgs, kStrMin, [&](std::string& s) { a.Str(s, L::kMaxOrgIdLen); });
}
template <class A> void Visit(A& a, ChainTip& x) {
  a.U64(x.height);
  a.Fixed(x.block_hash);
  a.Fixed(x.state_root);
  a.U64(x.time_ms);
}

// A std::variant is a one-byte alternative index followed by the alternative.
template <class A, class V, size_t I = 0>
void EmplaceAlternative(A& a, V& v, uint8_t index) {
  if constexpr (I < std::variant_size_v<V>) {
    if (index == I) {
      Visit(a, v.template emplace<I>());
      return;
    }
    EmplaceAlternative<A, V, I + 1>(a, v, index);
  }
}
template <class A, class... Ts>
void VisitVariant(A& a, std::variant<Ts...>& v) {
  uint8_t index = static_cast<uint8_t>(v.index());
  a.U8(index);
  if constexpr (A::kReading) {
    if (index >= sizeof...(Ts)) throw DecodeError{Reject::kMalformed, "unknown variant"};
    EmplaceAlternative(a, v, index);
  } else {
    std::visit([&](auto& alt) { Visit(a, alt); }, v);
  }
}

// Governance changes.
template <class A> void Visit(A& a, AddOrg& x) {
  a.Str(x.id, L::kMaxOrgIdLen);
  a.Str(x.name, L::kMaxNameLen);
  a.U32(x.roles);
  a.Vec(x.keys, L::kMaxOrgKeys, 32, [&](PubKey& k) { a.Fixed(k); });
}
template <class A> void Visit(A& a, SetOrgStatus& x) {
  a.Str(x.org, L::kMaxOrgIdLen);
  a.Enum(x.status, kMaxOrgStatus);
}
template <class A> void Visit(A& a, SetOrgRoles& x) {
  a.Str(x.org, L::kMaxOrgIdLen);
  a.U32(x.roles);
}
template <class A> void Visit(A& a, AddMemberKey& x) {
  a.Str(x.org, L::kMaxOrgIdLen);
  a.Fixed(x.key);
}
template <class A> void Visit(A& a, RevokeMemberKey& x) {
  a.Str(x.org, L::kMaxOrgIdLen);
  a.Fixed(x.key);
}
template <class A> void Visit(A& a, AddValidator& x) { Visit(a, x.validator); }
template <class A> void Visit(A& a, RemoveValidator& x) { a.Fixed(x.key); }
template <class A> void Visit(A& a, SetParams& x) { Visit(a, x.params); }
template <class A> void Visit(A& a, SetRuleSetOwner& x) {
  a.Str(x.rule_set, CL::kMaxIdLen);
  a.Str(x.org, L::kMaxOrgIdLen);
}
template <class A> void Visit(A& a, RuleSetOwner& x) {
  a.Str(x.id, CL::kMaxIdLen);
  a.Str(x.org, L::kMaxOrgIdLen);
  a.Fixed(x.tx);
}

template <class A> void Visit(A& a, OrgProposals& x) {
  a.Str(x.org, L::kMaxOrgIdLen);
  a.Vec(x.open, L::kMaxOpenProposalsPerOrg, 40, [&](OpenProposal& p) {
    a.Fixed(p.id);
    a.U64(p.expires_height);
  });
}

template <class A> void Visit(A& a, Proposal& x) {
  a.Fixed(x.id);
  a.Str(x.proposer, L::kMaxOrgIdLen);
  VisitVariant(a, x.change);
  a.Vec(x.approvals, L::kMaxOrgs, kStrMin, [&](std::string& s) { a.Str(s, L::kMaxOrgIdLen); });
  a.U64(x.created_height);
  a.U64(x.expires_height);
  a.Enum(x.status, kMaxProposalStatus);
}

// Operations.
template <class A> void Visit(A& a, OutputLot& x) {
  a.Str(x.id, L::kMaxIdLen);
  Visit(a, x.composition);
}
template <class A> void VisitOutputs(A& a, std::vector<OutputLot>& v) {
  a.Vec(v, L::kMaxOutputs, 2 * kStrMin, [&](OutputLot& o) { Visit(a, o); });
}
template <class A> void Visit(A& a, CreateLot& x) {
  a.Str(x.id, L::kMaxIdLen);
  Visit(a, x.composition);
}
template <class A> void Visit(A& a, Transfer& x) {
  a.Str(x.id, L::kMaxIdLen);
  a.Str(x.to_org, L::kMaxOrgIdLen);
}
template <class A> void Visit(A& a, Transform& x) {
  VisitIds(a, x.inputs, L::kMaxInputs);
  VisitOutputs(a, x.outputs);
  a.Enum(x.allocation, kMaxAllocation);
  VisitOutputs(a, x.scrap);
}
template <class A> void Visit(A& a, NewProduct& x) {
  a.Str(x.id, L::kMaxIdLen);
  a.Str(x.category, L::kMaxNameLen);
  a.Str(x.model, L::kMaxNameLen);
  Visit(a, x.composition);
  a.Vec(x.attributes, L::kMaxAttributes, kStrMin + 8, [&](Attribute& at) { Visit(a, at); });
}
template <class A> void Visit(A& a, Assemble& x) {
  VisitIds(a, x.inputs, L::kMaxInputs);
  Visit(a, x.product);
  VisitOutputs(a, x.leftovers);
  a.Enum(x.allocation, kMaxAllocation);
  VisitOutputs(a, x.scrap);
}
template <class A> void Visit(A& a, Repair& x) {
  a.Str(x.product, L::kMaxIdLen);
  VisitOutputs(a, x.removed);
  VisitIds(a, x.added, L::kMaxInputs);
}
template <class A> void Visit(A& a, EndOfLife& x) {
  a.Str(x.product, L::kMaxIdLen);
  a.Str(x.to_org, L::kMaxOrgIdLen);
}
template <class A> void Visit(A& a, Recycle& x) {
  VisitIds(a, x.inputs, L::kMaxInputs);
  VisitOutputs(a, x.outputs);
}
template <class A> void Visit(A& a, Dispose& x) { a.Str(x.id, L::kMaxIdLen); }
template <class A> void Visit(A& a, Attest& x) {
  a.Str(x.subject, L::kMaxIdLen);
  a.Str(x.kind, L::kMaxNameLen);
  a.Str(x.reference, L::kMaxTextLen);
  a.U64(x.expiry_ms);
}
template <class A> void Visit(A& a, Propose& x) { VisitVariant(a, x.change); }
template <class A> void Visit(A& a, Approve& x) { a.Fixed(x.proposal); }
template <class A> void Visit(A& a, RegisterRules& x) { a.Str(x.source, CL::kMaxSourceBytes); }
template <class A> void Visit(A& a, AuthorizeRepair& x) {
  a.Str(x.product, L::kMaxIdLen);
  a.Str(x.repairer, L::kMaxOrgIdLen);
  a.U64(x.expiry_ms);
}
template <class A> void Visit(A& a, RevokeRepair& x) {
  a.Str(x.product, L::kMaxIdLen);
  a.Str(x.repairer, L::kMaxOrgIdLen);
}
template <class A> void Visit(A& a, RepairGrant& x) {
  a.Str(x.product, L::kMaxIdLen);
  a.Str(x.repairer, L::kMaxOrgIdLen);
  a.Str(x.granted_by, L::kMaxOrgIdLen);
  a.U64(x.expiry_ms);
  a.U8(x.revoked);
  if constexpr (A::kReading) {
    if (x.revoked > 1) throw DecodeError{Reject::kMalformed, "revoked flag"};
  }
  a.Fixed(x.tx);
}

template <class A> void Visit(A& a, TxBody& x) {
  a.U8(x.version);
  if constexpr (A::kReading) {
    if (x.version != kTxVersion) throw DecodeError{Reject::kUnknownVersion, "tx version"};
  }
  a.Fixed(x.genesis_hash);
  a.Fixed(x.signer);
  a.U64(x.nonce);
  VisitVariant(a, x.op);
}
template <class A> void Visit(A& a, Tx& x) {
  Visit(a, x.body);
  a.Fixed(x.sig);
}
template <class A> void Visit(A& a, BlockHeader& x) {
  a.U8(x.version);
  if constexpr (A::kReading) {
    if (x.version != kBlockVersion) throw DecodeError{Reject::kUnknownVersion, "block version"};
  }
  a.Str(x.chain_id, L::kMaxChainIdLen);
  a.U64(x.height);
  a.U64(x.time_ms);
  a.Fixed(x.prev_hash);
  a.Fixed(x.tx_root);
  a.Fixed(x.state_root);
  a.Fixed(x.proposer);
  a.Fixed(x.validator_set_hash);
}
template <class A> void Visit(A& a, Block& x) {
  Visit(a, x.header);
  // Smallest transaction: version, genesis hash, signer, nonce, op index, op, signature.
  a.Vec(x.txs, L::kMaxBlockTxs, 1 + 32 + 32 + 8 + 1 + 64, [&](Tx& t) { Visit(a, t); });
}
template <class A> void Visit(A& a, Genesis& x) {
  a.Str(x.chain_id, L::kMaxChainIdLen);
  a.U64(x.genesis_time_ms);
  Visit(a, x.params);
  a.Vec(x.orgs, L::kMaxOrgs, 3 * kStrMin + 5, [&](Org& o) { Visit(a, o); });
  a.Vec(x.validators, L::kMaxValidators, 32 + 2 * kStrMin, [&](Validator& v) { Visit(a, v); });
}

template <class T> constexpr size_t MaxBytes() {
  if constexpr (std::is_same_v<T, Tx> || std::is_same_v<T, TxBody>) {
    return L::kMaxTxBytes;
  } else if constexpr (std::is_same_v<T, Block>) {
    return L::kMaxBlockBytes;
  } else if constexpr (std::is_same_v<T, Genesis>) {
    return L::kMaxGenesisBytes;
  } else {
    return L::kMaxStateObjectBytes;
  }
}

}  // namespace

// This thread's buffer for Encode and the canonical check of Decode (no encoding nests another).
std::string& Scratch() {
  thread_local std::string scratch;
  return scratch;
}
// A buffer that grew for a large value (a block) is not kept by every thread that once encoded one.
void TrimScratch() {
  constexpr size_t kKeepBytes = 64 << 10;
  if (Scratch().capacity() > kKeepBytes) std::string().swap(Scratch());
}

template <class T>
std::string EncodeAfter(std::string_view prefix, const T& value) {
  detail::Writer w(Scratch());
  Visit(w, const_cast<T&>(value));  // Writer only reads; Visit is shared with decoding
  std::string out;
  out.reserve(prefix.size() + w.View().size());
  out.append(prefix).append(w.View());
  TrimScratch();
  return out;
}
template std::string EncodeAfter<Lot>(std::string_view, const Lot&);
template std::string EncodeAfter<Product>(std::string_view, const Product&);

template <class T>
std::string Encode(const T& value) {
  return EncodeAfter({}, value);
}

template <class T>
Result<T> Decode(std::string_view bytes) {
  if (bytes.size() > MaxBytes<T>()) return Status::Rejected(Reject::kOversized, "input over size limit");
  T value{};
  try {
    detail::Reader r(bytes);
    Visit(r, value);
    if (r.Remaining() != 0) return Status::Rejected(Reject::kTrailingBytes, "bytes after the value");
  } catch (const DecodeError& e) {
    return Status::Rejected(e.reason, e.what);
  } catch (const cereal::Exception& e) {
    return Status::Rejected(Reject::kMalformed, e.what());
  }
  // Anything that decodes but would not be written this way (e.g. a big-endian archive) is refused.
  detail::Writer w(Scratch());
  Visit(w, value);
  const bool canonical = w.View() == bytes;
  TrimScratch();
  if (!canonical) return Status::Rejected(Reject::kNonCanonical, "re-encoding differs");
  return value;
}

template <class T>
Status CheckDecodable(const T& value) {
  detail::Bounds b;
  Visit(b, const_cast<T&>(value));  // Bounds only reads
  if (b.over_limit()) return Status::Rejected(Reject::kObjectTooLarge, "a list or string over its limit");
  if (b.bytes() > MaxBytes<T>()) {
    return Status::Rejected(Reject::kObjectTooLarge, std::to_string(b.bytes()) + " bytes, limit " +
                                                         std::to_string(MaxBytes<T>()));
  }
  return Status::Ok();
}

Result<BlockHeader> DecodeBlockHeaderPrefix(std::string_view block_bytes) {
  if (block_bytes.size() > L::kMaxBlockBytes) return Status::Rejected(Reject::kOversized, "input over size limit");
  BlockHeader header{};
  try {
    detail::Reader r(block_bytes);
    Visit(r, header);
  } catch (const DecodeError& e) {
    return Status::Rejected(e.reason, e.what);
  } catch (const cereal::Exception& e) {
    return Status::Rejected(Reject::kMalformed, e.what());
  }
  detail::Writer w(Scratch());
  Visit(w, header);
  const bool canonical = block_bytes.starts_with(w.View());
  TrimScratch();
  if (!canonical) return Status::Rejected(Reject::kNonCanonical, "re-encoding differs");
  return header;
}

std::string EncodeBlockFromBodies(const Block& block, const std::vector<std::string>& encoded_bodies) {
  assert(encoded_bodies.size() == block.txs.size());
  size_t size = 256 + block.header.chain_id.size();  // the header and the count, with room to spare
  for (const std::string& body : encoded_bodies) size += body.size() + Signature::kSize;
  detail::Writer w(size);  // one allocation for a block of megabytes, not a doubling string
  Visit(w, const_cast<BlockHeader&>(block.header));
  uint32_t n = static_cast<uint32_t>(block.txs.size());
  w.U32(n);
  for (size_t i = 0; i < block.txs.size(); ++i) {
    w.Raw(std::string_view(encoded_bodies[i]).substr(1));  // without the body's own archive header
    w.Fixed(const_cast<Signature&>(block.txs[i].sig));
  }
  return w.Finish();
}

#define CIRCULEDGER_CODEC(T)                  \
  template std::string Encode<T>(const T&); \
  template Result<T> Decode<T>(std::string_view); \
  template Status CheckDecodable<T>(const T&);
CIRCULEDGER_CODEC(Tx)
CIRCULEDGER_CODEC(TxBody)
CIRCULEDGER_CODEC(Block)
CIRCULEDGER_CODEC(BlockHeader)
CIRCULEDGER_CODEC(Composition)
CIRCULEDGER_CODEC(Org)
CIRCULEDGER_CODEC(Account)
CIRCULEDGER_CODEC(Lot)
CIRCULEDGER_CODEC(Product)
CIRCULEDGER_CODEC(Proposal)
CIRCULEDGER_CODEC(RecyclingRecord)
CIRCULEDGER_CODEC(ValidatorSet)
CIRCULEDGER_CODEC(Params)
CIRCULEDGER_CODEC(Genesis)
CIRCULEDGER_CODEC(ChainTip)
CIRCULEDGER_CODEC(AdminSet)
CIRCULEDGER_CODEC(RuleSetRecord)
CIRCULEDGER_CODEC(RuleIndex)
CIRCULEDGER_CODEC(RepairGrant)
CIRCULEDGER_CODEC(RuleSetOwner)
CIRCULEDGER_CODEC(OrgProposals)
#undef CIRCULEDGER_CODEC

}  // namespace circuledger::ledger

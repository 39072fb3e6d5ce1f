#include "ledger/status.h"

namespace circuledger::ledger {

namespace {
constexpr RejectInfo kRejectTable[] = {
#define CIRCULEDGER_REJECT_INFO(name, str, fault) {str, fault},
    CIRCULEDGER_REJECTS(CIRCULEDGER_REJECT_INFO)
#undef CIRCULEDGER_REJECT_INFO
};
}  // namespace

RejectInfo RejectInfoOf(Reject r) { return kRejectTable[static_cast<uint8_t>(r)]; }

uint8_t RejectCount() { return static_cast<uint8_t>(std::size(kRejectTable)); }

std::string Status::RejectString() const {
  if (!IsRejected()) return {};
  std::string s(RejectInfoOf(reason_).text);
  // A violated rule names itself: "rule-violated:<rule id>".
  if (reason_ == Reject::kRuleViolated) s += ":" + detail_;
  return s;
}

std::string Status::ToString() const {
  switch (code_) {
    case Code::kOk: return "ok";
    case Code::kRejected: return "rejected: " + RejectString() + (detail_.empty() ? "" : " (" + detail_ + ")");
    case Code::kNotFound: return "not found: " + detail_;
    case Code::kCorruption: return "corruption: " + detail_;
    case Code::kIoError: return "io error: " + detail_;
    case Code::kInvalidArgument: return "invalid argument: " + detail_;
  }
  return "unknown status";
}

}  // namespace circuledger::ledger

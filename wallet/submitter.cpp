// Signing, submission and commit polling (wallet/builder.h, second half).
#include <chrono>
#include <thread>

#include "ledger/encoding.h"
#include "wallet/builder.h"
#include "wallet/genesis_pins.h"

namespace circuledger::wallet {

using nlohmann::json;

namespace {

std::string ErrorText(const HttpReply& r) {
  auto [code, message] = ApiError(r);
  return message.empty() ? code : code + ": " + message;
}

}  // namespace

Result<json> GetJson(const Client& client, std::string_view path) {
  Result<HttpReply> r = client.Get(path);
  if (!r.ok()) return r.status();
  if (r->status == 200 && r->body.is_object()) return std::move(r->body);
  if (r->status == 404) return Status::NotFound(ApiError(*r).second);
  if (r->status == 400)
    return Status::InvalidArgument("the node refused the request: " + ErrorText(*r));
  return Status::Unavailable("node answered HTTP " + std::to_string(r->status) + " to GET " +
                             std::string(path) + ": " + ErrorText(*r));
}

Result<ledger::Hash256> Submitter::GenesisHash() const {
  Result<json> st = GetJson(client_, "/v1/status");
  if (!st.ok())
    return st.status().IsNotFound() ? Status::Unavailable("no /v1/status at this URL")
                                    : st.status();
  auto it = st->find("genesis_hash");
  std::optional<ledger::Hash256> hash;
  if (it != st->end() && it->is_string()) hash = ledger::Hash256::FromHex(it->get<std::string>());
  if (!hash) return Status::Unavailable("node status has no genesis_hash (64 hex digits)");
  return *hash;
}

Result<uint64_t> Submitter::NextNonce(const ledger::PubKey& signer) const {
  Result<json> acc = GetJson(client_, "/v1/accounts/" + signer.ToHex());
  if (!acc.ok())
    return acc.status().IsNotFound() ? Result<uint64_t>(uint64_t{0})
                                     : Result<uint64_t>(acc.status());
  // pending_nonce counts the signer's transactions waiting in the mempool; next_nonce only the
  // committed ones (older nodes answer only that).
  for (const char* field : {"pending_nonce", "next_nonce"}) {
    auto it = acc->find(field);
    if (it != acc->end() && it->is_number_unsigned()) return it->get<uint64_t>();
  }
  return Status::Unavailable("account answer has no nonce");
}

Result<ledger::Tx> Submitter::Sign(const ledger::Op& op, const ledger::SecretKey& key) const {
  Result<ledger::Hash256> genesis = GenesisHash();
  if (!genesis.ok()) return genesis.status();
  if (options_.genesis_hash && *options_.genesis_hash != *genesis) {
    return Status::WrongChain(WrongChainMessage(client_.options().base_url, *genesis, *options_.genesis_hash));
  }
  const ledger::PubKey signer = key.Public();
  Result<uint64_t> nonce = NextNonce(signer);
  if (!nonce.ok()) return nonce.status();
  ledger::TxBody body;
  body.genesis_hash = *genesis;
  body.signer = signer;
  body.nonce = *nonce;
  body.op = op;
  return ledger::SignTx(std::move(body), key);
}

Result<TxOutcome> Submitter::Submit(const ledger::Tx& tx) const {
  Result<HttpReply> r = client_.Post("/v1/tx", json{{"tx", ledger::HexEncode(ledger::Encode(tx))}});
  if (!r.ok()) return r.status();
  if (r->status == 200 && r->body.is_object()) {
    TxOutcome out;
    out.id = ledger::TxId(tx.body);
    out.state = r->body.value("status", "pending");
    out.json = std::move(r->body);
    return out;
  }
  auto [code, message] = ApiError(*r);
  // 400: the ledger's reject string; 413: too large; 503: mempool-full (a reject string too).
  if ((r->status == 400 || r->status == 413 || r->status == 503) && code.rfind("http-", 0) != 0) {
    return Status::Rejected(std::move(code), std::move(message));
  }
  return Status::Unavailable("node answered HTTP " + std::to_string(r->status) +
                             " to POST /v1/tx: " + ErrorText(*r));
}

Result<TxOutcome> Submitter::Send(const ledger::Op& op, const ledger::SecretKey& key) const {
  for (uint32_t attempt = 0;; ++attempt) {
    Result<ledger::Tx> tx = Sign(op, key);
    if (!tx.ok()) return tx.status();
    Result<TxOutcome> sent = Submit(*tx);
    // Another process of the same signer may have taken this nonce between our look-up and our
    // submission; a fresh look-up and signature fixes that. Bounded, so no livelock.
    if (!sent.ok()) {
      if (sent.status().reject() == "bad-nonce" && attempt < options_.nonce_retries) continue;
      return sent;
    }
    if (!options_.wait && sent->state != "committed") return sent;
    return Wait(sent->id);
  }
}

Result<TxOutcome> Submitter::Wait(const ledger::Hash256& id) const {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(options_.wait_timeout_ms);
  const std::string path = "/v1/tx/" + id.ToHex();
  std::string last = "not yet seen";
  for (;;) {
    Result<json> r = GetJson(client_, path);
    if (r.ok()) {
      const std::string state = r->value("status", "");
      if (state == "committed") {
        TxOutcome out;
        out.id = id;
        out.state = state;
        out.height = r->value("height", uint64_t{0});
        out.json = std::move(*r);
        return out;
      }
      if (state == "rejected") {
        const json reject = r->value("reject", json::object());
        return Status::Rejected(reject.value("code", "rejected"), reject.value("message", ""));
      }
      last = state;
    } else if (r.status().IsNotFound()) {
      last = "unknown to the node";  // e.g. dropped from the mempool; it may also be in flight
    } else if (!r.status().IsUnavailable() || Clock::now() >= deadline) {
      return r.status();
    } else {
      last = r.status().message();
    }
    if (Clock::now() >= deadline) {
      return Status::Timeout(
          "transaction " + id.ToHex() + " not committed after " +
          std::to_string(options_.wait_timeout_ms / 1000) + " s (last seen: " + last +
          "); it may still commit: check with `circuledger show tx " + id.ToHex() + "`");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.poll_interval_ms));
  }
}

}  // namespace circuledger::wallet

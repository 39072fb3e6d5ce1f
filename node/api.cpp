#include "node/api.h"

#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

#include "consensus/encoding.h"
#include "contracts/facts.h"
#include "contracts/time.h"
#include "ledger/encoding.h"
#include "node/json_views.h"
#include "node/rules_views.h"
#include "node/trace.h"

namespace circuledger::node {

using namespace circuledger::ledger;
using network::HttpRequest;
using network::HttpResponse;
using network::JsonError;
using nlohmann::json;

namespace {

HttpResponse Ok(const json& j) { return HttpResponse{200, "application/json", j.dump()}; }

// The hex of a POST /v1/tx body written the common way, {"tx":"<hex digits>"} with any JSON
// whitespace around the tokens; nullopt for anything else, which then goes through the full JSON
// parser. Both give the same answer for the same body: the digits need no unescaping. The JSON
// parser copied a submitted transaction's kilobyte of hex character by character.
std::optional<std::string_view> PlainTxHex(std::string_view body) {
  size_t i = 0;
  auto skip_space = [&] {
    while (i < body.size() && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r')) ++i;
  };
  auto take = [&](std::string_view token) {
    skip_space();
    if (body.substr(i, token.size()) != token) return false;
    i += token.size();
    return true;
  };
  if (!take("{") || !take("\"tx\"") || !take(":") || !take("\"")) return std::nullopt;
  const size_t start = i;
  while (i < body.size() && std::isxdigit(static_cast<unsigned char>(body[i]))) ++i;
  const std::string_view hex = body.substr(start, i - start);
  if (i == body.size() || body[i] != '"') return std::nullopt;  // the string goes on: not plain
  ++i;
  if (!take("}")) return std::nullopt;
  skip_space();
  if (i != body.size()) return std::nullopt;
  return hex;
}
HttpResponse NotFound(const std::string& what) { return JsonError(404, "not-found", what); }

// Splits "/a/b%2Fc/d" into decoded segments; nullopt on a bad escape.
std::optional<std::vector<std::string>> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    auto seg = network::PercentDecode(path.substr(pos, next - pos));
    if (!seg) return std::nullopt;
    out.push_back(std::move(*seg));
    pos = next + 1;
  }
  return out;
}

// Query parameters "a=1&b=2" (values percent-decoded); nullopt on a bad escape.
std::optional<std::map<std::string, std::string>> Query(std::string_view q) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos < q.size()) {
    size_t amp = q.find('&', pos);
    if (amp == std::string_view::npos) amp = q.size();
    const std::string_view kv = q.substr(pos, amp - pos);
    const size_t eq = kv.find('=');
    auto k = network::PercentDecode(kv.substr(0, eq));
    auto v = network::PercentDecode(eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1));
    if (!k || !v) return std::nullopt;
    out[*k] = *v;
    pos = amp + 1;
  }
  return out;
}

bool ParseU32(const std::string& s, uint32_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

HttpResponse RejectResponse(const Status& s) {
  if (s.IsCorruption() || s.IsIoError()) return JsonError(500, "storage", s.detail());
  const bool busy = s.reason() == Reject::kMempoolFull || s.reason() == Reject::kMempoolAccountFull ||
                    s.reason() == Reject::kMempoolOrgFull;
  const unsigned code = busy ? 503 : 400;
  return JsonError(code, s.RejectString(), s.detail().empty() ? s.RejectString() : s.detail());
}

// A JSON string literal: quotes, backslashes and control characters escaped.
void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[(c >> 4) & 0xf];
      out += kHex[c & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

const char* StateName(TxStatus::State s) {
  switch (s) {
    case TxStatus::State::kPending: return "pending";
    case TxStatus::State::kCommitted: return "committed";
    case TxStatus::State::kRejected: return "rejected";
    case TxStatus::State::kUnknown: return "unknown";
  }
  return "unknown";
}

}  // namespace

HttpResponse Api::Handle(const HttpRequest& req) {
  const std::string_view target = req.target;
  const size_t qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  const std::string query = qmark == std::string_view::npos ? "" : std::string(target.substr(qmark + 1));
  if (path == "/metrics") {
    if (req.method != "GET") return JsonError(405, "method-not-allowed", "use GET");
    return HttpResponse{200, "text/plain; version=0.0.4", node_.metrics().Render(node_.store().Tip().height,
                                                                                 node_.mempool().Size(),
                                                                                 node_.signatures_verified())};
  }
  auto segs = Segments(path);
  if (!segs) return JsonError(400, "bad-path", "malformed percent-encoding in path");
  const std::vector<std::string>& s = *segs;
  if (s.size() < 2 || s[0] != "v1") return NotFound("no route " + std::string(path));
  const bool get = req.method == "GET";
  const std::string& res = s[1];
  try {
    if (res == "tx" && s.size() == 2) {
      if (req.method != "POST") return JsonError(405, "method-not-allowed", "use POST");
      return PostTx(req);
    }
    const bool known = (res == "tx" && s.size() == 3) || (res == "blocks" && s.size() == 3) ||
                       (res == "accounts" && s.size() == 3) || (res == "orgs" && s.size() == 3) ||
                       ((res == "lots" || res == "products") && (s.size() == 3 || (s.size() == 4 && s[3] == "trace"))) ||
                       (res == "products" && s.size() == 4 && s[3] == "compliance") ||
                       (res == "rules" && (s.size() == 2 || s.size() == 3)) ||
                       (res == "recycling" && s.size() == 3) || (res == "status" && s.size() == 2) ||
                       (res == "params" && s.size() == 2) ||
                       (res == "peers" && s.size() == 2);
    if (!known) return NotFound("no route " + std::string(path));
    if (!get) return JsonError(405, "method-not-allowed", "use GET");
    if (res == "tx") return GetTx(s[2]);
    if (res == "blocks") return GetBlock(s[2], query);
    if (res == "accounts") return GetAccount(s[2]);
    if (res == "orgs") return GetOrg(s[2]);
    if (res == "recycling") return GetRecycling(s[2]);
    if (res == "status") return GetStatus();
    if (res == "params") return GetParams();
    if (res == "peers") return GetPeers();
    if (res == "rules") return GetRules(s.size() == 3 ? &s[2] : nullptr, query);
    if (s.size() == 4 && s[3] == "compliance") return GetCompliance(s[2], query);
    if (s.size() == 4) return GetTrace(res == "lots", s[2], query);
    return GetItem(res == "lots", s[2]);
  } catch (const StorageError& e) {
    return JsonError(500, "storage", e.what());
  }
}

HttpResponse Api::PostTx(const HttpRequest& req) {
  auto submit = [&](std::string_view hex) {
    SubmitResult r = node_.Submit(hex);
    if (!r.status.ok()) return RejectResponse(r.status);
    return Ok({{"id", r.id.ToHex()}, {"status", StateName(r.state)}});
  };
  if (std::optional<std::string_view> hex = PlainTxHex(req.body)) return submit(*hex);
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return JsonError(400, "bad-json", "body must be a JSON object");
  auto it = body.find("tx");
  if (it == body.end() || !it->is_string()) return JsonError(400, "bad-json", "field \"tx\" (hex string) missing");
  return submit(it->get_ref<const std::string&>());
}

HttpResponse Api::GetTx(const std::string& id_hex) {
  auto id = Hash256::FromHex(id_hex);
  if (!id) return JsonError(400, "bad-hex", "a tx id is 64 hex digits");
  const TxStatus st = node_.StatusOf(*id);
  if (st.state == TxStatus::State::kUnknown) return NotFound("unknown transaction " + id_hex);
  json j = {{"id", id_hex}, {"status", StateName(st.state)}};
  if (st.state == TxStatus::State::kCommitted) {
    j["height"] = st.height;
    j["index"] = st.index;
    Result<std::shared_ptr<const DecodedBlock>> block = recent_.Get(st.height);
    if (!block.ok()) return JsonError(500, "storage", block.status().ToString());
    j["tx"] = TxJson((*block)->block.txs.at(st.index), *id);
    j["time_ms"] = (*block)->block.header.time_ms;
  } else if (st.state == TxStatus::State::kRejected) {
    j["reject"] = {{"code", st.reject.RejectString()}, {"message", st.reject.detail()}};
  }
  return Ok(j);
}

HttpResponse Api::GetBlock(const std::string& which, const std::string& query) {
  auto q = Query(query);
  if (!q) return JsonError(400, "bad-query", "malformed percent-encoding in query");
  bool ids_only = false;  // ?txs=ids: the transactions' ids instead of their contents
  for (const auto& [k, v] : *q) {
    if (k != "txs") return JsonError(400, "bad-query", "unknown parameter " + k);
    if (v != "full" && v != "ids") return JsonError(400, "bad-query", "txs is full or ids");
    ids_only = v == "ids";
  }
  uint64_t height = 0;
  if (which == "latest") {
    height = node_.store().Tip().height;
  } else {
    auto [p, ec] = std::from_chars(which.data(), which.data() + which.size(), height);
    if (ec != std::errc() || p != which.data() + which.size()) return JsonError(400, "bad-height", "height must be a number");
  }
  if (height == 0) {
    return Ok({{"height", 0}, {"genesis_hash", GenesisHash(node_.genesis()).ToHex()},
               {"chain_id", node_.genesis().chain_id}, {"time_ms", node_.genesis().genesis_time_ms}});
  }
  Result<std::shared_ptr<const DecodedBlock>> decoded = recent_.Get(height);
  if (!decoded.ok()) {
    return decoded.status().IsNotFound() ? NotFound("no block at height " + which)
                                         : JsonError(500, "storage", decoded.status().ToString());
  }
  const Block& block = (*decoded)->block;
  json out = {{"header", HeaderJson(block.header)}, {"hash", BlockHash(block.header).ToHex()}};
  json txs = json::array();
  json tx_sigs = json::array();  // ?txs=ids: with the ids, the tx root is recomputed (ENCODING.md 7)
  for (size_t i = 0; i < block.txs.size(); ++i) {
    const Hash256& id = (*decoded)->tx_ids[i];
    txs.push_back(ids_only ? json(id.ToHex()) : TxJson(block.txs[i], id));
    if (ids_only) tx_sigs.push_back(block.txs[i].sig.ToHex());
  }
  out[ids_only ? "tx_ids" : "txs"] = std::move(txs);
  if (ids_only) out["tx_signatures"] = std::move(tx_sigs);
  // The commit certificate: the precommits that made the block final (consensus/encoding.h), so
  // a client can check finality against the validator set without trusting this node.
  Result<std::string> cert_bytes = node_.store().ReadCertificate(height);
  if (cert_bytes.ok()) {
    Result<consensus::CommitCertificate> cert = consensus::DecodeCertificate(*cert_bytes);
    if (!cert.ok()) return JsonError(500, "storage", "certificate of block " + which + ": " + cert.status().ToString());
    json sigs = json::array();
    for (const consensus::CommitSig& cs : cert->signatures) {
      sigs.push_back({{"validator", cs.validator.ToHex()}, {"signature", cs.signature.ToHex()}});
    }
    out["certificate"] = {{"height", cert->height},         {"round", cert->round},
                          {"block_hash", cert->value_id.ToHex()}, {"signatures", sigs},
                          {"hex", HexEncode(*cert_bytes)}};
  } else if (!cert_bytes.status().IsNotFound()) {
    return JsonError(500, "storage", cert_bytes.status().ToString());
  }
  return Ok(out);
}

HttpResponse Api::GetAccount(const std::string& key_hex) {
  auto key = PubKey::FromHex(key_hex);
  if (!key) return JsonError(400, "bad-hex", "an account key is 64 hex digits");
  WorkingState st(node_.store());
  const Account* a = st.GetAccount(*key);
  if (!a) return NotFound("unknown account " + key_hex);
  return Ok({{"key", key_hex},
             {"org", a->org},
             {"next_nonce", a->next_nonce},
             {"pending_nonce", std::max(a->next_nonce, node_.PendingNonce(*key))},
             {"pending_txs", node_.mempool().PendingCount(*key)},
             {"revoked", a->revoked != 0}});
}

HttpResponse Api::GetParams() {
  WorkingState st(node_.store());
  return Ok(ParamsJson(st.GetParams()));
}

HttpResponse Api::GetOrg(const std::string& id) {
  WorkingState st(node_.store());
  const Org* o = st.GetOrg(id);
  if (!o) return NotFound("unknown org " + id);
  return Ok(OrgJson(*o));
}

HttpResponse Api::GetItem(bool lot, const std::string& id) {
  WorkingState st(node_.store());
  if (lot) {
    const Lot* l = st.GetLot(id);
    return l ? Ok(LotJson(*l)) : NotFound("unknown lot " + id);
  }
  const Product* p = st.GetProduct(id);
  return p ? Ok(ProductJson(*p)) : NotFound("unknown product " + id);
}

HttpResponse Api::GetRecycling(const std::string& tx_hex) {
  auto tx = Hash256::FromHex(tx_hex);
  if (!tx) return JsonError(400, "bad-hex", "a tx id is 64 hex digits");
  WorkingState st(node_.store());
  const RecyclingRecord* r = st.GetRecycling(*tx);
  return r ? Ok(RecyclingJson(*r)) : NotFound("no recycling record for tx " + tx_hex);
}

HttpResponse Api::GetCompliance(const std::string& id, const std::string& query) {
  auto q = Query(query);
  if (!q) return JsonError(400, "bad-query", "malformed percent-encoding in query");
  uint64_t at = node_.store().Tip().time_ms;
  for (const auto& [k, v] : *q) {
    if (k != "at") return JsonError(400, "bad-query", "unknown parameter " + k);
    std::optional<uint64_t> parsed = contracts::ParseUtc(v);
    if (!parsed) {
      uint64_t ms = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
      if (ec != std::errc() || p != v.data() + v.size()) {
        return JsonError(400, "bad-query", "at is ms since the epoch, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
      }
      parsed = ms;
    }
    at = *parsed;
  }
  WorkingState st(node_.store());
  const Product* p = st.GetProduct(id);
  if (!p) return NotFound("unknown product " + id);
  const Product product = *p;
  return Ok(ComplianceJson(product, at, ExplainCompliance(st, product, at)));
}

HttpResponse Api::GetRules(const std::string* id, const std::string& query) {
  WorkingState st(node_.store());
  const RuleIndex* index = st.GetRuleIndex();
  if (!id) return Ok(RuleIndexJson(index ? *index : RuleIndex{}));
  auto q = Query(query);
  if (!q) return JsonError(400, "bad-query", "malformed percent-encoding in query");
  uint32_t version = 0;  // 0: the latest
  for (const auto& [k, v] : *q) {
    if (k != "version" || !ParseU32(v, &version)) return JsonError(400, "bad-query", "version=N is the only parameter");
  }
  if (version == 0 && index) {
    for (const RuleSetRef& e : index->entries) {
      if (e.id == *id) version = std::max(version, e.version);
    }
  }
  const RuleSetRecord* r = version == 0 ? nullptr : st.GetRuleSet(*id, version);
  return r ? Ok(RuleSetJson(*r)) : NotFound("unknown rule set " + *id);
}

HttpResponse Api::GetTrace(bool lot, const std::string& id, const std::string& query) {
  auto q = Query(query);
  if (!q) return JsonError(400, "bad-query", "malformed percent-encoding in query");
  TraceOptions o;
  for (const auto& [k, v] : *q) {
    if (k == "direction") {
      if (v != "backward" && v != "forward") return JsonError(400, "bad-query", "direction is backward or forward");
      o.backward = v == "backward";
    } else if (k == "depth") {
      if (!ParseU32(v, &o.depth) || o.depth > kMaxTraceDepth) {
        return JsonError(400, "bad-query", "depth is 0.." + std::to_string(kMaxTraceDepth));
      }
    } else if (k == "offset") {
      if (!ParseU32(v, &o.offset)) return JsonError(400, "bad-query", "offset is a number");
    } else if (k == "limit") {
      if (!ParseU32(v, &o.limit) || o.limit < 1 || o.limit > kMaxTraceLimit) {
        return JsonError(400, "bad-query", "limit is 1.." + std::to_string(kMaxTraceLimit));
      }
    } else {
      return JsonError(400, "bad-query", "unknown parameter " + k);
    }
  }
  if (Status s = CheckTraceWindow(o); !s.ok()) return JsonError(400, "bad-query", s.detail());
  WorkingState st(node_.store());
  if (lot ? !st.GetLot(id) : !st.GetProduct(id)) return NotFound(std::string(lot ? "unknown lot " : "unknown product ") + id);
  const TraceResult r = Trace(node_.store(), id, o);
  // Written straight into the body: a 1,000-node trace as a JSON DOM costs more than the walk.
  std::string out;
  out.reserve(256 + r.nodes.size() * 256);
  out += "{\"root\":";
  AppendJsonString(out, id);
  out += ",\"direction\":\"";
  out += o.backward ? "backward" : "forward";
  out += "\",\"offset\":" + std::to_string(o.offset) + ",\"limit\":" + std::to_string(o.limit);
  out += ",\"truncated\":";
  out += r.truncated ? "true" : "false";
  out += ",\"nodes\":[";
  for (size_t i = 0; i < r.nodes.size(); ++i) {
    const TraceNode& n = r.nodes[i];
    if (i) out += ',';
    out += "{\"id\":";
    AppendJsonString(out, n.id);
    out += ",\"depth\":" + std::to_string(n.depth);
    const Composition* comp = nullptr;
    if (const Lot* l = st.GetLot(n.id)) {
      out += ",\"kind\":\"lot\",\"owner\":";
      AppendJsonString(out, l->owner);
      out += ",\"status\":\"" + std::string(LotStatusName(l->status)) + "\"";
      comp = &l->composition;
    } else if (const Product* p = st.GetProduct(n.id)) {
      out += ",\"kind\":\"product\",\"owner\":";
      AppendJsonString(out, p->owner);
      out += ",\"status\":\"" + std::string(ProductStatusName(p->status)) + "\",\"category\":";
      AppendJsonString(out, p->category);
      comp = &p->composition;
    }
    if (comp) {
      out += ",\"composition\":[";
      for (size_t k = 0; k < comp->entries.size(); ++k) {
        const MaterialAmount& m = comp->entries[k];
        if (k) out += ',';
        out += "{\"material\":";
        AppendJsonString(out, m.material);
        out += ",\"total_mg\":" + std::to_string(m.total_mg) + ",\"recycled_mg\":" + std::to_string(m.recycled_mg) +
               ",\"recycled_percent\":\"" + contracts::FormatPercent2(m.recycled_mg, m.total_mg) + "\"}";
      }
      out += ']';
    }
    out += '}';
  }
  out += "],\"edges\":[";
  for (size_t i = 0; i < r.edges.size(); ++i) {
    if (i) out += ',';
    out += "{\"from\":";
    AppendJsonString(out, r.edges[i].parent);
    out += ",\"to\":";
    AppendJsonString(out, r.edges[i].child);
    out += '}';
  }
  out += "]}";
  return HttpResponse{200, "application/json", std::move(out)};
}

HttpResponse Api::GetStatus() {
  const ChainTip tip = node_.store().Tip();
  const ConsensusStatus c = node_.consensus_status();
  const json consensus = {{"height", c.height},         {"round", c.round},          {"step", c.step},
                          {"validator", c.validator},   {"validators", c.validators}, {"peers", c.peers},
                          {"p2p_port", node_.p2p_port()}, {"synced_blocks", c.synced_blocks},
                          {"banned_peers", c.banned_peers}};
  return Ok({{"chain_id", node_.genesis().chain_id},
             {"height", tip.height},
             {"block_hash", tip.block_hash.ToHex()},
             {"state_root", tip.state_root.ToHex()},
             {"time_ms", tip.time_ms},
             {"mempool_size", node_.mempool().Size()},
             {"node_key", node_.node_key().ToHex()},
             {"genesis_hash", GenesisHash(node_.genesis()).ToHex()},
             {"consensus", consensus}});
}

// What an operator (or a test) needs to see who this node talks to and whom it shut out and why:
// the reasons are network/reasons.h's stable strings.
HttpResponse Api::GetPeers() {
  json peers = json::array();
  for (const network::PeerInfo& p : node_.peers()) {
    peers.push_back({{"key", p.key.ToHex()},
                     {"address", p.address},
                     {"direction", p.outbound ? "outbound" : "inbound"},
                     {"queued_frames", p.queued_frames},
                     {"queued_bytes", p.queued_bytes},
                     {"dropped_frames", p.dropped_frames}});
  }
  json events = json::array();
  for (const network::PeerEvent& e : node_.peer_events()) {
    events.push_back({{"address", e.address},
                      {"key", e.key ? json(e.key->ToHex()) : json(nullptr)},
                      {"authenticated", e.authenticated},
                      {"reason", std::string(network::ReasonString(e.reason))},
                      {"banned", e.banned}, {"repeats", e.repeats}});
  }
  return Ok({{"peers", std::move(peers)}, {"events", std::move(events)}});
}

}  // namespace circuledger::node

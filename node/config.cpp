#include "node/config.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ledger/types.h"
#include "node/limits.h"

namespace circuledger::node {

using ledger::Result;
using ledger::Status;
using nlohmann::json;

namespace {

// Visits every field with its JSON name: one list serves parsing and writing.
template <class Config_, class F>
void Fields(Config_& c, F&& f) {
  f("genesis_file", c.genesis_file);
  f("node_key_file", c.node_key_file);
  f("data_dir", c.data_dir);
  f("http_listen", c.http_listen);
  f("http_threads", c.http_threads);
  f("http_max_body_bytes", c.http_max_body_bytes);
  f("http_max_connections", c.http_max_connections);
  f("http_timeout_ms", c.http_timeout_ms);
  f("mempool_max_txs", c.mempool_max_txs);
  f("mempool_max_per_account", c.mempool_max_per_account);
  f("mempool_max_per_org", c.mempool_max_per_org);
  f("mempool_nonce_window", c.mempool_nonce_window);
  f("mempool_expiry_ms", c.mempool_expiry_ms);
  f("block_min_interval_ms", c.block_min_interval_ms);
  f("block_max_txs", c.block_max_txs);
  f("verify_threads", c.verify_threads);
  f("clock_offset_ms", c.clock_offset_ms);
  f("sync_writes", c.sync_writes);
  f("log_level", c.log_level);
  f("p2p_listen", c.p2p_listen);
  f("peers", c.peers);
  f("peer_keys", c.peer_keys);
  f("wal_file", c.wal_file);
  f("create_empty_blocks", c.create_empty_blocks);
  f("empty_block_interval_ms", c.empty_block_interval_ms);
  f("sync_batch_blocks", c.sync_batch_blocks);
}

template <class T>
void Read(const json& j, const char* name, T& out) {
  if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    if (!j.is_array()) throw std::invalid_argument(std::string(name) + ": expected an array of strings");
    out.clear();
    for (const json& e : j) {
      if (!e.is_string()) throw std::invalid_argument(std::string(name) + ": expected an array of strings");
      out.push_back(e.get<std::string>());
    }
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) throw std::invalid_argument(std::string(name) + ": expected a string");
    out = j.get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) throw std::invalid_argument(std::string(name) + ": expected true or false");
    out = j.get<bool>();
  } else if constexpr (std::is_signed_v<T>) {
    if (!j.is_number_integer()) throw std::invalid_argument(std::string(name) + ": expected an integer");
    out = j.get<T>();
  } else {
    if (!j.is_number_unsigned()) throw std::invalid_argument(std::string(name) + ": expected a non-negative integer");
    const uint64_t v = j.get<uint64_t>();
    if (v > std::numeric_limits<T>::max()) throw std::invalid_argument(std::string(name) + ": too large");
    out = static_cast<T>(v);
  }
}

Status Check(const Config& c) {
  std::string host;
  uint16_t port = 0;
  if (Status s = SplitHostPort(c.http_listen, &host, &port); !s.ok()) return s;
  if (c.http_threads < 1 || c.http_threads > 64) return Status::InvalidArgument("config: http_threads must be 1..64");
  if (c.http_max_body_bytes < 1024) return Status::InvalidArgument("config: http_max_body_bytes must be at least 1024");
  if (c.http_max_connections < 1) return Status::InvalidArgument("config: http_max_connections must be at least 1");
  if (c.http_timeout_ms < 100) return Status::InvalidArgument("config: http_timeout_ms must be at least 100");
  if (c.mempool_max_txs < 1 || c.mempool_max_txs > limits::kMaxMempoolMaxTxs) {
    return Status::InvalidArgument("config: mempool_max_txs must be 1.." + std::to_string(limits::kMaxMempoolMaxTxs));
  }
  if (c.mempool_max_per_account < 1 || c.mempool_max_per_org < 1) {
    return Status::InvalidArgument("config: mempool_max_per_account and mempool_max_per_org must be at least 1");
  }
  if (c.mempool_nonce_window < 1 || c.mempool_nonce_window > limits::kMaxMempoolNonceWindow) {
    return Status::InvalidArgument("config: mempool_nonce_window must be 1.." +
                                   std::to_string(limits::kMaxMempoolNonceWindow));
  }
  if (c.mempool_expiry_ms < limits::kMinMempoolExpiryMs || c.mempool_expiry_ms > limits::kMaxMempoolExpiryMs) {
    return Status::InvalidArgument("config: mempool_expiry_ms must be " + std::to_string(limits::kMinMempoolExpiryMs) +
                                   ".." + std::to_string(limits::kMaxMempoolExpiryMs));
  }
  if (!c.p2p_listen.empty()) {
    if (Status s = SplitHostPort(c.p2p_listen, &host, &port); !s.ok()) return Status::InvalidArgument("config: p2p_listen: " + s.detail());
  }
  for (const std::string& peer : c.peers) {
    if (Status s = SplitHostPort(peer, &host, &port); !s.ok()) return Status::InvalidArgument("config: peers: " + s.detail());
  }
  for (const std::string& key : c.peer_keys) {
    auto raw = ledger::HexDecode(key);
    if (!raw || raw->size() != 32) return Status::InvalidArgument("config: peer_keys: '" + key + "' is not 64 hex digits");
  }
  if (c.wal_file.empty()) return Status::InvalidArgument("config: wal_file must not be empty");
  if (c.empty_block_interval_ms < 10) return Status::InvalidArgument("config: empty_block_interval_ms must be at least 10");
  if (c.sync_batch_blocks < 1 || c.sync_batch_blocks > 64) return Status::InvalidArgument("config: sync_batch_blocks must be 1..64 (network limit)");
  if (c.block_max_txs < 1) return Status::InvalidArgument("config: block_max_txs must be at least 1");
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error") {
    return Status::InvalidArgument("config: log_level must be debug, info, warn or error");
  }
  return Status::Ok();
}

}  // namespace

Status SplitHostPort(const std::string& address, std::string* host, uint16_t* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return Status::InvalidArgument("address must be host:port, got '" + address + "'");
  }
  const std::string p = address.substr(colon + 1);
  if (p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument("bad port in '" + address + "'");
  }
  const unsigned long v = std::stoul(p);
  if (v > 65535) return Status::InvalidArgument("bad port in '" + address + "'");
  *host = address.substr(0, colon);
  *port = static_cast<uint16_t>(v);
  return Status::Ok();
}

Result<Config> ParseConfig(std::string_view text) {
  Config c;
  try {
    const json j = json::parse(text);
    if (!j.is_object()) return Status::InvalidArgument("config: expected a JSON object");
    size_t known = 0;
    Fields(c, [&](const char* name, auto& field) {
      auto it = j.find(name);
      if (it == j.end()) return;
      ++known;
      Read(*it, name, field);
    });
    if (known != j.size()) {
      for (auto it = j.begin(); it != j.end(); ++it) {
        bool found = false;
        Fields(c, [&](const char* name, auto&) { found = found || it.key() == name; });
        if (!found) return Status::InvalidArgument("config: unknown field '" + it.key() + "'");
      }
    }
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("config: ") + e.what());
  }
  if (Status s = Check(c); !s.ok()) return s;
  return c;
}

Result<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str());
}

std::string ConfigToJson(const Config& config) {
  json j = json::object();
  Config copy = config;
  Fields(copy, [&](const char* name, auto& field) { j[name] = field; });
  return j.dump(2) + "\n";
}

}  // namespace circuledger::node

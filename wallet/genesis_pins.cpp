#include "wallet/genesis_pins.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ledger/crypto.h"
#include "wallet/builder.h"
#include "wallet/client.h"
#include "wallet/detail/private_file.h"

namespace circuledger::wallet {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kPinsFile = "genesis.pins";

Status Corrupt(const std::string& path, const std::string& why) {
  return Status::KeystoreIo("genesis pins file " + path + " is not valid (" + why +
                            "); fix or remove it, then pin again with `circuledger node trust`");
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Creates every missing directory of `dir` with mode 0700.
Status MakePrivateDirs(const fs::path& dir) {
  fs::path prefix;
  for (const fs::path& part : dir) {
    prefix /= part;
    if (prefix.empty() || prefix == prefix.root_path()) continue;
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::KeystoreIo("cannot create directory " + prefix.string() + ": " + std::strerror(errno));
    }
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::KeystoreIo(dir.string() + " is not a directory");
  return Status::Ok();
}

// Replaces `path` by `content` atomically: a new 0600 temporary file beside it, fsync, rename
// over the old one, fsync of the directory (so the rename itself survives a crash).
Status ReplaceFile(const fs::path& path, const std::string& content) {
  Result<fs::path> tmp = detail::WriteTempPrivateFile(path, content);
  if (!tmp.ok()) return tmp.status();
  if (::rename(tmp->c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp->c_str());
    return Status::KeystoreIo("cannot write " + path.string() + ": " + std::strerror(err));
  }
  return detail::SyncParentDir(path);
}

}  // namespace

Result<std::string> NodeUrlKey(std::string_view node_url) {
  Result<BaseUrl> url = ParseBaseUrl(node_url);
  if (!url.ok()) return url.status();
  // Host names are case-insensitive (RFC 3986 3.2.2); the prefix is a path and is kept as it is.
  const std::string host = Lower(url->host);
  const bool ipv6 = host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + url->port + url->prefix;
}

GenesisPins::GenesisPins(std::string dir) : dir_(std::move(dir)), path_((fs::path(dir_) / kPinsFile).string()) {}

Result<std::map<std::string, ledger::Hash256>> GenesisPins::All() const {
  std::map<std::string, ledger::Hash256> pins;
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(path_, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::KeystoreIo("cannot read " + path_ + ": " + ec.message());
  }
  if (!fs::exists(st)) return pins;
  if (!fs::is_regular_file(st)) return Corrupt(path_, "not a regular file");
  const uintmax_t size = fs::file_size(path_, ec);
  if (ec) return Status::KeystoreIo("cannot read " + path_ + ": " + ec.message());
  if (size > kGenesisPinsMaxFileBytes) return Corrupt(path_, "over " + std::to_string(kGenesisPinsMaxFileBytes) + " bytes");
  std::ifstream in(path_, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return Status::KeystoreIo("cannot read " + path_);
  const json doc = json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Corrupt(path_, "not a JSON object");
  auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_unsigned() || version->get<uint64_t>() != 1) {
    return Corrupt(path_, "version is not 1");
  }
  auto entries = doc.find("pins");
  if (entries == doc.end() || !entries->is_object()) return Corrupt(path_, "no \"pins\" object");
  if (entries->size() > kGenesisPinsMaxEntries) return Corrupt(path_, "too many pins");
  for (auto it = entries->begin(); it != entries->end(); ++it) {
    std::optional<ledger::Hash256> hash;
    if (it.value().is_string()) hash = ledger::Hash256::FromHex(it.value().get<std::string>());
    if (!hash) return Corrupt(path_, "the pin of " + it.key() + " is not 64 hex digits");
    Result<std::string> key = NodeUrlKey(it.key());
    if (!key.ok() || *key != it.key()) return Corrupt(path_, "\"" + it.key() + "\" is not a canonical node URL");
    pins.emplace(it.key(), *hash);
  }
  return pins;
}

Result<std::optional<ledger::Hash256>> GenesisPins::Get(std::string_view node_url) const {
  Result<std::string> key = NodeUrlKey(node_url);
  if (!key.ok()) return key.status();
  Result<std::map<std::string, ledger::Hash256>> pins = All();
  if (!pins.ok()) return pins.status();
  auto it = pins->find(*key);
  if (it == pins->end()) return std::optional<ledger::Hash256>();
  return std::optional<ledger::Hash256>(it->second);
}

Status GenesisPins::Set(std::string_view node_url, const ledger::Hash256& genesis_hash) const {
  Result<std::string> key = NodeUrlKey(node_url);
  if (!key.ok()) return key.status();
  Result<std::map<std::string, ledger::Hash256>> pins = All();
  if (!pins.ok()) return pins.status();
  (*pins)[*key] = genesis_hash;
  if (pins->size() > kGenesisPinsMaxEntries) {
    return Status::InvalidArgument("the genesis pins file already holds " + std::to_string(kGenesisPinsMaxEntries) +
                                   " node URLs");
  }
  return Write(*pins);
}

Status GenesisPins::Write(const std::map<std::string, ledger::Hash256>& pins) const {
  if (Status s = MakePrivateDirs(dir_); !s.ok()) return s;
  json entries = json::object();
  for (const auto& [url, hash] : pins) entries[url] = hash.ToHex();
  const json doc = {{"version", 1}, {"pins", std::move(entries)}};
  return ReplaceFile(path_, doc.dump(2) + "\n");
}

Result<ledger::Hash256> NodeGenesisHash(const Client& client) { return Submitter(client, SubmitOptions{}).GenesisHash(); }

Result<ledger::Hash256> TrustedGenesisHash(const Client& client, const GenesisPins& pins, std::string_view node_url,
                                           bool* pinned_now) {
  if (pinned_now) *pinned_now = false;
  Result<std::string> key = NodeUrlKey(node_url);
  if (!key.ok()) return key.status();
  Result<std::optional<ledger::Hash256>> pinned = pins.Get(*key);
  if (!pinned.ok()) return pinned.status();
  Result<ledger::Hash256> presented = NodeGenesisHash(client);
  if (!presented.ok()) return presented.status();
  if (*pinned) {
    if (**pinned == *presented) return *presented;
    return Status::WrongChain(WrongChainMessage(*key, *presented, **pinned));
  }
  if (Status s = pins.Set(*key, *presented); !s.ok()) return s;
  if (pinned_now) *pinned_now = true;
  return *presented;
}

std::string WrongChainMessage(std::string_view node_url, const ledger::Hash256& presented, const ledger::Hash256& pinned) {
  return "the node at " + std::string(node_url) + " presents genesis hash " + presented.ToHex() + ", but " +
         pinned.ToHex() +
         " is pinned for it: it serves another chain (or was relaunched). Nothing was signed. If the chain was "
         "relaunched on purpose, confirm the new hash with its operators and run: circuledger node trust "
         "--genesis-hash " +
         presented.ToHex();
}

}  // namespace circuledger::wallet

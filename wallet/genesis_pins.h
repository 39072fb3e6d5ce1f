// wallet/genesis_pins.h: the chain each node URL is trusted to serve, pinned by genesis hash.
//
// Transactions sign the genesis hash of their chain (ledger/tx.h). The wallet learns it from the
// node (GET /v1/status) over plain HTTP, so it pins what a node presents on first use and from
// then on refuses a node URL that presents another: a lying or replaced node cannot get
// signatures for another chain (for example a chain relaunched under the same chain id). Pins
// are replaced only on purpose (`circuledger node trust --genesis-hash HEX`).
//
// The pins live in one small file of the keystore directory, DIR/genesis.pins (no .json
// extension, so Keystore::List never takes it for a key):
//   {"version":1,"pins":{"http://127.0.0.1:8645":"<64 hex digits>", ...}}
// keyed by the node URL in canonical form (NodeUrlKey). The file is replaced atomically (a
// temporary 0600 file, fsync, rename, fsync of the directory), so a crash leaves the old or the
// new pins, never a torn file. Two processes pinning different URLs at the same moment may lose
// one of the two new pins (read-modify-write without a lock); it is pinned again on next use.
// A GenesisPins holds only its path: calls are independent and may run from several threads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/types.h"
#include "wallet/status.h"

namespace circuledger::wallet {

constexpr size_t kGenesisPinsMaxFileBytes = 1 << 20;  // a file over this is refused as corrupt
constexpr size_t kGenesisPinsMaxEntries = 4096;

// The canonical form of a node URL, the key of its pin: "http://host:port/prefix" with the
// default port written out ("http://localhost" and "http://localhost:80/" are one node).
// InvalidArgument when the URL does not parse (wallet/client.h ParseBaseUrl).
Result<std::string> NodeUrlKey(std::string_view node_url);

class GenesisPins {
 public:
  // `dir`: the keystore directory. Nothing is read or written here.
  explicit GenesisPins(std::string dir);

  const std::string& path() const { return path_; }

  // The pinned genesis hash of a node URL (nullopt: none yet). KeystoreIo when the file cannot
  // be read or is not a valid pins file (never silently ignored: that would re-pin on first
  // use whatever the node says).
  Result<std::optional<ledger::Hash256>> Get(std::string_view node_url) const;
  // Every pin, by canonical URL. Errors as Get.
  Result<std::map<std::string, ledger::Hash256>> All() const;
  // Pins (or re-pins) `genesis_hash` for the node URL and writes the file atomically, creating
  // the directory (0700) when missing. KeystoreIo on a file error, InvalidArgument for a bad
  // URL or when the file is full (kGenesisPinsMaxEntries).
  Status Set(std::string_view node_url, const ledger::Hash256& genesis_hash) const;

 private:
  Status Write(const std::map<std::string, ledger::Hash256>& pins) const;

  std::string dir_;
  std::string path_;
};

class Client;

// The WrongChain message for a node URL that presents `presented` where `pinned` is pinned.
std::string WrongChainMessage(std::string_view node_url, const ledger::Hash256& presented, const ledger::Hash256& pinned);

// The genesis hash the node presents (GET /v1/status, field genesis_hash). Unavailable when the
// node cannot be reached or its answer has no valid genesis_hash.
Result<ledger::Hash256> NodeGenesisHash(const Client& client);

// The genesis hash to sign for at `node_url` (served by `client`):
//  - pinned, and the node presents the same: that hash;
//  - pinned, and the node presents another: WrongChain naming both hashes and the command that
//    replaces the pin on purpose; nothing is changed;
//  - not pinned yet: the hash the node presents, pinned now (trust on first use), with
//    *pinned_now set to true.
// Other errors: those of NodeGenesisHash and GenesisPins.
Result<ledger::Hash256> TrustedGenesisHash(const Client& client, const GenesisPins& pins, std::string_view node_url,
                                           bool* pinned_now = nullptr);

}  // namespace circuledger::wallet

// wallet/keystore.h: a directory of password-encrypted BIP-340 secret keys.
//
// One file per key, DIR/NAME.json (wallet/README.md has the format):
//   {"version":1,"name":NAME,"public_key":HEX,
//    "kdf":{"name":"scrypt","n":32768,"r":8,"p":1,"salt":HEX},
//    "cipher":"aes-256-gcm","nonce":HEX,"ciphertext":HEX}
// The 32-byte AES key is scrypt(password, salt, n, r, p); the ciphertext is the 32-byte secret
// key followed by the 16-byte GCM tag. The GCM associated data binds the file to its name and
// public key (see KeyFileAad), so renaming or swapping key files fails authentication instead of
// unlocking a different key under a trusted name.
//
// Files are written 0600 through a temporary file and an atomic link (an existing key is never
// overwritten); the directory is created 0700. Secrets are wiped from memory after use and never
// printed or logged. A Keystore holds only its options: calls are independent and may run from
// several threads; two processes creating the same name race safely (one gets KeyExists).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/crypto.h"
#include "wallet/status.h"

namespace circuledger::wallet {

// Bounds on scrypt parameters read from a file (wallet/README.md): a crafted file must not make
// Unlock allocate gigabytes or spin for hours (scrypt needs 128 * n * r bytes), nor unlock a key
// under a cost so low that its password can be guessed cheaply once the file leaks. Unlock,
// Show and List accept n a power of two in [kKeystoreMinScryptN, kKeystoreMaxScryptN], r in
// [kKeystoreMinScryptR, kKeystoreMaxScryptR], p in [1, kKeystoreMaxScryptP].
constexpr uint64_t kKeystoreDefaultScryptN = 32768;  // 2^15: 32 MiB, about 0.1 s
constexpr uint64_t kKeystoreMinScryptN = uint64_t{1} << 14;
constexpr uint64_t kKeystoreMaxScryptN = uint64_t{1} << 20;
constexpr uint32_t kKeystoreMinScryptR = 8;
constexpr uint32_t kKeystoreMaxScryptR = 32;
constexpr uint32_t kKeystoreMaxScryptP = 16;
constexpr uint64_t kKeystoreMaxScryptBytes = uint64_t{1} << 30;
static_assert(kKeystoreMinScryptN <= kKeystoreDefaultScryptN && kKeystoreDefaultScryptN <= kKeystoreMaxScryptN);
static_assert(128 * kKeystoreMaxScryptN * kKeystoreMinScryptR <= kKeystoreMaxScryptBytes,
              "the largest n is usable with the standard r");
constexpr size_t kKeystoreMaxFileBytes = 64 * 1024;
constexpr size_t kKeyNameMaxLen = 64;

struct KeystoreOptions {
  std::string dir;  // the keystore directory; created (0700) on first Create/Import
  // scrypt cost N for keys this Keystore creates. Default 32768. FOR TESTS ONLY may it be
  // lowered (e.g. to 1024) to keep test suites fast: a low N makes password guessing cheap.
  // Must be a power of two in [2, kKeystoreMaxScryptN]. Unlock always uses the N in the file,
  // and accepts an N down to kKeystoreMinScryptN, or down to this value when it is lower (so a
  // test keystore can read its own files; the CLI always uses the default).
  uint64_t scrypt_n = kKeystoreDefaultScryptN;
};

// The public part of a key file.
struct KeyInfo {
  std::string name;
  ledger::PubKey public_key;
  std::string path;
  uint64_t scrypt_n = 0;
};

// Names: 1..64 characters of [a-z0-9._-]. Returns InvalidArgument otherwise.
Status CheckKeyName(std::string_view name);

// The GCM associated data of a key file: "circuledger/keystore/v1", a zero byte, one length byte,
// the name, and the 32 public key bytes. Length-prefixed so that no two (name, key) pairs share
// bytes. Exposed for tests and for tools that write compatible files.
std::string KeyFileAad(std::string_view name, const ledger::PubKey& public_key);

class Keystore {
 public:
  explicit Keystore(KeystoreOptions options);

  // Generates a fresh key, encrypts it under `password` and writes NAME.json. Errors:
  // InvalidArgument (bad name, empty password, bad scrypt_n), KeyExists, KeystoreIo.
  Result<KeyInfo> Create(std::string_view name, std::string_view password) const;
  // As Create with a given secret: 64 hex digits (surrounding whitespace ignored). InvalidArgument
  // when it is not a valid secp256k1 secret key.
  Result<KeyInfo> Import(std::string_view name, std::string_view secret_hex,
                         std::string_view password) const;
  // Every key file of the directory, sorted by name. A missing directory is an empty list.
  // Files that cannot be read or parsed are skipped and named in `problems` (when not null).
  Result<std::vector<KeyInfo>> List(std::vector<std::string>* problems = nullptr) const;
  // Public information of one key: NoKey ("no key NAME"), CorruptKey, KeystoreIo. A file whose
  // scrypt parameters are outside the accepted range is CorruptKey, naming the range.
  Result<KeyInfo> Show(std::string_view name) const;
  // Decrypts a key: NoKey ("no key NAME"), WrongPassword ("wrong password for key NAME": the GCM
  // tag does not verify, which also covers a tampered or swapped file), CorruptKey ("corrupt key
  // file PATH: ..." for a file that does not parse, whose scrypt parameters are outside the
  // accepted range (checked before any key derivation), or whose secret does not match its
  // public key).
  Result<ledger::SecretKey> Unlock(std::string_view name, std::string_view password) const;

  std::string PathOf(std::string_view name) const;

 private:
  Result<KeyInfo> Write(std::string_view name, const ledger::SecretKey& key,
                        std::string_view password) const;

  KeystoreOptions options_;
};

// Overwrites a string's bytes with zeros (for passwords and hex secrets held in std::string).
void WipeString(std::string& s);

}  // namespace circuledger::wallet

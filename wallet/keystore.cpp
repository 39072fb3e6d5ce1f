#include "wallet/keystore.h"

#include <cryptopp/aes.h>
#include <cryptopp/gcm.h>
#include <cryptopp/scrypt.h>
#include <cryptopp/secblock.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "wallet/detail/private_file.h"

namespace circuledger::wallet {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr uint32_t kFileVersion = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kNonceBytes = 12;  // the GCM standard IV length
constexpr size_t kTagBytes = 16;
constexpr size_t kSecretBytes = 32;
constexpr uint32_t kDefaultR = 8;
constexpr uint32_t kDefaultP = 1;

struct KdfParams {
  uint64_t n = 0;
  uint32_t r = 0;
  uint32_t p = 0;
  std::string salt;
};

// A parsed key file, everything still encrypted.
struct KeyFile {
  KeyInfo info;
  KdfParams kdf;
  std::string nonce;
  std::string ciphertext;  // secret || tag
};

bool IsPowerOfTwo(uint64_t n) { return n >= 2 && (n & (n - 1)) == 0; }

std::string Log2Text(uint64_t n) {
  int bits = 0;
  while ((uint64_t{1} << bits) < n) ++bits;
  return "2^" + std::to_string(bits);
}

// Checks scrypt parameters: n a power of two in [min_n, kKeystoreMaxScryptN], r in [min_r,
// kKeystoreMaxScryptR], p in [1, kKeystoreMaxScryptP], memory within kKeystoreMaxScryptBytes.
// InvalidArgument naming the accepted range otherwise.
Status CheckKdf(const KdfParams& k, uint64_t min_n, uint32_t min_r) {
  if (!IsPowerOfTwo(k.n) || k.n < min_n || k.n > kKeystoreMaxScryptN) {
    return Status::InvalidArgument("scrypt n " + std::to_string(k.n) + " is not accepted: it must be a power of two in [" +
                                   Log2Text(min_n) + ", " + Log2Text(kKeystoreMaxScryptN) + "]");
  }
  if (k.r < min_r || k.r > kKeystoreMaxScryptR) {
    return Status::InvalidArgument("scrypt r " + std::to_string(k.r) + " is not accepted: it must be in [" +
                                   std::to_string(min_r) + ", " + std::to_string(kKeystoreMaxScryptR) + "]");
  }
  if (k.p < 1 || k.p > kKeystoreMaxScryptP) {
    return Status::InvalidArgument("scrypt p " + std::to_string(k.p) + " is not accepted: it must be in [1, " +
                                   std::to_string(kKeystoreMaxScryptP) + "]");
  }
  if (128 * k.n * k.r > kKeystoreMaxScryptBytes)
    return Status::InvalidArgument("scrypt parameters need more than 1 GiB of memory");
  return Status::Ok();
}

// scrypt(password, salt) -> 32-byte AES key. Parameters were checked by CheckKdf.
CryptoPP::SecByteBlock DeriveKey(std::string_view password, const KdfParams& k) {
  CryptoPP::SecByteBlock key(kSecretBytes);
  CryptoPP::Scrypt scrypt;
  scrypt.DeriveKey(key.data(), key.size(), reinterpret_cast<const CryptoPP::byte*>(password.data()),
                   password.size(), reinterpret_cast<const CryptoPP::byte*>(k.salt.data()),
                   k.salt.size(), k.n, k.r, k.p);
  return key;
}

const CryptoPP::byte* Bytes(std::string_view s) {
  return reinterpret_cast<const CryptoPP::byte*>(s.data());
}

Status Corrupt(const std::string& path, const std::string& why) {
  return Status::CorruptKey("corrupt key file " + path + ": " + why);
}

std::optional<std::string> HexField(const json& j, const char* name, size_t bytes) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  auto raw = ledger::HexDecode(it->get<std::string>());
  if (!raw || raw->size() != bytes) return std::nullopt;
  return raw;
}

template <class T>
bool UintField(const json& j, const char* name, T* out) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_unsigned()) return false;
  const uint64_t v = it->get<uint64_t>();
  if (v > std::numeric_limits<T>::max()) return false;
  *out = static_cast<T>(v);
  return true;
}

// `min_n`: the lowest scrypt n accepted (kKeystoreMinScryptN, or a test keystore's lower n).
Result<KeyFile> ParseKeyFile(const std::string& path, std::string_view expected_name,
                             const std::string& text, uint64_t min_n) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Corrupt(path, "not a JSON object");
  uint32_t version = 0;
  if (!UintField(j, "version", &version) || version != kFileVersion)
    return Corrupt(path, "unknown version");
  auto name = j.find("name");
  if (name == j.end() || !name->is_string()) return Corrupt(path, "no name");
  if (*name != expected_name)
    return Corrupt(path, "holds key \"" + name->get<std::string>() + "\", not \"" +
                             std::string(expected_name) + "\"");
  KeyFile f;
  f.info.name = std::string(expected_name);
  f.info.path = path;
  auto pub = j.find("public_key");
  std::optional<ledger::PubKey> key;
  if (pub != j.end() && pub->is_string()) key = ledger::PubKey::FromHex(pub->get<std::string>());
  if (!key) return Corrupt(path, "bad public_key");
  f.info.public_key = *key;
  auto kdf = j.find("kdf");
  if (kdf == j.end() || !kdf->is_object() || kdf->value("name", "") != "scrypt")
    return Corrupt(path, "kdf is not scrypt");
  auto salt = kdf->find("salt");
  if (salt == kdf->end() || !salt->is_string()) return Corrupt(path, "bad kdf salt");
  auto salt_raw = ledger::HexDecode(salt->get<std::string>());
  if (!salt_raw || salt_raw->size() < kSaltBytes || salt_raw->size() > 64)
    return Corrupt(path, "bad kdf salt");
  f.kdf.salt = std::move(*salt_raw);
  if (!UintField(*kdf, "n", &f.kdf.n) || !UintField(*kdf, "r", &f.kdf.r) ||
      !UintField(*kdf, "p", &f.kdf.p)) {
    return Corrupt(path, "bad kdf parameters");
  }
  if (Status s = CheckKdf(f.kdf, min_n, kKeystoreMinScryptR); !s.ok()) return Corrupt(path, s.message());
  f.info.scrypt_n = f.kdf.n;
  if (j.value("cipher", "") != "aes-256-gcm") return Corrupt(path, "cipher is not aes-256-gcm");
  auto nonce = HexField(j, "nonce", kNonceBytes);
  auto ct = HexField(j, "ciphertext", kSecretBytes + kTagBytes);
  if (!nonce || !ct) return Corrupt(path, "bad nonce or ciphertext");
  f.nonce = std::move(*nonce);
  f.ciphertext = std::move(*ct);
  return f;
}

std::string RandomString(size_t n) {
  std::string s(n, '\0');
  ledger::RandomBytes(reinterpret_cast<uint8_t*>(s.data()), n);
  return s;
}

// Creates every missing directory of `dir` with mode 0700.
Status MakePrivateDirs(const fs::path& dir) {
  fs::path prefix;
  for (const fs::path& part : dir) {
    prefix /= part;
    if (prefix.empty() || prefix == prefix.root_path()) continue;
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::KeystoreIo("cannot create directory " + prefix.string() + ": " +
                                std::strerror(errno));
    }
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::KeystoreIo(dir.string() + " is not a directory");
  return Status::Ok();
}

// Writes `content` to a new 0600 file at `path`; KeyExists when the path already exists.
Status WriteNewPrivateFile(const fs::path& path, const std::string& content) {
  Result<fs::path> tmp = detail::WriteTempPrivateFile(path, content);
  if (!tmp.ok()) return tmp.status();
  // link() refuses to replace an existing file: never overwrite a key, even under a race.
  const int rc = ::link(tmp->c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp->c_str());
  if (rc != 0) {
    if (link_errno == EEXIST)
      return Status::KeyExists("key file " + path.string() + " already exists");
    return Status::KeystoreIo("cannot create " + path.string() + ": " + std::strerror(link_errno));
  }
  (void)detail::SyncParentDir(path);  // best effort, as before: the key file itself is synced
  return Status::Ok();
}

Result<std::string> ReadKeyFileText(const std::string& path, std::string_view name) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return Status::NoKey("no key " + std::string(name));
  const auto size = fs::file_size(path, ec);
  if (ec) return Status::KeystoreIo("cannot read " + path + ": " + ec.message());
  if (size > kKeystoreMaxFileBytes) return Corrupt(path, "too large");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return Status::KeystoreIo("cannot read " + path);
  return text.str();
}

}  // namespace

void WipeString(std::string& s) {
  if (!s.empty()) ::explicit_bzero(s.data(), s.size());
  s.clear();
}

Status CheckKeyName(std::string_view name) {
  const bool ok =
      !name.empty() && name.size() <= kKeyNameMaxLen &&
      std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      });
  // "." and ".." are valid characters but not files we may write.
  if (!ok || name == "." || name == "..") {
    return Status::InvalidArgument("bad key name \"" + std::string(name) +
                                   "\": use 1-64 of a-z 0-9 . _ -");
  }
  return Status::Ok();
}

std::string KeyFileAad(std::string_view name, const ledger::PubKey& public_key) {
  assert(name.size() <= kKeyNameMaxLen);
  std::string aad = "circuledger/keystore/v1";
  aad.push_back('\0');
  aad.push_back(static_cast<char>(name.size()));
  aad.append(name);
  aad.append(public_key.View());
  return aad;
}

Keystore::Keystore(KeystoreOptions options) : options_(std::move(options)) {}

std::string Keystore::PathOf(std::string_view name) const {
  return (fs::path(options_.dir) / (std::string(name) + ".json")).string();
}

Result<KeyInfo> Keystore::Create(std::string_view name, std::string_view password) const {
  return Write(name, ledger::SecretKey::Generate(), password);
}

Result<KeyInfo> Keystore::Import(std::string_view name, std::string_view secret_hex,
                                 std::string_view password) const {
  while (!secret_hex.empty() && std::isspace(static_cast<unsigned char>(secret_hex.front())))
    secret_hex.remove_prefix(1);
  while (!secret_hex.empty() && std::isspace(static_cast<unsigned char>(secret_hex.back())))
    secret_hex.remove_suffix(1);
  std::optional<std::string> raw = ledger::HexDecode(secret_hex);
  std::optional<ledger::SecretKey> key;
  if (raw && raw->size() == kSecretBytes) key = ledger::SecretKey::FromBytes(*raw);
  if (raw) WipeString(*raw);
  if (!key)
    return Status::InvalidArgument(
        "not a secret key: expected 64 hex digits of a valid secp256k1 scalar");
  return Write(name, *key, password);
}

Result<KeyInfo> Keystore::Write(std::string_view name, const ledger::SecretKey& key,
                                std::string_view password) const {
  if (Status s = CheckKeyName(name); !s.ok()) return s;
  if (password.empty()) return Status::InvalidArgument("the password must not be empty");
  KdfParams kdf{options_.scrypt_n, kDefaultR, kDefaultP, RandomString(kSaltBytes)};
  if (Status s = CheckKdf(kdf, 2, kDefaultR); !s.ok()) return s;
  const std::string path = PathOf(name);
  std::error_code ec;
  if (fs::exists(path, ec))
    return Status::KeyExists("a key named " + std::string(name) + " already exists (" + path + ")");
  if (Status s = MakePrivateDirs(options_.dir); !s.ok()) return s;

  KeyInfo info{std::string(name), key.Public(), path, kdf.n};
  const std::string nonce = RandomString(kNonceBytes);
  const std::string aad = KeyFileAad(name, info.public_key);
  std::string ciphertext(kSecretBytes + kTagBytes, '\0');
  auto* ct = reinterpret_cast<CryptoPP::byte*>(ciphertext.data());
  try {
    const CryptoPP::SecByteBlock aes_key = DeriveKey(password, kdf);
    CryptoPP::GCM<CryptoPP::AES>::Encryption enc;
    enc.SetKeyWithIV(aes_key.data(), aes_key.size(), Bytes(nonce), nonce.size());
    enc.EncryptAndAuthenticate(ct, ct + kSecretBytes, kTagBytes, Bytes(nonce),
                               static_cast<int>(nonce.size()), Bytes(aad), aad.size(),
                               Bytes(key.Bytes()), kSecretBytes);
  } catch (const CryptoPP::Exception& e) {
    return Status::KeystoreIo(std::string("encryption failed: ") + e.what());
  }
  const json j = {{"version", kFileVersion},
                  {"name", name},
                  {"public_key", info.public_key.ToHex()},
                  {"kdf",
                   {{"name", "scrypt"},
                    {"n", kdf.n},
                    {"r", kdf.r},
                    {"p", kdf.p},
                    {"salt", ledger::HexEncode(kdf.salt)}}},
                  {"cipher", "aes-256-gcm"},
                  {"nonce", ledger::HexEncode(nonce)},
                  {"ciphertext", ledger::HexEncode(ciphertext)}};
  if (Status s = WriteNewPrivateFile(path, j.dump(2) + "\n"); !s.ok()) return s;
  return info;
}

Result<std::vector<KeyInfo>> Keystore::List(std::vector<std::string>* problems) const {
  std::vector<KeyInfo> out;
  std::error_code ec;
  if (!fs::exists(options_.dir, ec)) return out;
  fs::directory_iterator it(options_.dir, ec);
  if (ec) return Status::KeystoreIo("cannot read keystore " + options_.dir + ": " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return Status::KeystoreIo("cannot read keystore " + options_.dir + ": " + ec.message());
    const fs::path& p = it->path();
    if (p.extension() != ".json" || !CheckKeyName(p.stem().string()).ok()) continue;
    Result<KeyInfo> info = Show(p.stem().string());
    if (info.ok()) {
      out.push_back(std::move(*info));
    } else if (problems) {
      problems->push_back(info.status().message());
    }
  }
  std::sort(out.begin(), out.end(),
            [](const KeyInfo& a, const KeyInfo& b) { return a.name < b.name; });
  return out;
}

Result<KeyInfo> Keystore::Show(std::string_view name) const {
  if (Status s = CheckKeyName(name); !s.ok()) return s;
  const std::string path = PathOf(name);
  Result<std::string> text = ReadKeyFileText(path, name);
  if (!text.ok()) return text.status();
  Result<KeyFile> f = ParseKeyFile(path, name, *text, std::min(kKeystoreMinScryptN, options_.scrypt_n));
  if (!f.ok()) return f.status();
  return f->info;
}

Result<ledger::SecretKey> Keystore::Unlock(std::string_view name, std::string_view password) const {
  if (Status s = CheckKeyName(name); !s.ok()) return s;
  const std::string path = PathOf(name);
  Result<std::string> text = ReadKeyFileText(path, name);
  if (!text.ok()) return text.status();
  Result<KeyFile> f = ParseKeyFile(path, name, *text, std::min(kKeystoreMinScryptN, options_.scrypt_n));
  if (!f.ok()) return f.status();
  const std::string aad = KeyFileAad(name, f->info.public_key);
  CryptoPP::SecByteBlock secret(kSecretBytes);
  bool authentic = false;
  try {
    const CryptoPP::SecByteBlock aes_key = DeriveKey(password, f->kdf);
    CryptoPP::GCM<CryptoPP::AES>::Decryption dec;
    dec.SetKeyWithIV(aes_key.data(), aes_key.size(), Bytes(f->nonce), f->nonce.size());
    const auto* ct = Bytes(f->ciphertext);
    authentic = dec.DecryptAndVerify(secret.data(), ct + kSecretBytes, kTagBytes, Bytes(f->nonce),
                                     static_cast<int>(f->nonce.size()), Bytes(aad), aad.size(), ct,
                                     kSecretBytes);
  } catch (const CryptoPP::Exception& e) {
    return Corrupt(path, e.what());
  }
  if (!authentic) return Status::WrongPassword("wrong password for key " + std::string(name));
  std::optional<ledger::SecretKey> key =
      ledger::SecretKey::FromBytes({reinterpret_cast<const char*>(secret.data()), secret.size()});
  if (!key || key->Public() != f->info.public_key)
    return Corrupt(path, "secret does not match public_key");
  return *key;
}

}  // namespace circuledger::wallet

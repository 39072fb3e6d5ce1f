// wallet/keystore: encrypted key files (scrypt + AES-256-GCM with the name and public key as
// associated data). Runs with a low scrypt N (KeystoreOptions::scrypt_n, a test-only setting).
#include "wallet/keystore.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace circuledger;
using nlohmann::json;
using wallet::Keystore;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kTestN = 1024;  // fast; never use a low N outside tests

// BIP-340 test vector 0: secret key 3.
constexpr const char* kSecret3 = "0000000000000000000000000000000000000000000000000000000000000003";
constexpr const char* kPublic3 = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";

struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "wallet-ks-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    root = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  fs::path root;
};

Keystore Store(const TempDir& t) {
  return Keystore(wallet::KeystoreOptions{(t.root / "keys").string(), kTestN});
}

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

void WriteJson(const std::string& path, const json& j) {
  std::ofstream(path, std::ios::trunc) << j.dump(2);
}

unsigned Mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("keystore: create, show, unlock round trip; files 0600 in a 0700 directory", "[wallet]") {
  TempDir t;
  const Keystore ks = Store(t);
  auto created = ks.Create("alice", "correct horse");
  REQUIRE(created.ok());
  CHECK(created->name == "alice");
  CHECK(created->scrypt_n == kTestN);
  CHECK(Mode(created->path) == 0600);
  CHECK(Mode((t.root / "keys").string()) == 0700);

  auto shown = ks.Show("alice");
  REQUIRE(shown.ok());
  CHECK(shown->public_key == created->public_key);

  auto key = ks.Unlock("alice", "correct horse");
  REQUIRE(key.ok());
  CHECK(key->Public() == created->public_key);

  // The file has the documented format and never holds the secret in the clear.
  const json f = ReadJson(created->path);
  CHECK(f["version"] == 1);
  CHECK(f["name"] == "alice");
  CHECK(f["public_key"] == created->public_key.ToHex());
  CHECK(f["kdf"]["name"] == "scrypt");
  CHECK(f["kdf"]["n"] == kTestN);
  CHECK(f["kdf"]["r"] == 8);
  CHECK(f["kdf"]["p"] == 1);
  CHECK(f["kdf"]["salt"].get<std::string>().size() == 32);
  CHECK(f["cipher"] == "aes-256-gcm");
  CHECK(f["nonce"].get<std::string>().size() == 24);
  CHECK(f["ciphertext"].get<std::string>().size() == 96);  // 32-byte secret + 16-byte tag
  std::stringstream text;
  text << std::ifstream(created->path).rdbuf();
  CHECK(text.str().find(ledger::HexEncode(key->Bytes())) == std::string::npos);

  // The production default is the strong one.
  CHECK(wallet::KeystoreOptions{}.scrypt_n == 32768);
}

TEST_CASE("keystore: clear errors for wrong password, unknown key, existing key, bad names",
          "[wallet]") {
  TempDir t;
  const Keystore ks = Store(t);
  REQUIRE(ks.Create("alice", "pw-1").ok());

  auto wrong = ks.Unlock("alice", "pw-2");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().IsWrongPassword());
  CHECK(wrong.status().message() == "wrong password for key alice");

  auto none = ks.Unlock("bob", "pw-1");
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().IsNoKey());
  CHECK(none.status().message() == "no key bob");
  CHECK(ks.Show("bob").status().IsNoKey());

  auto again = ks.Create("alice", "pw-1");
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().IsKeyExists());
  CHECK(ks.Unlock("alice", "pw-1").ok());  // the original is untouched

  for (std::string_view bad : std::vector<std::string_view>{
           "", "Alice", "a/b", "..", ".", "a b", "ünïcode", std::string_view("x\0y", 3)}) {
    INFO(bad);
    CHECK(ks.Create(bad, "pw").status().IsInvalidArgument());
    CHECK(ks.Unlock(bad, "pw").status().IsInvalidArgument());
  }
  CHECK(ks.Create(std::string(65, 'a'), "pw").status().IsInvalidArgument());
  CHECK(ks.Create(std::string(64, 'a'), "pw").ok());
  CHECK(ks.Create("carol", "").status().IsInvalidArgument());

  Keystore odd(wallet::KeystoreOptions{(t.root / "keys").string(), 1000});  // not a power of two
  CHECK(odd.Create("dave", "pw").status().IsInvalidArgument());
}

TEST_CASE("keystore: import a known secret; refuse invalid secrets", "[wallet]") {
  TempDir t;
  const Keystore ks = Store(t);
  auto info = ks.Import("vector0", std::string("  ") + kSecret3 + "\n", "pw");
  REQUIRE(info.ok());
  CHECK(info->public_key.ToHex() == kPublic3);
  auto key = ks.Unlock("vector0", "pw");
  REQUIRE(key.ok());
  CHECK(ledger::HexEncode(key->Bytes()) == kSecret3);

  for (std::string bad :
       {std::string(64, '0'), std::string("zz"), std::string(62, '1'),
        std::string("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141")}) {  // = n
    INFO(bad);
    CHECK(ks.Import("x", bad, "pw").status().IsInvalidArgument());
  }
  CHECK_FALSE(fs::exists(ks.PathOf("x")));
}

TEST_CASE("keystore: a tampered file fails authentication", "[wallet]") {
  TempDir t;
  const Keystore ks = Store(t);
  auto alice = ks.Create("alice", "pw");
  REQUIRE(alice.ok());
  const json original = ReadJson(alice->path);

  SECTION("one ciphertext byte flipped") {
    json j = original;
    std::string ct = j["ciphertext"];
    ct[0] = ct[0] == '0' ? '1' : '0';
    j["ciphertext"] = ct;
    WriteJson(alice->path, j);
    CHECK(ks.Unlock("alice", "pw").status().IsWrongPassword());
  }
  SECTION("a tag byte flipped") {
    json j = original;
    std::string ct = j["ciphertext"];
    ct[95] = ct[95] == 'a' ? 'b' : 'a';
    j["ciphertext"] = ct;
    WriteJson(alice->path, j);
    CHECK(ks.Unlock("alice", "pw").status().IsWrongPassword());
  }
  SECTION("public key replaced by another valid key (AAD)") {
    json j = original;
    j["public_key"] = kPublic3;
    WriteJson(alice->path, j);
    CHECK(ks.Unlock("alice", "pw").status().IsWrongPassword());
  }
  SECTION("not JSON, wrong fields, absurd scrypt cost: corrupt, never a huge allocation") {
    std::ofstream(alice->path, std::ios::trunc) << "not json";
    CHECK(ks.Unlock("alice", "pw").status().IsCorruptKey());
    CHECK(ks.Show("alice").status().IsCorruptKey());
    json j = original;
    j["kdf"]["n"] = uint64_t{1} << 40;
    WriteJson(alice->path, j);
    CHECK(ks.Unlock("alice", "pw").status().IsCorruptKey());
    j = original;
    j["cipher"] = "aes-128-cbc";
    WriteJson(alice->path, j);
    CHECK(ks.Unlock("alice", "pw").status().IsCorruptKey());
    j = original;
    j["version"] = 2;
    WriteJson(alice->path, j);
    CHECK(ks.Unlock("alice", "pw").status().IsCorruptKey());
  }
}

TEST_CASE("keystore: swapped files are refused (name check, and the AAD if names are rewritten)",
          "[wallet]") {
  TempDir t;
  const Keystore ks = Store(t);
  // The same password for both, so only the file binding can tell them apart.
  auto alice = ks.Create("alice", "shared");
  auto bob = ks.Create("bob", "shared");
  REQUIRE(alice.ok());
  REQUIRE(bob.ok());
  const json a = ReadJson(alice->path);
  const json b = ReadJson(bob->path);

  SECTION("files renamed: the name inside does not match") {
    WriteJson(alice->path, b);
    WriteJson(bob->path, a);
    CHECK(ks.Unlock("alice", "shared").status().IsCorruptKey());
    CHECK(ks.Unlock("bob", "shared").status().IsCorruptKey());
  }
  SECTION("files renamed and their name fields rewritten: the GCM associated data does not match") {
    json a2 = b;
    a2["name"] = "alice";
    json b2 = a;
    b2["name"] = "bob";
    WriteJson(alice->path, a2);
    WriteJson(bob->path, b2);
    auto r = ks.Unlock("alice", "shared");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsWrongPassword());
    CHECK(ks.Unlock("bob", "shared").status().IsWrongPassword());
  }
}

TEST_CASE("keystore: list is sorted, skips other files and reports broken ones", "[wallet]") {
  TempDir t;
  const Keystore ks = Store(t);
  std::vector<std::string> problems;
  auto empty = ks.List(&problems);  // the directory does not exist yet
  REQUIRE(empty.ok());
  CHECK(empty->empty());

  REQUIRE(ks.Create("zed", "pw").ok());
  REQUIRE(ks.Create("amy", "pw").ok());
  std::ofstream(t.root / "keys" / "broken.json") << "{}";
  std::ofstream(t.root / "keys" / "README.txt") << "not a key";
  auto list = ks.List(&problems);
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].name == "amy");
  CHECK((*list)[1].name == "zed");
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Catch::Contains("broken.json"));
}

TEST_CASE("KeyFileAad is length-prefixed: name and key cannot trade bytes", "[wallet]") {
  const auto k = *ledger::PubKey::FromHex(kPublic3);
  CHECK(wallet::KeyFileAad("ab", k) != wallet::KeyFileAad("a", k));
  CHECK(wallet::KeyFileAad("ab", k).size() ==
        std::string("circuledger/keystore/v1").size() + 1 + 1 + 2 + 32);
}

TEST_CASE("keystore: unlock accepts only the documented scrypt parameters, checked before deriving",
          "[wallet]") {
  TempDir t;
  const Keystore test_ks = Store(t);  // test-only N 1024: accepts files down to 1024
  const Keystore cli_ks(wallet::KeystoreOptions{(t.root / "keys").string()});  // what the CLI uses
  auto alice = test_ks.Create("alice", "pw");
  REQUIRE(alice.ok());
  const json original = ReadJson(alice->path);

  SECTION("a file with n below 2^14 is refused by a normal keystore, naming the range") {
    REQUIRE(test_ks.Unlock("alice", "pw").ok());
    auto r = cli_ks.Unlock("alice", "pw");
    REQUIRE(r.status().IsCorruptKey());
    CHECK_THAT(r.status().message(), Catch::Contains("scrypt n 1024") && Catch::Contains("[2^14, 2^20]"));
    CHECK(cli_ks.Show("alice").status().IsCorruptKey());
  }
  SECTION("n = 2^14 (the documented minimum) unlocks with a normal keystore") {
    const Keystore min_ks(wallet::KeystoreOptions{(t.root / "keys").string(), wallet::kKeystoreMinScryptN});
    REQUIRE(min_ks.Create("bob", "pw").ok());
    CHECK(cli_ks.Unlock("bob", "pw").ok());
  }
  SECTION("parameters outside the range are corrupt before any derivation (not a wrong password)") {
    struct Case {
      const char* field;
      uint64_t value;
    };
    for (const Case c : {Case{"n", 2}, Case{"n", 512}, Case{"n", 3072}, Case{"n", uint64_t{1} << 21},
                         Case{"r", 1}, Case{"r", 7}, Case{"r", 33}, Case{"p", 0}, Case{"p", 17}}) {
      INFO(c.field << " = " << c.value);
      json j = original;
      j["kdf"][c.field] = c.value;
      WriteJson(alice->path, j);
      auto r = test_ks.Unlock("alice", "pw");
      REQUIRE(r.status().IsCorruptKey());
      CHECK_THAT(r.status().message(), Catch::Contains(std::string("scrypt ") + c.field));
    }
  }
}

// ledger/crypto.h: hashing (Crypto++ SHA-256, BIP-340 tagged hashes) and BIP-340 Schnorr keys,
// signing and verification (libsecp256k1).
//
// One long-lived secp256k1 context, created and randomized on first use, is shared by every
// thread: verification and signing are thread-safe. SecretKey wipes its bytes on destruction.
#pragma once

#include <optional>
#include <string_view>

#include "ledger/types.h"

namespace circuledger::ledger {

Hash256 Sha256(std::string_view data);

// CRC-32C of `data` (Crypto++'s CRC32C; 0xE3069283 for "123456789"): the checksum of stored
// records that hashes do not cover (block files, the consensus WAL). Not a commitment.
uint32_t Crc32c(std::string_view data);

// BIP-340 tagged hash: SHA256(SHA256(tag) || SHA256(tag) || data). Domain separation for every
// hash the ledger commits to (transactions, blocks, Merkle leaves and nodes, state).
Hash256 TaggedHash(std::string_view tag, std::string_view data);

// A tagged hash with the tag's 64-byte prefix absorbed once; Hash() copies that midstate, so a
// long-lived const TaggedHasher is cheap to reuse from any thread.
class TaggedHasher {
 public:
  explicit TaggedHasher(std::string_view tag);
  ~TaggedHasher();
  TaggedHasher(const TaggedHasher&) = delete;
  TaggedHasher& operator=(const TaggedHasher&) = delete;

  Hash256 Hash(std::string_view data) const;
  Hash256 Hash2(std::string_view a, std::string_view b) const;  // hash of a || b

 private:
  struct Impl;
  Impl* impl_ = nullptr;
};

// A BIP-340 secret key (a valid secp256k1 scalar).
class SecretKey {
 public:
  // nullopt when the 32 bytes are zero or not below the curve order.
  static std::optional<SecretKey> FromBytes(std::string_view bytes32);
  // A fresh key from the operating system's random source.
  static SecretKey Generate();
  ~SecretKey();
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;

  PubKey Public() const;
  // Signs a message of any length (BIP-340 allows variable length; the ledger signs 32-byte ids).
  // aux_rand32 is the auxiliary randomness of BIP-340; nullopt draws fresh randomness.
  Signature Sign(std::string_view msg, const std::optional<FixedBytes<32>>& aux_rand32 = {}) const;
  std::string_view Bytes() const { return secret_.View(); }

 private:
  SecretKey() = default;
  FixedBytes<32> secret_;
};

// True iff sig is a valid BIP-340 signature of msg by pubkey. False for a pubkey not on the curve.
bool VerifySchnorr(const PubKey& pubkey, std::string_view msg, const Signature& sig);

// A public key already parsed into libsecp256k1's internal form. Parsing an x-only key costs a
// field square root (about a tenth of a verification), so long-lived signers are parsed once.
struct ParsedPubKey {
  std::array<unsigned char, 64> data{};  // secp256k1_xonly_pubkey
};
// nullopt when the key is not on the curve.
std::optional<ParsedPubKey> ParsePubKey(const PubKey& pubkey);
bool VerifySchnorr(const ParsedPubKey& pubkey, std::string_view msg, const Signature& sig);

// True iff pubkey is a valid BIP-340 x-only key: an x coordinate below p of a point on secp256k1
// (what secp256k1_xonly_pubkey_parse accepts). No signature verifies under an invalid key.
bool IsValidPubKey(const PubKey& pubkey);

// Fills `out` with bytes from the operating system's random source (getrandom(2): works even
// when the process has no free file descriptor). Throws only if the kernel refuses.
void RandomBytes(uint8_t* out, size_t len);

}  // namespace circuledger::ledger

// network/noise.h: the cryptography of the peer-to-peer transport, a Noise XX handshake over the
// node keys (Noise Protocol Framework, revision 34) and the cipher states of the session after it.
//
//   Noise_XX_secp256k1_ChaChaPoly_SHA256
//     -> e
//     <- e, ee, s, es
//     -> s, se
//
// DH is secp256k1 ECDH on BIP-340 x-only keys: the shared secret is the 32-byte x coordinate of
// the product. An x-only key names two points (P and -P) and the x coordinate of k*P and k*(-P)
// is the same, so both ends agree whatever the y parity of their points (libsecp256k1's ecdh
// module with a hash function that returns x). HKDF is HKDF-SHA256 (Crypto++), which for an
// empty info string equals Noise's HKDF; the AEAD is ChaCha20-Poly1305 (RFC 8439, Crypto++) with
// Noise's nonce: 4 zero bytes then the 64-bit counter, little endian.
//
// This file is the adapter that wraps libsecp256k1 and Crypto++: it catches Crypto++'s
// exceptions and reports failures as return values. network/handshake.h puts the node's rules
// (chain, allow-list, self-connection) around it; network/P2P.md explains each step.
//
// Threads: a CipherState or XxHandshake is one connection's state, not thread-safe. The free
// functions are thread-safe. XxHandshake copies the keys it is given.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/crypto.h"
#include "ledger/types.h"

namespace circuledger::network::noise {

constexpr std::string_view kProtocolName = "Noise_XX_secp256k1_ChaChaPoly_SHA256";
constexpr size_t kKeyBytes = 32;   // AEAD key, chaining key, handshake hash, DH output, public key
constexpr size_t kTagBytes = 16;   // Poly1305 tag
// Noise reserves the nonce 2^64 - 1: a cipher state that reaches it refuses to seal or open.
constexpr uint64_t kMaxNonce = UINT64_MAX;

using Key = ledger::FixedBytes<kKeyBytes>;

// x(secret * lift_x(their_key)): nullopt when their key is not a valid x-only key (or the secret
// is invalid).
std::optional<Key> Dh(const ledger::SecretKey& secret, const ledger::PubKey& their_key);

// Noise's HKDF(chaining_key, input_key_material, 2): HKDF-SHA256 with salt = chaining key and an
// empty info, 64 bytes split in two.
std::pair<Key, Key> Hkdf2(const Key& chaining_key, std::string_view input_key_material);

// A key and its 64-bit message counter. Each Seal/Open uses the next counter value; it never
// repeats and never wraps: at kMaxNonce the state refuses (the connection must close).
class CipherState {
 public:
  CipherState();
  explicit CipherState(const Key& key, uint64_t first_nonce = 0);  // first_nonce: tests only
  ~CipherState();
  CipherState(CipherState&&) noexcept;
  CipherState& operator=(CipherState&&) noexcept;

  bool has_key() const { return impl_ != nullptr; }
  uint64_t nonce() const { return nonce_; }
  // Appends ciphertext | 16-byte tag to `out`. Without a key (the handshake before its first DH)
  // appends the plaintext. False when the nonce is exhausted or the cipher failed; `out` is then
  // unchanged.
  bool Seal(std::string_view ad, std::string_view plaintext, std::string& out);
  // Replaces `out` with the plaintext. False when the tag does not verify (any changed byte of the
  // ciphertext, tag or ad), the input is shorter than a tag, or the nonce is exhausted; the
  // counter then does not advance.
  bool Open(std::string_view ad, std::string_view ciphertext, std::string& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t nonce_ = 0;
};

// Both directions of an established session.
struct Session {
  CipherState send;
  CipherState recv;
  Key handshake_hash;  // h after the last handshake message: names this session
};

// One side of a Noise XX handshake (without payloads but the one of message 1, which is sent in
// clear). The caller sends the messages in order: the initiator WriteMessage1, ReadMessage2,
// WriteMessage3; the responder ReadMessage1, WriteMessage2, ReadMessage3. A read returns false
// (and the handshake is dead) for a message of the wrong size, a key not on the curve, or a tag
// that does not verify.
class XxHandshake {
 public:
  static constexpr size_t kMessage1Bytes = kKeyBytes;                           // e (+ clear payload)
  static constexpr size_t kMessage2Bytes = kKeyBytes + kKeyBytes + 2 * kTagBytes;  // e, s, payload tag
  static constexpr size_t kMessage3Bytes = kKeyBytes + 2 * kTagBytes;           // s, payload tag

  XxHandshake(bool initiator, std::string_view prologue, const ledger::SecretKey& static_key,
              const ledger::SecretKey& ephemeral_key);

  // Message 1 carries `payload` in clear (it is hashed into the transcript).
  std::string WriteMessage1(std::string_view payload);
  // `payload` receives the clear payload of message 1 (everything after the 32-byte key).
  bool ReadMessage1(std::string_view message, std::string& payload);
  std::optional<std::string> WriteMessage2();
  bool ReadMessage2(std::string_view message);
  std::optional<std::string> WriteMessage3();
  bool ReadMessage3(std::string_view message);

  // The peer's static key: set (and proven) after ReadMessage2 / ReadMessage3 succeeded.
  const std::optional<ledger::PubKey>& remote_static() const { return rs_; }
  // After the last message: the cipher states (initiator sends with the first HKDF output).
  // Call once.
  Session Split();
  const Key& handshake_hash() const { return h_; }

 private:
  void MixHash(std::string_view data);
  void MixKey(const Key& dh_output);
  bool EncryptAndHash(std::string_view plaintext, std::string& out);
  bool DecryptAndHash(std::string_view ciphertext, std::string& out);
  bool MixDh(const ledger::SecretKey& secret, const ledger::PubKey& theirs);

  bool initiator_ = false;
  ledger::SecretKey s_;
  ledger::SecretKey e_;
  ledger::PubKey s_pub_;
  ledger::PubKey e_pub_;
  std::optional<ledger::PubKey> re_;
  std::optional<ledger::PubKey> rs_;
  Key h_;
  Key ck_;
  CipherState cipher_;
};

}  // namespace circuledger::network::noise

#include "ledger/crypto.h"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <cassert>
#include <cryptopp/crc.h>
#include <cryptopp/sha.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <sys/random.h>

namespace circuledger::ledger {

namespace {

// The process-wide secp256k1 context: created once, randomized against side channels, then only
// read. libsecp256k1 documents a context as safe for concurrent use once it is not modified.
const secp256k1_context* Context() {
  static const secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    unsigned char seed[32];
    RandomBytes(seed, sizeof(seed));
    [[maybe_unused]] int ok = secp256k1_context_randomize(c, seed);
    assert(ok == 1);
    return c;
  }();
  return ctx;
}

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

// getrandom(2) needs no file descriptor: a node whose descriptors are exhausted (a flood of
// connections) can still make handshake keys, where opening /dev/urandom would fail and throw.
void RandomBytes(uint8_t* out, size_t len) {
  while (len > 0) {
    const ssize_t n = ::getrandom(out, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("getrandom failed: ") + std::strerror(errno));
    }
    out += n;
    len -= static_cast<size_t>(n);
  }
}

Hash256 Sha256(std::string_view data) {
  Hash256 out;
  CryptoPP::SHA256().CalculateDigest(out.bytes.data(), U(data), data.size());
  return out;
}

uint32_t Crc32c(std::string_view data) {
  CryptoPP::CRC32C crc;
  crc.Update(U(data), data.size());
  CryptoPP::byte digest[4];
  crc.Final(digest);  // the CRC value, least significant byte first
  return static_cast<uint32_t>(digest[0]) | static_cast<uint32_t>(digest[1]) << 8 |
         static_cast<uint32_t>(digest[2]) << 16 | static_cast<uint32_t>(digest[3]) << 24;
}

Hash256 TaggedHash(std::string_view tag, std::string_view data) {
  return TaggedHasher(tag).Hash(data);
}

struct TaggedHasher::Impl {
  CryptoPP::SHA256 prefixed;  // SHA256 state after absorbing SHA256(tag) twice
};

TaggedHasher::TaggedHasher(std::string_view tag) : impl_(new Impl) {
  const Hash256 tag_hash = Sha256(tag);
  impl_->prefixed.Update(tag_hash.bytes.data(), tag_hash.bytes.size());
  impl_->prefixed.Update(tag_hash.bytes.data(), tag_hash.bytes.size());
}

TaggedHasher::~TaggedHasher() { delete impl_; }

Hash256 TaggedHasher::Hash(std::string_view data) const { return Hash2(data, {}); }

Hash256 TaggedHasher::Hash2(std::string_view a, std::string_view b) const {
  CryptoPP::SHA256 h(impl_->prefixed);
  h.Update(U(a), a.size());
  if (!b.empty()) h.Update(U(b), b.size());
  Hash256 out;
  h.Final(out.bytes.data());
  return out;
}

std::optional<SecretKey> SecretKey::FromBytes(std::string_view bytes32) {
  if (bytes32.size() != 32) return std::nullopt;
  if (secp256k1_ec_seckey_verify(Context(), U(bytes32)) != 1) return std::nullopt;
  SecretKey k;
  std::memcpy(k.secret_.bytes.data(), bytes32.data(), 32);
  return k;
}

SecretKey SecretKey::Generate() {
  for (;;) {
    FixedBytes<32> candidate;
    RandomBytes(candidate.bytes.data(), 32);
    if (auto k = FromBytes(candidate.View())) return *k;
  }
}

SecretKey::~SecretKey() {
  // Volatile writes so the compiler keeps the wipe.
  volatile uint8_t* p = secret_.bytes.data();
  for (size_t i = 0; i < secret_.bytes.size(); ++i) p[i] = 0;
}

PubKey SecretKey::Public() const {
  secp256k1_keypair kp;
  [[maybe_unused]] int ok = secp256k1_keypair_create(Context(), &kp, secret_.bytes.data());
  assert(ok == 1);  // FromBytes checked the scalar
  secp256k1_xonly_pubkey xonly;
  ok = secp256k1_keypair_xonly_pub(Context(), &xonly, nullptr, &kp);
  assert(ok == 1);
  PubKey out;
  secp256k1_xonly_pubkey_serialize(Context(), out.bytes.data(), &xonly);
  return out;
}

Signature SecretKey::Sign(std::string_view msg, const std::optional<FixedBytes<32>>& aux_rand32) const {
  secp256k1_keypair kp;
  [[maybe_unused]] int ok = secp256k1_keypair_create(Context(), &kp, secret_.bytes.data());
  assert(ok == 1);
  FixedBytes<32> aux;
  if (aux_rand32) {
    aux = *aux_rand32;
  } else {
    RandomBytes(aux.bytes.data(), 32);
  }
  secp256k1_schnorrsig_extraparams extra = SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
  extra.ndata = aux.bytes.data();
  Signature sig;
  ok = secp256k1_schnorrsig_sign_custom(Context(), sig.bytes.data(), U(msg), msg.size(), &kp, &extra);
  assert(ok == 1);
  return sig;
}

static_assert(sizeof(secp256k1_xonly_pubkey) == sizeof(ParsedPubKey::data));

std::optional<ParsedPubKey> ParsePubKey(const PubKey& pubkey) {
  secp256k1_xonly_pubkey xonly;
  if (secp256k1_xonly_pubkey_parse(Context(), &xonly, pubkey.bytes.data()) != 1) return std::nullopt;
  ParsedPubKey out;
  std::memcpy(out.data.data(), xonly.data, sizeof(xonly.data));
  return out;
}

bool VerifySchnorr(const ParsedPubKey& pubkey, std::string_view msg, const Signature& sig) {
  secp256k1_xonly_pubkey xonly;
  std::memcpy(xonly.data, pubkey.data.data(), sizeof(xonly.data));
  return secp256k1_schnorrsig_verify(Context(), sig.bytes.data(), U(msg), msg.size(), &xonly) == 1;
}

bool VerifySchnorr(const PubKey& pubkey, std::string_view msg, const Signature& sig) {
  secp256k1_xonly_pubkey xonly;
  if (secp256k1_xonly_pubkey_parse(Context(), &xonly, pubkey.bytes.data()) != 1) return false;
  return secp256k1_schnorrsig_verify(Context(), sig.bytes.data(), U(msg), msg.size(), &xonly) == 1;
}

bool IsValidPubKey(const PubKey& pubkey) {
  secp256k1_xonly_pubkey xonly;
  return secp256k1_xonly_pubkey_parse(Context(), &xonly, pubkey.bytes.data()) == 1;
}

}  // namespace circuledger::ledger

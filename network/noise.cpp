#include "network/noise.h"

#include <cryptopp/chachapoly.h>
#include <cryptopp/hkdf.h>
#include <cryptopp/sha.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace circuledger::network::noise {

namespace {

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// One context for ECDH, created and randomized once (side-channel blinding); read-only after.
const secp256k1_context* Context() {
  static const secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    unsigned char seed[32];
    ledger::RandomBytes(seed, sizeof(seed));
    [[maybe_unused]] const int ok = secp256k1_context_randomize(c, seed);
    assert(ok == 1);
    return c;
  }();
  return ctx;
}

// The ECDH "hash": the x coordinate alone, so the y parity of either point does not matter.
int CopyX(unsigned char* output, const unsigned char* x32, const unsigned char*, void*) {
  std::memcpy(output, x32, 32);
  return 1;
}

// Noise ChaChaPoly nonce: 32 bits of zeros, then the counter, little endian.
std::array<uint8_t, 12> NonceBytes(uint64_t n) {
  std::array<uint8_t, 12> iv{};
  for (int i = 0; i < 8; ++i) iv[4 + i] = static_cast<uint8_t>(n >> (8 * i));
  return iv;
}

Key HashOf(std::string_view data) { return ledger::Sha256(data); }

// Crypto++ throws only for arguments our own code fixes (key and output lengths): a throw here is
// a bug of ours, and continuing without a key would send in clear. Stop instead.
[[noreturn]] void CryptoBug(const char* where, const CryptoPP::Exception& e) {
  std::fprintf(stderr, "network/noise: Crypto++ failed in %s: %s\n", where, e.what());
  std::abort();
}

}  // namespace

std::optional<Key> Dh(const ledger::SecretKey& secret, const ledger::PubKey& their_key) {
  unsigned char compressed[33];
  compressed[0] = 0x02;  // lift_x: the even-y point; the odd one gives the same x below
  std::memcpy(compressed + 1, their_key.bytes.data(), 32);
  secp256k1_pubkey point;
  if (secp256k1_ec_pubkey_parse(Context(), &point, compressed, sizeof(compressed)) != 1) return std::nullopt;
  Key out;
  if (secp256k1_ecdh(Context(), out.bytes.data(), &point, U(secret.Bytes()), CopyX, nullptr) != 1) {
    return std::nullopt;
  }
  return out;
}

std::pair<Key, Key> Hkdf2(const Key& chaining_key, std::string_view input_key_material) {
  uint8_t out[2 * kKeyBytes];
  try {
    CryptoPP::HKDF<CryptoPP::SHA256> hkdf;
    hkdf.DeriveKey(out, sizeof(out), U(input_key_material), input_key_material.size(), chaining_key.bytes.data(),
                   kKeyBytes, nullptr, 0);
  } catch (const CryptoPP::Exception& e) {
    CryptoBug("HKDF", e);
  }
  std::pair<Key, Key> keys;
  std::memcpy(keys.first.bytes.data(), out, kKeyBytes);
  std::memcpy(keys.second.bytes.data(), out + kKeyBytes, kKeyBytes);
  std::memset(out, 0, sizeof(out));
  return keys;
}

struct CipherState::Impl {
  CryptoPP::ChaCha20Poly1305::Encryption enc;
  CryptoPP::ChaCha20Poly1305::Decryption dec;
};

CipherState::CipherState() = default;
CipherState::~CipherState() = default;
CipherState::CipherState(CipherState&&) noexcept = default;
CipherState& CipherState::operator=(CipherState&&) noexcept = default;

CipherState::CipherState(const Key& key, uint64_t first_nonce) : impl_(std::make_unique<Impl>()), nonce_(first_nonce) {
  const auto iv = NonceBytes(0);
  try {
    impl_->enc.SetKeyWithIV(key.bytes.data(), kKeyBytes, iv.data(), iv.size());
    impl_->dec.SetKeyWithIV(key.bytes.data(), kKeyBytes, iv.data(), iv.size());
  } catch (const CryptoPP::Exception& e) {
    CryptoBug("SetKeyWithIV", e);
  }
}

bool CipherState::Seal(std::string_view ad, std::string_view plaintext, std::string& out) {
  if (!impl_) {
    out.append(plaintext);
    return true;
  }
  if (nonce_ == kMaxNonce) return false;
  const size_t start = out.size();
  const auto iv = NonceBytes(nonce_);
  try {
    out.resize(start + plaintext.size() + kTagBytes);
    auto* dst = reinterpret_cast<uint8_t*>(out.data() + start);
    impl_->enc.EncryptAndAuthenticate(dst, dst + plaintext.size(), kTagBytes, iv.data(), static_cast<int>(iv.size()),
                                      U(ad), ad.size(), U(plaintext), plaintext.size());
  } catch (const CryptoPP::Exception&) {
    out.resize(start);
    return false;
  }
  ++nonce_;
  return true;
}

bool CipherState::Open(std::string_view ad, std::string_view ciphertext, std::string& out) {
  if (!impl_) {
    out.assign(ciphertext);
    return true;
  }
  if (nonce_ == kMaxNonce || ciphertext.size() < kTagBytes) return false;
  const size_t n = ciphertext.size() - kTagBytes;
  const auto iv = NonceBytes(nonce_);
  std::string plain(n, '\0');
  bool ok = false;
  try {
    ok = impl_->dec.DecryptAndVerify(reinterpret_cast<uint8_t*>(plain.data()), U(ciphertext) + n, kTagBytes, iv.data(),
                                     static_cast<int>(iv.size()), U(ad), ad.size(), U(ciphertext), n);
  } catch (const CryptoPP::Exception&) {
    ok = false;
  }
  if (!ok) return false;
  ++nonce_;
  out = std::move(plain);
  return true;
}

XxHandshake::XxHandshake(bool initiator, std::string_view prologue, const ledger::SecretKey& static_key,
                         const ledger::SecretKey& ephemeral_key)
    : initiator_(initiator), s_(static_key), e_(ephemeral_key), s_pub_(s_.Public()), e_pub_(e_.Public()) {
  // InitializeSymmetric: the name is longer than 32 bytes, so h = SHA256(name); ck = h.
  h_ = HashOf(kProtocolName);
  ck_ = h_;
  MixHash(prologue);
}

void XxHandshake::MixHash(std::string_view data) {
  std::string buf;
  buf.reserve(kKeyBytes + data.size());
  buf.append(h_.View());
  buf.append(data);
  h_ = HashOf(buf);
}

void XxHandshake::MixKey(const Key& dh_output) {
  auto [ck, k] = Hkdf2(ck_, dh_output.View());
  ck_ = ck;
  cipher_ = CipherState(k);
}

bool XxHandshake::EncryptAndHash(std::string_view plaintext, std::string& out) {
  const size_t start = out.size();
  if (!cipher_.Seal(h_.View(), plaintext, out)) return false;
  MixHash(std::string_view(out).substr(start));
  return true;
}

bool XxHandshake::DecryptAndHash(std::string_view ciphertext, std::string& out) {
  if (!cipher_.Open(h_.View(), ciphertext, out)) return false;
  MixHash(ciphertext);
  return true;
}

bool XxHandshake::MixDh(const ledger::SecretKey& secret, const ledger::PubKey& theirs) {
  const std::optional<Key> dh = Dh(secret, theirs);
  if (!dh) return false;
  MixKey(*dh);
  return true;
}

std::string XxHandshake::WriteMessage1(std::string_view payload) {
  assert(initiator_);
  std::string out(e_pub_.View());
  MixHash(e_pub_.View());
  [[maybe_unused]] const bool ok = EncryptAndHash(payload, out);  // no key yet: in clear
  assert(ok);
  return out;
}

bool XxHandshake::ReadMessage1(std::string_view message, std::string& payload) {
  assert(!initiator_);
  if (message.size() < kMessage1Bytes) return false;
  ledger::PubKey re;
  std::memcpy(re.bytes.data(), message.data(), kKeyBytes);
  if (!ledger::IsValidPubKey(re)) return false;
  re_ = re;
  MixHash(re.View());
  return DecryptAndHash(message.substr(kKeyBytes), payload);
}

std::optional<std::string> XxHandshake::WriteMessage2() {
  assert(!initiator_ && re_);
  std::string out(e_pub_.View());
  MixHash(e_pub_.View());
  if (!MixDh(e_, *re_)) return std::nullopt;             // ee
  if (!EncryptAndHash(s_pub_.View(), out)) return std::nullopt;  // s
  if (!MixDh(s_, *re_)) return std::nullopt;             // es: our static, their ephemeral
  if (!EncryptAndHash({}, out)) return std::nullopt;     // empty payload: its tag proves es
  return out;
}

bool XxHandshake::ReadMessage2(std::string_view message) {
  assert(initiator_);
  if (message.size() != kMessage2Bytes) return false;
  ledger::PubKey re;
  std::memcpy(re.bytes.data(), message.data(), kKeyBytes);
  if (!ledger::IsValidPubKey(re)) return false;
  re_ = re;
  MixHash(re.View());
  if (!MixDh(e_, re)) return false;  // ee
  std::string s;
  if (!DecryptAndHash(message.substr(kKeyBytes, kKeyBytes + kTagBytes), s)) return false;
  ledger::PubKey rs;
  std::memcpy(rs.bytes.data(), s.data(), kKeyBytes);
  if (!ledger::IsValidPubKey(rs)) return false;
  if (!MixDh(e_, rs)) return false;  // es: our ephemeral, their static
  std::string payload;
  if (!DecryptAndHash(message.substr(2 * kKeyBytes + kTagBytes), payload) || !payload.empty()) return false;
  rs_ = rs;  // proven: only the holder of its secret could have computed the key of this tag
  return true;
}

std::optional<std::string> XxHandshake::WriteMessage3() {
  assert(initiator_ && re_ && rs_);
  std::string out;
  if (!EncryptAndHash(s_pub_.View(), out)) return std::nullopt;  // s
  if (!MixDh(s_, *re_)) return std::nullopt;                      // se: our static, their ephemeral
  if (!EncryptAndHash({}, out)) return std::nullopt;
  return out;
}

bool XxHandshake::ReadMessage3(std::string_view message) {
  assert(!initiator_ && re_);
  if (message.size() != kMessage3Bytes) return false;
  std::string s;
  if (!DecryptAndHash(message.substr(0, kKeyBytes + kTagBytes), s)) return false;
  ledger::PubKey rs;
  std::memcpy(rs.bytes.data(), s.data(), kKeyBytes);
  if (!ledger::IsValidPubKey(rs)) return false;
  if (!MixDh(e_, rs)) return false;  // se: our ephemeral, their static
  std::string payload;
  if (!DecryptAndHash(message.substr(kKeyBytes + kTagBytes), payload) || !payload.empty()) return false;
  rs_ = rs;
  return true;
}

Session XxHandshake::Split() {
  auto [k1, k2] = Hkdf2(ck_, {});
  Session s;
  s.send = CipherState(initiator_ ? k1 : k2);
  s.recv = CipherState(initiator_ ? k2 : k1);
  s.handshake_hash = h_;
  return s;
}

}  // namespace circuledger::network::noise

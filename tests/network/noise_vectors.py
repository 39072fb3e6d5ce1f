#!/usr/bin/env python3
"""An independent implementation of the p2p handshake (network/P2P.md) that recomputes the frozen
vectors of tests/network/handshake_test.cpp from first principles: pure-Python secp256k1, hashlib,
hmac, and ChaCha20-Poly1305 from the `cryptography` package. It shares no code with network/noise.cpp.
Not run by CI (it needs `cryptography`); run it by hand after a deliberate protocol change:

    python3 tests/network/noise_vectors.py
"""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and (p1[1] + p2[1]) % P == 0:
        return None
    if p1 == p2:
        lam = 3 * p1[0] * p1[0] * pow(2 * p1[1], P - 2, P) % P
    else:
        lam = (p2[1] - p1[1]) * pow(p2[0] - p1[0], P - 2, P) % P
    x = (lam * lam - p1[0] - p2[0]) % P
    return (x, (lam * (p1[0] - x) - p1[1]) % P)


def mul(k, pt):
    r = None
    while k:
        if k & 1:
            r = add(r, pt)
        pt = add(pt, pt)
        k >>= 1
    return r


def lift_x(x):
    y = pow((x * x * x + 7) % P, (P + 1) // 4, P)
    assert y * y % P == (x * x * x + 7) % P
    return (x, y if y % 2 == 0 else P - y)


def key(seed):
    return seed  # the tests' Key(seed): 31 zero bytes then the seed byte


def xonly(k):
    return mul(k, G)[0].to_bytes(32, "big")


def dh(k, x32):
    return mul(k, lift_x(int.from_bytes(x32, "big")))[0].to_bytes(32, "big")


def sha(b):
    return hashlib.sha256(b).digest()


def tagged(tag, data):
    t = sha(tag.encode())
    return sha(t + t + data)


def wire_bytes(b):
    return struct.pack("<I", len(b)) + b


def hkdf2(ck, ikm):
    temp = hmac.new(ck, ikm, hashlib.sha256).digest()
    o1 = hmac.new(temp, b"\x01", hashlib.sha256).digest()
    o2 = hmac.new(temp, o1 + b"\x02", hashlib.sha256).digest()
    return o1, o2


class Symmetric:
    def __init__(self, prologue):
        self.h = sha(b"Noise_XX_secp256k1_ChaChaPoly_SHA256")
        self.ck = self.h
        self.k = None
        self.n = 0
        self.mix_hash(prologue)

    def mix_hash(self, data):
        self.h = sha(self.h + data)

    def mix_key(self, ikm):
        self.ck, self.k = hkdf2(self.ck, ikm)
        self.n = 0

    def encrypt_and_hash(self, pt):
        if self.k is None:
            ct = pt
        else:
            ct = ChaCha20Poly1305(self.k).encrypt(b"\0" * 4 + struct.pack("<Q", self.n), pt, self.h)
            self.n += 1
        self.mix_hash(ct)
        return ct


def seal(k, n, pt):
    return ChaCha20Poly1305(k).encrypt(b"\0" * 4 + struct.pack("<Q", n), pt, b"")


def main():
    chain = b"circuledger-test"
    genesis = b"\xab" * 32
    s_i, s_r, e_i, e_r = key(1), key(2), key(0x11), key(0x22)
    prologue = wire_bytes(b"circuledger/p2p") + bytes([2]) + wire_bytes(chain) + genesis
    st = Symmetric(prologue)
    # Message 1: e, and the chain tag in clear.
    m1 = xonly(e_i)
    st.mix_hash(m1)
    m1 += st.encrypt_and_hash(tagged("circuledger/p2p-chain", wire_bytes(chain) + genesis))
    # Message 2: e, ee, s, es, empty payload.
    m2 = xonly(e_r)
    st.mix_hash(m2)
    st.mix_key(dh(e_r, xonly(e_i)))
    m2 += st.encrypt_and_hash(xonly(s_r))
    st.mix_key(dh(s_r, xonly(e_i)))
    m2 += st.encrypt_and_hash(b"")
    # Message 3: s, se, empty payload.
    m3 = st.encrypt_and_hash(xonly(s_i))
    st.mix_key(dh(s_i, xonly(e_r)))
    m3 += st.encrypt_and_hash(b"")
    k1, k2 = hkdf2(st.ck, b"")
    header, payload = b"\x08\x00\x00\x00\x07", b"\x01" + b"\0" * 7
    print("m1 ", (b"\x02" + m1).hex())
    print("m2 ", m2.hex())
    print("m3 ", m3.hex())
    print("h  ", st.h.hex())
    print("i2r", (seal(k1, 0, header) + seal(k1, 1, payload)).hex())
    print("r2i", (seal(k2, 0, header) + seal(k2, 1, payload)).hex())


if __name__ == "__main__":
    main()

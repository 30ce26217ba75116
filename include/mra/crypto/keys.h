// Copyright The mra Authors.
//
// File: mra/crypto/keys.h
// -----------------------------------------------------------------------------
// Public and private signing keys. The key type is taken from the PEM: RSA
// (PKCS#1 "RSA PUBLIC KEY" or SPKI "PUBLIC KEY"), ECDSA P-256 / P-384 and
// Ed25519 (SPKI). Private keys: PKCS#1, SEC1 ("EC PRIVATE KEY") or PKCS#8.
// Private key material stays inside EVP_PKEY; serialised PEM is SecretBytes.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "mra/base/secret_bytes.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/openssl_ptr.h"

namespace mra::crypto {

// KeyType names the supported signature algorithms.
enum class KeyType {
  kRsa,        // RSA >= 2048 bits, PKCS#1 v1.5 with SHA-256.
  kEcdsaP256,  // ECDSA over P-256 with SHA-256, DER signature.
  kEcdsaP384,  // ECDSA over P-384 with SHA-384, DER signature.
  kEd25519,    // Pure Ed25519, 64-byte signature.
};

// KeyTypeName returns "rsa-2048"-style names for display ("rsa-<bits>",
// "ecdsa-p256", "ecdsa-p384", "ed25519").
std::string KeyTypeName(KeyType type, int bits);

// Minimum accepted RSA modulus size.
inline constexpr int kMinRsaBits = 2048;

// PublicKey is an immutable, verified-on-load public key. Thread-compatible:
// const methods may be called concurrently.
class PublicKey {
 public:
  // ParsePem loads one PEM public key. Fails with kInvalidArgument naming the
  // problem: not PEM, unsupported algorithm or curve, RSA below 2048 bits,
  // trailing data after the PEM block.
  static absl::StatusOr<PublicKey> ParsePem(std::string_view pem);
  // FromDer loads a DER SubjectPublicKeyInfo.
  static absl::StatusOr<PublicKey> FromSpkiDer(std::span<const uint8_t> der);
  // FromPkey takes ownership of a key already validated by the caller.
  static absl::StatusOr<PublicKey> FromPkey(EvpPkeyPtr pkey);

  // Copies share the immutable EVP_PKEY (reference counted).
  PublicKey(const PublicKey& other);
  PublicKey& operator=(const PublicKey& other);
  PublicKey(PublicKey&&) = default;
  PublicKey& operator=(PublicKey&&) = default;

  KeyType type() const { return type_; }
  int bits() const { return bits_; }
  EVP_PKEY* pkey() const { return pkey_.get(); }
  // SpkiDer returns the DER SubjectPublicKeyInfo, EC points always in
  // uncompressed form (whichever form the key was given in).
  const std::vector<uint8_t>& SpkiDer() const { return spki_der_; }
  // Fingerprint returns SHA-256 of SpkiDer(): the stable identity of an
  // auditor, independent of the PEM flavour and EC point encoding it came in.
  const Sha256Digest& Fingerprint() const { return fingerprint_; }
  // ToPem returns the SPKI PEM ("BEGIN PUBLIC KEY").
  std::string ToPem() const;

 private:
  PublicKey(EvpPkeyPtr pkey, KeyType type, int bits,
            std::vector<uint8_t> spki_der);
  EvpPkeyPtr pkey_;
  KeyType type_;
  int bits_;
  std::vector<uint8_t> spki_der_;
  Sha256Digest fingerprint_{};
};

// PrivateKey owns a signing key.
class PrivateKey {
 public:
  // Generate creates a fresh key. `rsa_bits` is used for kRsa only.
  static absl::StatusOr<PrivateKey> Generate(KeyType type, int rsa_bits = 3072);
  // ParsePem loads a private key (see file comment for formats). The input is
  // not retained.
  static absl::StatusOr<PrivateKey> ParsePem(std::string_view pem);

  KeyType type() const { return public_key_.type(); }
  EVP_PKEY* pkey() const { return pkey_.get(); }
  const PublicKey& public_key() const { return public_key_; }
  // ToPkcs8Pem serialises the private key (unencrypted PKCS#8).
  absl::StatusOr<SecretBytes> ToPkcs8Pem() const;

 private:
  PrivateKey(EvpPkeyPtr pkey, PublicKey pub)
      : pkey_(std::move(pkey)), public_key_(std::move(pub)) {}
  EvpPkeyPtr pkey_;
  PublicKey public_key_;
};

}  // namespace mra::crypto

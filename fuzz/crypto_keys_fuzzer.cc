// Fuzzes public/private key loading (mra/crypto/keys.h): PEM public keys
// (PKCS#1, SPKI) as found in sigstruct sidecars and auditor key files, DER
// SubjectPublicKeyInfo as in attested certificates, and PEM private keys.
// Invariants: no crash, hang or throw; refusals are INVALID_ARGUMENT; an
// accepted public key round-trips through ToPem / FromSpkiDer with the same
// fingerprint (SHA-256 of its SPKI), and RSA keys are >= kMinRsaBits.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "mra/crypto/digest.h"
#include "mra/crypto/keys.h"

namespace {

void CheckRefusal(const absl::Status& s) {
  if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
}

void CheckPublic(const mra::crypto::PublicKey& key) {
  if (key.Fingerprint() != mra::crypto::Sha256(key.SpkiDer())) {
    __builtin_trap();
  }
  if (key.type() == mra::crypto::KeyType::kRsa &&
      key.bits() < mra::crypto::kMinRsaBits) {
    __builtin_trap();
  }
  auto from_pem = mra::crypto::PublicKey::ParsePem(key.ToPem());
  auto from_der = mra::crypto::PublicKey::FromSpkiDer(key.SpkiDer());
  if (!from_pem.ok() || !from_der.ok() ||
      from_pem->Fingerprint() != key.Fingerprint() ||
      from_der->Fingerprint() != key.Fingerprint() ||
      from_der->type() != key.type()) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto pub = mra::crypto::PublicKey::ParsePem(text);
  CheckRefusal(pub.status());
  if (pub.ok()) {
    CheckPublic(*pub);
  }
  auto der =
      mra::crypto::PublicKey::FromSpkiDer(std::span<const uint8_t>(data, size));
  CheckRefusal(der.status());
  if (der.ok()) {
    CheckPublic(*der);
  }
  auto priv = mra::crypto::PrivateKey::ParsePem(text);
  CheckRefusal(priv.status());
  if (priv.ok()) {
    CheckPublic(priv->public_key());
  }
  return 0;
}

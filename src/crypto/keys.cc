#include "mra/crypto/keys.h"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "mra/base/status.h"
#include "mra/base/strings.h"

namespace mra::crypto {
namespace {

// Maximum PEM text we accept for one key (an RSA-16384 private key is ~12 KB).
constexpr size_t kMaxPemLen = 32 * 1024;

struct PemBlock {
  std::string label;
  std::string_view text;  // The whole block including BEGIN/END lines.
};

// ExtractSinglePem requires `pem` to be exactly one PEM block, surrounded by
// nothing but whitespace, and returns its label.
absl::StatusOr<PemBlock> ExtractSinglePem(std::string_view pem) {
  if (pem.size() > kMaxPemLen) {
    return absl::InvalidArgumentError(
        StrCat("key PEM is ", pem.size(), " bytes, limit ", kMaxPemLen));
  }
  std::string_view s = TrimAsciiWhitespace(pem);
  constexpr std::string_view kBegin = "-----BEGIN ";
  if (!s.starts_with(kBegin)) {
    return absl::InvalidArgumentError(
        "key is not PEM: expected '-----BEGIN ...-----'");
  }
  size_t label_end = s.find("-----", kBegin.size());
  if (label_end == std::string_view::npos) {
    return absl::InvalidArgumentError("key PEM: unterminated BEGIN line");
  }
  std::string label(s.substr(kBegin.size(), label_end - kBegin.size()));
  std::string end_line = StrCat("-----END ", label, "-----");
  if (!s.ends_with(end_line)) {
    return absl::InvalidArgumentError(
        StrCat("key PEM: expected the text to end with '", end_line, "'"));
  }
  if (s.find(kBegin, 1) != std::string_view::npos) {
    return absl::InvalidArgumentError(
        "key PEM: more than one PEM block; give exactly one key");
  }
  return PemBlock{label, s};
}

absl::StatusOr<EvpPkeyPtr> DecodePem(std::string_view text, int selection,
                                     const char* structure) {
  EVP_PKEY* raw = nullptr;
  OSSL_DECODER_CTX* dctx = OSSL_DECODER_CTX_new_for_pkey(
      &raw, "PEM", structure, nullptr, selection, nullptr, nullptr);
  if (dctx == nullptr) {
    return OpenSslError("OSSL_DECODER_CTX_new_for_pkey");
  }
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  size_t len = text.size();
  int ok = OSSL_DECODER_from_data(dctx, &data, &len);
  OSSL_DECODER_CTX_free(dctx);
  if (ok != 1 || raw == nullptr) {
    ClearOpenSslErrors();
    EVP_PKEY_free(raw);
    return absl::InvalidArgumentError(
        "key PEM does not decode (corrupt base64 or DER, or an unsupported "
        "algorithm)");
  }
  return EvpPkeyPtr(raw);
}

struct TypeInfo {
  KeyType type;
  int bits;
};

absl::StatusOr<TypeInfo> Classify(EVP_PKEY* pkey) {
  int bits = EVP_PKEY_get_bits(pkey);
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
      if (bits < kMinRsaBits) {
        return absl::InvalidArgumentError(StrCat("RSA key has ", bits,
                                                 " bits; at least ",
                                                 kMinRsaBits, " are required"));
      }
      return TypeInfo{KeyType::kRsa, bits};
    case EVP_PKEY_EC: {
      char group[64] = {0};
      size_t group_len = 0;
      if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                         group, sizeof(group),
                                         &group_len) != 1) {
        ClearOpenSslErrors();
        return absl::InvalidArgumentError("EC key without a named curve");
      }
      std::string_view name(group, group_len);
      if (name == "prime256v1" || name == "P-256") {
        return TypeInfo{KeyType::kEcdsaP256, 256};
      }
      if (name == "secp384r1" || name == "P-384") {
        return TypeInfo{KeyType::kEcdsaP384, 384};
      }
      return absl::InvalidArgumentError(
          StrCat("EC curve '", name, "' is not supported (P-256 or P-384)"));
    }
    case EVP_PKEY_ED25519:
      return TypeInfo{KeyType::kEd25519, 256};
    default:
      return absl::InvalidArgumentError(
          "unsupported key algorithm (RSA, ECDSA P-256/P-384 or Ed25519)");
  }
}

// SpkiOf encodes the public half of `pkey` as DER SubjectPublicKeyInfo. EC
// points are always encoded uncompressed (SEC 1 allows the same key
// compressed too): the SPKI, and so the fingerprint that identifies an
// auditor, must not depend on the encoding the key arrived in.
absl::StatusOr<std::vector<uint8_t>> SpkiOf(EVP_PKEY* pkey) {
  EvpPkeyPtr normalised;
  if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC) {
    normalised.reset(EVP_PKEY_dup(pkey));
    if (normalised == nullptr) {
      return OpenSslError("EVP_PKEY_dup");
    }
    if (EVP_PKEY_set_utf8_string_param(
            normalised.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
            OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) != 1) {
      return OpenSslError("EC point format: uncompressed");
    }
    pkey = normalised.get();
  }
  int len = i2d_PUBKEY(pkey, nullptr);
  if (len <= 0) {
    return OpenSslError("i2d_PUBKEY");
  }
  std::vector<uint8_t> der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  if (i2d_PUBKEY(pkey, &p) != len) {
    return OpenSslError("i2d_PUBKEY");
  }
  return der;
}

}  // namespace

std::string KeyTypeName(KeyType type, int bits) {
  switch (type) {
    case KeyType::kRsa:
      return StrCat("rsa-", bits);
    case KeyType::kEcdsaP256:
      return "ecdsa-p256";
    case KeyType::kEcdsaP384:
      return "ecdsa-p384";
    case KeyType::kEd25519:
      return "ed25519";
  }
  return "unknown";
}

PublicKey::PublicKey(EvpPkeyPtr pkey, KeyType type, int bits,
                     std::vector<uint8_t> spki_der)
    : pkey_(std::move(pkey)),
      type_(type),
      bits_(bits),
      spki_der_(std::move(spki_der)),
      fingerprint_(Sha256(spki_der_)) {}

PublicKey::PublicKey(const PublicKey& other)
    : type_(other.type_),
      bits_(other.bits_),
      spki_der_(other.spki_der_),
      fingerprint_(other.fingerprint_) {
  MRA_CHECK(EVP_PKEY_up_ref(other.pkey_.get()) == 1);
  pkey_.reset(other.pkey_.get());
}

PublicKey& PublicKey::operator=(const PublicKey& other) {
  if (this != &other) {
    *this = PublicKey(other);
  }
  return *this;
}

absl::StatusOr<PublicKey> PublicKey::FromPkey(EvpPkeyPtr pkey) {
  if (pkey == nullptr) {
    return absl::InvalidArgumentError("null key");
  }
  MRA_ASSIGN_OR_RETURN(TypeInfo info, Classify(pkey.get()));
  MRA_ASSIGN_OR_RETURN(std::vector<uint8_t> spki, SpkiOf(pkey.get()));
  // Re-decode the SPKI so the public key never carries private material.
  const unsigned char* p = spki.data();
  EVP_PKEY* pub =
      d2i_PUBKEY(nullptr, &p,
                 static_cast<long>(spki.size()));  // NOLINT(google-runtime-int)
  if (pub == nullptr) {
    return OpenSslError("d2i_PUBKEY");
  }
  return PublicKey(EvpPkeyPtr(pub), info.type, info.bits, std::move(spki));
}

absl::StatusOr<PublicKey> PublicKey::ParsePem(std::string_view pem) {
  MRA_ASSIGN_OR_RETURN(PemBlock block, ExtractSinglePem(pem));
  const char* structure = nullptr;
  if (block.label == "PUBLIC KEY") {
    structure = "SubjectPublicKeyInfo";
  } else if (block.label == "RSA PUBLIC KEY") {
    structure = "type-specific";
  } else {
    return absl::InvalidArgumentError(StrCat(
        "PEM label '", block.label,
        "' is not a public key (expected 'PUBLIC KEY' or 'RSA PUBLIC KEY')"));
  }
  MRA_ASSIGN_OR_RETURN(EvpPkeyPtr pkey,
                       DecodePem(block.text, EVP_PKEY_PUBLIC_KEY, structure));
  return FromPkey(std::move(pkey));
}

absl::StatusOr<PublicKey> PublicKey::FromSpkiDer(std::span<const uint8_t> der) {
  const unsigned char* p = der.data();
  EVP_PKEY* pub =
      d2i_PUBKEY(nullptr, &p,
                 static_cast<long>(der.size()));  // NOLINT(google-runtime-int)
  if (pub == nullptr) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("SubjectPublicKeyInfo does not decode");
  }
  EvpPkeyPtr owned(pub);
  if (p != der.data() + der.size()) {
    return absl::InvalidArgumentError(
        "trailing bytes after SubjectPublicKeyInfo");
  }
  return FromPkey(std::move(owned));
}

std::string PublicKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  MRA_CHECK(bio != nullptr);
  MRA_CHECK(PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<PrivateKey> PrivateKey::ParsePem(std::string_view pem) {
  MRA_ASSIGN_OR_RETURN(PemBlock block, ExtractSinglePem(pem));
  if (block.label == "ENCRYPTED PRIVATE KEY") {
    return absl::InvalidArgumentError(
        "encrypted private keys are not supported; decrypt it with "
        "'openssl pkey' first");
  }
  if (block.label != "PRIVATE KEY" && block.label != "RSA PRIVATE KEY" &&
      block.label != "EC PRIVATE KEY") {
    return absl::InvalidArgumentError(StrCat(
        "PEM label '", block.label,
        "' is not a private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE "
        "KEY)"));
  }
  MRA_ASSIGN_OR_RETURN(EvpPkeyPtr pkey,
                       DecodePem(block.text, EVP_PKEY_KEYPAIR, nullptr));
  // FromPkey duplicates only the public half (via SPKI).
  MRA_ASSIGN_OR_RETURN(std::vector<uint8_t> spki, SpkiOf(pkey.get()));
  MRA_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::FromSpkiDer(spki));
  return PrivateKey(std::move(pkey), std::move(pub));
}

absl::StatusOr<PrivateKey> PrivateKey::Generate(KeyType type, int rsa_bits) {
  EVP_PKEY* raw = nullptr;
  switch (type) {
    case KeyType::kRsa:
      if (rsa_bits < kMinRsaBits || rsa_bits > 8192) {
        return absl::InvalidArgumentError(
            StrCat("RSA size ", rsa_bits, " outside 2048..8192"));
      }
      raw = EVP_RSA_gen(static_cast<unsigned int>(rsa_bits));
      break;
    case KeyType::kEcdsaP256:
      raw = EVP_EC_gen("P-256");
      break;
    case KeyType::kEcdsaP384:
      raw = EVP_EC_gen("P-384");
      break;
    case KeyType::kEd25519:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (raw == nullptr) {
    return OpenSslError("key generation");
  }
  EvpPkeyPtr pkey(raw);
  MRA_ASSIGN_OR_RETURN(std::vector<uint8_t> spki, SpkiOf(pkey.get()));
  MRA_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::FromSpkiDer(spki));
  return PrivateKey(std::move(pkey), std::move(pub));
}

absl::StatusOr<SecretBytes> PrivateKey::ToPkcs8Pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) {
    return OpenSslError("BIO_new");
  }
  if (PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0,
                               nullptr, nullptr) != 1) {
    return OpenSslError("PEM_write_bio_PrivateKey");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  SecretBytes out(std::string_view(data, static_cast<size_t>(len)));
  OPENSSL_cleanse(data, static_cast<size_t>(len));
  return out;
}

}  // namespace mra::crypto

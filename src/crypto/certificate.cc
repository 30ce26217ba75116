#include "mra/crypto/certificate.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <array>
#include <memory>
#include <string>
#include <utility>

#include <openssl/x509.h>

#include "mra/base/strings.h"

namespace mra::crypto {
namespace {

// NoDecoderLibCtx is a library context whose only provider, "null", offers
// no algorithms (loading it stops OpenSSL from activating the default
// provider on first use). Parsing a certificate in it leaves the public key
// undecoded; the X509 itself keeps the default context for everything else
// (signature verification, digests). Null if OpenSSL cannot create it: then
// certificates are parsed the ordinary, slower way.
OSSL_LIB_CTX* NoDecoderLibCtx() {
  static OSSL_LIB_CTX* const ctx = [] {
    OSSL_LIB_CTX* c = OSSL_LIB_CTX_new();
    if (c != nullptr && OSSL_PROVIDER_load(c, "null") == nullptr) {
      OSSL_LIB_CTX_free(c);
      c = nullptr;
    }
    ClearOpenSslErrors();
    return c;
  }();
  return ctx;
}

// EcGroupName maps the named curves we build keys for directly.
const char* EcGroupName(const X509_ALGOR* params) {
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(nullptr, &ptype, &pval, params);
  if (ptype != V_ASN1_OBJECT || pval == nullptr) {
    return nullptr;  // Explicit curve parameters: the generic path.
  }
  switch (OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(pval))) {
    case NID_X9_62_prime256v1:
      return "prime256v1";
    case NID_secp384r1:
      return "secp384r1";
    default:
      return nullptr;
  }
}

// BuildEcKey builds a key on the named `group` with EVP_PKEY_fromdata:
// parameters only when `point` is empty, else the public key `point`. Null
// when OpenSSL refuses (unknown group, point not on the curve).
EvpPkeyPtr BuildEcKey(const char* group, std::span<const uint8_t> point) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                       const_cast<char*>(group),  // NOLINT
                                       0),
      OSSL_PARAM_construct_octet_string(
          OSSL_PKEY_PARAM_PUB_KEY,
          const_cast<uint8_t*>(point.data()),  // NOLINT: read only.
          point.size()),
      OSSL_PARAM_construct_end()};
  if (point.empty()) {
    params[1] = OSSL_PARAM_construct_end();
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(
          ctx.get(), &key,
          point.empty() ? EVP_PKEY_KEY_PARAMETERS : EVP_PKEY_PUBLIC_KEY,
          params) != 1) {
    ClearOpenSslErrors();
    EVP_PKEY_free(key);
    return nullptr;
  }
  return EvpPkeyPtr(key);
}

// GroupParameters returns a process-wide parameters-only key of a named
// curve we build keys on (P-256, P-384), or null for any other name.
EVP_PKEY* GroupParameters(std::string_view group) {
  auto make = [](const char* name) { return BuildEcKey(name, {}).release(); };
  static EVP_PKEY* const p256 = make("prime256v1");
  static EVP_PKEY* const p384 = make("secp384r1");
  if (group == "prime256v1") {
    return p256;
  }
  return group == "secp384r1" ? p384 : nullptr;
}

bool OnlyFiller(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t' && c != '\0') {
      return false;
    }
  }
  return true;
}

// kBase64Class sorts bytes into base64 characters (with '='), the
// whitespace PEM allows between them, and everything else.
enum Base64Class : uint8_t { kB64Invalid, kB64Char, kB64Space };
constexpr std::array<Base64Class, 256> kBase64Class = [] {
  std::array<Base64Class, 256> table{};
  for (char c : std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
                                 "tuvwxyz0123456789+/=")) {
    table[static_cast<unsigned char>(c)] = kB64Char;
  }
  for (char c : std::string_view(" \n\r\t")) {
    table[static_cast<unsigned char>(c)] = kB64Space;
  }
  return table;
}();

// Base64Decode decodes one PEM body (lines of base64, whitespace ignored)
// strictly: only the alphabet, whole quanta, padding only at the end.
bool Base64Decode(std::string_view body, std::vector<uint8_t>* out) {
  if (body.size() >= (1u << 20)) {
    return false;
  }
  // The base64 characters, whitespace dropped, checked against the alphabet
  // (EVP_DecodeUpdate would stop silently at a '-' and ignore the rest).
  std::string text;
  text.reserve(body.size());
  for (char c : body) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (kBase64Class[u] == kB64Space) {
      continue;
    }
    if (kBase64Class[u] == kB64Invalid) {
      return false;
    }
    text.push_back(c);
  }
  // Whole quanta, and '=' only as the last one or two characters of the last
  // one: EVP_DecodeBlock would decode a '=' anywhere as zero bits.
  if (text.empty() || text.size() % 4 != 0) {
    return false;
  }
  const size_t first_pad = text.find('=');
  size_t pad = 0;
  if (first_pad != std::string::npos) {
    pad = text.size() - first_pad;
    if (pad > 2 ||
        text.find_first_not_of('=', first_pad) != std::string::npos) {
      return false;
    }
  }
  out->resize(text.size() / 4 * 3);
  const int len = EVP_DecodeBlock(
      out->data(), reinterpret_cast<const unsigned char*>(text.data()),
      static_cast<int>(text.size()));
  ClearOpenSslErrors();
  if (len < 0 || static_cast<size_t>(len) != out->size() ||
      out->size() == pad) {
    out->clear();
    return false;
  }
  out->resize(out->size() - pad);  // EVP_DecodeBlock counts padding as data.
  return true;
}

}  // namespace

absl::StatusOr<std::vector<std::string_view>> SplitPemCertificates(
    std::string_view pem, size_t max_certs) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::vector<std::string_view> out;
  std::string_view rest = pem;
  while (!OnlyFiller(rest)) {
    size_t begin = rest.find(kBegin);
    if (begin == std::string_view::npos || !OnlyFiller(rest.substr(0, begin))) {
      return absl::InvalidArgumentError(
          "expected a PEM certificate ('-----BEGIN CERTIFICATE-----')");
    }
    size_t end = rest.find(kEnd, begin);
    if (end == std::string_view::npos) {
      return absl::InvalidArgumentError("unterminated PEM certificate");
    }
    if (out.size() == max_certs) {
      return absl::InvalidArgumentError(
          StrCat("more than ", max_certs, " certificates"));
    }
    out.push_back(
        rest.substr(begin + kBegin.size(), end - begin - kBegin.size()));
    rest = rest.substr(end + kEnd.size());
  }
  if (out.empty()) {
    return absl::InvalidArgumentError("no certificates");
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> DecodePemBody(std::string_view body,
                                                   size_t index) {
  std::vector<uint8_t> der;
  if (!Base64Decode(body, &der)) {
    return absl::InvalidArgumentError(
        StrCat("certificate ", index, " is not valid base64"));
  }
  return der;
}

bool PemBodyIs(std::string_view body, std::string_view base64) {
  if (base64.empty()) {
    return false;  // Nothing is known: an empty body is not a certificate.
  }
  // Line by line (memchr finds the breaks): a line usually is the next
  // stretch of `base64` verbatim; one that is not is compared character by
  // character, skipping spaces, tabs and CRs.
  size_t next = 0;
  size_t i = 0;
  while (i < body.size()) {
    size_t nl = body.find('\n', i);
    if (nl == std::string_view::npos) {
      nl = body.size();
    }
    std::string_view line = body.substr(i, nl - i);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (base64.compare(next, line.size(), line) == 0) {
      next += line.size();
    } else {
      for (char c : line) {
        if (c == ' ' || c == '\t' || c == '\r') {
          continue;
        }
        if (next == base64.size() || base64[next] != c) {
          return false;
        }
        ++next;
      }
    }
    i = nl + 1;
  }
  return next == base64.size();
}

std::string Base64Encode(std::span<const uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            bytes.data(), static_cast<int>(bytes.size()));
  out.resize(len > 0 ? static_cast<size_t>(len) : 0);
  return out;
}

absl::StatusOr<X509Ptr> ParseCertificateDer(std::span<const uint8_t> der) {
  const unsigned char* p = der.data();
  const long len = static_cast<long>(der.size());  // NOLINT(google-runtime-int)
  OSSL_LIB_CTX* ctx = NoDecoderLibCtx();
  X509Ptr cert(ctx != nullptr
                   ? reinterpret_cast<X509*>(ASN1_item_d2i_ex(
                         nullptr, &p, len, ASN1_ITEM_rptr(X509), ctx, nullptr))
                   : d2i_X509(nullptr, &p, len));
  if (cert == nullptr) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("does not decode as DER");
  }
  if (p != der.data() + der.size()) {
    return absl::InvalidArgumentError(
        StrCat("has ", der.data() + der.size() - p, " bytes after its DER"));
  }
  return cert;
}

absl::StatusOr<EvpPkeyPtr> CertificatePublicKey(const X509* cert) {
  if (cert == nullptr) {
    return absl::InvalidArgumentError("no certificate");
  }
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(cert);
  ASN1_OBJECT* algorithm = nullptr;
  const unsigned char* bits = nullptr;
  int bits_len = 0;
  X509_ALGOR* params = nullptr;
  if (spki == nullptr || X509_PUBKEY_get0_param(&algorithm, &bits, &bits_len,
                                                &params, spki) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("certificate has no public key");
  }
  // EC named curves first: asking X509_get0_pubkey about a certificate from
  // ParseCertificateDer would run (and fail) OpenSSL's decoder set-up again.
  if (OBJ_obj2nid(algorithm) == NID_X9_62_id_ecPublicKey && params != nullptr) {
    if (const char* group = EcGroupName(params)) {
      return EcPublicKeyFromPoint(group, {bits, static_cast<size_t>(bits_len)});
    }
  }
  if (EVP_PKEY* decoded = X509_get0_pubkey(cert)) {
    EVP_PKEY_up_ref(decoded);
    return EvpPkeyPtr(decoded);
  }
  ClearOpenSslErrors();
  // Any other algorithm: OpenSSL's generic (slow) decoder on the SPKI.
  unsigned char* der = nullptr;
  int der_len = i2d_X509_PUBKEY(spki, &der);
  const unsigned char* p = der;
  EvpPkeyPtr key(der_len > 0 ? d2i_PUBKEY(nullptr, &p, der_len) : nullptr);
  OPENSSL_free(der);
  if (key == nullptr) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("certificate public key does not decode");
  }
  return key;
}

absl::StatusOr<EvpPkeyPtr> EcPublicKeyFromPoint(
    const char* group, std::span<const uint8_t> point) {
  // Copying a parameters-only key of the group and setting the point costs
  // ~4 µs; EVP_PKEY_fromdata rebuilds the group (Montgomery set-up) each
  // time, ~16 µs. Both check that the point is on the curve.
  EVP_PKEY* params_only = GroupParameters(group);
  EvpPkeyPtr key(params_only != nullptr ? EVP_PKEY_dup(params_only) : nullptr);
  if (key != nullptr && !point.empty() &&
      EVP_PKEY_set1_encoded_public_key(key.get(), point.data(), point.size()) ==
          1) {
    return key;
  }
  if (params_only == nullptr && !point.empty()) {  // Unknown group: generic.
    if (EvpPkeyPtr built = BuildEcKey(group, point)) {
      return built;
    }
  }
  ClearOpenSslErrors();
  return absl::InvalidArgumentError(
      StrCat("EC public key is not a valid point on ", group));
}

}  // namespace mra::crypto

// Certificate parsing for collateral bundles: PEM chains, each distinct DER
// parsed once, and the Intel SGX Root CA parsed once per process.
#include "src/collateral/cert_parse.h"

#include <openssl/pem.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "src/collateral/json_util.h"
#include <openssl/x509.h>

#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/collateral/collateral.h"
#include "mra/crypto/certificate.h"

namespace mra::collateral {
namespace {

// docs/dcap-spec.md section 8 (identical DER in Phala dcap-qvl, zkdcap,
// automata, go-tdx-qpl, go-tdx-guest, and every production PCK chain).
constexpr std::string_view kIntelRootPem =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw\n"
    "aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
    "cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
    "BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG\n"
    "A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0\n"
    "aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT\n"
    "AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7\n"
    "1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB\n"
    "uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ\n"
    "MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50\n"
    "ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV\n"
    "Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI\n"
    "KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg\n"
    "AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=\n"
    "-----END CERTIFICATE-----\n";

crypto::X509Ptr UpRef(X509* cert) {
  X509_up_ref(cert);
  return crypto::X509Ptr(cert);
}

// IntelRoot is the pinned root, parsed once: it ends every chain of every
// bundle (three per bundle, plus the quote's).
struct IntelRoot {
  std::vector<uint8_t> der;
  std::string base64;  // `der` on one line, to recognise it as PEM text.
  X509* cert = nullptr;
};

const IntelRoot& SharedIntelRoot() {
  static const IntelRoot* root = [] {
    auto* r = new IntelRoot();
    crypto::BioPtr bio(BIO_new_mem_buf(kIntelRootPem.data(),
                                       static_cast<int>(kIntelRootPem.size())));
    r->cert = bio == nullptr
                  ? nullptr
                  : PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (r->cert != nullptr) {
      unsigned char* der = nullptr;
      int len = i2d_X509(r->cert, &der);
      if (len > 0) {
        r->der.assign(der, der + len);
        r->base64 = crypto::Base64Encode(r->der);
      }
      OPENSSL_free(der);
    }
    // A failure leaves `der` empty: nothing is shared and every bundle parses
    // its own copy (TrustStore reports the broken constant).
    crypto::ClearOpenSslErrors();
    return r;
  }();
  return *root;
}

}  // namespace

std::string_view IntelSgxRootCaPem() { return kIntelRootPem; }

namespace internal {

absl::StatusOr<crypto::X509Ptr> CertInterner::Parse(
    std::span<const uint8_t> der, std::string_view field, size_t index) {
  const IntelRoot& intel = SharedIntelRoot();
  if (!intel.der.empty() && std::ranges::equal(der, intel.der)) {
    return UpRef(intel.cert);
  }
  for (const auto& [seen_der, cert] : seen_) {
    if (std::ranges::equal(der, seen_der)) {
      return UpRef(cert.get());
    }
  }
  absl::StatusOr<crypto::X509Ptr> cert = crypto::ParseCertificateDer(der);
  if (!cert.ok()) {
    return internal::Malformed(field, StrCat("certificate ", index, " ",
                                             ToStd(cert.status().message())));
  }
  X509* raw = cert->get();
  seen_.emplace_back(std::vector<uint8_t>(der.begin(), der.end()),
                     *std::move(cert));
  return UpRef(raw);
}

absl::StatusOr<crypto::X509Ptr> CertInterner::ParsePemBody(
    std::string_view body, std::string_view field, size_t index) {
  const IntelRoot& intel = SharedIntelRoot();
  if (!intel.base64.empty() && crypto::PemBodyIs(body, intel.base64)) {
    return UpRef(intel.cert);
  }
  for (const auto& [seen_body, cert] : seen_bodies_) {
    if (seen_body == body) {
      return UpRef(cert);
    }
  }
  absl::StatusOr<std::vector<uint8_t>> der = crypto::DecodePemBody(body, index);
  if (!der.ok()) {
    return Malformed(field, ToStd(der.status().message()));
  }
  MRA_ASSIGN_OR_RETURN(crypto::X509Ptr cert, Parse(*der, field, index));
  seen_bodies_.emplace_back(body, cert.get());  // `seen_` or intel owns it.
  return cert;
}

absl::StatusOr<CertChain> ParsePemChain(std::string_view pem,
                                        std::string_view field,
                                        CertInterner& interner) {
  absl::StatusOr<std::vector<std::string_view>> bodies =
      crypto::SplitPemCertificates(pem, kMaxChainCerts);
  if (!bodies.ok()) {
    return Malformed(field, ToStd(bodies.status().message()));
  }
  CertChain chain;
  for (std::string_view body : *bodies) {
    MRA_ASSIGN_OR_RETURN(crypto::X509Ptr cert,
                         interner.ParsePemBody(body, field, chain.size()));
    chain.push_back(std::move(cert));
  }
  return chain;
}

}  // namespace internal

absl::StatusOr<CertChain> ParsePemChain(std::string_view pem,
                                        std::string_view field) {
  internal::CertInterner interner;
  return internal::ParsePemChain(pem, field, interner);
}

}  // namespace mra::collateral

#include "src/grpc/testing/test_peers.h"

#include <openssl/pem.h>
#include <openssl/rand.h>

#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/keys.h"
#include "mra/crypto/openssl_ptr.h"

namespace mra::grpc::testing {
namespace {

using crypto::BioPtr;
using crypto::X509Ptr;

absl::StatusOr<X509Ptr> ParseCert(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    return crypto::OpenSslError("BIO_new_mem_buf");
  }
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError("certificate does not parse");
  }
  return cert;
}

absl::StatusOr<crypto::EvpPkeyPtr> ParseKey(const SecretBytes& pem) {
  std::string_view text = pem.UnsafeView(SecretAccess::Get());
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (bio == nullptr) {
    return crypto::OpenSslError("BIO_new_mem_buf");
  }
  crypto::EvpPkeyPtr key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return crypto::OpenSslError("PEM_read_bio_PrivateKey");
  }
  return key;
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid,
                          const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) {
    return crypto::OpenSslError("X509V3_EXT_conf_nid");
  }
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) {
    return crypto::OpenSslError("X509_add_ext");
  }
  return absl::OkStatus();
}

std::string CommonName(X509* cert) {
  char buf[256] = {};
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName,
                                    buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

crypto::Sha256Digest DerSha256(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0) {
    return {};
  }
  crypto::Sha256Digest out =
      crypto::Sha256(std::span<const uint8_t>(der, static_cast<size_t>(len)));
  OPENSSL_free(der);
  return out;
}

}  // namespace

absl::StatusOr<IdentityPair> MakeTestIdentity(const TestCertOptions& options) {
  MRA_ASSIGN_OR_RETURN(
      crypto::PrivateKey key,
      crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  X509Ptr cert(X509_new());
  if (cert == nullptr) {
    return crypto::OpenSslError("X509_new");
  }
  uint8_t serial_bytes[16] = {};
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) {
    return crypto::OpenSslError("RAND_bytes");
  }
  serial_bytes[0] &= 0x7f;
  crypto::BignumPtr serial(
      BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
  if (serial == nullptr ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) ==
          nullptr ||
      X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return crypto::OpenSslError("serial/version");
  }
  const long not_before = static_cast<long>(  // NOLINT(google-runtime-int)
      -absl::ToInt64Seconds(options.not_before_skew));
  const long not_after = static_cast<long>(  // NOLINT(google-runtime-int)
      absl::ToInt64Seconds(options.lifetime));
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after) == nullptr) {
    return crypto::OpenSslError("validity");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(options.common_name.c_str()),
          -1, -1, 0) != 1 ||
      X509_set_pubkey(cert.get(), key.pkey()) != 1) {
    return crypto::OpenSslError("subject/pubkey");
  }
  X509Ptr issuer_cert;
  crypto::EvpPkeyPtr issuer_key_holder;
  EVP_PKEY* signing_key = key.pkey();
  X509* issuer = cert.get();
  if (options.issuer != nullptr) {
    MRA_ASSIGN_OR_RETURN(issuer_cert,
                         ParseCert(options.issuer->certificate_pem));
    MRA_ASSIGN_OR_RETURN(issuer_key_holder,
                         ParseKey(options.issuer->private_key_pem));
    signing_key = issuer_key_holder.get();
    issuer = issuer_cert.get();
  }
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) != 1) {
    return crypto::OpenSslError("issuer");
  }
  if (options.is_ca) {
    MRA_RETURN_IF_ERROR(AddExtension(cert.get(), issuer, NID_basic_constraints,
                                     "critical,CA:TRUE"));
    MRA_RETURN_IF_ERROR(AddExtension(cert.get(), issuer, NID_key_usage,
                                     "critical,keyCertSign,cRLSign"));
  } else if (options.issuer != nullptr) {
    MRA_RETURN_IF_ERROR(AddExtension(cert.get(), issuer, NID_subject_alt_name,
                                     "DNS:localhost,IP:127.0.0.1"));
  }
  if (X509_sign(cert.get(), signing_key, EVP_sha256()) <= 0) {
    return crypto::OpenSslError("X509_sign");
  }
  BioPtr out(BIO_new(BIO_s_mem()));
  if (out == nullptr || PEM_write_bio_X509(out.get(), cert.get()) != 1) {
    return crypto::OpenSslError("PEM_write_bio_X509");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(out.get(), &data);  // NOLINT(google-runtime-int)
  IdentityPair pair;
  pair.certificate_pem.assign(data, static_cast<size_t>(len));
  MRA_ASSIGN_OR_RETURN(pair.private_key_pem, key.ToPkcs8Pem());
  return pair;
}

absl::StatusOr<x509::PeerIdentity> MarkerPeerVerifier::Verify(
    std::string_view leaf_pem) const {
  calls_.fetch_add(1);
  absl::Duration delay;
  std::set<std::string> allowed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    delay = delay_;
    allowed = allowed_;
  }
  if (delay > absl::ZeroDuration()) {
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(delay));
  }
  if (leaf_pem.empty()) {
    return VerifyError(VerifyFailure::kNoPeerCertificate, "no certificate");
  }
  absl::StatusOr<X509Ptr> cert = ParseCert(leaf_pem);
  if (!cert.ok()) {
    return VerifyError(VerifyFailure::kCertificateMalformed,
                       "certificate does not parse");
  }
  if (X509_cmp_current_time(X509_get0_notAfter(cert->get())) <= 0 ||
      X509_cmp_current_time(X509_get0_notBefore(cert->get())) >= 0) {
    return VerifyError(VerifyFailure::kCertExpired,
                       "certificate outside its validity");
  }
  const std::string cn = CommonName(cert->get());
  std::string service;
  if (cn.rfind("svc:", 0) == 0) {
    service = cn.substr(4);
  } else if (cn.rfind("deny:", 0) == 0) {
    return VerifyError(VerifyFailure::kPeerNotAllowed,
                       StrCat("test marker denies '", cn.substr(5), "'"));
  } else {
    return VerifyError(VerifyFailure::kEvidenceMissing, "no test marker");
  }
  if (!allowed.empty() && allowed.count(service) == 0) {
    return VerifyError(VerifyFailure::kPeerNotAllowed,
                       StrCat("service '", service, "' not in the allow-list"));
  }
  x509::PeerIdentity id;
  id.service = service;
  id.mr_enclave = crypto::Sha256(crypto::AsBytes(StrCat("enclave:", service)));
  id.mr_signer = crypto::Sha256(crypto::AsBytes("test signer"));
  id.tcb_status = "UpToDate";
  id.simulation = false;
  id.cert_sha256 = DerSha256(cert->get());
  return id;
}

absl::Status MarkerPeerVerifier::Recheck(
    const x509::PeerIdentity& identity) const {
  rechecks_.fetch_add(1);
  std::lock_guard<std::mutex> lock(mu_);
  if (!allowed_.empty() && allowed_.count(identity.service) == 0) {
    return VerifyError(
        VerifyFailure::kPeerNotAllowed,
        StrCat("service '", identity.service, "' no longer in the allow-list"));
  }
  return absl::OkStatus();
}

void MarkerPeerVerifier::SetAllowed(std::set<std::string> allowed) {
  std::lock_guard<std::mutex> lock(mu_);
  allowed_ = std::move(allowed);
}

void MarkerPeerVerifier::SetDelay(absl::Duration delay) {
  std::lock_guard<std::mutex> lock(mu_);
  delay_ = delay;
}

std::string CertSha256Hex(std::string_view pem) {
  absl::StatusOr<X509Ptr> cert = ParseCert(pem);
  if (!cert.ok()) {
    return "";
  }
  return HexEncode(DerSha256(cert->get()));
}

}  // namespace mra::grpc::testing

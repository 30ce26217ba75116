// Copyright The mra Authors.
//
// Internal to mra_sgx: the representation of verified collateral and the
// X.509 / TCB helpers shared by the verify_*.cc files. Not API.

#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <openssl/x509.h>

#include "mra/base/verify_failure.h"
#include "mra/collateral/collateral.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/openssl_ptr.h"
#include "mra/sgx/pck.h"
#include "mra/sgx/quote.h"
#include "mra/sgx/verify.h"

namespace mra::sgx::internal {

// Window is one validity interval checked at `now` (inclusive both ends).
struct Window {
  absl::Time not_before;
  absl::Time not_after;
  VerifyFailure failure = VerifyFailure::kCertExpired;
  std::string what;  // "collateral.pck_crl (CN=...)", for messages.
  bool is_crl = false;
};

// VerifiedLeaf is a PCK leaf certificate that was found issued by the
// collateral's PCK CA, named "SGX PCK Certificate", not revoked by the
// collateral's PCK CRL, and whose SGX extension parsed. Only its validity
// window still depends on `now`.
struct VerifiedLeaf {
  crypto::X509Ptr cert;
  crypto::EvpPkeyPtr key;  // The PCK key: signs the QE report.
  PckExtension extension;
  Window window;
};

// QuoteMemo caches per-platform work that is fixed for one verified
// collateral bundle: verified PCK leaves (by SHA-256 of their DER) and
// attestation public keys (by their raw 64 bytes). Thread-safe; bounded
// (cleared when full).
class QuoteMemo {
 public:
  static constexpr size_t kMaxEntries = 1024;

  std::shared_ptr<const VerifiedLeaf> FindLeaf(
      const crypto::Sha256Digest& der_sha256) const;
  void AddLeaf(const crypto::Sha256Digest& der_sha256,
               std::shared_ptr<const VerifiedLeaf> leaf) const;
  std::shared_ptr<EVP_PKEY> FindKey(const std::array<uint8_t, 64>& raw) const;
  void AddKey(const std::array<uint8_t, 64>& raw,
              std::shared_ptr<EVP_PKEY> key) const;

 private:
  mutable std::mutex mu_;
  mutable std::map<crypto::Sha256Digest, std::shared_ptr<const VerifiedLeaf>>
      leaves_;  // Guarded by mu_.
  mutable std::map<std::array<uint8_t, 64>, std::shared_ptr<EVP_PKEY>>
      keys_;  // Guarded by mu_.
};

// CollateralRep is everything VerifyQuote needs from verified collateral.
// Built once by VerifyCollateral, never modified afterwards (except the
// internally synchronised memo).
struct CollateralRep {
  std::shared_ptr<const TrustStore> store;  // Keeps `root` alive.
  const TrustedRoot* root = nullptr;
  bool accept_expired_crls = false;

  collateral::TcbInfo tcb_info;
  collateral::QeIdentity qe_identity;
  // tcb_order lists tcb_info.tcb_levels indices in Intel's order (the
  // std::greater order of QVL's TcbLevel); qe_order the QE identity levels
  // by descending ISVSVN; module_orders[i] likewise for
  // tcb_info.tdx_module_identities[i].
  std::vector<size_t> tcb_order;
  std::vector<size_t> qe_order;
  std::vector<std::vector<size_t>> module_orders;

  crypto::X509Ptr pck_ca;  // The PCK CRL's issuer (verified to the root).
  crypto::EvpPkeyPtr pck_ca_key;
  std::vector<uint8_t> pck_ca_der;
  std::string pck_ca_base64;  // pck_ca_der on one line (crypto::PemBodyIs).
  crypto::X509CrlPtr pck_crl;
  crypto::X509CrlPtr root_crl;

  std::vector<Window> windows;  // In CheckValidAt order.
  absl::Time earliest_issue_date;

  QuoteMemo memo;
};

// VerifyCollateralSignatures is step A without the time checks: what
// QuoteVerifier caches (collateral_verify.cc). Failures as VerifyCollateral
// minus CheckValidAt's.
absl::StatusOr<std::shared_ptr<const VerifiedCollateral>>
VerifyCollateralSignatures(const collateral::Collateral& c,
                           const VerifierOptions& options);

// --- X.509 helpers (x509_util.cc) -------------------------------------------

// AsnTime converts an ASN1_TIME; nullopt if it does not convert.
std::optional<absl::Time> AsnTime(const ASN1_TIME* t);

// CommonName returns the first CN of `name` ("" if none).
std::string CommonName(const X509_NAME* name);

// OneLine renders `name` as "CN=..., O=..." for messages.
std::string OneLine(const X509_NAME* name);

// CertWindow returns the certificate's validity as a Window, or
// kCertChainInvalid when its dates do not decode.
absl::StatusOr<Window> CertWindow(const X509* cert, std::string_view what);

// CrlWindow returns thisUpdate..nextUpdate, or kCrlInvalid when absent or
// undecodable.
absl::StatusOr<Window> CrlWindow(const X509_CRL* crl, std::string_view what);

// PublicKeyOf returns the certificate's public key (certificates are parsed
// without it; see mra/crypto/certificate.h). kCertChainInvalid naming `what`
// when it does not decode.
absl::StatusOr<crypto::EvpPkeyPtr> PublicKeyOf(const X509* cert,
                                               std::string_view what);

// CheckIssuedBy verifies that `issuer`, whose public key is `issuer_key`,
// issued `cert`: subject/issuer names and the signature. kCertChainInvalid
// otherwise.
[[nodiscard]] absl::Status CheckIssuedBy(const X509* cert, const X509* issuer,
                                         EVP_PKEY* issuer_key,
                                         std::string_view what);

// CheckIsCa requires basicConstraints with cA TRUE and, when keyUsage is
// present, keyCertSign. kCertChainInvalid saying which is missing.
[[nodiscard]] absl::Status CheckIsCa(const X509* cert, std::string_view what);

// CheckCrlIssuedBy verifies the CRL's issuer name and signature against
// `issuer` and its key. kCrlInvalid otherwise.
[[nodiscard]] absl::Status CheckCrlIssuedBy(const X509_CRL* crl,
                                            const X509* issuer,
                                            EVP_PKEY* issuer_key,
                                            std::string_view what);

// IsRevoked reports whether `cert`'s serial is listed in `crl`.
bool IsRevoked(const X509_CRL* crl, const X509* cert);

// SplitPemChain returns the base64 bodies of 1..kMaxChainCerts concatenated
// PEM certificates (whitespace and NULs allowed between blocks, nothing
// else), without decoding them. kQuoteMalformed naming `field` otherwise.
absl::StatusOr<std::vector<std::string_view>> SplitPemChain(
    std::string_view pem, std::string_view field);

// DecodePemBody decodes body `index` of SplitPemChain. kQuoteMalformed naming
// `field` when it is not valid base64.
absl::StatusOr<std::vector<uint8_t>> DecodePemBody(std::string_view body,
                                                   size_t index,
                                                   std::string_view field);

// ParseDer parses one DER certificate, requiring exact consumption.
// kQuoteMalformed naming `field` otherwise.
absl::StatusOr<crypto::X509Ptr> ParseDer(std::span<const uint8_t> der,
                                         std::string_view field);

// DerOf returns the DER encoding of `cert`.
std::vector<uint8_t> DerOf(const X509* cert);

// DerFingerprint is SHA-256 of the certificate's DER.
absl::StatusOr<crypto::Sha256Digest> DerFingerprint(const X509* cert);

// UpRef returns a new owning pointer to the same certificate / CRL.
crypto::X509Ptr UpRef(X509* cert);
crypto::X509CrlPtr UpRef(X509_CRL* crl);

// Failure builds VerifyError(failure, message).
absl::Status Failure(VerifyFailure failure, std::string_view message);

// --- TCB matching (tcb_match.cc) --------------------------------------------

// IntelTcbOrder returns the indices of `info.tcb_levels` sorted as Intel's
// QVL iterates them: descending by SGX component SVNs (lexicographic), then
// for TDX by TDX component SVNs when PCESVNs are equal, then by PCESVN.
std::vector<size_t> IntelTcbOrder(const collateral::TcbInfo& info);

// DescendingByIsvSvn returns the indices of `levels` by descending ISVSVN
// (stable).
std::vector<size_t> DescendingByIsvSvn(
    const std::vector<collateral::EnclaveTcbLevel>& levels);

// ModuleId returns "TDX_%02X" of a TDX module major version.
std::string ModuleId(uint8_t version);

// FindTdxModuleIdentity returns the index of tdxModuleIdentities entry
// ModuleId(version) (compared case-insensitively, as QVL), or nullopt.
std::optional<size_t> FindTdxModuleIdentity(const collateral::TcbInfo& info,
                                            uint8_t version);

// TcbInputs are the platform values TCB matching compares.
struct TcbInputs {
  const PckExtension* pck = nullptr;
  const TdReportBody* td = nullptr;  // Null for SGX quotes.
  uint16_t qe_isv_svn = 0;
  // The TDX module identity selected in step D (TEE_TCB_SVN[1] > 0), as an
  // index into tcb_info.tdx_module_identities.
  std::optional<size_t> module_identity;
};

// EvaluateTcb runs steps I and J and fills the status fields of `result`
// (status, advisory_ids, qe_level, sgx_level, tdx_level, tdx_module_level).
// Failures: kTcbNotSupported, kTcbRevoked.
[[nodiscard]] absl::Status EvaluateTcb(const CollateralRep& rep,
                                       const TcbInputs& in,
                                       VerificationResult* result);

}  // namespace mra::sgx::internal

// Copyright The mra Authors.
//
// File: mra/sgx/verify.h
// -----------------------------------------------------------------------------
// Intel DCAP quote verification (SGX quote v3, SGX/TDX v4, v5 with TD 1.0 /
// TD 1.5 bodies) that reproduces Intel's Quote Verification Library
// (docs/dcap-spec.md section 6), then a separate, fail-closed APPRAISAL
// policy. Parse, then verify, then appraise:
//
//   ParsedQuote q = ParseQuote(bytes)                       (mra/sgx/quote.h)
//   Collateral c  = ParseCollateralJson(json)        (mra/collateral/...)
//   VerificationResult r = verifier.Verify(q, c, now)        (this file)
//   Status verdict = Appraise(r, policy)                     (this file)
//
// Verification (what Intel's QVL decides):
//   A. Collateral, once per collateral bundle (VerifyCollateral, cached by
//      QuoteVerifier): every issuer chain ends in ONE trusted root; the root
//      CA CRL is signed by it, the PCK CRL by the PCK CA of its issuer chain;
//      the PCK CA and the TCB signing certificates are not revoked; the TCB
//      info and QE identity signatures verify over the EXACT signed bytes
//      with the TCB signing key; then the validity windows at `now`:
//      certificates, CRLs (thisUpdate..nextUpdate), TCB info and QE identity
//      (issueDate..nextUpdate).
//   B. The quote's PCK chain (leaf, PCK CA, root): byte-identical to the
//      collateral's root, issuer links and signatures, validity at `now`,
//      leaf CN contains "SGX PCK Certificate", PCK CRL issued by the leaf's
//      issuer, leaf not revoked; the leaf's SGX extension (mra/sgx/pck.h).
//   C. TCB info applies: id SGX/TDX matches the quote (v2 is SGX only),
//      FMSPC and PCE-ID equal the PCK extension's.
//   D. TDX only: TDX module identity (TEE_TCB_SVN[1] selects "TDX_%02X" from
//      tdxModuleIdentities, else tdxModule): MRSIGNERSEAM equal,
//      SEAMATTRIBUTES zero and equal.
//   E. QE report signature by the PCK leaf key.
//   F. QE REPORTDATA[0:32] == SHA-256(attestation key || QE auth data).
//   G. QE identity: id QE/TD_QE, MISCSELECT and ATTRIBUTES under their
//      masks, MRSIGNER, ISVPRODID; QE TCB level by ISVSVN.
//   H. Quote signature by the attestation key over header || body.
//   I. TCB levels (Intel's order): SGX level by PCK component SVNs and
//      PCESVN; TDX level additionally by TEE_TCB_SVN (bytes 2..15 when the
//      module identity levels judge the module); module level by
//      TEE_TCB_SVN[0].
//   J. Status convergence exactly as Intel: TDX level with module status;
//      TD 1.5 relaunch check (TDRelaunchAdvised[ConfigurationNeeded]); then
//      with the QE TCB status.
// Every failure is a Status carrying one VerifyFailure (see each function);
// messages name the check and the field. A converged status of Revoked, or
// no matching TCB level, is a failure (kTcbRevoked, kTcbNotSupported), never
// a result.
//
// Appraisal (what the relying party accepts; Intel QVL leaves it to you):
// AppraisalPolicy defaults accept only UpToDate, no debug enclaves/TDs, no
// simulation roots. Measurements (MRENCLAVE/MRSIGNER/MRTD/RTMRs/...) and
// REPORTDATA are in the result for the caller's identity checks.
//
// Trust roots: the pinned Intel SGX Root CA (SHA-256 of its DER, section 8 of
// the spec) is the default and only root unless the caller passes others in
// a TrustStore. Roots passed that way are DEVELOPMENT/SIMULATION roots: a
// quote chaining to one verifies with `simulation = true`, and Appraise
// refuses it (kSimulationNotTrusted) unless the policy allows simulation.
//
// Thread-safety: everything here is immutable after construction and safe to
// share between threads, except that QuoteVerifier's methods synchronise
// internally (also safe).

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/collateral/collateral.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/openssl_ptr.h"
#include "mra/sgx/pck.h"
#include "mra/sgx/quote.h"

namespace mra::sgx {

using collateral::TcbStatus;

// kIntelSgxRootCaSha256 is the pinned SHA-256 of the Intel SGX Root CA's DER
// (44:A0:19:6B:...:74:D3, docs/dcap-spec.md section 8).
inline constexpr crypto::Sha256Digest kIntelSgxRootCaSha256 = {
    0x44, 0xa0, 0x19, 0x6b, 0x2b, 0x99, 0xf8, 0x89, 0xb8, 0xe1, 0x49,
    0xe9, 0x5b, 0x80, 0x7a, 0x35, 0x0e, 0x74, 0x24, 0x96, 0x43, 0x99,
    0xe8, 0x85, 0xa7, 0xcb, 0xb8, 0xcc, 0xfa, 0xb6, 0x74, 0xd3};

// IntelSgxRootCaPem returns the PEM of the production Intel SGX Root CA (the
// certificate whose fingerprint is kIntelSgxRootCaSha256).
std::string_view IntelSgxRootCaPem();

// TrustedRoot is one root CA a verifier accepts.
struct TrustedRoot {
  crypto::X509Ptr cert;
  crypto::EvpPkeyPtr key;              // cert's public key, decoded once.
  crypto::Sha256Digest fingerprint{};  // SHA-256 of the DER certificate.
  std::string der_base64;  // The DER as one line of base64: quotes carry
                           // the root as PEM, recognised without decoding.
  std::string subject;                 // One-line subject, for messages.
  // simulation is true for every root other than the pinned Intel root.
  bool simulation = false;
};

// TrustStore is an immutable set of root CAs. Thread-safe.
class TrustStore {
 public:
  // IntelOnly returns the store holding only the pinned Intel SGX Root CA,
  // parsed once per process (the fingerprint is checked at first use).
  static std::shared_ptr<const TrustStore> IntelOnly();

  // Create returns Intel's root (when `include_intel`) plus each PEM in
  // `simulation_root_pems` (one self-signed CA certificate per string),
  // marked as simulation roots. The Intel root passed as a PEM is not a
  // simulation root. WARNING: only ever pass development roots here; a
  // production verifier uses IntelOnly().
  // @return kInvalidArgument when a PEM is not exactly one certificate, not
  //         self-signed, or not a CA; or the store has no root at all.
  static absl::StatusOr<std::shared_ptr<const TrustStore>> Create(
      std::span<const std::string> simulation_root_pems,
      bool include_intel = true);

  // roots lists the roots (Intel's first when present).
  const std::vector<TrustedRoot>& roots() const { return roots_; }

  // FindByCert returns the root byte-identical to `cert`, or nullptr.
  const TrustedRoot* FindByCert(const X509* cert) const;

  // FindIssuer returns the root whose subject is `cert`'s issuer and whose
  // key verifies `cert`'s signature, or nullptr.
  const TrustedRoot* FindIssuer(const X509* cert) const;

 private:
  TrustStore() = default;
  std::vector<TrustedRoot> roots_;
};

// VerifierOptions configures verification (not appraisal).
struct VerifierOptions {
  // The roots to trust; nullptr means TrustStore::IntelOnly().
  std::shared_ptr<const TrustStore> trust_store;
  // WARNING: forensics and tests only. Skips ONLY the thisUpdate..nextUpdate
  // check of the root CA CRL and the PCK CRL (their signatures, issuers and
  // revocation entries are still checked). Intel's QVL never does this; with
  // it an attacker can replay a CRL from before a revocation.
  bool accept_expired_crls = false;
};

namespace internal {
struct CollateralRep;
}  // namespace internal

// VerifiedCollateral is a collateral bundle whose signatures, chains and
// CRLs have been verified (step A), with its validity window. Immutable and
// thread-safe; share it through std::shared_ptr. It does not reference the
// Collateral it came from. It also memoises, per platform, the work that is
// fixed for this collateral (PCK leaves verified against its PCK CA and CRL,
// parsed attestation keys; bounded, internally synchronised), so repeated
// quotes of one platform cost the QE report and quote signatures only.
class VerifiedCollateral {
 public:
  explicit VerifiedCollateral(
      std::unique_ptr<const internal::CollateralRep> rep);
  ~VerifiedCollateral();
  VerifiedCollateral(const VerifiedCollateral&) = delete;
  VerifiedCollateral& operator=(const VerifiedCollateral&) = delete;

  // CheckValidAt checks every validity window at `now`, in this order:
  // certificates of the issuer chains (kCertExpired), root CA CRL then PCK
  // CRL (kCrlExpired, skipped with accept_expired_crls), TCB info
  // (kTcbInfoExpired), QE identity (kQeIdentityExpired). Messages name the
  // piece and its window.
  [[nodiscard]] absl::Status CheckValidAt(absl::Time now) const;

  // not_before / not_after bound the window in which CheckValidAt succeeds
  // (intersection of all windows it checks).
  absl::Time not_before() const;
  absl::Time not_after() const;
  // earliest_issue_date is the oldest of: TCB info issueDate, QE identity
  // issueDate, PCK CRL thisUpdate (the monthly-refreshed pieces; the root CA
  // CRL is refreshed yearly and is only checked for validity).
  absl::Time earliest_issue_date() const;

  const collateral::TcbInfo& tcb_info() const;
  const collateral::QeIdentity& qe_identity() const;
  // root is the trusted root every issuer chain of this collateral ends in.
  const TrustedRoot& root() const;
  bool accept_expired_crls() const;

  // rep is for the implementation (src/sgx); not part of the stable API.
  const internal::CollateralRep& rep() const { return *rep_; }

 private:
  std::unique_ptr<const internal::CollateralRep> rep_;
};

// TcbLevelMatch is the TCB level chosen for one component.
struct TcbLevelMatch {
  TcbStatus status = TcbStatus::kRevoked;
  absl::Time tcb_date;
  std::vector<std::string> advisory_ids;
};

// SgxMeasurements are the ISV enclave's identity (SGX quotes).
struct SgxMeasurements {
  std::array<uint8_t, 32> mr_enclave{};
  std::array<uint8_t, 32> mr_signer{};
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  uint16_t config_svn = 0;
  uint32_t miscselect = 0;
  std::array<uint8_t, 16> attributes{};  // flags u64 LE || xfrm u64 LE.
  std::array<uint8_t, 16> cpu_svn{};
  std::array<uint8_t, 16> isv_ext_prod_id{};
  std::array<uint8_t, 16> isv_family_id{};
  std::array<uint8_t, 64> config_id{};
  bool debug = false;  // ATTRIBUTES.DEBUG.
};

// TdxMeasurements are the TD's identity (TDX quotes).
struct TdxMeasurements {
  std::array<uint8_t, 48> mrtd{};
  std::array<std::array<uint8_t, 48>, 4> rtmr{};
  std::array<uint8_t, 48> mrconfigid{};
  std::array<uint8_t, 48> mrowner{};
  std::array<uint8_t, 48> mrownerconfig{};
  std::array<uint8_t, 48> mrseam{};
  std::array<uint8_t, 48> mrsignerseam{};
  std::array<uint8_t, 8> td_attributes{};
  std::array<uint8_t, 8> xfam{};
  std::array<uint8_t, 16> tee_tcb_svn{};
  std::optional<std::array<uint8_t, 16>> tee_tcb_svn2;  // TD 1.5 only.
  std::optional<std::array<uint8_t, 48>> mrservicetd;   // TD 1.5 only.
  bool debug = false;                                   // TDATTRIBUTES.DEBUG.
  bool sept_ve_disable = false;                         // TDATTRIBUTES bit 28.
};

// VerificationResult is what a successful VerifyQuote established.
struct VerificationResult {
  // status is the converged TCB status (never Revoked: that is a failure).
  TcbStatus status = TcbStatus::kRevoked;
  // advisory_ids: the chosen platform level's (the TDX level for TDX, else
  // the SGX level), then the TDX module level's, then the QE level's, each
  // ID once, in that order.
  std::vector<std::string> advisory_ids;

  TcbLevelMatch qe_level;   // QE identity level (UpToDate/OutOfDate).
  uint16_t qe_isv_svn = 0;  // The QE report's ISVSVN.
  TcbLevelMatch sgx_level;  // Platform level by SGX components and PCESVN.
  std::optional<TcbLevelMatch> tdx_level;  // TDX only.
  // tdx_module_level is set for TDX quotes whose TEE_TCB_SVN[1] > 0 (the
  // module is judged by tdxModuleIdentities levels).
  std::optional<TcbLevelMatch> tdx_module_level;
  std::string tdx_module_id;  // "TDX_03", ...; empty when not used.

  uint32_t tcb_eval_num = 0;          // tcbInfo.tcbEvaluationDataNumber.
  uint32_t qe_identity_eval_num = 0;  // enclaveIdentity's.

  uint16_t quote_version = 0;
  BodyType body_type = BodyType::kSgx;
  collateral::TeeType tee = collateral::TeeType::kSgx;
  std::optional<SgxMeasurements> sgx;  // Set iff tee == kSgx.
  std::optional<TdxMeasurements> tdx;  // Set iff tee == kTdx.
  std::array<uint8_t, 64> report_data{};

  PckExtension pck;  // The PCK leaf's SGX extension.
  std::array<uint8_t, 6> fmspc{};

  absl::Time verified_at;           // The `now` of the verification.
  absl::Time earliest_issue_date;   // See VerifiedCollateral.
  absl::Time collateral_not_after;  // When the collateral stops verifying.

  bool simulation = false;  // Chains to a simulation root (not Intel's).
  crypto::Sha256Digest root_fingerprint{};

  // Debug is the debug flag of the enclave or TD.
  bool Debug() const;
};

// VerifyCollateral performs step A and checks the windows at `now`.
// Thread-safe.
// @return the verified collateral, or a Status with: kRootCaUntrusted (an
//         issuer chain does not end in a trusted root, or the chains end in
//         different roots), kCertChainInvalid (issuer link, signature, CA
//         flag, role by CN), kCrlInvalid (CRL issuer or signature),
//         kPckRevoked (PCK CA or TCB signing certificate revoked by the root
//         CA CRL), kTcbInfoInvalid / kQeIdentityInvalid (signature over the
//         exact bytes), then the CheckValidAt failures.
[[nodiscard]] absl::StatusOr<std::shared_ptr<const VerifiedCollateral>>
VerifyCollateral(const collateral::Collateral& collateral,
                 const VerifierOptions& options, absl::Time now);

// VerifyQuote performs steps B-J for `quote` against collateral verified
// before (it re-checks the collateral's windows at `now`). Thread-safe.
// @return the result, or: the VerifiedCollateral::CheckValidAt failures;
//         kQuoteMalformed (PCK chain PEM does not decode or is not three
//         certificates); kRootCaUntrusted (PCK chain's root is not the
//         collateral's root); kCertChainInvalid; kCertExpired (PCK leaf or
//         CA at `now`); kCrlInvalid (PCK CRL not issued by the leaf's
//         issuer); kPckRevoked; kCertificateMalformed (SGX extension);
//         kTcbInfoMismatch; kTdxModuleMismatch; kQeReportSignatureInvalid;
//         kQeReportDataMismatch; kQeIdentityMismatch;
//         kQuoteSignatureInvalid; kTcbNotSupported (no SGX / TDX / module /
//         QE level matches); kTcbRevoked (converged status Revoked).
[[nodiscard]] absl::StatusOr<VerificationResult> VerifyQuote(
    const ParsedQuote& quote, const VerifiedCollateral& collateral,
    absl::Time now);

// VerifyQuote (convenience) = VerifyCollateral + VerifyQuote, no caching.
[[nodiscard]] absl::StatusOr<VerificationResult> VerifyQuote(
    const ParsedQuote& quote, const collateral::Collateral& collateral,
    const VerifierOptions& options, absl::Time now);

// CollateralDigest is SHA-256 over every byte that step A checks (signed
// JSON and signatures, DER of each issuer chain certificate and CRL), length-
// prefixed. Two bundles with the same digest verify identically.
crypto::Sha256Digest CollateralDigest(const collateral::Collateral& collateral);

// QuoteVerifier verifies quotes with a cache of verified collateral keyed by
// CollateralDigest, so many quotes against the same collateral do chain,
// CRL and signature work once. A cache hit re-checks the validity windows at
// `now` (an entry is never trusted outside its window, and collateral
// verified before its window opens is usable once it does). Thread-safe:
// methods may be called concurrently; verification runs outside the lock.
class QuoteVerifier {
 public:
  // kDefaultMaxCacheEntries bounds the cache (one entry per distinct
  // collateral bundle, i.e. per FMSPC/TEE type and refresh).
  static constexpr size_t kDefaultMaxCacheEntries = 256;

  explicit QuoteVerifier(VerifierOptions options = {},
                         size_t max_cache_entries = kDefaultMaxCacheEntries);

  // Verify = GetVerifiedCollateral + VerifyQuote. Failures as those.
  [[nodiscard]] absl::StatusOr<VerificationResult> Verify(
      const ParsedQuote& quote, const collateral::Collateral& collateral,
      absl::Time now);

  // GetVerifiedCollateral returns the cached verification of `collateral`
  // (verifying and caching it on a miss) after CheckValidAt(now). Collateral
  // that fails its signature/chain checks is not cached.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const VerifiedCollateral>>
  GetVerifiedCollateral(const collateral::Collateral& collateral,
                        absl::Time now);

  // CacheStats counts lookups since construction (or ClearCache).
  struct CacheStats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    size_t entries = 0;
  };
  CacheStats cache_stats() const;
  void ClearCache();

  const VerifierOptions& options() const { return options_; }

 private:
  struct DigestHash {
    size_t operator()(const crypto::Sha256Digest& d) const;
  };

  VerifierOptions options_;
  size_t max_cache_entries_;
  mutable std::mutex mu_;
  std::unordered_map<crypto::Sha256Digest,
                     std::shared_ptr<const VerifiedCollateral>, DigestHash>
      cache_;            // Guarded by mu_.
  uint64_t hits_ = 0;    // Guarded by mu_.
  uint64_t misses_ = 0;  // Guarded by mu_.
};

// AppraisalPolicy is the relying party's acceptance policy over a
// VerificationResult. The defaults fail closed.
struct AppraisalPolicy {
  // Converged statuses accepted (default: UpToDate only).
  std::vector<TcbStatus> accepted_statuses = {TcbStatus::kUpToDate};
  // Accept enclaves/TDs with the DEBUG attribute (default: no).
  bool allow_debug = false;
  // SGX only: minimum ISV SVN of the enclave (TDX quotes have none and are
  // not affected).
  std::optional<uint16_t> min_isv_svn;
  // Maximum age of the collateral at verification time: verified_at -
  // earliest_issue_date (unset: no limit).
  std::optional<absl::Duration> max_collateral_age;
  // Accept quotes chaining to a simulation root (default: no).
  bool allow_simulation = false;
};

// Appraise applies `policy` to `result`, in this order: simulation root
// (kSimulationNotTrusted), TCB status (kTcbStatusNotAccepted), debug
// (kDebugEnclave), ISV SVN (kIsvSvnTooLow), collateral age
// (kCollateralTooOld). Thread-safe.
[[nodiscard]] absl::Status Appraise(const VerificationResult& result,
                                    const AppraisalPolicy& policy);

// TeeTypeName returns "SGX" or "TDX".
std::string_view TeeTypeName(collateral::TeeType tee);

}  // namespace mra::sgx

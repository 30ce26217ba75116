// Copyright The mra Authors.
//
// File: mra/attested/dcap_appraiser.h
// -----------------------------------------------------------------------------
// DcapEvidenceAppraiser is the DCAP-backed x509::EvidenceAppraiser: the piece
// that makes AttestedPeerVerifier judge real (or simulated) SGX quotes. It
// lives in its own small area, mra/attested, because it composes three
// layers that do not depend on each other: mra/sgx (quote parsing,
// verification, appraisal), mra/collateral (where collateral comes from) and
// mra/x509 (the seam it implements).
//
// For each quote, in order:
//   1. sgx::ParseQuote (options.parse; default: zero padding tolerated)
//      -> kQuoteMalformed / kQuoteUnsupported
//   2. the collateral request: FMSPC from the PCK leaf's SGX extension, TEE
//      type from the body, PCK CA type from the leaf issuer's common name
//      ("... Processor CA" or else platform) -> kQuoteMalformed /
//      kCertificateMalformed
//   3. collateral from the CollateralSource (a fixed bundle file, or a
//      provider such as a bundle directory or PCS/PCCS); the source's
//      error passes through (kNotFound, kCollateralMalformed, ...)
//   4. sgx::QuoteVerifier::Verify (cached per collateral bundle) at `now`
//      -> the verifier's verdicts (kRootCaUntrusted, kCrlExpired, ...)
//   5. sgx::Appraise with options.policy -> kSimulationNotTrusted,
//      kTcbStatusNotAccepted, kDebugEnclave, kIsvSvnTooLow,
//      kCollateralTooOld
//   6. REPORTDATA == expected_report_data -> kKeyBindingMismatch
// and fills x509::AppraisedEvidence from the SGX measurements, valid until
// the earliest of the collateral's end of validity, the PCK leaf's notAfter
// and, when policy.max_collateral_age is set, the collateral's earliest issue
// date plus that age (after which step 5 would refuse). TDX quotes verify but
// are refused with kQuoteUnsupported: the manifest names SGX identities
// (MRENCLAVE/MRSIGNER) only.
//
// Thread-safety: Appraise may be called concurrently (TLS handshakes).

#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/collateral/collateral.h"
#include "mra/collateral/provider.h"
#include "mra/sgx/quote.h"
#include "mra/sgx/verify.h"
#include "mra/x509/evidence_appraiser.h"

namespace mra::attested {

// CollateralSource hands the appraiser parsed collateral for a request.
// Implementations must be thread-safe.
class CollateralSource {
 public:
  virtual ~CollateralSource() = default;

  // Get returns the collateral to verify a quote of `request` with. It need
  // not match the request: the quote verifier refuses a mismatch
  // (kTcbInfoMismatch).
  // @return kNotFound / kUnavailable when there is none; kCollateralMalformed
  //         when it does not parse; a provider's verdicts.
  [[nodiscard]] virtual absl::StatusOr<
      std::shared_ptr<const collateral::Collateral>>
  Get(const collateral::CollateralRequest& request) = 0;

  // Name describes the source for messages and logs.
  virtual std::string Name() const = 0;
};

// MakeBundleFileCollateralSource serves the one bundle at `path` for every
// request (e.g. a sim dir's collateral.json, which carries development
// issuer names that providers refuse). The file is re-read on every Get (so
// an operator or `mra sim refresh-collateral` can replace it) and re-parsed
// only when its bytes change. Files over kMaxCollateralLen are refused.
std::shared_ptr<CollateralSource> MakeBundleFileCollateralSource(
    std::string path);

// MakeProviderCollateralSource fetches from `provider` (DirectoryProvider,
// PcsHttpProvider, CachingProvider, ...) on every Get and re-parses only
// when the bundle's bytes change (one remembered bundle per request).
// `provider` must not be null.
std::shared_ptr<CollateralSource> MakeProviderCollateralSource(
    std::shared_ptr<collateral::CollateralProvider> provider);

// DcapAppraiserOptions configures DcapEvidenceAppraiser.
struct DcapAppraiserOptions {
  // Roots and CRL leniency of the verification. A simulation root in
  // verifier.trust_store still needs policy.allow_simulation.
  sgx::VerifierOptions verifier;
  // What the relying party accepts (defaults fail closed: UpToDate only,
  // no debug, no simulation).
  sgx::AppraisalPolicy policy;
  // How strictly quotes parse (default: zero padding only).
  sgx::ParseOptions parse;
};

// DcapEvidenceAppraiser: see the file comment. Immutable after Create apart
// from its internal caches; thread-safe.
class DcapEvidenceAppraiser final : public x509::EvidenceAppraiser {
 public:
  // Create makes an appraiser over `collateral`.
  // @return kInvalidArgument when `collateral` is null.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DcapEvidenceAppraiser>>
  Create(std::shared_ptr<CollateralSource> collateral,
         DcapAppraiserOptions options = {});

  // Appraise runs the steps of the file comment on `quote`.
  [[nodiscard]] absl::StatusOr<x509::AppraisedEvidence> Appraise(
      std::span<const uint8_t> quote,
      std::span<const uint8_t, attest::kReportDataLen> expected_report_data,
      absl::Time now) const override;

  // verifier_cache_stats reports the quote verifier's collateral cache.
  sgx::QuoteVerifier::CacheStats verifier_cache_stats() const {
    return verifier_->cache_stats();
  }

 private:
  DcapEvidenceAppraiser(std::shared_ptr<CollateralSource> collateral,
                        DcapAppraiserOptions options);

  std::shared_ptr<CollateralSource> collateral_;
  DcapAppraiserOptions options_;
  // QuoteVerifier synchronises internally; Appraise is const.
  std::unique_ptr<sgx::QuoteVerifier> verifier_;
};

// CollateralRequestForQuote derives the collateral request of a parsed
// quote (step 2 of the file comment), and the PCK leaf's notAfter.
// @return kQuoteMalformed when the PCK chain does not parse,
//         kCertificateMalformed when the leaf has no valid SGX extension.
[[nodiscard]] absl::StatusOr<collateral::CollateralRequest>
CollateralRequestForQuote(const sgx::ParsedQuote& quote,
                          absl::Time* out_pck_not_after = nullptr);

}  // namespace mra::attested

// Copyright The mra Authors.
//
// File: mra/x509/evidence_appraiser.h
// -----------------------------------------------------------------------------
// EvidenceAppraiser is the seam between the attested-TLS pipeline and quote
// verification: it decides whether a quote is genuine (signature chain to a
// trusted root, collateral, TCB policy, simulation policy) and, if so,
// reports the enclave identity it attests. The DCAP-backed implementation
// lives with the quote verifier (mra/sgx); tests use table-driven fakes.

#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/x509/evidence_format.h"

namespace mra::x509 {

// AppraisedEvidence is what a genuine quote says about the enclave.
struct AppraisedEvidence {
  std::array<uint8_t, 32> mr_enclave{};
  std::array<uint8_t, 32> mr_signer{};
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  bool debug = false;       // SGX ATTRIBUTES.DEBUG.
  std::string tcb_status;   // Intel's spelling, e.g. "UpToDate".
  bool simulation = false;  // Chained to a development root, not Intel's.
  // The quote's REPORTDATA. The pipeline compares it with the report data the
  // certificate requires, whatever the appraiser did.
  ReportData report_data{};
  // The appraisal may be reused until this time (earliest next-update of the
  // collateral used, expiry of the quote's certificates). InfiniteFuture()
  // when the appraiser sets no limit.
  absl::Time valid_until = absl::InfiniteFuture();
};

// EvidenceAppraiser verifies quotes. Implementations must be thread-safe:
// Appraise is called concurrently from TLS handshakes. An appraiser's policy
// must not change after construction: verdicts are cached per appraiser
// (instance_id). Not copyable, so a copy cannot carry another policy under
// the same id.
class EvidenceAppraiser {
 public:
  EvidenceAppraiser() : instance_id_(NextInstanceId()) {}
  EvidenceAppraiser(const EvidenceAppraiser&) = delete;
  EvidenceAppraiser& operator=(const EvidenceAppraiser&) = delete;
  virtual ~EvidenceAppraiser() = default;

  // instance_id identifies this appraiser, and so the policy it applies,
  // among all appraisers made in this process; ids are never reused, also
  // after an appraiser is destroyed. AttestedPeerVerifier keys its
  // VerificationCache entries by it, so verifiers over different appraisers
  // never share verdicts.
  uint64_t instance_id() const { return instance_id_; }

  // Appraise verifies `quote` at time `now`. `expected_report_data` is what
  // the certificate requires the quote's REPORTDATA to be; an implementation
  // should refuse a mismatch (kKeyBindingMismatch), though the pipeline
  // checks it again on the returned report_data.
  // @return the attested identity, or a Status carrying the VerifyFailure
  //         (kQuoteMalformed, kQuoteSignatureInvalid, kTcbRevoked, ...).
  [[nodiscard]] virtual absl::StatusOr<AppraisedEvidence> Appraise(
      std::span<const uint8_t> quote,
      std::span<const uint8_t, attest::kReportDataLen> expected_report_data,
      absl::Time now) const = 0;

 private:
  static uint64_t NextInstanceId() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

  const uint64_t instance_id_;
};

}  // namespace mra::x509

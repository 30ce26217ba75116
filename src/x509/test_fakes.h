// Copyright The mra Authors.
//
// File: src/x509/test_fakes.h
// -----------------------------------------------------------------------------
// Test doubles for the attested-certificate tests: an Attester whose "quote"
// is a plain record (label + report data), an EvidenceAppraiser that looks
// the label up in a table (nothing cryptographic), a settable clock and a
// manifest builder. Never linked into production code.

#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/attest/attester.h"
#include "mra/base/clock.h"
#include "mra/manifest/verifier.h"
#include "mra/x509/evidence_appraiser.h"
#include "mra/x509/evidence_format.h"

namespace mra::x509::testing {

// FakeQuote encodes "MRAFAKEQ" || u8 label length || label || report data.
std::vector<uint8_t> FakeQuote(std::string_view label,
                               const ReportData& report_data);

// FakeAttester returns FakeQuote(label, report_data).
class FakeAttester final : public attest::Attester {
 public:
  explicit FakeAttester(std::string label) : label_(std::move(label)) {}
  std::string_view Kind() const override { return "fake"; }
  absl::StatusOr<std::vector<uint8_t>> Quote(
      std::span<const uint8_t, attest::kReportDataLen> report_data) override;

  // Makes the next Quote calls fail with `status` (OK = succeed again).
  void set_failure(absl::Status status) { failure_ = std::move(status); }
  // Makes Quote return exactly `quote` (empty optional = normal quotes).
  void set_override(std::optional<std::vector<uint8_t>> quote) {
    override_ = std::move(quote);
  }

 private:
  std::string label_;
  absl::Status failure_;
  std::optional<std::vector<uint8_t>> override_;
};

// FakeAppraiser decodes FakeQuote records and returns the AppraisedEvidence
// registered for the label, with report_data taken from the quote. Unknown
// labels and non-fake quotes fail with kQuoteSignatureInvalid /
// kQuoteMalformed. Thread-safe once configured.
class FakeAppraiser final : public EvidenceAppraiser {
 public:
  void Add(std::string label, AppraisedEvidence evidence) {
    table_[std::move(label)] = std::move(evidence);
  }
  // When true the appraiser itself refuses a report-data mismatch; the
  // default (false) is permissive, to show the pipeline checks it anyway.
  void set_check_report_data(bool check) { check_report_data_ = check; }

  absl::StatusOr<AppraisedEvidence> Appraise(
      std::span<const uint8_t> quote,
      std::span<const uint8_t, attest::kReportDataLen> expected_report_data,
      absl::Time now) const override;

  int calls() const { return calls_.load(); }

 private:
  std::map<std::string, AppraisedEvidence, std::less<>> table_;
  bool check_report_data_ = false;
  mutable std::atomic<int> calls_{0};
};

// ManualClock is a Clock tests can move. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Set(absl::Time now) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ = now;
  }
  void Advance(absl::Duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  absl::Time now_;
};

// TestNow is the fixed "now" of these tests (2030-01-01T00:00:00Z).
absl::Time TestNow();

// Measurement returns 32 bytes of `fill`.
std::array<uint8_t, 32> Measurement(uint8_t fill);

// MakeManifest parses `toml` (must be valid) into a VerifiedManifest whose
// digest is SHA-256 of the text, as VerifyManifest would set it.
std::shared_ptr<const manifest::VerifiedManifest> MakeManifest(
    std::string_view toml);

}  // namespace mra::x509::testing

#include "src/x509/test_fakes.h"

#include <algorithm>

#include "mra/base/byte_reader.h"
#include "mra/base/status.h"
#include "mra/base/verify_failure.h"
#include "mra/crypto/digest.h"

namespace mra::x509::testing {
namespace {

constexpr std::string_view kMagic = "MRAFAKEQ";

}  // namespace

std::vector<uint8_t> FakeQuote(std::string_view label,
                               const ReportData& report_data) {
  std::vector<uint8_t> out(kMagic.begin(), kMagic.end());
  out.push_back(static_cast<uint8_t>(label.size()));
  out.insert(out.end(), label.begin(), label.end());
  out.insert(out.end(), report_data.begin(), report_data.end());
  return out;
}

absl::StatusOr<std::vector<uint8_t>> FakeAttester::Quote(
    std::span<const uint8_t, attest::kReportDataLen> report_data) {
  if (!failure_.ok()) {
    return failure_;
  }
  if (override_.has_value()) {
    return *override_;
  }
  ReportData rd{};
  std::copy(report_data.begin(), report_data.end(), rd.begin());
  return FakeQuote(label_, rd);
}

absl::StatusOr<AppraisedEvidence> FakeAppraiser::Appraise(
    std::span<const uint8_t> quote,
    std::span<const uint8_t, attest::kReportDataLen> expected_report_data,
    absl::Time /*now*/) const {
  ++calls_;
  ByteReader r(quote);
  std::span<const uint8_t> magic;
  uint8_t label_len = 0;
  std::span<const uint8_t> label;
  ReportData rd{};
  if (!r.ReadBytes(kMagic.size(), &magic) ||
      !std::equal(magic.begin(), magic.end(), kMagic.begin()) ||
      !r.ReadU8(&label_len) || !r.ReadBytes(label_len, &label) ||
      !r.ReadArray(&rd) || !r.empty()) {
    return VerifyError(VerifyFailure::kQuoteMalformed, "not a fake quote");
  }
  std::string_view name(reinterpret_cast<const char*>(label.data()),
                        label.size());
  auto it = table_.find(name);
  if (it == table_.end()) {
    return VerifyError(VerifyFailure::kQuoteSignatureInvalid,
                       "unknown fake quote label");
  }
  if (check_report_data_ &&
      !std::equal(rd.begin(), rd.end(), expected_report_data.begin())) {
    return VerifyError(VerifyFailure::kKeyBindingMismatch,
                       "fake appraiser: report data mismatch");
  }
  AppraisedEvidence out = it->second;
  out.report_data = rd;
  return out;
}

absl::Time TestNow() { return absl::FromUnixSeconds(1893456000); }

std::array<uint8_t, 32> Measurement(uint8_t fill) {
  std::array<uint8_t, 32> m{};
  m.fill(fill);
  return m;
}

std::shared_ptr<const manifest::VerifiedManifest> MakeManifest(
    std::string_view toml) {
  absl::StatusOr<manifest::Manifest> parsed = manifest::ParseManifest(toml);
  MRA_CHECK(parsed.ok());
  auto out = std::make_shared<manifest::VerifiedManifest>();
  out->manifest = *std::move(parsed);
  out->digest = crypto::Sha256(crypto::AsBytes(toml));
  return out;
}

}  // namespace mra::x509::testing

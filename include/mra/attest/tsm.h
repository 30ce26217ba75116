// Copyright The mra Authors.
//
// File: mra/attest/tsm.h
// -----------------------------------------------------------------------------
// TsmAttester obtains evidence in a confidential VM (TDX, SEV-SNP) through
// Linux configfs-tsm (Documentation/ABI/testing/configfs-tsm-report, Linux
// >= 6.7). For every quote it:
//   1. mkdir <report_dir>/mra-<pid>-<n>   (a private report entry, n from a
//      process-wide counter, names that exist are skipped; the kernel
//      populates it with inblob, outblob, provider, generation ...)
//   2. writes the 64 bytes of report data to inblob
//   3. reads outblob (the kernel generates the report on this read)
//   4. reads provider ("tdx_guest", "sev_guest", ...) and checks it against
//      TsmOptions::expected_provider when set
//   5. reads generation, which the kernel increments on every write to the
//      entry: a fresh entry written once by us must read 1, anything else
//      means another writer raced us and the outblob is refused
//   6. for provider "tdx_guest", parses outblob as a DCAP quote and checks
//      its REPORTDATA equals the request (trailing bytes dropped)
//   7. rmdir the entry (best effort; a failure is logged)
//
// Testing without a TSM: a plain directory does not grow attribute files on
// mkdir, so TsmOptions::on_entry_created_for_test is called right after step
// 1 with the entry path; a test creates inblob / outblob / provider /
// generation there (generation "1"). The entry is then not removable by
// rmdir (not empty) and is left for the test to clean up.

#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

#include "mra/attest/attester.h"

namespace mra::attest {

// Largest outblob read (TDX quotes are ~5 KiB, DICE/CWT ones larger).
inline constexpr size_t kMaxTsmOutblobLen = 1 << 20;

struct TsmOptions {
  std::string report_dir = "/sys/kernel/config/tsm/report";
  // When non-empty, the provider attribute must equal it (e.g. "tdx_guest").
  std::string expected_provider;
  // Test seam, see the file comment. Never set in production code.
  std::function<void(const std::string& entry_dir)> on_entry_created_for_test;
};

// TsmAttester. Thread-safe: each Quote uses its own report entry.
class TsmAttester final : public Attester {
 public:
  // Create checks that `report_dir` exists.
  // @return kUnavailable when it does not (no configfs-tsm: kernel < 6.7,
  //         configfs not mounted at /sys/kernel/config, or no TSM provider).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TsmAttester>> Create(
      const TsmOptions& opts = {});

  std::string_view Kind() const override { return "tsm"; }

  // Quote: kUnavailable on I/O errors, kFailedPrecondition for an unexpected
  // provider, kAborted when the generation shows a concurrent writer,
  // kInternal when a tdx_guest outblob does not carry `report_data`.
  [[nodiscard]] absl::StatusOr<std::vector<uint8_t>> Quote(
      std::span<const uint8_t, kReportDataLen> report_data) override;

 private:
  explicit TsmAttester(TsmOptions opts) : opts_(std::move(opts)) {}
  TsmOptions opts_;
};

}  // namespace mra::attest

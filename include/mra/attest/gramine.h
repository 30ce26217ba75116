// Copyright The mra Authors.
//
// File: mra/attest/gramine.h
// -----------------------------------------------------------------------------
// GramineAttester obtains SGX DCAP quotes inside a Gramine enclave through
// Gramine's attestation pseudo-filesystem:
//   <base>/attestation_type  "dcap" (checked when present; "epid" / "none"
//                            are refused)
//   <base>/user_report_data  write the 64 bytes of report data
//   <base>/quote             read the quote generated for them
// The base directory is /dev/attestation under Gramine; tests point it at a
// temporary directory that imitates it (regular files).
//
// Each quote is parsed and its REPORTDATA compared with the request, so a
// concurrent writer to user_report_data (another thread or process in the
// enclave) cannot make us return a quote for someone else's data. Trailing
// bytes after the quote are dropped.

#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"

#include "mra/attest/attester.h"

namespace mra::attest {

// Largest quote read from a device (real SGX / TDX quotes are 4-10 KiB).
inline constexpr size_t kMaxDeviceQuoteLen = size_t{256} * 1024;

struct GramineOptions {
  std::string base_dir = "/dev/attestation";
};

// GramineAttester. Thread-safe: Quote calls are serialised (the write/read
// pair on the pseudo-files is one transaction).
class GramineAttester final : public Attester {
 public:
  // Create checks the pseudo-files exist and the attestation type is DCAP.
  // @return kUnavailable when <base> or one of its files is missing (not
  //         running under Gramine, or remote attestation disabled in the
  //         manifest); kFailedPrecondition when attestation_type is not
  //         "dcap".
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GramineAttester>> Create(
      const GramineOptions& opts = {});

  std::string_view Kind() const override { return "gramine"; }

  // Quote: kUnavailable on I/O errors; kInternal when Gramine returns
  // something that is not an SGX quote carrying `report_data`.
  [[nodiscard]] absl::StatusOr<std::vector<uint8_t>> Quote(
      std::span<const uint8_t, kReportDataLen> report_data) override;

 private:
  explicit GramineAttester(std::string base_dir)
      : base_dir_(std::move(base_dir)) {}
  std::string base_dir_;
  std::mutex mu_;
};

}  // namespace mra::attest

// GramineAttester: quotes through Gramine's /dev/attestation pseudo-files.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "src/attest/internal/device_io.h"

#include "mra/attest/gramine.h"
#include "mra/base/file.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/crypto/digest.h"
#include "mra/sgx/quote.h"

namespace mra::attest {
namespace {

std::string Join(const std::string& dir, std::string_view name) {
  return (std::filesystem::path(dir) / std::string(name)).string();
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<GramineAttester>> GramineAttester::Create(
    const GramineOptions& opts) {
  const std::string& base = opts.base_dir;
  struct stat st {};
  if (::stat(base.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::UnavailableError(
        StrCat("'", base,
               "' is not a directory: not running under Gramine (or its "
               "attestation pseudo-filesystem is not mounted there)"));
  }
  std::string type_path = Join(base, "attestation_type");
  if (Exists(type_path)) {
    MRA_ASSIGN_OR_RETURN(std::string type, ReadFileBounded(type_path, 64));
    std::string_view t = TrimAsciiWhitespace(type);
    while (!t.empty() && t.back() == '\0') {
      t.remove_suffix(1);
    }
    if (t != "dcap") {
      return absl::FailedPreconditionError(
          StrCat("Gramine attestation type is '", t,
                 "', need 'dcap' (set sgx.remote_attestation = \"dcap\" in "
                 "the Gramine manifest)"));
    }
  }
  for (std::string_view f : {"user_report_data", "quote"}) {
    std::string path = Join(base, f);
    if (!Exists(path)) {
      return absl::UnavailableError(
          StrCat("'", path,
                 "' is missing: Gramine remote attestation is not enabled "
                 "(sgx.remote_attestation = \"dcap\")"));
    }
  }
  return std::unique_ptr<GramineAttester>(new GramineAttester(base));
}

absl::StatusOr<std::vector<uint8_t>> GramineAttester::Quote(
    std::span<const uint8_t, kReportDataLen> report_data) {
  std::string bytes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    absl::Status written = internal::WriteExistingFile(
        Join(base_dir_, "user_report_data"), report_data);
    if (!written.ok()) {
      return absl::UnavailableError(
          StrCat("Gramine: ", ToStd(written.message())));
    }
    absl::StatusOr<std::string> read =
        ReadFileBounded(Join(base_dir_, "quote"), kMaxDeviceQuoteLen);
    if (!read.ok()) {
      return absl::UnavailableError(
          StrCat("Gramine: ", ToStd(read.status().message())));
    }
    bytes = *std::move(read);
  }
  std::span<const uint8_t> quote = crypto::AsBytes(bytes);
  absl::StatusOr<sgx::ParsedQuote> parsed = sgx::ParseQuote(quote);
  if (!parsed.ok()) {
    return absl::InternalError(
        StrCat("Gramine returned a quote that does not "
               "parse: ",
               ToStd(parsed.status().message())));
  }
  if (parsed->IsTdx()) {
    return absl::InternalError("Gramine returned a TDX quote, expected SGX");
  }
  std::span<const uint8_t, 64> got = parsed->ReportData();
  if (!std::equal(got.begin(), got.end(), report_data.begin())) {
    return absl::InternalError(
        "Gramine returned a quote for different report data (another writer "
        "to user_report_data?)");
  }
  return std::vector<uint8_t>(
      quote.begin(),
      quote.begin() + static_cast<std::ptrdiff_t>(parsed->quote_len));
}

}  // namespace mra::attest

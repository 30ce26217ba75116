// TsmAttester: evidence through Linux configfs-tsm report entries.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "spdlog/spdlog.h"
#include "src/attest/internal/device_io.h"

#include "mra/attest/tsm.h"
#include "mra/base/file.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/sgx/quote.h"

namespace mra::attest {
namespace {

constexpr size_t kMaxAttributeLen = 4096;
constexpr int kMaxEntryAttempts = 16;

// NextEntryNumber is process-wide, so attesters in one process never race
// for a name.
uint64_t NextEntryNumber() {
  static std::atomic<uint64_t> counter{0};
  return counter.fetch_add(1);
}

std::string Join(const std::string& dir, std::string_view name) {
  return (std::filesystem::path(dir) / std::string(name)).string();
}

// Removes the report entry when the quote attempt ends.
class EntryRemover {
 public:
  explicit EntryRemover(std::string path) : path_(std::move(path)) {}
  ~EntryRemover() {
    if (::rmdir(path_.c_str()) != 0) {
      spdlog::warn("configfs-tsm: cannot remove report entry '{}': {}", path_,
                   std::strerror(errno));
    }
  }
  EntryRemover(const EntryRemover&) = delete;
  EntryRemover& operator=(const EntryRemover&) = delete;

 private:
  std::string path_;
};

absl::StatusOr<std::string> ReadAttribute(const std::string& entry,
                                          std::string_view name) {
  std::string path = Join(entry, name);
  absl::StatusOr<std::string> v = ReadFileBounded(path, kMaxAttributeLen);
  if (!v.ok()) {
    return absl::UnavailableError(
        StrCat("configfs-tsm: ", ToStd(v.status().message())));
  }
  return std::string(TrimAsciiWhitespace(*v));
}

}  // namespace

absl::StatusOr<std::unique_ptr<TsmAttester>> TsmAttester::Create(
    const TsmOptions& opts) {
  struct stat st {};
  if (::stat(opts.report_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::UnavailableError(
        StrCat("configfs-tsm report directory '", opts.report_dir,
               "' not found: needs Linux >= 6.7 with configfs mounted at "
               "/sys/kernel/config and a TSM provider (tdx_guest, sev_guest)"));
  }
  return std::unique_ptr<TsmAttester>(new TsmAttester(opts));
}

absl::StatusOr<std::vector<uint8_t>> TsmAttester::Quote(
    std::span<const uint8_t, kReportDataLen> report_data) {
  // mkdir is atomic: an existing name (another attester, another PID
  // namespace sharing configfs, a leftover entry) is skipped, never reused.
  std::string entry;
  for (int attempt = 0;; ++attempt) {
    entry = Join(opts_.report_dir,
                 StrCat("mra-", ::getpid(), "-", NextEntryNumber()));
    if (::mkdir(entry.c_str(), 0700) == 0) {
      break;
    }
    if (errno != EEXIST || attempt == kMaxEntryAttempts) {
      return absl::UnavailableError(
          StrCat("configfs-tsm: cannot create report entry '", entry,
                 "': ", std::strerror(errno)));
    }
  }
  EntryRemover remover(entry);
  if (opts_.on_entry_created_for_test) {
    opts_.on_entry_created_for_test(entry);
  }
  absl::Status written =
      internal::WriteExistingFile(Join(entry, "inblob"), report_data);
  if (!written.ok()) {
    return absl::UnavailableError(
        StrCat("configfs-tsm: ", ToStd(written.message()), " (is '",
               opts_.report_dir, "' a configfs-tsm report directory?)"));
  }
  absl::StatusOr<std::string> outblob =
      ReadFileBounded(Join(entry, "outblob"), kMaxTsmOutblobLen);
  if (!outblob.ok()) {
    return absl::UnavailableError(
        StrCat("configfs-tsm: report generation "
               "failed: ",
               ToStd(outblob.status().message())));
  }
  if (outblob->empty()) {
    return absl::UnavailableError(
        StrCat("configfs-tsm: empty outblob in '", entry, "'"));
  }
  MRA_ASSIGN_OR_RETURN(std::string provider, ReadAttribute(entry, "provider"));
  if (!opts_.expected_provider.empty() && provider != opts_.expected_provider) {
    return absl::FailedPreconditionError(StrCat("configfs-tsm provider is '",
                                                provider, "', expected '",
                                                opts_.expected_provider, "'"));
  }
  MRA_ASSIGN_OR_RETURN(std::string gen_text,
                       ReadAttribute(entry, "generation"));
  uint64_t generation = 0;
  bool numeric = !gen_text.empty() && gen_text.size() <= 19;
  for (char c : gen_text) {
    numeric = numeric && c >= '0' && c <= '9';
    generation = generation * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!numeric) {
    return absl::UnavailableError(
        StrCat("configfs-tsm: generation '", gen_text, "' is not a number"));
  }
  if (generation != 1) {
    return absl::AbortedError(StrCat(
        "configfs-tsm: report entry '", entry, "' has generation ", generation,
        " after our single write (expected 1): a concurrent "
        "writer changed it; outblob refused"));
  }
  std::vector<uint8_t> quote(outblob->begin(), outblob->end());
  if (provider == "tdx_guest") {
    absl::StatusOr<sgx::ParsedQuote> parsed = sgx::ParseQuote(quote);
    if (!parsed.ok()) {
      return absl::InternalError(
          StrCat("configfs-tsm: tdx_guest outblob is not a DCAP quote: ",
                 ToStd(parsed.status().message())));
    }
    std::span<const uint8_t, 64> got = parsed->ReportData();
    if (!std::equal(got.begin(), got.end(), report_data.begin())) {
      return absl::InternalError(
          "configfs-tsm: outblob carries different report data");
    }
    quote.resize(parsed->quote_len);
  }
  return quote;
}

}  // namespace mra::attest

// Offline providers: one bundle file, or a directory of bundle files.
#include <algorithm>
#include <filesystem>
#include <system_error>
#include <vector>

#include "src/collateral/provider_util.h"

#include "mra/base/file.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/collateral/provider.h"

namespace mra::collateral {

using internal::Annotate;

absl::StatusOr<std::string> BundleFileProvider::Fetch(
    const CollateralRequest& request) {
  absl::StatusOr<std::string> text = ReadFileBounded(path_, kMaxCollateralLen);
  if (!text.ok()) {
    return text.status();
  }
  absl::StatusOr<Collateral> c = LoadBundleFor(*text, request);
  if (!c.ok()) {
    return Annotate(c.status(), StrCat("bundle file ", path_));
  }
  return text;
}

absl::StatusOr<std::string> DirectoryProvider::Fetch(
    const CollateralRequest& request) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir_, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return absl::NotFoundError(
          StrCat("bundle directory '", dir_, "': ", ec.message()));
    }
    return absl::UnavailableError(
        StrCat("bundle directory '", dir_, "': ", ec.message()));
  }
  std::vector<std::string> names;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) {
      return absl::UnavailableError(
          StrCat("bundle directory '", dir_, "': ", ec.message()));
    }
    const fs::path& p = it->path();
    std::error_code type_ec;
    if (p.extension() == ".json" && fs::is_regular_file(p, type_ec)) {
      names.push_back(p.filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  size_t num_skipped_files = 0;
  if (names.size() > kMaxDirectoryFiles) {
    num_skipped_files = names.size() - kMaxDirectoryFiles;
    names.resize(kMaxDirectoryFiles);
  }

  size_t num_malformed = 0;
  size_t num_other = 0;
  std::string best_text;
  std::string best_name;
  absl::Time best_next = absl::InfinitePast();
  for (const std::string& name : names) {
    std::string path = StrCat(dir_, "/", name);
    absl::StatusOr<std::string> text = ReadFileBounded(path, kMaxCollateralLen);
    if (!text.ok()) {
      ++num_malformed;
      continue;
    }
    absl::StatusOr<Collateral> parsed = ParseCollateralJson(*text);
    if (!parsed.ok()) {
      ++num_malformed;
      continue;
    }
    if (!CheckCollateralMatches(*parsed, request).ok()) {
      ++num_other;
      continue;
    }
    absl::StatusOr<CollateralValidity> validity =
        GetCollateralValidity(*parsed);
    if (!validity.ok()) {
      ++num_malformed;
      continue;
    }
    // Sorted names, strict '>': the first name wins a tie.
    if (best_name.empty() || validity->next_update > best_next) {
      best_next = validity->next_update;
      best_name = name;
      best_text = *std::move(text);
    }
  }
  if (best_name.empty()) {
    return absl::NotFoundError(
        StrCat("no collateral bundle for ", request.Describe(), " in '", dir_,
               "': ", names.size(), " *.json files examined (", num_malformed,
               " unreadable or malformed, ", num_other, " for other platforms)",
               num_skipped_files > 0
                   ? StrCat("; ", num_skipped_files, " further files ignored")
                   : std::string()));
  }
  return best_text;
}

}  // namespace mra::collateral

#include "tools/mra/command.h"

#include "mra/base/file.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"

namespace mra::cli {
namespace {

std::vector<Installer>& Registry() {
  static auto* registry = new std::vector<Installer>();
  return *registry;
}

}  // namespace

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) {
    return kExitOk;
  }
  if (GetVerifyFailure(status).has_value()) {
    return kExitRefused;
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitError;
  }
}

void Fail(const absl::Status& status, const std::string& context) {
  throw CliError{
      ExitCodeFor(status),
      StrCat(context, context.empty() ? "" : ": ", ToStd(status.message()))};
}

std::string ReadFileOrFail(const std::string& path, size_t max_len) {
  absl::StatusOr<std::string> data = ReadFileBounded(path, max_len);
  if (!data.ok()) {
    Fail(data.status(), "");
  }
  return *std::move(data);
}

CommandGroup::CommandGroup(Installer installer) {
  Registry().push_back(std::move(installer));
}

const std::vector<Installer>& CommandGroup::All() { return Registry(); }

}  // namespace mra::cli

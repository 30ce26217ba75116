// Fuzzes the manifest rollback state file (RollbackStateFile::Load; a JSON
// file the host can edit). Invariants: no crash, hang or throw; a file that
// exists is either accepted or refused with STATE_CORRUPT (fail closed, never
// "no state"); an accepted record survives Store + Load unchanged.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "mra/base/file.h"
#include "mra/base/verify_failure.h"
#include "mra/manifest/rollback_state.h"

namespace {

const std::string& Dir() {
  static const std::string dir = [] {
    std::string base = std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR")
                                                        : std::string("/tmp");
    std::string tmpl = base + "/mra-fuzz-rollback-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      __builtin_trap();
    }
    return tmpl;
  }();
  static const bool cleanup_registered = [] {
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(Dir(), ec);
    });
    return true;
  }();
  (void)cleanup_registered;
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = Dir() + "/state.json";
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!mra::WriteFileAtomic(path, text, 0600).ok()) {
    __builtin_trap();
  }
  mra::manifest::RollbackStateFile state(path);
  auto loaded = state.Load();
  if (!loaded.ok()) {
    if (mra::GetVerifyFailure(loaded.status()) !=
        mra::VerifyFailure::kStateCorrupt) {
      __builtin_trap();
    }
    return 0;
  }
  if (!loaded->has_value()) {
    __builtin_trap();  // The file exists: "no state" would reset the floor.
  }
  const mra::manifest::RollbackRecord record = **loaded;
  if (!state.Store(record).ok()) {
    __builtin_trap();
  }
  auto again = state.Load();
  if (!again.ok() || !again->has_value() ||
      (*again)->highest_version != record.highest_version ||
      (*again)->manifest_sha256 != record.manifest_sha256 ||
      (*again)->deployment != record.deployment) {
    __builtin_trap();
  }
  return 0;
}

// Fuzzes the platform deployment configuration parser (TOML;
// mra/platform/config.h). Invariants: no crash, hang or throw; refusals are
// INVALID_ARGUMENT; an accepted configuration round-trips: its rendering
// (FormatDeploymentConfig) parses again and renders identically.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mra/platform/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config =
      mra::platform::ParseDeploymentConfig(text, "fuzz.toml", "/base");
  if (!config.ok()) {
    if (config.status().code() != absl::StatusCode::kInvalidArgument) {
      __builtin_trap();
    }
    return 0;
  }
  const std::string rendered = mra::platform::FormatDeploymentConfig(*config);
  auto again =
      mra::platform::ParseDeploymentConfig(rendered, "rendered.toml", "/base");
  if (!again.ok() ||
      mra::platform::FormatDeploymentConfig(*again) != rendered) {
    __builtin_trap();
  }
  return 0;
}

// Fuzzes the sim dir metadata parser (DIR/sim.json; src/attest/internal/
// sim_metadata.h), which SimAttester and `mra sim refresh-collateral` trust
// for the simulated platform's TCB. Invariants: no crash, hang or throw;
// refusals are INVALID_ARGUMENT; an accepted file round-trips through
// SimMetadataJson.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/attest/internal/sim_metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace internal = mra::attest::internal;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = internal::ParseSimMetadata(text);
  if (!m.ok()) {
    if (m.status().code() != absl::StatusCode::kInvalidArgument) {
      __builtin_trap();
    }
    return 0;
  }
  const std::string rendered = internal::SimMetadataJson(*m);
  auto again = internal::ParseSimMetadata(rendered);
  if (!again.ok() || internal::SimMetadataJson(*again) != rendered) {
    __builtin_trap();
  }
  return 0;
}

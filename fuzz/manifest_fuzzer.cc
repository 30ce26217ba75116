// Fuzzes the manifest parser: it must never crash, hang or throw, and every
// accepted manifest must satisfy the invariants ParseManifest promises.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

#include "mra/base/verify_failure.h"
#include "mra/manifest/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<mra::manifest::Manifest> m =
      mra::manifest::ParseManifest(text);
  if (!m.ok()) {
    // Every refusal is the one verdict for malformed manifests.
    if (mra::GetVerifyFailure(m.status()) !=
        mra::VerifyFailure::kManifestMalformed) {
      __builtin_trap();
    }
    return 0;
  }
  if (m->services.empty() || m->services.size() > mra::manifest::kMaxServices) {
    __builtin_trap();
  }
  std::set<mra::manifest::Measurement> seen;
  for (const auto& s : m->services) {
    if (s.additional_mr_enclaves.size() >
        mra::manifest::kMaxAdditionalMrEnclaves) {
      __builtin_trap();
    }
    if (m->FindByMrEnclave(s.mr_enclave) != &s) {
      __builtin_trap();
    }
  }
  (void)mra::manifest::ManifestToJson(*m);
  return 0;
}

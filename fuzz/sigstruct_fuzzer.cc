// Fuzzes the simulation-mode enclave sidecar parser (ParseSigstruct, JSON +
// PEM public key + RSA signature; mra/attest/sigstruct.h). Invariants: no
// crash, hang or throw; refusals are INVALID_ARGUMENT (malformed) or
// UNAUTHENTICATED (signature / MRSIGNER); an accepted sidecar is
// deterministic (parsing it again gives the same identity) and its MRSIGNER
// is the one derived from the key that verified it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mra/attest/sigstruct.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<mra::attest::SimSigstruct> s =
      mra::attest::ParseSigstruct(text);
  if (!s.ok()) {
    if (s.status().code() != absl::StatusCode::kInvalidArgument &&
        s.status().code() != absl::StatusCode::kUnauthenticated) {
      __builtin_trap();
    }
    return 0;
  }
  if (size > mra::attest::kMaxSigstructLen) {
    __builtin_trap();
  }
  absl::StatusOr<mra::attest::SimSigstruct> again =
      mra::attest::ParseSigstruct(text);
  if (!again.ok() || again->mr_enclave != s->mr_enclave ||
      again->mr_signer != s->mr_signer || again->attributes != s->attributes ||
      again->isv_prod_id != s->isv_prod_id || again->isv_svn != s->isv_svn ||
      again->misc_select != s->misc_select) {
    __builtin_trap();
  }
  (void)s->Debug();
  return 0;
}

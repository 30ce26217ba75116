// Fuzzes the collateral loader (bundle JSON, TCB info, QE identity, PEM chains,
// CRLs): no crash, hang or throw, and refusals are COLLATERAL_MALFORMED.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mra/base/verify_failure.h"
#include "mra/collateral/collateral.h"

namespace {

void Check(const absl::Status& s) {
  if (!s.ok() &&
      mra::GetVerifyFailure(s) != mra::VerifyFailure::kCollateralMalformed) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto bundle = mra::collateral::ParseCollateralJson(text);
  Check(bundle.status());
  if (bundle.ok() && (bundle->tcb_info.tcb_levels.empty() ||
                      bundle->tcb_info_signature.size() != 64)) {
    __builtin_trap();
  }
  Check(mra::collateral::ParseTcbInfo(text).status());
  Check(mra::collateral::ParseQeIdentity(text).status());
  Check(mra::collateral::ParsePemChain(text, "fuzz").status());
  Check(mra::collateral::ParseCrl(text, "fuzz", nullptr).status());
  return 0;
}

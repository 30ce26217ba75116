#include "src/x509/internal/oids.h"

#include <algorithm>

namespace mra::x509::internal {
namespace {

template <size_t N>
bool Equal(std::span<const uint8_t> oid, const std::array<uint8_t, N>& want) {
  return std::equal(oid.begin(), oid.end(), want.begin(), want.end());
}

}  // namespace

std::optional<EvidenceFormat> EvidenceFormatOfOid(
    std::span<const uint8_t> oid) {
  if (Equal(oid, kTcgDiceTaggedEvidenceOidDer)) {
    return EvidenceFormat::kTcgDiceTaggedEvidence;
  }
  if (Equal(oid, kGramineLegacyQuoteOidDer) ||
      Equal(oid, kGramineLegacyQuoteWireOidDer)) {
    return EvidenceFormat::kGramineLegacy;
  }
  return std::nullopt;
}

}  // namespace mra::x509::internal

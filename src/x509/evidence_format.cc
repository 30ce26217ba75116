#include "mra/x509/evidence_format.h"

#include <algorithm>

namespace mra::x509 {
namespace {

ReportData PadDigest(const crypto::Sha256Digest& digest) {
  ReportData out{};
  std::copy(digest.begin(), digest.end(), out.begin());
  return out;
}

}  // namespace

std::string_view EvidenceFormatName(EvidenceFormat format) {
  switch (format) {
    case EvidenceFormat::kTcgDiceTaggedEvidence:
      return "tcg-dice-tagged-evidence";
    case EvidenceFormat::kGramineLegacy:
      return "gramine-legacy";
  }
  return "unknown";
}

ReportData ReportDataForClaims(std::span<const uint8_t> claims) {
  return PadDigest(crypto::Sha256(claims));
}

ReportData ReportDataForSpki(std::span<const uint8_t> spki_der) {
  return PadDigest(crypto::Sha256(spki_der));
}

}  // namespace mra::x509

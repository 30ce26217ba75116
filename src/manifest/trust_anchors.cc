#include "mra/manifest/trust_anchors.h"

#include <set>

#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"

namespace mra::manifest {

absl::StatusOr<TrustAnchors> TrustAnchors::Create(std::vector<Auditor> auditors,
                                                  size_t threshold) {
  if (auditors.empty()) {
    return absl::InvalidArgumentError("trust anchors: no auditor keys");
  }
  std::set<crypto::Sha256Digest> keys;
  std::set<std::string> names;
  for (const Auditor& a : auditors) {
    if (!keys.insert(a.key.Fingerprint()).second) {
      return absl::InvalidArgumentError(
          StrCat("trust anchors: auditor '", a.name, "' repeats key ",
                 HexEncode(a.key.Fingerprint()),
                 "; one key must not count twice toward the threshold"));
    }
    if (!names.insert(a.name).second) {
      return absl::InvalidArgumentError(
          StrCat("trust anchors: auditor name '", a.name, "' used twice"));
    }
  }
  if (threshold == 0) {
    threshold = auditors.size();
  }
  if (threshold > auditors.size()) {
    return absl::InvalidArgumentError(StrCat("trust anchors: threshold ",
                                             threshold, " exceeds the ",
                                             auditors.size(), " auditor keys"));
  }
  return TrustAnchors(std::move(auditors), threshold);
}

absl::StatusOr<TrustAnchors> TrustAnchors::FromEmbedded(
    std::span<const EmbeddedAuditorKey> keys, size_t threshold) {
  std::vector<Auditor> auditors;
  for (const EmbeddedAuditorKey& k : keys) {
    absl::StatusOr<crypto::PublicKey> key = crypto::PublicKey::ParsePem(k.pem);
    if (!key.ok()) {
      return absl::InvalidArgumentError(StrCat(
          "embedded auditor '", k.name, "': ", ToStd(key.status().message())));
    }
    auditors.push_back(Auditor{std::string(k.name), *std::move(key)});
  }
  return Create(std::move(auditors), threshold);
}

}  // namespace mra::manifest

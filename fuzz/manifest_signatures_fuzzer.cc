// Fuzzes detached-signature handling of manifest verification against the
// compiled-in proof-of-concept auditors (RSA-3072, ECDSA P-256, Ed25519), so
// PKCS#1, DER-ECDSA and Ed25519 signature decoding all see hostile bytes.
// Input: manifest bytes, then signatures, separated by kSeparator lines.
// Invariants: no crash, hang or throw; counted auditors are distinct anchors,
// at most one per signature; VerifyManifest succeeds only with the threshold
// met, and every refusal is a manifest verdict.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>
#include <vector>

#include "mra/base/clock.h"
#include "mra/base/verify_failure.h"
#include "mra/manifest/trust_anchors.h"
#include "mra/manifest/verifier.h"

namespace {

constexpr std::string_view kSeparator = "\n--mra-fuzz-signature--\n";

const mra::manifest::TrustAnchors& Anchors() {
  static const auto* anchors = [] {
    auto a = mra::manifest::CompiledTrustAnchors();
    if (!a.ok()) {
      __builtin_trap();
    }
    return new mra::manifest::TrustAnchors(*std::move(a));
  }();
  return *anchors;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  while (true) {
    size_t at = in.find(kSeparator);
    parts.push_back(in.substr(0, at));
    if (at == std::string_view::npos) {
      break;
    }
    in.remove_prefix(at + kSeparator.size());
  }
  const std::string_view manifest = parts[0];
  std::vector<mra::manifest::DetachedSignature> sigs;
  for (size_t i = 1; i < parts.size(); ++i) {
    sigs.push_back(
        {"sig", std::vector<uint8_t>(parts[i].begin(), parts[i].end())});
  }
  const auto& anchors = Anchors();
  std::vector<mra::manifest::SignatureVerdict> verdicts;
  std::vector<std::string> signers =
      mra::manifest::CountSignatures(manifest, sigs, anchors, &verdicts);
  if (verdicts.size() != sigs.size()) {
    __builtin_trap();
  }
  std::set<std::string> distinct(signers.begin(), signers.end());
  size_t counted = 0;
  for (const auto& v : verdicts) {
    counted += v.counted ? 1 : 0;
    if (v.counted && distinct.count(v.auditor) == 0) {
      __builtin_trap();
    }
  }
  if (distinct.size() != signers.size() || counted != signers.size() ||
      signers.size() > anchors.auditors().size()) {
    __builtin_trap();
  }

  mra::FixedClock clock(absl::FromUnixSeconds(1893456000));  // 2030-01-01.
  mra::manifest::VerifyOptions options;
  options.clock = &clock;
  auto verified =
      mra::manifest::VerifyManifest(manifest, sigs, anchors, options);
  if (verified.ok()) {
    if (verified->signers.size() < anchors.threshold()) {
      __builtin_trap();
    }
    return 0;
  }
  using F = mra::VerifyFailure;
  auto f = mra::GetVerifyFailure(verified.status());
  if (f != F::kThresholdNotMet && f != F::kManifestMalformed &&
      f != F::kManifestExpired && f != F::kSignatureMalformed) {
    __builtin_trap();
  }
  if (signers.size() < anchors.threshold() && f != F::kThresholdNotMet &&
      !(f == F::kManifestMalformed && manifest.size() > 1 << 20)) {
    __builtin_trap();
  }
  return 0;
}

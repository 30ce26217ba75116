// Copyright The mra Authors.
//
// File: mra/collateral/provider.h
// -----------------------------------------------------------------------------
// Where collateral comes from. A CollateralProvider turns a request (FMSPC,
// TEE type, PCK CA type) into a raw collateral bundle: the JSON shape that
// ParseCollateralJson loads (see collateral.h). Implementations:
//
//   BundleFileProvider   one bundle file (offline)
//   DirectoryProvider    a directory of bundle files (offline)
//   PcsHttpProvider      Intel PCS / a PCCS over HTTPS (pcs_client.h)
//   CachingProvider      an on-disk cache in front of another provider
//                        (cache.h)
//
// Providers never trust collateral: the quote verifier checks the signatures
// later. They do refuse bundles that do not parse or that are not for the
// request (wrong FMSPC, TEE type or PCK CA), so a confused or hostile source
// cannot make a service load the wrong documents. The verdicts used:
//
//   kCollateralMalformed  the bundle (or a piece of it) does not parse
//   kTcbInfoMismatch      TCB info of another FMSPC or TEE type
//   kQeIdentityMismatch   QE identity of the other TEE type (QE vs TD_QE)
//   kCrlInvalid           PCK CRL of the other PCK CA, or a root CA CRL not
//                         issued by "Intel SGX Root CA" (issuer names only;
//                         no signature is checked here)
//   kCollateralTooOld     expired collateral where fresh collateral is
//                         required (CachingProvider)

#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/collateral/collateral.h"

namespace mra::collateral {

// PckCaType names the Intel CA that issued the platform's PCK certificate,
// which selects the PCK CRL (`ca=platform|processor` in the PCS API).
enum class PckCaType { kPlatform, kProcessor };

// PckCaTypeName returns "platform" or "processor" (the PCS query value).
std::string_view PckCaTypeName(PckCaType ca);

// ParsePckCaType accepts "platform" and "processor" (any case); nullopt
// otherwise.
std::optional<PckCaType> ParsePckCaType(std::string_view name);

// TeeTypeLabel returns "sgx" or "tdx" (the PCS path component).
std::string_view TeeTypeLabel(TeeType tee);

// CollateralRequest names the collateral one platform needs.
struct CollateralRequest {
  std::array<uint8_t, 6> fmspc{};
  TeeType tee = TeeType::kSgx;
  PckCaType ca = PckCaType::kPlatform;

  // FmspcHex returns the FMSPC as 12 lowercase hex characters.
  std::string FmspcHex() const;
  // Describe returns e.g. "sgx fmspc 00a067110000 (processor CA)" for
  // messages.
  std::string Describe() const;
};

// MakeCollateralRequest builds a request from 12 hex characters (any case).
// Failures: kInvalidArgument when `fmspc_hex` is not exactly 6 bytes of hex.
absl::StatusOr<CollateralRequest> MakeCollateralRequest(
    std::string_view fmspc_hex, TeeType tee, PckCaType ca);

// CheckCollateralMatches checks that a parsed bundle is the collateral for
// `request`, by comparing identifiers only (no signatures, no dates):
// TCB info FMSPC and id (kTcbInfoMismatch), QE identity id "QE" for SGX and
// "TD_QE" for TDX (kQeIdentityMismatch), PCK CRL issuer CN "Intel SGX PCK
// Platform CA" / "Intel SGX PCK Processor CA" and root CA CRL issuer CN
// "Intel SGX Root CA" (kCrlInvalid). Messages name the piece and both values.
[[nodiscard]] absl::Status CheckCollateralMatches(
    const Collateral& collateral, const CollateralRequest& request);

// CollateralValidity is when a bundle stops being usable: the earliest
// nextUpdate of its four dated pieces (TCB info, QE identity, PCK CRL, root
// CA CRL), and which piece that is ("tcb_info", "qe_identity", "pck_crl" or
// "root_ca_crl").
struct CollateralValidity {
  absl::Time next_update;
  std::string earliest_piece;
};

// GetCollateralValidity computes CollateralValidity. Failures:
// kCollateralMalformed when a CRL has no nextUpdate (Intel's always do; a
// CRL without one could never be judged stale).
absl::StatusOr<CollateralValidity> GetCollateralValidity(
    const Collateral& collateral);

// IsExpired reports whether `now` is past `validity.next_update`. A piece is
// valid up to and including its nextUpdate (Intel QVL: now <= nextUpdate).
inline bool IsExpired(const CollateralValidity& validity, absl::Time now) {
  return now > validity.next_update;
}

// LoadBundleFor parses `bundle` (ParseCollateralJson) and then requires
// CheckCollateralMatches for `request`. The returned Collateral borrows
// nothing from `bundle`.
absl::StatusOr<Collateral> LoadBundleFor(std::string_view bundle,
                                         const CollateralRequest& request);

// CollateralProvider produces raw collateral bundles.
//
// Thread-safety: every implementation in this library may be called from
// several threads at once.
class CollateralProvider {
 public:
  virtual ~CollateralProvider() = default;

  // Fetch returns the raw bundle JSON for `request`. Implementations in this
  // library guarantee that a returned bundle parses with ParseCollateralJson
  // and passes CheckCollateralMatches for `request`; they do not check
  // signatures or dates unless documented (CachingProvider checks dates).
  // Failures: kNotFound when the source has no collateral for the request;
  // kUnavailable / kDeadlineExceeded for transport failures; the verdicts in
  // the file comment for bad or mismatched collateral.
  virtual absl::StatusOr<std::string> Fetch(
      const CollateralRequest& request) = 0;

  // Name describes the source for messages ("PCS https://...", a path).
  virtual std::string Name() const = 0;
};

// BundleFileProvider serves one bundle file, re-read on every Fetch (so an
// operator can replace it). Fetch fails with kNotFound when the file is
// missing, with the verdicts above when it is for another request or does
// not parse. Files larger than kMaxCollateralLen are refused.
class BundleFileProvider final : public CollateralProvider {
 public:
  explicit BundleFileProvider(std::string path) : path_(std::move(path)) {}

  absl::StatusOr<std::string> Fetch(const CollateralRequest& request) override;
  std::string Name() const override { return "bundle file " + path_; }

 private:
  const std::string path_;
};

// DirectoryProvider serves the bundles in one directory (not recursive):
// every regular `*.json` file is read (at most kMaxDirectoryFiles of them),
// parsed and matched against the request; files that do not parse or are for
// other requests are skipped. Among the matching bundles it returns the one
// with the latest earliest-nextUpdate (the freshest), ties broken by file
// name. Fails with kNotFound listing how many files were examined and why
// the closest ones were skipped when none matches.
class DirectoryProvider final : public CollateralProvider {
 public:
  static constexpr size_t kMaxDirectoryFiles = 4096;

  explicit DirectoryProvider(std::string dir) : dir_(std::move(dir)) {}

  absl::StatusOr<std::string> Fetch(const CollateralRequest& request) override;
  std::string Name() const override { return "bundle directory " + dir_; }

 private:
  const std::string dir_;
};

}  // namespace mra::collateral

// Copyright The mra Authors.
//
// File: mra/attest/sim_dir.h
// -----------------------------------------------------------------------------
// The simulation (no-hardware) development mode's "platform": a directory
// holding a DEVELOPMENT PKI shaped like Intel's SGX PKI and the DCAP
// collateral for one simulated SGX platform. `mra sim init` creates it,
// SimAttester (mra/attest/sim.h) signs quotes with it, and verifiers accept
// those quotes only when explicitly configured with its root.pem.
//
// WARNING: everything here is for development only. The private keys of the
// whole chain sit in DIR/keys; a quote signed with them proves nothing about
// hardware. Never configure a production verifier with this root.
//
// Layout of DIR (created 0700; keys 0600):
//   README-DEVELOPMENT-ONLY.txt  marker and explanation
//   sim.json                     metadata: format, creation time, the
//                                simulated platform (SimPlatform), CRL number
//   root.pem                     "mra DEVELOPMENT Root CA - NOT FOR
//                                PRODUCTION" (self-signed P-256): give THIS
//                                to verifiers as the development root
//   pck_platform_ca.pem          "mra DEVELOPMENT SGX PCK Platform CA"
//   tcb_signing.pem              "mra DEVELOPMENT SGX TCB Signing"
//   pck.pem                      "mra DEVELOPMENT SGX PCK Certificate" with
//                                the SGX extension 1.2.840.113741.1.13.1
//   collateral.json              bundle in the shape ParseCollateralJson
//                                reads: root and PCK CRLs (empty, signed),
//                                TCB info v3 (levels UpToDate + OutOfDate),
//                                QE identity v2, issuer chains, r||s sigs
//   keys/root_ca.key             } PKCS#8 PEM, 0600. The CA keys are kept so
//   keys/pck_platform_ca.key     } `mra sim refresh-collateral` can re-sign
//   keys/tcb_signing.key         } CRLs, TCB info and QE identity.
//   keys/pck.key                 run time: signs the QE report
//   keys/attestation.key         run time: signs quotes (the "QE" key)

#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/base/clock.h"
#include "mra/crypto/digest.h"

namespace mra::attest {

// File names inside a sim dir.
inline constexpr std::string_view kSimReadmeFile =
    "README-DEVELOPMENT-ONLY.txt";
inline constexpr std::string_view kSimMetadataFile = "sim.json";
inline constexpr std::string_view kSimRootCertFile = "root.pem";
inline constexpr std::string_view kSimPlatformCaCertFile =
    "pck_platform_ca.pem";
inline constexpr std::string_view kSimTcbSigningCertFile = "tcb_signing.pem";
inline constexpr std::string_view kSimPckCertFile = "pck.pem";
inline constexpr std::string_view kSimCollateralFile = "collateral.json";
inline constexpr std::string_view kSimRootKeyFile = "keys/root_ca.key";
inline constexpr std::string_view kSimPlatformCaKeyFile =
    "keys/pck_platform_ca.key";
inline constexpr std::string_view kSimTcbSigningKeyFile =
    "keys/tcb_signing.key";
inline constexpr std::string_view kSimPckKeyFile = "keys/pck.key";
inline constexpr std::string_view kSimAttestationKeyFile =
    "keys/attestation.key";

// Subject common names of the development PKI. Each contains the substring
// Intel's verifiers look for ("SGX PCK Certificate", "SGX TCB Signing", ...)
// and the word DEVELOPMENT.
inline constexpr std::string_view kSimRootCommonName =
    "mra DEVELOPMENT Root CA - NOT FOR PRODUCTION";
inline constexpr std::string_view kSimPlatformCaCommonName =
    "mra DEVELOPMENT SGX PCK Platform CA";
inline constexpr std::string_view kSimTcbSigningCommonName =
    "mra DEVELOPMENT SGX TCB Signing";
inline constexpr std::string_view kSimPckCommonName =
    "mra DEVELOPMENT SGX PCK Certificate";
inline constexpr std::string_view kSimOrganization =
    "mra development - NOT FOR PRODUCTION";

// SimPlatform describes the simulated SGX platform and quoting enclave. It is
// fixed at `sim init` (recorded in sim.json) because the PCK certificate
// carries it; collateral refreshes reuse it.
struct SimPlatform {
  std::array<uint8_t, 6> fmspc{};
  std::array<uint8_t, 2> pce_id{};
  std::array<uint8_t, 16> ppid{};                  // Random per sim dir.
  std::array<uint8_t, 16> platform_instance_id{};  // Random per sim dir.
  // The PCK certificate's TCB: 16 SGX component SVNs (also used as the
  // reports' CPUSVN) and the PCE SVN.
  std::array<uint8_t, 16> sgx_tcb_components{};
  uint16_t pce_svn = 0;
  // The latest TCB level in the TCB info (UpToDate). The PCK TCB equals it,
  // or the OutOfDate level below it when created with outdated_platform.
  std::array<uint8_t, 16> latest_sgx_tcb_components{};
  uint16_t latest_pce_svn = 0;
  // The simulated quoting enclave (QE identity v2 matches these).
  uint16_t qe_svn = 0;
  uint16_t qe_isv_prod_id = 0;
  std::array<uint8_t, 32> qe_mr_enclave{};
  std::array<uint8_t, 32> qe_mr_signer{};
  std::array<uint8_t, 16> qe_attributes{};
  uint32_t tcb_evaluation_data_number = 0;
  absl::Time tcb_date;  // tcbDate of the UpToDate levels.
};

// SimInitOptions controls InitSimDir.
struct SimInitOptions {
  const Clock* clock = nullptr;  // nullptr: Clock::Real().
  // Certificates are valid from one day before now (clock skew between
  // development hosts) until now + validity_days.
  int validity_days = 3650;
  // CRLs, TCB info and QE identity: issued one day before now, next update
  // at now + collateral_days. Refresh with RefreshSimCollateral.
  int collateral_days = 30;
  // Replace an existing sim dir (keys included). Without it, InitSimDir
  // refuses to touch a directory that already holds sim files.
  bool force = false;
  // Give the PCK certificate the TCB info's OutOfDate level, so verifiers
  // report OutOfDate (for testing TCB-status policies).
  bool outdated_platform = false;
};

// SimDirInfo summarises a sim dir after InitSimDir / RefreshSimCollateral.
struct SimDirInfo {
  std::string dir;
  crypto::Sha256Digest root_sha256{};  // SHA-256 of root.pem's DER.
  absl::Time certs_not_after;
  absl::Time collateral_next_update;
  SimPlatform platform;
};

// SimFilePath joins `dir` and one of the file names above.
std::string SimFilePath(const std::string& dir, std::string_view file);

// InitSimDir creates the development PKI and collateral in `dir` (created
// with mode 0700 when missing). sim.json is written last, so a directory
// without it is not a sim dir.
// @return kAlreadyExists when `dir` holds sim files and !opts.force;
//         kInvalidArgument for bad day counts; kUnavailable / kInternal on
//         I/O or OpenSSL failures.
// Not safe to run concurrently on the same directory.
[[nodiscard]] absl::StatusOr<SimDirInfo> InitSimDir(
    const std::string& dir, const SimInitOptions& opts = {});

// SimRefreshOptions controls RefreshSimCollateral.
struct SimRefreshOptions {
  const Clock* clock = nullptr;  // nullptr: Clock::Real().
  int collateral_days = 0;       // 0: the value recorded at init.
};

// RefreshSimCollateral re-issues collateral.json (both CRLs with the next CRL
// number, TCB info and QE identity with new dates) with the existing keys and
// certificates, so running attesters and configured verifiers keep working.
// @return kNotFound / kFailedPrecondition when `dir` is not a complete sim
//         dir or its certificates have expired (run InitSimDir with force).
[[nodiscard]] absl::StatusOr<SimDirInfo> RefreshSimCollateral(
    const std::string& dir, const SimRefreshOptions& opts = {});

// LoadSimPlatform reads the platform recorded in DIR/sim.json.
// @return kNotFound when sim.json is missing, kInvalidArgument when it is
//         not a sim dir metadata file of a supported format.
[[nodiscard]] absl::StatusOr<SimPlatform> LoadSimPlatform(
    const std::string& dir);

}  // namespace mra::attest

// Copyright The mra Authors.
//
// File: src/sgx/test_forge.h (test-only, library mra_sgx_test_forge)
// -----------------------------------------------------------------------------
// Forge builds a complete, self-consistent DCAP world signed by a freshly
// generated TEST PKI shaped like Intel's: a root CA, a PCK Platform CA, a TCB
// signing certificate, a PCK leaf with the SGX extension, the root and PCK
// CRLs, a signed TCB info (SGX v3) and QE identity, and an SGX v3 quote whose
// QE report is signed by the PCK key and whose body is signed by an
// attestation key. Knobs in ForgeOptions break exactly one thing at a time,
// so negative tests can assert one specific VerifyFailure (revoked PCK, CRL
// signed by the wrong CA, TCB info expired, ...).
//
// WARNING: test code. The keys are generated per call and thrown away.

#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/sgx/quote.h"

namespace mra::sgx::testing {

// ForgeOptions describes the world; the defaults verify as UpToDate at `now`.
struct ForgeOptions {
  absl::Time now = absl::FromUnixSeconds(1893456000);  // 2030-01-01.

  // Validity windows, as offsets from `now`.
  absl::Duration tcb_info_issued = absl::Hours(-24);
  absl::Duration tcb_info_next_update = absl::Hours(24 * 29);
  absl::Duration qe_identity_issued = absl::Hours(-24);
  absl::Duration qe_identity_next_update = absl::Hours(24 * 29);
  absl::Duration pck_crl_this_update = absl::Hours(-24);
  absl::Duration pck_crl_next_update = absl::Hours(24 * 29);
  absl::Duration root_crl_this_update = absl::Hours(-24 * 30);
  absl::Duration root_crl_next_update = absl::Hours(24 * 300);
  absl::Duration pck_leaf_not_before = absl::Hours(-24 * 365);
  absl::Duration pck_leaf_not_after = absl::Hours(24 * 365 * 6);

  // Platform.
  std::array<uint8_t, 6> fmspc = {0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00};
  std::array<uint8_t, 16> pck_tcb = {5, 5, 2, 4, 1, 128, 6, 0,
                                     0, 0, 0, 0, 0, 0,   0, 0};
  uint16_t pck_pce_svn = 13;
  // tcb_info_fmspc overrides the FMSPC written into the TCB info.
  std::optional<std::array<uint8_t, 6>> tcb_info_fmspc;

  // TCB info levels: each {status, delta}; level i requires pck_tcb with
  // component 0 raised by `delta` (so delta 0 matches, delta 1 does not).
  struct Level {
    std::string status;
    int delta = 0;
    std::vector<std::string> advisory_ids;
  };
  std::vector<Level> levels = {{"UpToDate", 0, {}}};

  // QE.
  uint16_t qe_isv_svn = 8;
  std::string qe_level_status = "UpToDate";
  bool qe_identity_wrong_mrsigner = false;
  // MISCSELECT of the QE report, and the QE identity's miscselect and
  // miscselectMask hex strings (bytes in report order, as Intel serves them).
  uint32_t qe_miscselect = 0;
  std::string qe_identity_miscselect = "00000000";
  std::string qe_identity_miscselect_mask = "FFFFFFFF";

  // Quote header: Intel's QE vendor id unless changed.
  std::array<uint8_t, 16> qe_vendor_id = kIntelQeVendorId;

  // Enclave.
  bool debug = false;
  uint16_t isv_svn = 3;

  // Faults.
  bool revoke_pck = false;              // PCK leaf serial in the PCK CRL.
  bool revoke_pck_ca = false;           // PCK CA serial in the root CRL.
  bool pck_crl_signed_by_root = false;  // PCK CRL signed by the wrong CA.
  bool tcb_info_signed_by_pck_ca = false;
  // The TCB signing certificate is issued by an extra intermediate CA, and
  // the TCB info / QE identity issuer chains are [signer, intermediate,
  // root] (Intel's are always [signer, root]); with
  // revoke_tcb_intermediate the intermediate's serial is in the root CRL.
  bool tcb_chain_intermediate = false;
  bool revoke_tcb_intermediate = false;
  // The TCB info / QE identity issuer chains end in the root re-issued (same
  // subject and key, another serial, signed by the root key) instead of the
  // trusted root's own bytes.
  bool tcb_chain_reissued_root = false;
};

// Forged is one world.
struct Forged {
  std::vector<uint8_t> quote;   // SGX v3 quote (no padding).
  std::string collateral_json;  // ParseCollateralJson's bundle shape.
  std::string root_pem;         // The test root CA (self-signed).
  std::string pck_ca_pem;
  std::string pck_leaf_pem;
};

// Forge builds a world. Fails only on OpenSSL errors.
absl::StatusOr<Forged> Forge(const ForgeOptions& options = {});

// SgxExtensionDer encodes an SGX PCK extension value (for parser tests and
// fuzz seeds): ppid, tcb (16 components, pcesvn, cpusvn), pceId, fmspc,
// sgxType, and with `platform` also platformInstanceId and configuration.
std::vector<uint8_t> SgxExtensionDer(const std::array<uint8_t, 16>& tcb,
                                     uint16_t pce_svn,
                                     const std::array<uint8_t, 6>& fmspc,
                                     bool platform);

}  // namespace mra::sgx::testing

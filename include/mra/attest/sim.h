// Copyright The mra Authors.
//
// File: mra/attest/sim.h
// -----------------------------------------------------------------------------
// SimAttester is the simulation (no-hardware) development backend. It
// produces real Intel SGX DCAP quotes (version 3, ECDSA P-256) for the
// running executable's simulated identity (mra/attest/sigstruct.h), signed by
// the development PKI of a sim dir (mra/attest/sim_dir.h):
//
//   header      version 3, att key type 2, the sim platform's QE SVN and PCE
//               SVN, Intel's QE vendor id, user data = first 16 bytes of
//               SHA-256(attestation public key) || 4 zero bytes;
//   report body CPUSVN = the PCK certificate's TCB, ATTRIBUTES / MRENCLAVE /
//               MRSIGNER / ISVPRODID / ISVSVN from the verified sidecar,
//               REPORTDATA = the caller's 64 bytes;
//   signature   ECDSA-P256-SHA256 over header || body by the attestation key;
//               the attestation public key; a QE report (the sim QE identity,
//               REPORTDATA = SHA-256(attest key || QE auth data) || 0^32)
//               signed by the PCK leaf key; 32 bytes of QE auth data;
//               certification data type 5: PEM "PCK leaf || PCK Platform CA
//               || root" with a trailing NUL, as Intel's quoting library
//               writes it.
//
// Every check of docs/dcap-spec.md section 6 passes against DIR/collateral.json
// when the verifier trusts DIR/root.pem; a verifier that trusts only Intel's
// root refuses the quote.
//
// WARNING: such quotes prove nothing about hardware. Creating a SimAttester
// logs a loud warning (once per process).

#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "mra/attest/attester.h"
#include "mra/attest/sigstruct.h"
#include "mra/attest/sim_dir.h"
#include "mra/crypto/keys.h"

namespace mra::attest {

inline constexpr std::string_view kSimulationWarning =
    "SIMULATION MODE: quotes are signed by a development root and prove "
    "nothing about hardware";

// SimAttesterOptions says where the simulated platform and identity are.
struct SimAttesterOptions {
  std::string sim_dir;                        // Created by InitSimDir.
  std::string executable = "/proc/self/exe";  // The measured binary.
  std::string sigstruct;  // Empty: <canonical executable path>.sigstruct.
};

// SimAttester signs simulated quotes. Thread-safe: Quote may be called
// concurrently (keys are loaded once and only read).
class SimAttester final : public Attester {
 public:
  // Create loads the sim dir's keys and certificates, checks that the PCK
  // key matches the PCK certificate, verifies the sidecar's signature and
  // that its MRENCLAVE equals the SHA-256 of the executable, and signs the
  // QE report once.
  // @return kNotFound (missing sim dir file or sidecar), kPermissionDenied
  //         (executable changed since signing), kUnauthenticated (sidecar
  //         tampered), kFailedPrecondition (inconsistent sim dir, key file
  //         permissions), kInvalidArgument (malformed files).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SimAttester>> Create(
      const SimAttesterOptions& opts);

  std::string_view Kind() const override { return "sim"; }

  // Quote returns a complete SGX v3 quote binding `report_data`. One ECDSA
  // signature per call.
  [[nodiscard]] absl::StatusOr<std::vector<uint8_t>> Quote(
      std::span<const uint8_t, kReportDataLen> report_data) override;

  // identity is the verified simulated identity (MRENCLAVE, MRSIGNER, ...).
  const SimSigstruct& identity() const { return identity_; }
  // root_pem is the development root a verifier must be configured with.
  const std::string& root_pem() const { return root_pem_; }
  // executable is the canonical path of the measured binary.
  const std::string& executable() const { return executable_; }

 private:
  SimAttester(SimSigstruct identity, crypto::PrivateKey attestation_key);

  SimSigstruct identity_;
  crypto::PrivateKey attestation_key_;
  std::string executable_;
  std::string root_pem_;
  SimPlatform platform_;
  // Everything after the report body except the quote signature: attest
  // key, QE report, its signature, auth data, certification data.
  std::vector<uint8_t> signature_tail_;
  std::array<uint8_t, 48> header_{};
};

}  // namespace mra::attest

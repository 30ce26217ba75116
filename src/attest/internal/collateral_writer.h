// Copyright The mra Authors.
//
// File: src/attest/internal/collateral_writer.h
// -----------------------------------------------------------------------------
// The JSON documents of the simulated platform's collateral, in Intel's
// shapes (docs/dcap-spec.md section 7) and key order, compact (no spaces),
// uppercase hex, second-precision UTC dates:
//   TCB info v3 (id "SGX"): two levels, UpToDate at the platform's latest TCB
//     and OutOfDate one step below (advisory MRA-DEV-SA-0001);
//   QE identity v2 (id "QE"): UpToDate at the QE's SVN, OutOfDate below.
// The returned text is exactly what gets signed and embedded.

#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

#include "mra/attest/sim_dir.h"

namespace mra::attest::internal {

struct SimTcb {
  std::array<uint8_t, 16> sgx_components{};
  uint16_t pce_svn = 0;
};

// OutOfDateTcb is the level below `latest`: components 1 and 2 and the PCE
// SVN lowered by one (saturating at zero).
SimTcb OutOfDateTcb(const SimTcb& latest);

// TcbInfoJson returns the tcbInfo object text.
std::string TcbInfoJson(const SimPlatform& p, absl::Time issue_date,
                        absl::Time next_update);

// QeIdentityJson returns the enclaveIdentity object text.
std::string QeIdentityJson(const SimPlatform& p, absl::Time issue_date,
                           absl::Time next_update);

// CollateralBundle holds the parts of collateral.json.
struct CollateralBundle {
  std::string pck_crl_issuer_chain;  // PEM: PCK Platform CA || root.
  std::vector<uint8_t> root_ca_crl_der;
  std::vector<uint8_t> pck_crl_der;
  std::string tcb_info_issuer_chain;  // PEM: TCB Signing || root.
  std::string tcb_info;
  std::array<uint8_t, 64> tcb_info_signature{};
  std::string qe_identity_issuer_chain;
  std::string qe_identity;
  std::array<uint8_t, 64> qe_identity_signature{};
};

// BundleJson renders the bundle with the keys of
// ../shared/testdata/dcap/dcap-qvl/sample/sgx_quote_collateral.json (CRLs and
// signatures as lowercase hex; tcb_info / qe_identity as JSON strings).
std::string BundleJson(const CollateralBundle& b);

}  // namespace mra::attest::internal

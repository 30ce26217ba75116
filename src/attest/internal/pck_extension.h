// Copyright The mra Authors.
//
// File: src/attest/internal/pck_extension.h
// -----------------------------------------------------------------------------
// EncodeSgxExtension builds the value of Intel's SGX PCK certificate extension
// (OID 1.2.840.113741.1.13.1, docs/dcap-spec.md section 5) exactly as Intel's
// PCK certificates carry it:
//
//   SEQUENCE {
//     SEQUENCE { OID .1  OCTET STRING ppid(16) }
//     SEQUENCE { OID .2  SEQUENCE {
//         SEQUENCE { OID .2.1  INTEGER comp01svn } ... .2.16,
//         SEQUENCE { OID .2.17 INTEGER pcesvn },
//         SEQUENCE { OID .2.18 OCTET STRING cpusvn(16) } } }
//     SEQUENCE { OID .3  OCTET STRING pceid(2) }
//     SEQUENCE { OID .4  OCTET STRING fmspc(6) }
//     SEQUENCE { OID .5  ENUMERATED sgxtype }
//     -- Platform-CA-issued certificates only:
//     SEQUENCE { OID .6  OCTET STRING platform instance id(16) }
//     SEQUENCE { OID .7  SEQUENCE {
//         SEQUENCE { OID .7.1 BOOLEAN dynamicPlatform },
//         SEQUENCE { OID .7.2 BOOLEAN cachedKeys },
//         SEQUENCE { OID .7.3 BOOLEAN SMTEnabled } } }
//   }
//
// sgx_extension_test.cc checks the encoding byte for byte against the
// extensions of real PCK certificates from ../shared/testdata.

#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "src/attest/internal/der_writer.h"

namespace mra::attest::internal {

inline constexpr char kSgxExtensionOid[] = "1.2.840.113741.1.13.1";

struct PckConfiguration {
  bool dynamic_platform = true;
  bool cached_keys = true;
  bool smt_enabled = true;
};

struct PckExtensionValues {
  std::array<uint8_t, 16> ppid{};
  std::array<uint8_t, 16> sgx_tcb_components{};
  uint16_t pce_svn = 0;
  std::array<uint8_t, 16> cpusvn{};
  std::array<uint8_t, 2> pce_id{};
  std::array<uint8_t, 6> fmspc{};
  int sgx_type = 0;  // 0 standard, 1 scalable, 2 scalable with integrity.
  std::optional<std::array<uint8_t, 16>> platform_instance_id;
  std::optional<PckConfiguration> configuration;
};

// EncodeSgxExtension returns the DER extension value (the content of the
// extension's OCTET STRING). Fails only when OpenSSL does (kInternal).
absl::StatusOr<Der> EncodeSgxExtension(const PckExtensionValues& values);

}  // namespace mra::attest::internal

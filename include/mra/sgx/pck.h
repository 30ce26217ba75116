// Copyright The mra Authors.
//
// File: mra/sgx/pck.h
// -----------------------------------------------------------------------------
// The Intel SGX extension of PCK certificates (OID 1.2.840.113741.1.13.1,
// docs/dcap-spec.md section 5): the platform's FMSPC, PCE-ID, the 16 SGX TCB
// component SVNs, PCESVN and CPUSVN that TCB level matching compares with
// Intel's TCB info, plus PPID, SGX type and (Platform CA certificates) the
// platform instance id and configuration.
//
// The extension value is untrusted DER until the certificate's signature has
// been checked; it is decoded with OpenSSL's ASN.1 parser (SEQUENCE OF
// SEQUENCE { OBJECT IDENTIFIER, value }), bounded by kMaxPckExtensionLen, with
// exact consumption at every level. Every field Intel's verifier needs is
// required, typed and length-checked; duplicates are refused; unknown
// top-level entries are ignored (Intel may add informational fields), unknown
// entries inside the TCB sequence are refused.
//
// Every refusal carries VerifyFailure::kCertificateMalformed with a message
// "PCK SGX extension: <field>: <what>".

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include <openssl/x509.h>

namespace mra::sgx {

// kSgxExtensionOid is the OID of Intel's SGX extension in PCK certificates.
inline constexpr std::string_view kSgxExtensionOid = "1.2.840.113741.1.13.1";

// kMaxPckExtensionLen bounds the DER we are willing to decode (real ones are
// about 450 bytes for Processor CA leaves and 560 for Platform CA leaves).
inline constexpr size_t kMaxPckExtensionLen = 8 * 1024;

// SgxType is the `.5` field: the SGX flavour of the platform.
enum class SgxType : uint8_t {
  kStandard = 0,
  kScalable = 1,
  kScalableWithIntegrity = 2,
};

// PckConfiguration is the optional `.7` field (Platform CA leaves only).
struct PckConfiguration {
  std::optional<bool> dynamic_platform;
  std::optional<bool> cached_keys;
  std::optional<bool> smt_enabled;
};

// PckExtension is the decoded SGX extension.
struct PckExtension {
  std::array<uint8_t, 16> ppid{};            // .1
  std::array<uint8_t, 16> tcb_components{};  // .2.1 .. .2.16 (0..255 each)
  uint16_t pce_svn = 0;                      // .2.17
  std::array<uint8_t, 16> cpu_svn{};         // .2.18
  std::array<uint8_t, 2> pce_id{};           // .3
  std::array<uint8_t, 6> fmspc{};            // .4
  SgxType sgx_type = SgxType::kStandard;     // .5
  std::optional<std::array<uint8_t, 16>> platform_instance_id;  // .6
  std::optional<PckConfiguration> configuration;                // .7
};

// ParsePckExtension decodes the extension value (the contents of the
// extension's OCTET STRING, i.e. the DER SEQUENCE). Thread-safe; the result
// does not reference `der`.
// @return the fields, or kCertificateMalformed naming the field: not DER,
//         trailing bytes, longer than kMaxPckExtensionLen, a missing or
//         duplicated field, a wrong type or length, an SVN out of range.
[[nodiscard]] absl::StatusOr<PckExtension> ParsePckExtension(
    std::span<const uint8_t> der);

// ParsePckCertificateExtension finds the SGX extension in `cert` (exactly
// one must be present) and decodes it. Does not check the certificate's
// signature or validity: the quote verifier does that first.
// Thread-safe for concurrent calls on the same (unmodified) certificate.
// @return as ParsePckExtension; also kCertificateMalformed when the
//         extension is absent or present more than once.
[[nodiscard]] absl::StatusOr<PckExtension> ParsePckCertificateExtension(
    const X509* cert);

}  // namespace mra::sgx

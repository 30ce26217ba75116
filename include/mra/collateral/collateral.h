// Copyright The mra Authors.
//
// File: mra/collateral/collateral.h
// -----------------------------------------------------------------------------
// The DCAP collateral model: TCB info (v2 and v3, SGX and TDX), QE identity
// (v2), the PCK and root CA CRLs and the issuer chains, as fetched from Intel
// PCS / a PCCS. ParseCollateralJson loads the bundle shape used in
// ../shared/testdata/dcap (keys pck_crl_issuer_chain, root_ca_crl, pck_crl,
// tcb_info_issuer_chain, tcb_info, tcb_info_signature,
// qe_identity_issuer_chain, qe_identity, qe_identity_signature).
//
// Parsing only: nothing here is trusted until the quote verifier has checked
// the signatures over the exact `tcb_info` / `qe_identity` bytes kept in
// Collateral. Intel may add fields to its JSON, so unknown keys inside
// tcbInfo / enclaveIdentity are ignored; every field we use is required and
// type-checked.

#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/crypto/openssl_ptr.h"

namespace mra::collateral {

// Bounds on hostile input.
inline constexpr size_t kMaxCollateralLen = 4 << 20;
inline constexpr size_t kMaxJsonDepth = 32;
inline constexpr size_t kMaxTcbLevels = 512;
inline constexpr size_t kMaxChainCerts = 8;

// TcbStatus is Intel's TCB level status vocabulary.
enum class TcbStatus {
  kUpToDate,
  kSwHardeningNeeded,
  kConfigurationNeeded,
  kConfigurationAndSwHardeningNeeded,
  kOutOfDate,
  kOutOfDateConfigurationNeeded,
  kRevoked,
  // TDX quote verification results only (never a TCB level's status): the
  // TD 1.5 relaunch check (docs/dcap-spec.md section 6, step J).
  kTdRelaunchAdvised,
  kTdRelaunchAdvisedConfigurationNeeded,
};

// TcbStatusName returns Intel's spelling ("SWHardeningNeeded", ...).
std::string_view TcbStatusName(TcbStatus status);
// ParseTcbStatus accepts Intel's spelling only (including the two
// TDRelaunchAdvised results, which ParseTcbInfo refuses as level statuses).
std::optional<TcbStatus> ParseTcbStatus(std::string_view name);

// TcbLevel is one entry of tcbInfo.tcbLevels.
struct TcbLevel {
  std::array<uint8_t, 16> sgx_components{};
  uint16_t pce_svn = 0;
  std::optional<std::array<uint8_t, 16>> tdx_components;  // TDX only.
  absl::Time tcb_date;
  TcbStatus status = TcbStatus::kRevoked;
  std::vector<std::string> advisory_ids;
};

// EnclaveTcbLevel is a level of a QE identity or TDX module identity.
struct EnclaveTcbLevel {
  uint16_t isv_svn = 0;
  absl::Time tcb_date;
  TcbStatus status = TcbStatus::kRevoked;
  std::vector<std::string> advisory_ids;
};

// TdxModuleIdentity is tcbInfo.tdxModule / an entry of tdxModuleIdentities.
struct TdxModuleIdentity {
  std::string id;  // "TDX_01", ...; empty for tcbInfo.tdxModule.
  std::array<uint8_t, 48> mrsigner{};
  std::array<uint8_t, 8> attributes{};
  std::array<uint8_t, 8> attributes_mask{};
  std::vector<EnclaveTcbLevel> tcb_levels;
};

enum class TeeType { kSgx, kTdx };

// TcbInfo is the parsed tcbInfo object.
struct TcbInfo {
  uint32_t version = 0;         // 2 or 3.
  TeeType tee = TeeType::kSgx;  // v2 has no id and is SGX.
  absl::Time issue_date;
  absl::Time next_update;
  std::array<uint8_t, 6> fmspc{};
  std::array<uint8_t, 2> pce_id{};
  uint32_t tcb_type = 0;
  uint32_t tcb_evaluation_data_number = 0;
  std::optional<TdxModuleIdentity> tdx_module;
  std::vector<TdxModuleIdentity> tdx_module_identities;
  std::vector<TcbLevel> tcb_levels;  // In the served (descending) order.
};

// QeIdentity is the parsed enclaveIdentity object.
struct QeIdentity {
  std::string id;  // "QE", "TD_QE" or "QVE".
  uint32_t version = 0;
  absl::Time issue_date;
  absl::Time next_update;
  uint32_t tcb_evaluation_data_number = 0;
  // miscselect / miscselectMask: the 4 hex-encoded bytes are in report
  // order and read little-endian, so they compare directly with
  // sgx::SgxReportBody::miscselect ("01000000" is bit 0).
  uint32_t miscselect = 0;
  uint32_t miscselect_mask = 0;
  // attributes / attributesMask: 16 bytes in report order, compared byte by
  // byte with the report's ATTRIBUTES.
  std::array<uint8_t, 16> attributes{};
  std::array<uint8_t, 16> attributes_mask{};
  std::array<uint8_t, 32> mrsigner{};
  uint16_t isv_prod_id = 0;
  std::vector<EnclaveTcbLevel> tcb_levels;
};

// CertChain holds certificates parsed without decoding their public keys
// (see mra/crypto/certificate.h): X509_get0_pubkey() may return null for
// them; take keys with crypto::CertificatePublicKey().
using CertChain = std::vector<crypto::X509Ptr>;

// Collateral is one verification bundle. Move-only (owns OpenSSL objects).
struct Collateral {
  std::string tcb_info_json;  // Exact signed bytes of the tcbInfo value.
  std::vector<uint8_t> tcb_info_signature;  // Raw r||s.
  CertChain tcb_info_issuer_chain;
  TcbInfo tcb_info;

  std::string qe_identity_json;  // Exact signed bytes.
  std::vector<uint8_t> qe_identity_signature;
  CertChain qe_identity_issuer_chain;
  QeIdentity qe_identity;

  std::vector<uint8_t> pck_crl_der;
  crypto::X509CrlPtr pck_crl;
  CertChain pck_crl_issuer_chain;
  std::vector<uint8_t> root_ca_crl_der;
  crypto::X509CrlPtr root_ca_crl;
};

// ParseTcbInfo parses a tcbInfo JSON object (the inner value, or a PCS
// response {"tcbInfo": ..., "signature": ...} whose tcbInfo is taken).
// Failures: VerifyFailure::kCollateralMalformed naming the JSON path.
absl::StatusOr<TcbInfo> ParseTcbInfo(std::string_view json);

// ParseQeIdentity parses an enclaveIdentity JSON object (likewise).
absl::StatusOr<QeIdentity> ParseQeIdentity(std::string_view json);

// IntelSgxRootCaPem returns the PEM of the production Intel SGX Root CA,
// the issuer of all PCS collateral (mra/sgx pins its fingerprint). Bundles
// that carry it share one parsed copy.
std::string_view IntelSgxRootCaPem();

// ParsePemChain parses 1..kMaxChainCerts concatenated PEM certificates;
// anything else between or after them (except whitespace and NULs) fails.
absl::StatusOr<CertChain> ParsePemChain(std::string_view pem,
                                        std::string_view field);

// ParseCrl accepts DER, hex of DER, or PEM, and requires exact consumption.
absl::StatusOr<crypto::X509CrlPtr> ParseCrl(std::string_view data,
                                            std::string_view field,
                                            std::vector<uint8_t>* out_der);

// ParseCollateralJson parses the bundle (see file comment).
absl::StatusOr<Collateral> ParseCollateralJson(std::string_view json);

// CheckJsonDepth fails when `json` nests arrays/objects deeper than
// kMaxJsonDepth, before any parser sees it: the duplicate-key check walks
// the parsed document recursively, and the limit bounds that stack.
[[nodiscard]] absl::Status CheckJsonDepth(std::string_view json,
                                          std::string_view field);

}  // namespace mra::collateral

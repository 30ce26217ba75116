// Copyright The mra Authors.
//
// File: mra/sgx/quote.h
// -----------------------------------------------------------------------------
// ParseQuote decodes an Intel SGX/TDX DCAP ECDSA quote (SGX v3, TDX/SGX v4,
// v5 with body types 1/2/3) field by field into owned structs. It performs
// no cryptographic verification: that is VerifyQuote's job (parse, then
// verify). Layouts follow docs/dcap-spec.md sections 1-4 (Intel
// sgx_quote_3.h / sgx_quote_4.h / sgx_quote_5.h).
//
// Every refusal carries a VerifyFailure payload:
//   kQuoteMalformed   - truncated, oversized lengths, bad tags, trailing junk;
//   kQuoteUnsupported - well-formed but outside what we verify (version,
//                       P-384 key, certification data other than a PCK chain).

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mra::sgx {

// TEE types in the v4/v5 header.
inline constexpr uint32_t kTeeTypeSgx = 0x00000000;
inline constexpr uint32_t kTeeTypeTdx = 0x00000081;

// Attestation key type 2 = ECDSA-256-with-P-256 (the only one supported).
inline constexpr uint16_t kAttKeyTypeEcdsaP256 = 2;

// Certification data types (sgx_ql_cert_key_type_t).
inline constexpr uint16_t kCertDataPckCertChain = 5;
inline constexpr uint16_t kCertDataQeReport = 6;

// Documented maxima (bounds on attacker-controlled lengths). Real quotes are
// 4-10 KiB; a PCK chain of three P-256 certificates is about 3.5 KiB PEM.
inline constexpr size_t kMaxSignatureDataLen = 64 * 1024;
inline constexpr size_t kMaxQeAuthDataLen = 4 * 1024;
inline constexpr size_t kMaxCertDataLen = 60 * 1024;

// Sizes of fixed structures.
inline constexpr size_t kHeaderLen = 48;
inline constexpr size_t kSgxReportBodyLen = 384;
inline constexpr size_t kTd10ReportBodyLen = 584;
inline constexpr size_t kTd15ReportBodyLen = 648;

// Intel's QE vendor id (939a7233-f79c-4ca9-940a-0db3957f0607), the only one
// Intel QVL (and VerifyQuote) accepts in the quote header.
inline constexpr std::array<uint8_t, 16> kIntelQeVendorId = {
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
    0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

// QuoteHeader is the 48-byte header common to all versions.
struct QuoteHeader {
  uint16_t version = 0;
  uint16_t att_key_type = 0;
  // v4/v5: tee_type; v3: att_key_data_0 (reserved; kTeeTypeSgx is implied).
  uint32_t tee_type = 0;
  uint16_t qe_svn = 0;   // v3 only (v4/v5: reserved, 0 here).
  uint16_t pce_svn = 0;  // v3 only.
  std::array<uint8_t, 16> qe_vendor_id{};
  std::array<uint8_t, 20> user_data{};
};

// SgxReportBody is sgx_report_body_t (384 bytes); used for the ISV enclave
// report (SGX quotes) and for the QE report (all quotes).
struct SgxReportBody {
  std::array<uint8_t, 16> cpusvn{};
  uint32_t miscselect = 0;
  std::array<uint8_t, 16> isv_ext_prod_id{};
  std::array<uint8_t, 16> attributes{};  // flags u64 LE || xfrm u64 LE.
  std::array<uint8_t, 32> mr_enclave{};
  std::array<uint8_t, 32> mr_signer{};
  std::array<uint8_t, 64> config_id{};
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  uint16_t config_svn = 0;
  std::array<uint8_t, 16> isv_family_id{};
  std::array<uint8_t, 64> report_data{};
  // raw is the exact 384 encoded bytes (the QE report signature covers them).
  std::array<uint8_t, kSgxReportBodyLen> raw{};

  // Debug reports ATTRIBUTES.DEBUG (flags bit 1).
  bool Debug() const { return (attributes[0] & 0x02) != 0; }
};

// TdReportBody is sgx_report2_body_t (TD 1.0, 584 bytes) or, when is_td15,
// sgx_report2_body_v1_5_t (648 bytes).
struct TdReportBody {
  std::array<uint8_t, 16> tee_tcb_svn{};
  std::array<uint8_t, 48> mrseam{};
  std::array<uint8_t, 48> mrsignerseam{};
  std::array<uint8_t, 8> seam_attributes{};
  std::array<uint8_t, 8> td_attributes{};
  std::array<uint8_t, 8> xfam{};
  std::array<uint8_t, 48> mrtd{};
  std::array<uint8_t, 48> mrconfigid{};
  std::array<uint8_t, 48> mrowner{};
  std::array<uint8_t, 48> mrownerconfig{};
  std::array<std::array<uint8_t, 48>, 4> rtmr{};
  std::array<uint8_t, 64> report_data{};
  bool is_td15 = false;
  std::array<uint8_t, 16> tee_tcb_svn2{};  // TD 1.5 only.
  std::array<uint8_t, 48> mrservicetd{};   // TD 1.5 only.

  // Debug reports TDATTRIBUTES.DEBUG (byte 0 bit 0).
  bool Debug() const { return (td_attributes[0] & 0x01) != 0; }
  // SeptVeDisable reports TDATTRIBUTES bit 28.
  bool SeptVeDisable() const { return (td_attributes[3] & 0x10) != 0; }
};

// BodyType is the v5 body tag; v3 implies kSgx, v4 kSgx or kTd10 by tee_type.
enum class BodyType : uint16_t { kSgx = 1, kTd10 = 2, kTd15 = 3 };

// SignatureData is the decoded ECDSA signature data (v3 layout, or the v4/v5
// layout with its type-6 QE-report certification data wrapper flattened).
struct SignatureData {
  std::array<uint8_t, 64> quote_signature{};  // r || s, big-endian halves.
  std::array<uint8_t, 64> attest_key{};       // x || y, big-endian halves.
  SgxReportBody qe_report;
  std::array<uint8_t, 64> qe_report_signature{};  // r || s, by the PCK key.
  std::vector<uint8_t> qe_auth_data;
  // outer_cert_data_type is 6 for v4/v5 (the wrapper), 5 for v3.
  uint16_t outer_cert_data_type = 0;
  // cert_data_type is the innermost type; always kCertDataPckCertChain after
  // a successful parse.
  uint16_t cert_data_type = 0;
  // pck_chain_pem holds the PEM bytes exactly as carried (may end in NUL).
  std::string pck_chain_pem;
};

// TrailingBytes is the explicit policy for bytes after the signature data.
// Real quotes often carry zero padding (70, 39 and 3065 bytes seen); Intel's
// QVL ignores any trailing bytes, which lets junk ride along unverified.
enum class TrailingBytes {
  kReject,     // The quote must end exactly at the signature data.
  kZerosOnly,  // Zero padding tolerated; a non-zero byte is refused (default).
  kAny,        // Intel QVL compatibility: anything tolerated, not verified.
};

// ParseOptions controls leniency.
struct ParseOptions {
  TrailingBytes trailing = TrailingBytes::kZerosOnly;
};

// ParsedQuote owns everything decoded from a quote.
struct ParsedQuote {
  QuoteHeader header;
  BodyType body_type = BodyType::kSgx;
  std::optional<SgxReportBody> sgx_body;  // Set iff body_type == kSgx.
  std::optional<TdReportBody> td_body;    // Set iff TDX body.
  SignatureData signature;
  // signed_bytes is a copy of header || (v5 type+size) || body: the input of
  // the ISV quote signature.
  std::vector<uint8_t> signed_bytes;
  // quote_len is the length up to the end of the signature data;
  // trailing_len counts the bytes after it (zeros unless TrailingBytes::kAny).
  size_t quote_len = 0;
  size_t trailing_len = 0;

  // IsTdx is true for a TD report body (TD 1.0 or 1.5).
  bool IsTdx() const { return td_body.has_value(); }
  // Debug is ATTRIBUTES.DEBUG (SGX) or TDATTRIBUTES.DEBUG (TDX).
  bool Debug() const;
  // ReportData returns the 64-byte REPORTDATA of the ISV enclave or TD.
  // The span lives as long as this ParsedQuote.
  std::span<const uint8_t, 64> ReportData() const;
};

// ParseQuote decodes `bytes` (the whole quote, possibly with zero padding).
// Thread-safe; the result does not reference `bytes`.
// @return the parsed quote, or a Status with VerifyFailure kQuoteMalformed
//         ("<field> at offset N: <what>") or kQuoteUnsupported.
[[nodiscard]] absl::StatusOr<ParsedQuote> ParseQuote(
    std::span<const uint8_t> bytes, const ParseOptions& opts = {});

}  // namespace mra::sgx

// Copyright The mra Authors.
//
// Internal: turning PCS/PCCS HTTP responses into bundle pieces. No I/O here
// (pcs_http.cc does the transfers), so every rule is unit-testable.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mra::collateral::internal {

// Bounds on response headers (curl's own limit is larger).
inline constexpr size_t kMaxHeaderBytes = size_t{256} * 1024;

// HttpResponse is one completed HTTP exchange.
struct HttpResponse {
  std::string url;
  int64_t status = 0;
  // In the order received; names as sent (compare case-insensitively).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// CheckHttpOk fails unless the status is 200: kNotFound for 404, otherwise
// kUnavailable. The message names `what` and the URL, and quotes the PCS
// Error-Code / Error-Message headers when present (sanitised, bounded).
[[nodiscard]] absl::Status CheckHttpOk(const HttpResponse& response,
                                       std::string_view what);

// UniqueHeader returns the value of header `name` (case-insensitive), or
// nullopt when absent. Sent twice: kCollateralMalformed.
absl::StatusOr<std::optional<std::string>> UniqueHeader(
    const HttpResponse& response, std::string_view name, std::string_view what);

// CheckContentType requires the media type (parameters ignored, any case) to
// be one of `allowed`; kCollateralMalformed otherwise (also when absent).
[[nodiscard]] absl::Status CheckContentType(
    const HttpResponse& response,
    std::initializer_list<std::string_view> allowed, std::string_view what);

// PercentDecode decodes RFC 3986 %XX escapes ('+' stays '+', as base64
// needs). A '%' not followed by two hex digits fails (kCollateralMalformed).
absl::StatusOr<std::string> PercentDecode(std::string_view encoded,
                                          std::string_view what);

// RawJsonMember returns the exact bytes of the value of member `key` of the
// top-level JSON object `json` (whitespace around it excluded). The object
// must contain exactly the members in `allowed_keys` (spelled without
// escapes), each once; nesting is bounded by kMaxJsonDepth. Failures:
// kCollateralMalformed naming `what`.
absl::StatusOr<std::string_view> RawJsonMember(
    std::string_view json, std::string_view key,
    std::initializer_list<std::string_view> allowed_keys,
    std::string_view what);

// SignedPiece is a signed JSON document as served.
struct SignedPiece {
  std::string body;           // Exact bytes of the signed member value.
  std::string signature_hex;  // 128 lowercase hex characters (r||s).
  std::string issuer_chain;   // Decoded PEM chain from the header.
};

// ParseSignedJsonResponse handles a TCB info ({"tcbInfo":...,"signature":...},
// `body_key` "tcbInfo") or QE identity ("enclaveIdentity") response: status
// 200, application/json, a body that is valid JSON with exactly those two
// members, a 64-byte hex signature, and an issuer chain in the first present
// header of `chain_headers`. The chain is percent-decoded and must be
// printable ASCII; it is parsed (ParsePemChain) later with the bundle.
absl::StatusOr<SignedPiece> ParseSignedJsonResponse(
    const HttpResponse& response, std::string_view body_key,
    std::initializer_list<std::string_view> chain_headers,
    std::string_view what);

// CrlPiece is a CRL as DER and, for the PCK CRL, its issuer chain.
struct CrlPiece {
  std::vector<uint8_t> der;
  std::string issuer_chain;
};

// ParseCrlResponse handles a PCK CRL (with_chain: SGX-PCK-CRL-Issuer-Chain
// required) or root CA CRL response: status 200, a CRL content type (or the
// octet-stream / text types PCCS and CDNs use), a body that is DER, hex of
// DER (PCCS) or PEM.
absl::StatusOr<CrlPiece> ParseCrlResponse(const HttpResponse& response,
                                          bool with_chain,
                                          std::string_view what);

// AssembleBundle renders the bundle JSON (the shape of collateral.h, keys in
// the order of the shared test data, CRLs as lowercase hex of DER).
std::string AssembleBundle(const SignedPiece& tcb_info,
                           const SignedPiece& qe_identity,
                           const CrlPiece& pck_crl,
                           std::span<const uint8_t> root_ca_crl_der);

}  // namespace mra::collateral::internal

// Fuzzes the PCS/PCCS HTTP response handling (src/collateral/pcs_response.*):
// the exact-bytes JSON member extractor, percent-decoding of issuer-chain
// headers, header lookup and content-type checks, and the TCB info / QE
// identity / CRL response parsers. Invariants:
//  - no crash, hang or throw; every refusal is COLLATERAL_MALFORMED, or (for
//    a non-200 status only) NOT_FOUND / UNAVAILABLE without a verdict;
//  - RawJsonMember returns a slice of its input, and when nlohmann parses the
//    whole document the slice parses to exactly the member's value
//    (differential check of the scanner against nlohmann);
//  - PercentDecode never grows its input and inverts percent-encoding;
//  - an accepted signed response yields that exact slice and 128 lowercase
//    hex, and AssembleBundle over accepted pieces does not throw.
//
// Input: "HTTP <status>\n" + header lines "Name: value" + "\n" + body; any
// other input is a body served with status 200 and default headers (so raw
// PCS JSON and CRL files are meaningful seeds).
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"
#include "src/collateral/pcs_response.h"

#include "mra/base/verify_failure.h"

namespace {

using mra::collateral::internal::HttpResponse;

void CheckRefusal(const absl::Status& s, int64_t http_status) {
  if (s.ok()) {
    return;
  }
  std::optional<mra::VerifyFailure> f = mra::GetVerifyFailure(s);
  const bool transport = s.code() == absl::StatusCode::kNotFound ||
                         s.code() == absl::StatusCode::kUnavailable;
  const bool expected =
      f.has_value() ? *f == mra::VerifyFailure::kCollateralMalformed
                    : transport && http_status != 200;
  if (!expected) {
    std::fprintf(stderr, "unexpected refusal (HTTP %lld): %s\n",
                 static_cast<long long>(http_status), s.ToString().c_str());
    __builtin_trap();
  }
}

HttpResponse Frame(std::string_view in) {
  HttpResponse r;
  r.url = "https://pcs.fuzz/sgx/certification/v4/tcb";
  r.status = 200;
  constexpr std::string_view kPrefix = "HTTP ";
  if (in.substr(0, kPrefix.size()) != kPrefix) {
    r.headers = {{"Content-Type", "application/json"},
                 {"TCB-Info-Issuer-Chain", "-----BEGIN%20CERTIFICATE-----"},
                 {"SGX-Enclave-Identity-Issuer-Chain", "%0A"},
                 {"SGX-PCK-CRL-Issuer-Chain", "x"}};
    r.body = std::string(in);
    return r;
  }
  in.remove_prefix(kPrefix.size());
  size_t eol = in.find('\n');
  std::string_view status = in.substr(0, eol);
  int64_t code = 0;
  for (char c : status.substr(0, 4)) {
    if (c < '0' || c > '9') {
      break;
    }
    code = code * 10 + (c - '0');
  }
  r.status = code;
  in = eol == std::string_view::npos ? std::string_view() : in.substr(eol + 1);
  while (!in.empty()) {
    eol = in.find('\n');
    std::string_view line = in.substr(0, eol);
    in =
        eol == std::string_view::npos ? std::string_view() : in.substr(eol + 1);
    if (line.empty()) {
      break;
    }
    size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value =
        colon == std::string_view::npos ? "" : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    r.headers.emplace_back(std::string(name), std::string(value));
  }
  r.body = std::string(in);
  return r;
}

void CheckRawJsonMember(const std::string& body) {
  using mra::collateral::internal::RawJsonMember;
  auto raw = RawJsonMember(body, "tcbInfo", {"tcbInfo", "signature"}, "fuzz");
  CheckRefusal(raw.status(), 200);
  if (!raw.ok()) {
    return;
  }
  const char* b = body.data();
  if (raw->data() < b || raw->data() + raw->size() > b + body.size()) {
    __builtin_trap();
  }
  nlohmann::json whole = nlohmann::json::parse(body, nullptr, false);
  if (whole.is_discarded()) {
    return;  // The scanner only delimits; nlohmann validates.
  }
  if (!whole.is_object() || !whole.contains("tcbInfo")) {
    __builtin_trap();
  }
  nlohmann::json member = nlohmann::json::parse(*raw, nullptr, false);
  if (member.is_discarded() || member != whole["tcbInfo"]) {
    __builtin_trap();
  }
}

void CheckPercentDecode(std::string_view text) {
  auto decoded = mra::collateral::internal::PercentDecode(text, "fuzz");
  CheckRefusal(decoded.status(), 200);
  if (!decoded.ok()) {
    return;
  }
  if (decoded->size() > text.size()) {
    __builtin_trap();
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (char c : *decoded) {
    const auto u = static_cast<unsigned char>(c);
    encoded += '%';
    encoded += kHex[u >> 4];
    encoded += kHex[u & 15];
  }
  auto again = mra::collateral::internal::PercentDecode(encoded, "fuzz");
  if (!again.ok() || *again != *decoded) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace internal = mra::collateral::internal;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  HttpResponse r = Frame(in);

  CheckPercentDecode(in.substr(0, 4096));
  for (const auto& [name, value] : r.headers) {
    CheckPercentDecode(value);
  }
  CheckRawJsonMember(r.body);
  CheckRefusal(internal::CheckHttpOk(r, "fuzz"), r.status);
  CheckRefusal(internal::UniqueHeader(r, "content-type", "fuzz").status(), 200);
  CheckRefusal(internal::CheckContentType(r, {"application/json"}, "fuzz"),
               200);

  auto tcb = internal::ParseSignedJsonResponse(
      r, "tcbInfo", {"TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain"},
      "fuzz tcb");
  CheckRefusal(tcb.status(), r.status);
  if (tcb.ok()) {
    auto raw = internal::RawJsonMember(r.body, "tcbInfo",
                                       {"tcbInfo", "signature"}, "fuzz");
    if (!raw.ok() || *raw != tcb->body || tcb->signature_hex.size() != 128) {
      __builtin_trap();
    }
    for (char c : tcb->signature_hex) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        __builtin_trap();
      }
    }
  }
  auto qe = internal::ParseSignedJsonResponse(
      r, "enclaveIdentity", {"SGX-Enclave-Identity-Issuer-Chain"}, "fuzz qe");
  CheckRefusal(qe.status(), r.status);

  HttpResponse crl_response = r;
  if (in.substr(0, 5) != "HTTP ") {
    crl_response.headers[0].second = "application/pkix-crl";
  }
  for (bool with_chain : {false, true}) {
    auto crl = internal::ParseCrlResponse(crl_response, with_chain, "fuzz crl");
    CheckRefusal(crl.status(), r.status);
    if (crl.ok() && tcb.ok() && qe.ok()) {
      // Must not throw (nlohmann would abort the fuzzer on an exception).
      std::string bundle = internal::AssembleBundle(*tcb, *qe, *crl, crl->der);
      if (bundle.empty()) {
        __builtin_trap();
      }
    }
  }
  return 0;
}

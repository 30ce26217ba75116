// Fuzzes the DCAP quote parser: no crash, hang or throw; refusals are
// QUOTE_MALFORMED or QUOTE_UNSUPPORTED; accepted quotes satisfy the layout
// invariants (signed region inside the input, PCK chain present, etc.).
#include <cstddef>
#include <cstdint>
#include <span>

#include "mra/base/verify_failure.h"
#include "mra/sgx/quote.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  using mra::sgx::TrailingBytes;
  for (TrailingBytes policy :
       {TrailingBytes::kReject, TrailingBytes::kZerosOnly, TrailingBytes::kAny}) {
    mra::sgx::ParseOptions opts;
    opts.trailing = policy;
    auto q = mra::sgx::ParseQuote(bytes, opts);
    if (!q.ok()) {
      auto f = mra::GetVerifyFailure(q.status());
      if (f != mra::VerifyFailure::kQuoteMalformed &&
          f != mra::VerifyFailure::kQuoteUnsupported) {
        __builtin_trap();
      }
      continue;
    }
    const auto& p = *q;
    if (p.signed_bytes.size() > size || p.quote_len > size ||
        p.quote_len + p.trailing_len != size ||
        p.signed_bytes.size() + 4 > p.quote_len) {
      __builtin_trap();
    }
    if (policy == TrailingBytes::kReject && p.trailing_len != 0) {
      __builtin_trap();
    }
    for (size_t i = 0; i < p.signed_bytes.size(); ++i) {
      if (p.signed_bytes[i] != data[i]) __builtin_trap();
    }
    for (size_t i = p.quote_len; i < size; ++i) {
      if (policy != TrailingBytes::kAny && data[i] != 0) {
        __builtin_trap();
      }
    }
    if (p.IsTdx() == p.sgx_body.has_value()) __builtin_trap();
    if (p.signature.cert_data_type != mra::sgx::kCertDataPckCertChain) {
      __builtin_trap();
    }
    if (p.ReportData().size() != 64) __builtin_trap();
    (void)p.Debug();
  }
  return 0;
}

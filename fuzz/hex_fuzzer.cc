// Fuzzes hex decoding of untrusted text: mra::HexDecode / HexDecodeInto /
// IsHex (measurements, signatures, CRLs in collateral and state files) and
// sgx::DecodeHexQuoteText (quotes pasted as hex, with whitespace and 0x).
// Invariants: no crash; HexDecode succeeds iff the text is even-length hex,
// and HexEncode of the result is its lowercase form; DecodeHexQuoteText
// refusals are QUOTE_MALFORMED and it agrees with HexDecode on the text with
// whitespace (and one leading 0x) removed.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mra/base/hex.h"
#include "mra/base/verify_failure.h"
#include "mra/sgx/quote_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto bytes = mra::HexDecode(text);
  const bool is_hex = mra::IsHex(text);
  if (bytes.ok() != (is_hex && text.size() % 2 == 0)) {
    __builtin_trap();
  }
  if (bytes.ok()) {
    std::string lower(text);
    for (char& c : lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (bytes->size() * 2 != size || mra::HexEncode(*bytes) != lower) {
      __builtin_trap();
    }
    std::vector<uint8_t> out(bytes->size());
    if (!mra::HexDecodeInto(text, out).ok() || out != *bytes) {
      __builtin_trap();
    }
    std::vector<uint8_t> wrong(bytes->size() + 1);
    if (mra::HexDecodeInto(text, wrong).ok()) {
      __builtin_trap();
    }
  }

  auto quote = mra::sgx::DecodeHexQuoteText(text);
  if (!quote.ok()) {
    if (mra::GetVerifyFailure(quote.status()) !=
        mra::VerifyFailure::kQuoteMalformed) {
      __builtin_trap();
    }
    return 0;
  }
  std::string stripped;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' &&
        c != '\v') {
      stripped.push_back(c);
    }
  }
  if (stripped.size() >= 2 && stripped[0] == '0' &&
      (stripped[1] == 'x' || stripped[1] == 'X')) {
    stripped.erase(0, 2);
  }
  auto direct = mra::HexDecode(stripped);
  if (!direct.ok() || *direct != *quote) {
    __builtin_trap();
  }
  return 0;
}

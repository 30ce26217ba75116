#include "mra/base/hex.h"

#include "mra/base/strings.h"

namespace mra {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

absl::Status DecodeTo(std::string_view hex, std::span<uint8_t> out) {
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]);
    int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          StrCat("non-hex character at position ", hi < 0 ? i : i + 1));
    }
    out[i / 2] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return absl::OkStatus();
}

}  // namespace

std::string HexEncode(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(StrCat("odd hex length ", hex.size()));
  }
  std::vector<uint8_t> out(hex.size() / 2);
  absl::Status s = DecodeTo(hex, out);
  if (!s.ok()) {
    return s;
  }
  return out;
}

absl::Status HexDecodeInto(std::string_view hex, std::span<uint8_t> out) {
  if (hex.size() != out.size() * 2) {
    return absl::InvalidArgumentError(StrCat(
        "expected ", out.size() * 2, " hex characters, got ", hex.size()));
  }
  return DecodeTo(hex, out);
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (HexValue(c) < 0) {
      return false;
    }
  }
  return true;
}

}  // namespace mra

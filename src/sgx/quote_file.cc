// Copyright The mra Authors.

#include "mra/sgx/quote_file.h"

#include <cctype>

#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"

namespace mra::sgx {
namespace {

bool EndsWithIgnoreCase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) {
    return false;
  }
  std::string_view tail = s.substr(s.size() - suffix.size());
  for (size_t i = 0; i < suffix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(tail[i])) != suffix[i]) {
      return false;
    }
  }
  return true;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

}  // namespace

bool IsHexQuotePath(std::string_view path) {
  return EndsWithIgnoreCase(path, ".hex") || EndsWithIgnoreCase(path, ".txt");
}

absl::StatusOr<std::vector<uint8_t>> DecodeHexQuoteText(std::string_view text) {
  size_t start = 0;
  while (start < text.size() && IsSpace(text[start])) {
    ++start;
  }
  if (text.size() - start >= 2 && text[start] == '0' &&
      (text[start + 1] == 'x' || text[start + 1] == 'X')) {
    start += 2;
  }
  std::string hex;
  hex.reserve(text.size() - start);
  for (size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    if (IsSpace(c)) {
      continue;
    }
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      return VerifyError(VerifyFailure::kQuoteMalformed,
                         StrCat("hex quote text: non-hex character at "
                                "position ",
                                i));
    }
    hex.push_back(c);
  }
  if (hex.empty()) {
    return VerifyError(VerifyFailure::kQuoteMalformed,
                       "hex quote text: no hex digits");
  }
  if (hex.size() % 2 != 0) {
    return VerifyError(
        VerifyFailure::kQuoteMalformed,
        StrCat("hex quote text: odd number of hex digits (", hex.size(), ")"));
  }
  absl::StatusOr<std::vector<uint8_t>> bytes = HexDecode(hex);
  if (!bytes.ok()) {
    return VerifyError(
        VerifyFailure::kQuoteMalformed,
        StrCat("hex quote text: ", ToStd(bytes.status().message())));
  }
  return bytes;
}

absl::StatusOr<std::vector<uint8_t>> ReadQuoteFile(const std::string& path) {
  MRA_ASSIGN_OR_RETURN(std::string data,
                       ReadFileBounded(path, kMaxQuoteFileLen));
  if (IsHexQuotePath(path)) {
    absl::StatusOr<std::vector<uint8_t>> bytes = DecodeHexQuoteText(data);
    if (!bytes.ok()) {
      return VerifyError(VerifyFailure::kQuoteMalformed,
                         StrCat(path, ": ", ToStd(bytes.status().message())));
    }
    return bytes;
  }
  return std::vector<uint8_t>(data.begin(), data.end());
}

}  // namespace mra::sgx

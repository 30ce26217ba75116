// Copyright The mra Authors.
//
// File: mra/sgx/quote_file.h
// -----------------------------------------------------------------------------
// ReadQuoteFile loads a DCAP quote from disk. Quotes travel both as raw bytes
// and as hex text (dcap-qvl's *.hex samples, NEAR's quote_hex.txt, `--quote`
// files pasted from logs), so files named *.hex or *.txt are decoded as hex
// text: ASCII whitespace anywhere is ignored and one leading "0x"/"0X" is
// allowed. Every other file is returned byte for byte.
//
// The bytes are not parsed here: hand them to ParseQuote (mra/sgx/quote.h).

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mra::sgx {

// kMaxQuoteFileLen bounds the file read (hex text of the largest quote
// ParseQuote accepts, with room for padding and whitespace).
inline constexpr size_t kMaxQuoteFileLen = 1 << 20;

// IsHexQuotePath reports whether ReadQuoteFile decodes `path` as hex text
// (its name ends in ".hex" or ".txt", case-insensitively).
bool IsHexQuotePath(std::string_view path);

// DecodeHexQuoteText decodes hex text as described in the file comment.
// @return the bytes, or VerifyFailure::kQuoteMalformed naming the offending
//         character position (in the text) or an odd digit count.
[[nodiscard]] absl::StatusOr<std::vector<uint8_t>> DecodeHexQuoteText(
    std::string_view text);

// ReadQuoteFile reads `path` (at most kMaxQuoteFileLen bytes) and decodes hex
// text for *.hex / *.txt. Thread-safe.
// @return the quote bytes; kNotFound / kUnavailable / kInvalidArgument (too
//         large) from the file read, or VerifyFailure::kQuoteMalformed when a
//         hex file is not hex.
[[nodiscard]] absl::StatusOr<std::vector<uint8_t>> ReadQuoteFile(
    const std::string& path);

}  // namespace mra::sgx

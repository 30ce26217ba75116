// Copyright The mra Authors.
//
// Internal: typed, path-naming accessors over simdjson DOM elements for the
// collateral JSON (bundle, TCB info, QE identity, PCS responses). The
// verification hot path parses with simdjson's DOM API (a dom::parser per
// public call, no global state); nlohmann stays for the on-disk cache (Json
// below).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json_fwd.hpp"
#include "simdjson.h"

#include "mra/collateral/collateral.h"

namespace mra::collateral::internal {

// nlohmann, for the collateral cache's entries (cache.cc); not used to parse
// collateral any more.
using Json = nlohmann::json;

// JsonValue is a view into a simdjson::dom::parser's document: valid until
// that parser is destroyed or parses another document.
using JsonValue = simdjson::dom::element;

// Malformed returns kCollateralMalformed "<path>: <what>".
absl::Status Malformed(std::string_view path, std::string_view what);

// StringTokenEnd returns one past the quote that ends the JSON string token
// opening at s[begin] ('"'): the first quote not preceded by an odd run of
// backslashes; npos when there is none. Contents are not checked.
size_t StringTokenEnd(std::string_view s, size_t begin);

// SkipJsonSpace returns the index of the first character at or after `i`
// that is not JSON whitespace (space, tab, LF, CR); s.size() if none.
size_t SkipJsonSpace(std::string_view s, size_t i);

// SkipUtf8Bom drops one leading UTF-8 byte order mark, which nlohmann (our
// parser before simdjson) skipped and simdjson refuses.
std::string_view SkipUtf8Bom(std::string_view text);

// ParseJsonObject parses `text`, the JSON text of `field`, with `parser`
// (after SkipUtf8Bom) and returns its root object. Fails with
// kCollateralMalformed "<field>: ..." for nesting deeper than kMaxJsonDepth
// (checked on the text first, as CheckJsonDepth), invalid JSON or UTF-8
// ("not valid JSON (<simdjson's reason>)"; simdjson also refuses integers
// outside int64/uint64, which nlohmann read as floats), a root that is not an
// object, an integer written "-0" (simdjson reads it as 0; nlohmann typed it
// as signed, so our unsigned fields refused it), and, anywhere in the
// document, an object that repeats a key ("<field><path>.<key>: duplicate
// key": signed JSON must not be ambiguous). The result lives as long as
// `parser` (see JsonValue).
absl::StatusOr<JsonValue> ParseJsonObject(simdjson::dom::parser& parser,
                                          std::string_view text,
                                          std::string_view field);

// DecodeString has `parser` validate and unescape one raw JSON string token
// (quotes included, nothing around them) and returns its value, a view into
// `parser` valid until its next parse; nullopt unless `token` is exactly one
// valid JSON string (escapes, control characters, UTF-8).
std::optional<std::string_view> DecodeString(simdjson::dom::parser& parser,
                                             std::string_view token);

// ParseTcbInfo and ParseQeIdentity, parsing with a caller's `parser` (its
// earlier documents are invalidated; results are owned).
absl::StatusOr<TcbInfo> ParseTcbInfo(simdjson::dom::parser& parser,
                                     std::string_view json);
absl::StatusOr<QeIdentity> ParseQeIdentity(simdjson::dom::parser& parser,
                                           std::string_view json);

// RejectDuplicateKeys fails as ParseJsonObject does when any object in the
// tree under `root` repeats a key (compared after unescaping). `path` names
// `root`. Recursion is bounded by the document's depth (kMaxJsonDepth).
[[nodiscard]] absl::Status RejectDuplicateKeys(const JsonValue& root,
                                               std::string_view path);

// Has reports whether object `j` has member `key` (false if not an object).
bool Has(const JsonValue& j, std::string_view key);

// Member returns j[key] or fails naming path.key; `j` must be an object.
absl::StatusOr<JsonValue> Member(const JsonValue& j, std::string_view key,
                                 std::string_view path);
// String returns a string member. The view points into the parser's string
// buffer: valid as long as the JsonValue it came from (copy it to keep it).
absl::StatusOr<std::string_view> String(const JsonValue& j,
                                        std::string_view key,
                                        std::string_view path);
// Unsigned returns an integer member in 0..max. Negative numbers, floats
// (1.0, 1e2) and integers above max are refused naming path.key.
absl::StatusOr<uint64_t> Unsigned(const JsonValue& j, std::string_view key,
                                  std::string_view path, uint64_t max);
// Time parses an RFC 3339 date-time string member.
absl::StatusOr<absl::Time> Time(const JsonValue& j, std::string_view key,
                                std::string_view path);
// HexBytes decodes a hex string member of exactly out.size() bytes.
[[nodiscard]] absl::Status HexBytes(const JsonValue& j, std::string_view key,
                                    std::string_view path,
                                    std::span<uint8_t> out);

}  // namespace mra::collateral::internal

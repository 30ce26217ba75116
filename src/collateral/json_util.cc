#include "src/collateral/json_util.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <unordered_set>
#include <vector>

#include "mra/base/clock.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/collateral/collateral.h"

namespace mra::collateral {
namespace internal {

size_t StringTokenEnd(std::string_view s, size_t begin) {
  const size_t content = begin + 1;
  size_t from = content;
  for (;;) {
    const size_t quote = s.find('"', from);  // memchr
    if (quote == std::string_view::npos) {
      return quote;
    }
    size_t backslashes = 0;
    while (quote - backslashes > content &&
           s[quote - backslashes - 1] == '\\') {
      ++backslashes;
    }
    if (backslashes % 2 == 0) {
      return quote + 1;
    }
    from = quote + 1;
  }
}

size_t SkipJsonSpace(std::string_view s, size_t i) {
  while (i < s.size() &&
         (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
    ++i;
  }
  return i;
}

namespace {

using simdjson::dom::element_type;

// What ScanJson found in JSON text without parsing it.
struct TextScan {
  bool too_deep = false;       // Nested deeper than kMaxJsonDepth.
  bool negative_zero = false;  // An integer token "-0" outside strings.
};

// ScanJson walks `json` once, outside strings counting nesting (as
// CheckJsonDepth always has: unbalanced closers are ignored, and an
// unterminated string runs to the end) and noting integer "-0" tokens.
// Strings are skipped with StringTokenEnd (memchr): a quote ends a string
// unless an odd run of backslashes precedes it, which is what the
// byte-by-byte escape state machine this replaced decided.
TextScan ScanJson(std::string_view json) {
  TextScan out;
  size_t depth = 0;
  size_t i = 0;
  while (i < json.size()) {
    const char c = json[i++];
    switch (c) {
      case '"':
        i = StringTokenEnd(json, i - 1);
        if (i == std::string_view::npos) {
          return out;  // Unterminated: the rest is string.
        }
        break;
      case '{':
      case '[':
        if (++depth > kMaxJsonDepth) {
          out.too_deep = true;
          return out;
        }
        break;
      case '}':
      case ']':
        if (depth > 0) {
          --depth;
        }
        break;
      case '-':
        // In valid JSON a '-' outside strings starts a number; "-0" followed
        // by neither a fraction nor an exponent is the integer -0.
        if (i < json.size() && json[i] == '0' &&
            (i + 1 == json.size() ||
             (json[i + 1] != '.' && json[i + 1] != 'e' &&
              json[i + 1] != 'E'))) {
          out.negative_zero = true;
        }
        break;
      default:
        break;
    }
  }
  return out;
}

// KeyForMessage quotes an object key in an error path: printable ASCII only,
// bounded (keys are untrusted).
std::string KeyForMessage(std::string_view key) {
  constexpr size_t kMaxLen = 64;
  std::string out;
  for (char c : key.substr(0, kMaxLen)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (key.size() > kMaxLen) {
    out += "...";
  }
  return out;
}

bool IsContainer(const JsonValue& e) {
  const element_type type = e.type();
  return type == element_type::ARRAY || type == element_type::OBJECT;
}

// FindDuplicateKey returns true when an object in the tree under container
// `e` repeats a key, with *out_suffix set to the path below `e` ending in
// ".<key>" of the first repeat in document order. `keys` is scratch space
// shared down the recursion (each object's keys are pushed, then popped):
// collateral objects have a handful of keys, compared pairwise; past
// kLinear (hostile input) they go into a hash set.
bool FindDuplicateKey(const JsonValue& e, std::vector<std::string_view>* keys,
                      std::string* out_suffix) {
  simdjson::dom::array array;
  if (e.get_array().get(array) == simdjson::SUCCESS) {
    size_t i = 0;
    for (JsonValue child : array) {
      if (IsContainer(child) && FindDuplicateKey(child, keys, out_suffix)) {
        out_suffix->insert(0, StrCat("[", i, "]"));
        return true;
      }
      ++i;
    }
    return false;
  }
  simdjson::dom::object object;
  if (e.get_object().get(object) != simdjson::SUCCESS) {
    return false;
  }
  constexpr size_t kLinear = 16;
  const size_t base = keys->size();
  std::optional<std::unordered_set<std::string_view>> many;
  for (simdjson::dom::key_value_pair field : object) {
    const auto mine = keys->begin() + static_cast<ptrdiff_t>(base);
    bool repeated = false;
    if (keys->size() - base < kLinear) {
      repeated = std::find(mine, keys->end(), field.key) != keys->end();
      keys->push_back(field.key);
    } else {
      if (!many.has_value()) {
        many.emplace(mine, keys->end());
      }
      repeated = !many->insert(field.key).second;
    }
    if (repeated) {
      *out_suffix = StrCat(".", KeyForMessage(field.key));
      return true;
    }
    if (IsContainer(field.value) &&
        FindDuplicateKey(field.value, keys, out_suffix)) {
      out_suffix->insert(0, StrCat(".", KeyForMessage(field.key)));
      return true;
    }
  }
  keys->resize(base);
  return false;
}

}  // namespace

absl::Status Malformed(std::string_view path, std::string_view what) {
  return VerifyError(VerifyFailure::kCollateralMalformed,
                     StrCat(path, ": ", what));
}

std::string_view SkipUtf8Bom(std::string_view text) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.starts_with(kBom)) {
    text.remove_prefix(kBom.size());
  }
  return text;
}

absl::StatusOr<JsonValue> ParseJsonObject(simdjson::dom::parser& parser,
                                          std::string_view text,
                                          std::string_view field) {
  text = SkipUtf8Bom(text);
  const TextScan scan = ScanJson(text);
  if (scan.too_deep) {
    return Malformed(field, StrCat("JSON nested deeper than ", kMaxJsonDepth));
  }
  JsonValue root;
  simdjson::error_code err =
      parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true)
          .get(root);
  if (err != simdjson::SUCCESS) {
    return Malformed(
        field, StrCat("not valid JSON (", simdjson::error_message(err), ")"));
  }
  if (!root.is_object()) {
    return Malformed(field, "expected a JSON object");
  }
  if (scan.negative_zero) {
    return Malformed(field, "the integer -0 is not accepted");
  }
  MRA_RETURN_IF_ERROR(RejectDuplicateKeys(root, field));
  return root;
}

std::optional<std::string_view> DecodeString(simdjson::dom::parser& parser,
                                             std::string_view token) {
  JsonValue v;
  std::string_view s;
  if (parser.parse(token.data(), token.size(), /*realloc_if_needed=*/true)
              .get(v) != simdjson::SUCCESS ||
      v.get_string().get(s) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return s;
}

absl::Status RejectDuplicateKeys(const JsonValue& root, std::string_view path) {
  std::vector<std::string_view> keys;
  keys.reserve(64);
  std::string suffix;
  if (IsContainer(root) && FindDuplicateKey(root, &keys, &suffix)) {
    return Malformed(StrCat(path, suffix), "duplicate key");
  }
  return absl::OkStatus();
}

bool Has(const JsonValue& j, std::string_view key) {
  return j.is_object() && j.at_key(key).error() == simdjson::SUCCESS;
}

absl::StatusOr<JsonValue> Member(const JsonValue& j, std::string_view key,
                                 std::string_view path) {
  if (!j.is_object()) {
    return Malformed(path, "expected a JSON object");
  }
  JsonValue v;
  if (j.at_key(key).get(v) != simdjson::SUCCESS) {
    return Malformed(StrCat(path, ".", key), "missing");
  }
  return v;
}

absl::StatusOr<std::string_view> String(const JsonValue& j,
                                        std::string_view key,
                                        std::string_view path) {
  MRA_ASSIGN_OR_RETURN(JsonValue v, Member(j, key, path));
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) {
    return Malformed(StrCat(path, ".", key), "expected a string");
  }
  return s;
}

absl::StatusOr<uint64_t> Unsigned(const JsonValue& j, std::string_view key,
                                  std::string_view path, uint64_t max) {
  MRA_ASSIGN_OR_RETURN(JsonValue v, Member(j, key, path));
  // get_uint64 takes INT64 (>= 0) and UINT64 tape entries only: negative
  // integers fail with NUMBER_OUT_OF_RANGE, doubles (1.0, 1e2) and other
  // types with INCORRECT_TYPE.
  uint64_t n = 0;
  if (v.get_uint64().get(n) != simdjson::SUCCESS || n > max) {
    return Malformed(StrCat(path, ".", key),
                     StrCat("expected an integer in 0..", max));
  }
  return n;
}

absl::StatusOr<absl::Time> Time(const JsonValue& j, std::string_view key,
                                std::string_view path) {
  MRA_ASSIGN_OR_RETURN(std::string_view s, String(j, key, path));
  std::optional<absl::Time> t = ParseRfc3339(s);
  if (!t.has_value()) {
    return Malformed(StrCat(path, ".", key),
                     StrCat("'", s, "' is not an RFC 3339 date-time"));
  }
  return *t;
}

absl::Status HexBytes(const JsonValue& j, std::string_view key,
                      std::string_view path, std::span<uint8_t> out) {
  MRA_ASSIGN_OR_RETURN(std::string_view s, String(j, key, path));
  absl::Status st = HexDecodeInto(s, out);
  if (!st.ok()) {
    return Malformed(StrCat(path, ".", key), ToStd(st.message()));
  }
  return absl::OkStatus();
}

}  // namespace internal

absl::Status CheckJsonDepth(std::string_view json, std::string_view field) {
  if (internal::ScanJson(json).too_deep) {
    return internal::Malformed(
        field, StrCat("JSON nested deeper than ", kMaxJsonDepth));
  }
  return absl::OkStatus();
}

}  // namespace mra::collateral

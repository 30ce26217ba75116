#include "src/collateral/json_util.h"

#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"

namespace mra::collateral::internal {

absl::Status Malformed(std::string_view path, std::string_view what) {
  return VerifyError(VerifyFailure::kCollateralMalformed,
                     StrCat(path, ": ", what));
}

absl::StatusOr<const Json*> Member(const Json& j, std::string_view key,
                                   std::string_view path) {
  if (!j.is_object()) {
    return Malformed(path, "expected a JSON object");
  }
  auto it = j.find(std::string(key));
  if (it == j.end()) {
    return Malformed(StrCat(path, ".", key), "missing");
  }
  return &*it;
}

absl::StatusOr<std::string> String(const Json& j, std::string_view key,
                                   std::string_view path) {
  MRA_ASSIGN_OR_RETURN(const Json* v, Member(j, key, path));
  if (!v->is_string()) {
    return Malformed(StrCat(path, ".", key), "expected a string");
  }
  return v->get<std::string>();
}

absl::StatusOr<uint64_t> Unsigned(const Json& j, std::string_view key,
                                  std::string_view path, uint64_t max) {
  MRA_ASSIGN_OR_RETURN(const Json* v, Member(j, key, path));
  if (!v->is_number_unsigned() || v->get<uint64_t>() > max) {
    return Malformed(StrCat(path, ".", key),
                     StrCat("expected an integer in 0..", max));
  }
  return v->get<uint64_t>();
}

absl::StatusOr<absl::Time> Time(const Json& j, std::string_view key,
                                std::string_view path) {
  MRA_ASSIGN_OR_RETURN(std::string s, String(j, key, path));
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, s, &t, &err)) {
    return Malformed(StrCat(path, ".", key),
                     StrCat("'", s, "' is not an RFC 3339 date-time"));
  }
  return t;
}

absl::Status HexBytes(const Json& j, std::string_view key,
                      std::string_view path, std::span<uint8_t> out) {
  MRA_ASSIGN_OR_RETURN(std::string s, String(j, key, path));
  absl::Status st = HexDecodeInto(s, out);
  if (!st.ok()) {
    return Malformed(StrCat(path, ".", key), ToStd(st.message()));
  }
  return absl::OkStatus();
}

}  // namespace mra::collateral::internal

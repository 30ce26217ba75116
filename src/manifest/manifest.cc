#include "mra/manifest/manifest.h"

#include <cstdint>
#include <map>
#include <set>
#include <sstream>

#include "absl/time/civil_time.h"
#include "nlohmann/json.hpp"
#include "toml++/toml.h"

#include "mra/base/clock.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"

namespace mra::manifest {
namespace {

absl::Status Malformed(const toml::node* node, std::string_view what) {
  if (node != nullptr && node->source().begin.line > 0) {
    return VerifyError(VerifyFailure::kManifestMalformed,
                       StrCat("line ", node->source().begin.line, ": ", what));
  }
  return VerifyError(VerifyFailure::kManifestMalformed, what);
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLen) {
    return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<Measurement> ParseMeasurement(const toml::node& node,
                                             std::string_view field) {
  const auto* s = node.as_string();
  if (s == nullptr) {
    return Malformed(&node, StrCat(field,
                                   ": expected a string of 64 hex "
                                   "characters"));
  }
  const std::string& hex = s->get();
  if (hex.size() != 64) {
    return Malformed(
        &node, StrCat(field, ": expected 64 hex characters, got ", hex.size()));
  }
  if (!IsHex(hex)) {
    return Malformed(&node, StrCat(field, ": not hexadecimal"));
  }
  Measurement m{};
  MRA_CHECK(HexDecodeInto(hex, m).ok());
  return m;
}

absl::StatusOr<uint64_t> ParseUnsigned(const toml::node& node,
                                       std::string_view field, uint64_t max) {
  const auto* i = node.as_integer();
  if (i == nullptr) {
    return Malformed(&node, StrCat(field, ": expected an integer"));
  }
  int64_t v = i->get();
  if (v < 0 || static_cast<uint64_t>(v) > max) {
    return Malformed(&node, StrCat(field, ": ", v, " is outside 0..", max));
  }
  return static_cast<uint64_t>(v);
}

// CheckExpiresRange refuses what absl::ParseTime accepts beyond RFC 3339:
// "infinite-future" / "infinite-past" (which would satisfy require_expires
// while never expiring) and years outside RFC 3339's four digits.
absl::StatusOr<absl::Time> CheckExpiresRange(const toml::node& node,
                                             std::string_view text,
                                             absl::Time t) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) {
    return Malformed(&node,
                     StrCat("expires: '", text,
                            "' is not a finite date-time (RFC 3339 needs "
                            "YYYY-MM-DDTHH:MM:SS with an offset)"));
  }
  const int64_t year = absl::ToCivilYear(t, absl::UTCTimeZone()).year();
  if (year < 0 || year > 9999) {
    return Malformed(&node, StrCat("expires: '", text,
                                   "' is outside the RFC 3339 range (UTC "
                                   "year 0000..9999, here ",
                                   year, ")"));
  }
  return t;
}

absl::StatusOr<absl::Time> ParseExpires(const toml::node& node) {
  if (const auto* dt = node.as_date_time()) {
    const toml::date_time& v = dt->get();
    if (!v.offset.has_value()) {
      return Malformed(&node,
                       "expires: date-time needs a UTC offset (e.g. Z), as "
                       "RFC 3339 requires");
    }
    absl::CivilSecond civil(v.date.year, v.date.month, v.date.day, v.time.hour,
                            v.time.minute, v.time.second);
    absl::TimeZone tz = absl::FixedTimeZone(v.offset->minutes * 60);
    std::ostringstream text;
    text << v;
    return CheckExpiresRange(
        node, text.str(),
        absl::FromCivil(civil, tz) + absl::Nanoseconds(v.time.nanosecond));
  }
  if (const auto* s = node.as_string()) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, s->get(), &t, &err)) {
      return Malformed(&node,
                       StrCat("expires: '", s->get(),
                              "' is not an RFC 3339 date-time (", err, ")"));
    }
    return CheckExpiresRange(node, s->get(), t);
  }
  if (node.is_date() || node.is_time()) {
    return Malformed(&node, "expires: needs a full date-time with offset");
  }
  return Malformed(&node, "expires: expected an RFC 3339 date-time");
}

absl::StatusOr<ServiceIdentity> ParseService(std::string_view name,
                                             const toml::table& tbl) {
  ServiceIdentity svc;
  svc.name = std::string(name);
  bool have_enclave = false;
  bool have_signer = false;
  for (auto&& [key, value] : tbl) {
    std::string_view k = key.str();
    std::string field = StrCat(name, ".", k);
    if (k == "mr_enclave") {
      MRA_ASSIGN_OR_RETURN(svc.mr_enclave, ParseMeasurement(value, field));
      have_enclave = true;
    } else if (k == "mr_signer") {
      MRA_ASSIGN_OR_RETURN(svc.mr_signer, ParseMeasurement(value, field));
      have_signer = true;
    } else if (k == "isv_prod_id") {
      MRA_ASSIGN_OR_RETURN(uint64_t v, ParseUnsigned(value, field, 0xffff));
      svc.isv_prod_id = static_cast<uint16_t>(v);
    } else if (k == "min_isv_svn") {
      MRA_ASSIGN_OR_RETURN(uint64_t v, ParseUnsigned(value, field, 0xffff));
      svc.min_isv_svn = static_cast<uint16_t>(v);
    } else if (k == "additional_mr_enclaves") {
      const auto* arr = value.as_array();
      if (arr == nullptr) {
        return Malformed(&value, StrCat(field,
                                        ": expected an array of hex "
                                        "strings"));
      }
      if (arr->size() > kMaxAdditionalMrEnclaves) {
        return Malformed(&value, StrCat(field, ": more than ",
                                        kMaxAdditionalMrEnclaves, " entries"));
      }
      for (size_t i = 0; i < arr->size(); ++i) {
        MRA_ASSIGN_OR_RETURN(
            Measurement m,
            ParseMeasurement(*arr->get(i), StrCat(field, "[", i, "]")));
        svc.additional_mr_enclaves.push_back(m);
      }
    } else {
      return Malformed(&value, StrCat(field, ": unknown key"));
    }
  }
  if (!have_enclave) {
    return Malformed(&tbl, StrCat(name, ".mr_enclave: missing"));
  }
  if (!have_signer) {
    return Malformed(&tbl, StrCat(name, ".mr_signer: missing"));
  }
  return svc;
}

absl::StatusOr<Manifest> ParseTable(const toml::table& root) {
  Manifest m;
  for (auto&& [key, value] : root) {
    std::string_view k = key.str();
    if (k == "version") {
      MRA_ASSIGN_OR_RETURN(
          m.version,
          ParseUnsigned(value, "version", static_cast<uint64_t>(INT64_MAX)));
    } else if (k == "expires") {
      MRA_ASSIGN_OR_RETURN(m.expires, ParseExpires(value));
    } else if (k == "deployment") {
      const auto* s = value.as_string();
      if (s == nullptr || !ValidName(s->get())) {
        return Malformed(&value,
                         "deployment: expected a name of 1-128 characters "
                         "from [A-Za-z0-9_.-]");
      }
      m.deployment = s->get();
    } else if (const auto* tbl = value.as_table()) {
      if (!ValidName(k)) {
        return Malformed(&value, StrCat("service name '", k,
                                        "': use 1-128 characters from "
                                        "[A-Za-z0-9_.-]"));
      }
      if (m.services.size() >= kMaxServices) {
        return Malformed(&value,
                         StrCat("more than ", kMaxServices, " services"));
      }
      MRA_ASSIGN_OR_RETURN(ServiceIdentity svc, ParseService(k, *tbl));
      m.services.push_back(std::move(svc));
    } else {
      return Malformed(&value, StrCat(k,
                                      ": unknown top-level key (expected "
                                      "version, expires, deployment or a "
                                      "service table)"));
    }
  }
  if (m.services.empty()) {
    return Malformed(nullptr, "no service tables: the manifest lists nothing");
  }
  // One MRENCLAVE must identify one service, or peer identity is ambiguous.
  std::map<Measurement, std::string> owner;
  for (const ServiceIdentity& svc : m.services) {
    std::vector<Measurement> all = svc.additional_mr_enclaves;
    all.push_back(svc.mr_enclave);
    std::set<Measurement> own(all.begin(), all.end());
    for (const Measurement& e : own) {
      auto [it, inserted] = owner.emplace(e, svc.name);
      if (!inserted) {
        return Malformed(nullptr, StrCat("mr_enclave ", HexEncode(e),
                                         " is listed for both '", it->second,
                                         "' and '", svc.name, "'"));
      }
    }
  }
  return m;
}

}  // namespace

bool ServiceIdentity::AcceptsMrEnclave(const Measurement& m) const {
  if (m == mr_enclave) {
    return true;
  }
  for (const Measurement& e : additional_mr_enclaves) {
    if (m == e) {
      return true;
    }
  }
  return false;
}

const ServiceIdentity* Manifest::FindService(std::string_view name) const {
  for (const ServiceIdentity& s : services) {
    if (s.name == name) {
      return &s;
    }
  }
  return nullptr;
}

const ServiceIdentity* Manifest::FindByMrEnclave(
    const Measurement& mr_enclave) const {
  for (const ServiceIdentity& s : services) {
    if (s.AcceptsMrEnclave(mr_enclave)) {
      return &s;
    }
  }
  return nullptr;
}

absl::StatusOr<Manifest> ParseManifest(std::string_view toml_text) {
  if (toml_text.size() > kMaxManifestLen) {
    return Malformed(nullptr, StrCat("manifest is ", toml_text.size(),
                                     " bytes; the limit is ", kMaxManifestLen));
  }
  if (toml_text.find('\0') != std::string_view::npos) {
    return Malformed(nullptr, "manifest contains a NUL byte");
  }
  // toml++ reports errors by exception; this is the config edge where we
  // turn them into a Status.
  try {
    toml::table root = toml::parse(toml_text);
    return ParseTable(root);
  } catch (const toml::parse_error& e) {
    return VerifyError(VerifyFailure::kManifestMalformed,
                       StrCat("line ", e.source().begin.line, ", column ",
                              e.source().begin.column, ": ", e.description()));
  } catch (const std::exception& e) {
    return VerifyError(VerifyFailure::kManifestMalformed,
                       StrCat("cannot parse: ", e.what()));
  }
}

std::string ManifestToJson(const Manifest& m, int indent) {
  nlohmann::ordered_json j;
  j["version"] = m.version.has_value() ? nlohmann::ordered_json(*m.version)
                                       : nlohmann::ordered_json(nullptr);
  j["expires"] = m.expires.has_value()
                     ? nlohmann::ordered_json(FormatRfc3339Utc(*m.expires))
                     : nlohmann::ordered_json(nullptr);
  j["deployment"] = m.deployment.has_value()
                        ? nlohmann::ordered_json(*m.deployment)
                        : nlohmann::ordered_json(nullptr);
  nlohmann::ordered_json services = nlohmann::ordered_json::object();
  for (const ServiceIdentity& s : m.services) {
    nlohmann::ordered_json e;
    e["mr_enclave"] = HexEncode(s.mr_enclave);
    e["mr_signer"] = HexEncode(s.mr_signer);
    nlohmann::ordered_json extra = nlohmann::ordered_json::array();
    for (const Measurement& a : s.additional_mr_enclaves) {
      extra.push_back(HexEncode(a));
    }
    e["additional_mr_enclaves"] = extra;
    e["isv_prod_id"] = s.isv_prod_id.has_value()
                           ? nlohmann::ordered_json(*s.isv_prod_id)
                           : nlohmann::ordered_json(nullptr);
    e["min_isv_svn"] = s.min_isv_svn.has_value()
                           ? nlohmann::ordered_json(*s.min_isv_svn)
                           : nlohmann::ordered_json(nullptr);
    services[s.name] = e;
  }
  j["services"] = services;
  return j.dump(indent);
}

}  // namespace mra::manifest

#include "src/attest/internal/sim_metadata.h"

#include <span>
#include <vector>

#include "nlohmann/json.hpp"

#include "mra/base/clock.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"

namespace mra::attest::internal {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kWarning =
    "DEVELOPMENT ONLY: a simulated SGX platform. Quotes signed with these "
    "keys prove nothing about hardware; never configure a production "
    "verifier with root.pem.";

absl::Status Bad(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("sim.json: ", field, ": ", what));
}

Json Components(std::span<const uint8_t> c) {
  Json a = Json::array();
  for (uint8_t v : c) {
    a.push_back(v);
  }
  return a;
}

absl::StatusOr<const Json*> Get(const Json& obj, const char* key,
                                std::string_view path) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    return Bad(StrCat(path, key), "missing");
  }
  return &*it;
}

absl::StatusOr<uint64_t> GetUnsigned(const Json& obj, const char* key,
                                     std::string_view path, uint64_t max) {
  MRA_ASSIGN_OR_RETURN(const Json* v, Get(obj, key, path));
  if (!v->is_number_unsigned() || v->get<uint64_t>() > max) {
    return Bad(StrCat(path, key), StrCat("expected an integer 0..", max));
  }
  return v->get<uint64_t>();
}

absl::StatusOr<std::string> GetString(const Json& obj, const char* key,
                                      std::string_view path) {
  MRA_ASSIGN_OR_RETURN(const Json* v, Get(obj, key, path));
  if (!v->is_string()) {
    return Bad(StrCat(path, key), "expected a string");
  }
  return v->get<std::string>();
}

absl::Status GetHex(const Json& obj, const char* key, std::string_view path,
                    std::span<uint8_t> out) {
  MRA_ASSIGN_OR_RETURN(std::string s, GetString(obj, key, path));
  absl::Status st = HexDecodeInto(s, out);
  if (!st.ok()) {
    return Bad(StrCat(path, key),
               StrCat("expected ", out.size() * 2, " hex characters"));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> GetTime(const Json& obj, const char* key,
                                   std::string_view path) {
  MRA_ASSIGN_OR_RETURN(std::string s, GetString(obj, key, path));
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, s, &t, &err) ||
      t == absl::InfinitePast() || t == absl::InfiniteFuture()) {
    return Bad(StrCat(path, key), "expected an RFC 3339 date-time");
  }
  return t;
}

absl::Status GetComponents(const Json& obj, const char* key,
                           std::string_view path,
                           std::array<uint8_t, 16>* out) {
  MRA_ASSIGN_OR_RETURN(const Json* v, Get(obj, key, path));
  if (!v->is_array() || v->size() != out->size()) {
    return Bad(StrCat(path, key), "expected an array of 16 integers");
  }
  for (size_t i = 0; i < out->size(); ++i) {
    const Json& e = (*v)[i];
    if (!e.is_number_unsigned() || e.get<uint64_t>() > 255) {
      return Bad(StrCat(path, key), "expected integers 0..255");
    }
    (*out)[i] = static_cast<uint8_t>(e.get<uint64_t>());
  }
  return absl::OkStatus();
}

absl::Status OnlyKeys(const Json& obj, std::initializer_list<const char*> keys,
                      std::string_view path) {
  for (const auto& [k, unused] : obj.items()) {
    bool known = false;
    for (const char* key : keys) {
      known = known || k == key;
    }
    if (!known) {
      return Bad(StrCat(path, k), "unknown key");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string SimMetadataJson(const SimMetadata& m) {
  const SimPlatform& p = m.platform;
  Json platform = {
      {"fmspc", HexEncode(p.fmspc)},
      {"pce_id", HexEncode(p.pce_id)},
      {"ppid", HexEncode(p.ppid)},
      {"platform_instance_id", HexEncode(p.platform_instance_id)},
      {"sgx_tcb_components", Components(p.sgx_tcb_components)},
      {"pce_svn", p.pce_svn},
      {"latest_sgx_tcb_components", Components(p.latest_sgx_tcb_components)},
      {"latest_pce_svn", p.latest_pce_svn},
      {"qe_svn", p.qe_svn},
      {"qe_isv_prod_id", p.qe_isv_prod_id},
      {"qe_mr_enclave", HexEncode(p.qe_mr_enclave)},
      {"qe_mr_signer", HexEncode(p.qe_mr_signer)},
      {"qe_attributes", HexEncode(p.qe_attributes)},
      {"tcb_evaluation_data_number", p.tcb_evaluation_data_number},
      {"tcb_date", FormatRfc3339Utc(p.tcb_date)},
  };
  Json j = {
      {"format", kSimDirFormat},
      {"development_only", kWarning},
      {"created", FormatRfc3339Utc(m.created)},
      {"collateral_days", m.collateral_days},
      {"crl_number", m.crl_number},
      {"platform", platform},
  };
  return j.dump(2) + "\n";
}

absl::StatusOr<SimMetadata> ParseSimMetadata(std::string_view json) {
  if (json.size() > kMaxSimMetadataLen) {
    return Bad("file", "too large");
  }
  Json j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Bad("file", "not a JSON object");
  }
  MRA_RETURN_IF_ERROR(OnlyKeys(j,
                               {"format", "development_only", "created",
                                "collateral_days", "crl_number", "platform"},
                               ""));
  MRA_ASSIGN_OR_RETURN(std::string format, GetString(j, "format", ""));
  if (format != kSimDirFormat) {
    return Bad("format", StrCat("'", format, "' is not ", kSimDirFormat));
  }
  MRA_ASSIGN_OR_RETURN(std::string unused_warning,
                       GetString(j, "development_only", ""));
  SimMetadata m;
  MRA_ASSIGN_OR_RETURN(m.created, GetTime(j, "created", ""));
  MRA_ASSIGN_OR_RETURN(uint64_t days, GetUnsigned(j, "collateral_days", "",
                                                  uint64_t{100} * 365));
  m.collateral_days = static_cast<int>(days);
  MRA_ASSIGN_OR_RETURN(m.crl_number,
                       GetUnsigned(j, "crl_number", "", uint64_t{1} << 62));
  MRA_ASSIGN_OR_RETURN(const Json* pj, Get(j, "platform", ""));
  if (!pj->is_object()) {
    return Bad("platform", "expected an object");
  }
  const Json& pl = *pj;
  constexpr std::string_view kP = "platform.";
  MRA_RETURN_IF_ERROR(OnlyKeys(
      pl,
      {"fmspc", "pce_id", "ppid", "platform_instance_id", "sgx_tcb_components",
       "pce_svn", "latest_sgx_tcb_components", "latest_pce_svn", "qe_svn",
       "qe_isv_prod_id", "qe_mr_enclave", "qe_mr_signer", "qe_attributes",
       "tcb_evaluation_data_number", "tcb_date"},
      kP));
  SimPlatform& p = m.platform;
  MRA_RETURN_IF_ERROR(GetHex(pl, "fmspc", kP, p.fmspc));
  MRA_RETURN_IF_ERROR(GetHex(pl, "pce_id", kP, p.pce_id));
  MRA_RETURN_IF_ERROR(GetHex(pl, "ppid", kP, p.ppid));
  MRA_RETURN_IF_ERROR(
      GetHex(pl, "platform_instance_id", kP, p.platform_instance_id));
  MRA_RETURN_IF_ERROR(
      GetComponents(pl, "sgx_tcb_components", kP, &p.sgx_tcb_components));
  MRA_ASSIGN_OR_RETURN(uint64_t v, GetUnsigned(pl, "pce_svn", kP, 0xffff));
  p.pce_svn = static_cast<uint16_t>(v);
  MRA_RETURN_IF_ERROR(GetComponents(pl, "latest_sgx_tcb_components", kP,
                                    &p.latest_sgx_tcb_components));
  MRA_ASSIGN_OR_RETURN(v, GetUnsigned(pl, "latest_pce_svn", kP, 0xffff));
  p.latest_pce_svn = static_cast<uint16_t>(v);
  MRA_ASSIGN_OR_RETURN(v, GetUnsigned(pl, "qe_svn", kP, 0xffff));
  p.qe_svn = static_cast<uint16_t>(v);
  MRA_ASSIGN_OR_RETURN(v, GetUnsigned(pl, "qe_isv_prod_id", kP, 0xffff));
  p.qe_isv_prod_id = static_cast<uint16_t>(v);
  MRA_RETURN_IF_ERROR(GetHex(pl, "qe_mr_enclave", kP, p.qe_mr_enclave));
  MRA_RETURN_IF_ERROR(GetHex(pl, "qe_mr_signer", kP, p.qe_mr_signer));
  MRA_RETURN_IF_ERROR(GetHex(pl, "qe_attributes", kP, p.qe_attributes));
  MRA_ASSIGN_OR_RETURN(
      v, GetUnsigned(pl, "tcb_evaluation_data_number", kP, 0xffffffff));
  p.tcb_evaluation_data_number = static_cast<uint32_t>(v);
  MRA_ASSIGN_OR_RETURN(p.tcb_date, GetTime(pl, "tcb_date", kP));
  return m;
}

}  // namespace mra::attest::internal

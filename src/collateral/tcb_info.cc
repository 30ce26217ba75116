// Parsing of TCB info (v2/v3) and QE identity (v2) JSON.
#include "src/collateral/json_util.h"

#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/collateral/collateral.h"

namespace mra::collateral {
namespace {

using internal::HexBytes;
using internal::Json;
using internal::Malformed;
using internal::Member;
using internal::String;
using internal::Time;
using internal::Unsigned;

struct StatusName {
  TcbStatus status;
  std::string_view name;
};
constexpr StatusName kStatusNames[] = {
    {TcbStatus::kUpToDate, "UpToDate"},
    {TcbStatus::kSwHardeningNeeded, "SWHardeningNeeded"},
    {TcbStatus::kConfigurationNeeded, "ConfigurationNeeded"},
    {TcbStatus::kConfigurationAndSwHardeningNeeded,
     "ConfigurationAndSWHardeningNeeded"},
    {TcbStatus::kOutOfDate, "OutOfDate"},
    {TcbStatus::kOutOfDateConfigurationNeeded, "OutOfDateConfigurationNeeded"},
    {TcbStatus::kRevoked, "Revoked"},
    {TcbStatus::kTdRelaunchAdvised, "TDRelaunchAdvised"},
    {TcbStatus::kTdRelaunchAdvisedConfigurationNeeded,
     "TDRelaunchAdvisedConfigurationNeeded"},
};

absl::StatusOr<Json> ParseJson(std::string_view text, std::string_view field) {
  MRA_RETURN_IF_ERROR(CheckJsonDepth(text, field));
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Malformed(field, "not valid JSON");
  }
  if (!j.is_object()) {
    return Malformed(field, "expected a JSON object");
  }
  return j;
}

absl::StatusOr<const Json*> Array(const Json& j, std::string_view key,
                                  std::string_view path, size_t max) {
  MRA_ASSIGN_OR_RETURN(const Json* v, Member(j, key, path));
  if (!v->is_array()) {
    return Malformed(StrCat(path, ".", key), "expected an array");
  }
  if (v->size() > max) {
    return Malformed(StrCat(path, ".", key),
                     StrCat("more than ", max, " entries"));
  }
  return v;
}

absl::Status LevelCommon(const Json& level, const std::string& path,
                         absl::Time* date, TcbStatus* status,
                         std::vector<std::string>* advisories) {
  MRA_ASSIGN_OR_RETURN(*date, Time(level, "tcbDate", path));
  MRA_ASSIGN_OR_RETURN(std::string s, String(level, "tcbStatus", path));
  std::optional<TcbStatus> st = ParseTcbStatus(s);
  if (!st.has_value() || *st == TcbStatus::kTdRelaunchAdvised ||
      *st == TcbStatus::kTdRelaunchAdvisedConfigurationNeeded) {
    return Malformed(StrCat(path, ".tcbStatus"),
                     StrCat("unknown status '", s, "'"));
  }
  *status = *st;
  auto it = level.find("advisoryIDs");
  if (it != level.end()) {
    if (!it->is_array() || it->size() > 256) {
      return Malformed(StrCat(path, ".advisoryIDs"),
                       "expected an array of strings");
    }
    for (const Json& a : *it) {
      if (!a.is_string()) {
        return Malformed(StrCat(path, ".advisoryIDs"), "expected strings");
      }
      advisories->push_back(a.get<std::string>());
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<EnclaveTcbLevel>> EnclaveLevels(
    const Json& j, const std::string& path) {
  MRA_ASSIGN_OR_RETURN(const Json* levels,
                       Array(j, "tcbLevels", path, kMaxTcbLevels));
  std::vector<EnclaveTcbLevel> out;
  for (size_t i = 0; i < levels->size(); ++i) {
    std::string p = StrCat(path, ".tcbLevels[", i, "]");
    const Json& level = (*levels)[i];
    EnclaveTcbLevel l;
    MRA_ASSIGN_OR_RETURN(const Json* tcb, Member(level, "tcb", p));
    MRA_ASSIGN_OR_RETURN(uint64_t svn,
                         Unsigned(*tcb, "isvsvn", p + ".tcb", 0xffff));
    l.isv_svn = static_cast<uint16_t>(svn);
    MRA_RETURN_IF_ERROR(
        LevelCommon(level, p, &l.tcb_date, &l.status, &l.advisory_ids));
    out.push_back(std::move(l));
  }
  return out;
}

absl::StatusOr<TdxModuleIdentity> TdxModule(const Json& j,
                                            const std::string& path,
                                            bool with_levels) {
  TdxModuleIdentity m;
  if (with_levels) {
    MRA_ASSIGN_OR_RETURN(m.id, String(j, "id", path));
    MRA_ASSIGN_OR_RETURN(m.tcb_levels, EnclaveLevels(j, path));
  }
  MRA_RETURN_IF_ERROR(HexBytes(j, "mrsigner", path, m.mrsigner));
  MRA_RETURN_IF_ERROR(HexBytes(j, "attributes", path, m.attributes));
  MRA_RETURN_IF_ERROR(HexBytes(j, "attributesMask", path, m.attributes_mask));
  return m;
}

absl::Status Components(const Json& tcb, std::string_view key,
                        const std::string& path, std::array<uint8_t, 16>* out) {
  MRA_ASSIGN_OR_RETURN(const Json* comps, Array(tcb, key, path, 16));
  if (comps->size() != 16) {
    return Malformed(StrCat(path, ".", key), "expected 16 components");
  }
  for (size_t i = 0; i < 16; ++i) {
    MRA_ASSIGN_OR_RETURN(
        uint64_t svn,
        Unsigned((*comps)[i], "svn", StrCat(path, ".", key, "[", i, "]"), 255));
    (*out)[i] = static_cast<uint8_t>(svn);
  }
  return absl::OkStatus();
}

absl::StatusOr<TcbLevel> ParseLevel(const Json& level, const std::string& path,
                                    uint32_t version, TeeType tee) {
  TcbLevel l;
  MRA_ASSIGN_OR_RETURN(const Json* tcb, Member(level, "tcb", path));
  std::string tp = path + ".tcb";
  if (version == 2) {
    for (size_t i = 0; i < 16; ++i) {
      std::string key = fmt::format("sgxtcbcomp{:02}svn", i + 1);
      MRA_ASSIGN_OR_RETURN(uint64_t svn, Unsigned(*tcb, key, tp, 255));
      l.sgx_components[i] = static_cast<uint8_t>(svn);
    }
  } else {
    MRA_RETURN_IF_ERROR(
        Components(*tcb, "sgxtcbcomponents", tp, &l.sgx_components));
    if (tee == TeeType::kTdx) {
      std::array<uint8_t, 16> tdx{};
      MRA_RETURN_IF_ERROR(Components(*tcb, "tdxtcbcomponents", tp, &tdx));
      l.tdx_components = tdx;
    }
  }
  MRA_ASSIGN_OR_RETURN(uint64_t pcesvn, Unsigned(*tcb, "pcesvn", tp, 0xffff));
  l.pce_svn = static_cast<uint16_t>(pcesvn);
  MRA_RETURN_IF_ERROR(
      LevelCommon(level, path, &l.tcb_date, &l.status, &l.advisory_ids));
  return l;
}

// Unwraps a PCS response {"tcbInfo": {...}, "signature": ...} if given one.
const Json& Inner(const Json& j, const char* key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_object()) ? *it : j;
}

}  // namespace

std::string_view TcbStatusName(TcbStatus status) {
  for (const StatusName& s : kStatusNames) {
    if (s.status == status) {
      return s.name;
    }
  }
  return "Unknown";
}

std::optional<TcbStatus> ParseTcbStatus(std::string_view name) {
  for (const StatusName& s : kStatusNames) {
    if (s.name == name) {
      return s.status;
    }
  }
  return std::nullopt;
}

absl::StatusOr<TcbInfo> ParseTcbInfo(std::string_view json) {
  MRA_ASSIGN_OR_RETURN(Json root, ParseJson(json, "tcb_info"));
  const Json& j = Inner(root, "tcbInfo");
  const std::string path = "tcb_info";
  TcbInfo t;
  MRA_ASSIGN_OR_RETURN(uint64_t version, Unsigned(j, "version", path, 1000));
  if (version != 2 && version != 3) {
    return Malformed(path + ".version",
                     StrCat(version, " is not supported (2 or 3)"));
  }
  t.version = static_cast<uint32_t>(version);
  if (j.contains("id") || t.version == 3) {
    MRA_ASSIGN_OR_RETURN(std::string id, String(j, "id", path));
    if (id == "SGX") {
      t.tee = TeeType::kSgx;
    } else if (id == "TDX" && t.version == 3) {
      t.tee = TeeType::kTdx;
    } else {
      return Malformed(path + ".id", StrCat("'", id, "' is not SGX or TDX"));
    }
  }
  MRA_ASSIGN_OR_RETURN(t.issue_date, Time(j, "issueDate", path));
  MRA_ASSIGN_OR_RETURN(t.next_update, Time(j, "nextUpdate", path));
  MRA_RETURN_IF_ERROR(HexBytes(j, "fmspc", path, t.fmspc));
  MRA_RETURN_IF_ERROR(HexBytes(j, "pceId", path, t.pce_id));
  MRA_ASSIGN_OR_RETURN(uint64_t tcb_type, Unsigned(j, "tcbType", path, 0xffff));
  t.tcb_type = static_cast<uint32_t>(tcb_type);
  MRA_ASSIGN_OR_RETURN(
      uint64_t eval, Unsigned(j, "tcbEvaluationDataNumber", path, 0xffffffff));
  t.tcb_evaluation_data_number = static_cast<uint32_t>(eval);
  if (t.tee == TeeType::kTdx) {
    MRA_ASSIGN_OR_RETURN(const Json* module, Member(j, "tdxModule", path));
    MRA_ASSIGN_OR_RETURN(t.tdx_module,
                         TdxModule(*module, path + ".tdxModule", false));
    if (j.contains("tdxModuleIdentities")) {
      MRA_ASSIGN_OR_RETURN(const Json* ids,
                           Array(j, "tdxModuleIdentities", path, 64));
      for (size_t i = 0; i < ids->size(); ++i) {
        MRA_ASSIGN_OR_RETURN(
            TdxModuleIdentity m,
            TdxModule((*ids)[i], StrCat(path, ".tdxModuleIdentities[", i, "]"),
                      true));
        t.tdx_module_identities.push_back(std::move(m));
      }
    }
  }
  MRA_ASSIGN_OR_RETURN(const Json* levels,
                       Array(j, "tcbLevels", path, kMaxTcbLevels));
  if (levels->empty()) {
    return Malformed(path + ".tcbLevels", "empty");
  }
  for (size_t i = 0; i < levels->size(); ++i) {
    MRA_ASSIGN_OR_RETURN(
        TcbLevel l,
        ParseLevel((*levels)[i], StrCat(path, ".tcbLevels[", i, "]"), t.version,
                   t.tee));
    t.tcb_levels.push_back(std::move(l));
  }
  return t;
}

absl::StatusOr<QeIdentity> ParseQeIdentity(std::string_view json) {
  MRA_ASSIGN_OR_RETURN(Json root, ParseJson(json, "qe_identity"));
  const Json& j = Inner(root, "enclaveIdentity");
  const std::string path = "qe_identity";
  QeIdentity q;
  MRA_ASSIGN_OR_RETURN(q.id, String(j, "id", path));
  if (q.id != "QE" && q.id != "TD_QE" && q.id != "QVE") {
    return Malformed(path + ".id",
                     StrCat("'", q.id, "' is not QE, TD_QE or QVE"));
  }
  MRA_ASSIGN_OR_RETURN(uint64_t version, Unsigned(j, "version", path, 1000));
  if (version != 2) {
    return Malformed(path + ".version",
                     StrCat(version, " is not supported (2)"));
  }
  q.version = 2;
  MRA_ASSIGN_OR_RETURN(q.issue_date, Time(j, "issueDate", path));
  MRA_ASSIGN_OR_RETURN(q.next_update, Time(j, "nextUpdate", path));
  MRA_ASSIGN_OR_RETURN(
      uint64_t eval, Unsigned(j, "tcbEvaluationDataNumber", path, 0xffffffff));
  q.tcb_evaluation_data_number = static_cast<uint32_t>(eval);
  // miscselect is written as a big-endian hex number.
  std::array<uint8_t, 4> misc{};
  std::array<uint8_t, 4> misc_mask{};
  MRA_RETURN_IF_ERROR(HexBytes(j, "miscselect", path, misc));
  MRA_RETURN_IF_ERROR(HexBytes(j, "miscselectMask", path, misc_mask));
  for (size_t i = 0; i < 4; ++i) {
    q.miscselect = (q.miscselect << 8) | misc[i];
    q.miscselect_mask = (q.miscselect_mask << 8) | misc_mask[i];
  }
  MRA_RETURN_IF_ERROR(HexBytes(j, "attributes", path, q.attributes));
  MRA_RETURN_IF_ERROR(HexBytes(j, "attributesMask", path, q.attributes_mask));
  MRA_RETURN_IF_ERROR(HexBytes(j, "mrsigner", path, q.mrsigner));
  MRA_ASSIGN_OR_RETURN(uint64_t prod, Unsigned(j, "isvprodid", path, 0xffff));
  q.isv_prod_id = static_cast<uint16_t>(prod);
  MRA_ASSIGN_OR_RETURN(q.tcb_levels, EnclaveLevels(j, path));
  if (q.tcb_levels.empty()) {
    return Malformed(path + ".tcbLevels", "empty");
  }
  return q;
}

absl::Status CheckJsonDepth(std::string_view json, std::string_view field) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : json) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) {
        return Malformed(field,
                         StrCat("JSON nested deeper than ", kMaxJsonDepth));
      }
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return absl::OkStatus();
}

}  // namespace mra::collateral

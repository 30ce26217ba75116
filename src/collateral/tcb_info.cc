// Parsing of TCB info (v2/v3) and QE identity (v2) JSON.
#include "src/collateral/json_util.h"

#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/collateral/collateral.h"

namespace mra::collateral {
namespace {

using internal::Has;
using internal::HexBytes;
using internal::JsonValue;
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

// Array returns array member `key` of at most `max` entries. Index it by
// iterating: dom::array::at(i) walks from the start.
absl::StatusOr<simdjson::dom::array> Array(const JsonValue& j,
                                           std::string_view key,
                                           std::string_view path, size_t max) {
  MRA_ASSIGN_OR_RETURN(JsonValue v, Member(j, key, path));
  simdjson::dom::array a;
  if (v.get_array().get(a) != simdjson::SUCCESS) {
    return Malformed(StrCat(path, ".", key), "expected an array");
  }
  // size() saturates at 0xffffff, far above any max used here.
  if (a.size() > max) {
    return Malformed(StrCat(path, ".", key),
                     StrCat("more than ", max, " entries"));
  }
  return a;
}

absl::Status LevelCommon(const JsonValue& level, const std::string& path,
                         absl::Time* date, TcbStatus* status,
                         std::vector<std::string>* advisories) {
  MRA_ASSIGN_OR_RETURN(*date, Time(level, "tcbDate", path));
  MRA_ASSIGN_OR_RETURN(std::string_view s, String(level, "tcbStatus", path));
  std::optional<TcbStatus> st = ParseTcbStatus(s);
  if (!st.has_value() || *st == TcbStatus::kTdRelaunchAdvised ||
      *st == TcbStatus::kTdRelaunchAdvisedConfigurationNeeded) {
    return Malformed(StrCat(path, ".tcbStatus"),
                     StrCat("unknown status '", s, "'"));
  }
  *status = *st;
  JsonValue ids;
  if (level.at_key("advisoryIDs").get(ids) == simdjson::SUCCESS) {
    simdjson::dom::array a;
    if (ids.get_array().get(a) != simdjson::SUCCESS || a.size() > 256) {
      return Malformed(StrCat(path, ".advisoryIDs"),
                       "expected an array of strings");
    }
    for (JsonValue id : a) {
      std::string_view text;
      if (id.get_string().get(text) != simdjson::SUCCESS) {
        return Malformed(StrCat(path, ".advisoryIDs"), "expected strings");
      }
      advisories->emplace_back(text);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<EnclaveTcbLevel>> EnclaveLevels(
    const JsonValue& j, const std::string& path) {
  MRA_ASSIGN_OR_RETURN(simdjson::dom::array levels,
                       Array(j, "tcbLevels", path, kMaxTcbLevels));
  std::vector<EnclaveTcbLevel> out;
  size_t i = 0;
  for (JsonValue level : levels) {
    std::string p = StrCat(path, ".tcbLevels[", i++, "]");
    EnclaveTcbLevel l;
    MRA_ASSIGN_OR_RETURN(JsonValue tcb, Member(level, "tcb", p));
    MRA_ASSIGN_OR_RETURN(uint64_t svn,
                         Unsigned(tcb, "isvsvn", p + ".tcb", 0xffff));
    l.isv_svn = static_cast<uint16_t>(svn);
    MRA_RETURN_IF_ERROR(
        LevelCommon(level, p, &l.tcb_date, &l.status, &l.advisory_ids));
    out.push_back(std::move(l));
  }
  return out;
}

absl::StatusOr<TdxModuleIdentity> TdxModule(const JsonValue& j,
                                            const std::string& path,
                                            bool with_levels) {
  TdxModuleIdentity m;
  if (with_levels) {
    MRA_ASSIGN_OR_RETURN(std::string_view id, String(j, "id", path));
    m.id = std::string(id);
    MRA_ASSIGN_OR_RETURN(m.tcb_levels, EnclaveLevels(j, path));
  }
  MRA_RETURN_IF_ERROR(HexBytes(j, "mrsigner", path, m.mrsigner));
  MRA_RETURN_IF_ERROR(HexBytes(j, "attributes", path, m.attributes));
  MRA_RETURN_IF_ERROR(HexBytes(j, "attributesMask", path, m.attributes_mask));
  return m;
}

absl::Status Components(const JsonValue& tcb, std::string_view key,
                        const std::string& path, std::array<uint8_t, 16>* out) {
  MRA_ASSIGN_OR_RETURN(simdjson::dom::array comps, Array(tcb, key, path, 16));
  if (comps.size() != 16) {
    return Malformed(StrCat(path, ".", key), "expected 16 components");
  }
  size_t i = 0;
  for (JsonValue comp : comps) {
    // Up to 32 components per level: build the path only to report an error.
    uint64_t svn = 0;
    if (comp.at_key("svn").get_uint64().get(svn) != simdjson::SUCCESS ||
        svn > 255) {
      MRA_ASSIGN_OR_RETURN(
          svn, Unsigned(comp, "svn", StrCat(path, ".", key, "[", i, "]"), 255));
    }
    (*out)[i++] = static_cast<uint8_t>(svn);
  }
  return absl::OkStatus();
}

absl::StatusOr<TcbLevel> ParseLevel(const JsonValue& level,
                                    const std::string& path, uint32_t version,
                                    TeeType tee) {
  TcbLevel l;
  MRA_ASSIGN_OR_RETURN(JsonValue tcb, Member(level, "tcb", path));
  std::string tp = path + ".tcb";
  if (version == 2) {
    for (size_t i = 0; i < 16; ++i) {
      std::string key = fmt::format("sgxtcbcomp{:02}svn", i + 1);
      MRA_ASSIGN_OR_RETURN(uint64_t svn, Unsigned(tcb, key, tp, 255));
      l.sgx_components[i] = static_cast<uint8_t>(svn);
    }
  } else {
    MRA_RETURN_IF_ERROR(
        Components(tcb, "sgxtcbcomponents", tp, &l.sgx_components));
    if (tee == TeeType::kTdx) {
      std::array<uint8_t, 16> tdx{};
      MRA_RETURN_IF_ERROR(Components(tcb, "tdxtcbcomponents", tp, &tdx));
      l.tdx_components = tdx;
    }
  }
  MRA_ASSIGN_OR_RETURN(uint64_t pcesvn, Unsigned(tcb, "pcesvn", tp, 0xffff));
  l.pce_svn = static_cast<uint16_t>(pcesvn);
  MRA_RETURN_IF_ERROR(
      LevelCommon(level, path, &l.tcb_date, &l.status, &l.advisory_ids));
  return l;
}

// Unwraps a PCS response {"tcbInfo": {...}, "signature": ...} if given one.
JsonValue Inner(const JsonValue& j, std::string_view key) {
  JsonValue inner;
  return (j.at_key(key).get(inner) == simdjson::SUCCESS && inner.is_object())
             ? inner
             : j;
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
  simdjson::dom::parser parser;
  return internal::ParseTcbInfo(parser, json);
}

absl::StatusOr<QeIdentity> ParseQeIdentity(std::string_view json) {
  simdjson::dom::parser parser;
  return internal::ParseQeIdentity(parser, json);
}

absl::StatusOr<TcbInfo> internal::ParseTcbInfo(simdjson::dom::parser& parser,
                                               std::string_view json) {
  MRA_ASSIGN_OR_RETURN(JsonValue root,
                       internal::ParseJsonObject(parser, json, "tcb_info"));
  const JsonValue j = Inner(root, "tcbInfo");
  const std::string path = "tcb_info";
  TcbInfo t;
  MRA_ASSIGN_OR_RETURN(uint64_t version, Unsigned(j, "version", path, 1000));
  if (version != 2 && version != 3) {
    return Malformed(path + ".version",
                     StrCat(version, " is not supported (2 or 3)"));
  }
  t.version = static_cast<uint32_t>(version);
  if (Has(j, "id") || t.version == 3) {
    MRA_ASSIGN_OR_RETURN(std::string_view id, String(j, "id", path));
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
    MRA_ASSIGN_OR_RETURN(JsonValue module, Member(j, "tdxModule", path));
    MRA_ASSIGN_OR_RETURN(t.tdx_module,
                         TdxModule(module, path + ".tdxModule", false));
    if (Has(j, "tdxModuleIdentities")) {
      MRA_ASSIGN_OR_RETURN(simdjson::dom::array ids,
                           Array(j, "tdxModuleIdentities", path, 64));
      size_t i = 0;
      for (JsonValue id : ids) {
        MRA_ASSIGN_OR_RETURN(
            TdxModuleIdentity m,
            TdxModule(id, StrCat(path, ".tdxModuleIdentities[", i++, "]"),
                      true));
        t.tdx_module_identities.push_back(std::move(m));
      }
    }
  }
  MRA_ASSIGN_OR_RETURN(simdjson::dom::array levels,
                       Array(j, "tcbLevels", path, kMaxTcbLevels));
  if (levels.size() == 0) {
    return Malformed(path + ".tcbLevels", "empty");
  }
  size_t i = 0;
  for (JsonValue level : levels) {
    MRA_ASSIGN_OR_RETURN(
        TcbLevel l, ParseLevel(level, StrCat(path, ".tcbLevels[", i++, "]"),
                               t.version, t.tee));
    t.tcb_levels.push_back(std::move(l));
  }
  return t;
}

absl::StatusOr<QeIdentity> internal::ParseQeIdentity(
    simdjson::dom::parser& parser, std::string_view json) {
  MRA_ASSIGN_OR_RETURN(JsonValue root,
                       internal::ParseJsonObject(parser, json, "qe_identity"));
  const JsonValue j = Inner(root, "enclaveIdentity");
  const std::string path = "qe_identity";
  QeIdentity q;
  MRA_ASSIGN_OR_RETURN(std::string_view id, String(j, "id", path));
  q.id = std::string(id);
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
  // miscselect and miscselectMask hex-encode the 4 MISCSELECT bytes in the
  // order they appear in the report, so they are read little-endian like the
  // report's u32 (Intel QVL EnclaveReportVerifier: swapBytes of a big-endian
  // read; @phala dcap-qvl: u32::from_le_bytes). "01000000" is bit 0.
  std::array<uint8_t, 4> misc{};
  std::array<uint8_t, 4> misc_mask{};
  MRA_RETURN_IF_ERROR(HexBytes(j, "miscselect", path, misc));
  MRA_RETURN_IF_ERROR(HexBytes(j, "miscselectMask", path, misc_mask));
  for (size_t i = 0; i < 4; ++i) {
    q.miscselect |= static_cast<uint32_t>(misc[i]) << (8 * i);
    q.miscselect_mask |= static_cast<uint32_t>(misc_mask[i]) << (8 * i);
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

}  // namespace mra::collateral

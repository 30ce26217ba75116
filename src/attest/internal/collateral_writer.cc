#include "src/attest/internal/collateral_writer.h"

#include <algorithm>
#include <cctype>
#include <span>

#include "nlohmann/json.hpp"

#include "mra/base/clock.h"
#include "mra/base/hex.h"

namespace mra::attest::internal {
namespace {

using Json = nlohmann::ordered_json;

std::string UpperHex(std::span<const uint8_t> bytes) {
  std::string s = HexEncode(bytes);
  std::transform(s.begin(), s.end(), s.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  return s;
}

Json TcbLevel(const SimTcb& tcb, absl::Time date, const char* status,
              bool advisory) {
  Json comps = Json::array();
  for (uint8_t svn : tcb.sgx_components) {
    comps.push_back({{"svn", svn}});
  }
  Json level = {
      {"tcb", {{"sgxtcbcomponents", comps}, {"pcesvn", tcb.pce_svn}}},
      {"tcbDate", FormatRfc3339Utc(date)},
      {"tcbStatus", status},
  };
  if (advisory) {
    level["advisoryIDs"] = Json::array({"MRA-DEV-SA-0001"});
  }
  return level;
}

Json QeLevel(uint16_t isv_svn, absl::Time date, const char* status,
             bool advisory) {
  Json level = {
      {"tcb", {{"isvsvn", isv_svn}}},
      {"tcbDate", FormatRfc3339Utc(date)},
      {"tcbStatus", status},
  };
  if (advisory) {
    level["advisoryIDs"] = Json::array({"MRA-DEV-SA-0001"});
  }
  return level;
}

constexpr absl::Duration kPreviousTcbAge = absl::Hours(24 * 365);

}  // namespace

SimTcb OutOfDateTcb(const SimTcb& latest) {
  SimTcb lower = latest;
  for (size_t i = 0; i < 2; ++i) {
    if (lower.sgx_components[i] > 0) {
      --lower.sgx_components[i];
    }
  }
  if (lower.pce_svn > 0) {
    --lower.pce_svn;
  }
  return lower;
}

std::string TcbInfoJson(const SimPlatform& p, absl::Time issue_date,
                        absl::Time next_update) {
  SimTcb latest{p.latest_sgx_tcb_components, p.latest_pce_svn};
  Json levels = Json::array({
      TcbLevel(latest, p.tcb_date, "UpToDate", false),
      TcbLevel(OutOfDateTcb(latest), p.tcb_date - kPreviousTcbAge, "OutOfDate",
               true),
  });
  Json j = {
      {"id", "SGX"},
      {"version", 3},
      {"issueDate", FormatRfc3339Utc(issue_date)},
      {"nextUpdate", FormatRfc3339Utc(next_update)},
      {"fmspc", UpperHex(p.fmspc)},
      {"pceId", UpperHex(p.pce_id)},
      {"tcbType", 0},
      {"tcbEvaluationDataNumber", p.tcb_evaluation_data_number},
      {"tcbLevels", levels},
  };
  return j.dump();
}

std::string QeIdentityJson(const SimPlatform& p, absl::Time issue_date,
                           absl::Time next_update) {
  uint16_t older = p.qe_svn >= 2 ? static_cast<uint16_t>(p.qe_svn - 2) : 0;
  Json levels = Json::array({QeLevel(p.qe_svn, p.tcb_date, "UpToDate", false)});
  if (older < p.qe_svn) {
    levels.push_back(
        QeLevel(older, p.tcb_date - kPreviousTcbAge, "OutOfDate", true));
  }
  // The QE's attributes must satisfy (attributes & mask) == identity value;
  // the mask ignores the MODE64BIT flag bit (0x04) and the XFRM, as Intel's.
  std::array<uint8_t, 16> mask{};
  mask.fill(0);
  for (size_t i = 0; i < 8; ++i) {
    mask[i] = 0xff;
  }
  mask[0] = 0xfb;
  std::array<uint8_t, 16> attributes{};
  for (size_t i = 0; i < attributes.size(); ++i) {
    attributes[i] = static_cast<uint8_t>(p.qe_attributes[i] & mask[i]);
  }
  Json j = {
      {"id", "QE"},
      {"version", 2},
      {"issueDate", FormatRfc3339Utc(issue_date)},
      {"nextUpdate", FormatRfc3339Utc(next_update)},
      {"tcbEvaluationDataNumber", p.tcb_evaluation_data_number},
      {"miscselect", "00000000"},
      {"miscselectMask", "FFFFFFFF"},
      {"attributes", UpperHex(attributes)},
      {"attributesMask", UpperHex(mask)},
      {"mrsigner", UpperHex(p.qe_mr_signer)},
      {"isvprodid", p.qe_isv_prod_id},
      {"tcbLevels", levels},
  };
  return j.dump();
}

std::string BundleJson(const CollateralBundle& b) {
  Json j = {
      {"pck_crl_issuer_chain", b.pck_crl_issuer_chain},
      {"root_ca_crl", HexEncode(b.root_ca_crl_der)},
      {"pck_crl", HexEncode(b.pck_crl_der)},
      {"tcb_info_issuer_chain", b.tcb_info_issuer_chain},
      {"tcb_info", b.tcb_info},
      {"tcb_info_signature", HexEncode(b.tcb_info_signature)},
      {"qe_identity_issuer_chain", b.qe_identity_issuer_chain},
      {"qe_identity", b.qe_identity},
      {"qe_identity_signature", HexEncode(b.qe_identity_signature)},
  };
  return j.dump(2) + "\n";
}

}  // namespace mra::attest::internal

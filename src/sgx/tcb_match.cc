// Copyright The mra Authors.
//
// Steps I and J: TCB level selection and Intel's status convergence
// (QVL TcbLevelCheck.cpp, TdxModuleCheck.cpp, TDRelaunchCheck.cpp as digested
// in docs/dcap-spec.md section 6).

#include <algorithm>
#include <string>
#include <tuple>

#include "src/sgx/internal/verify_internal.h"

#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"

namespace mra::sgx::internal {
namespace {

using collateral::EnclaveTcbLevel;
using collateral::TcbLevel;

// Category is how Intel reads QE and TDX module level statuses.
enum class Category { kUpToDate, kOutOfDate, kRevoked };

Category Categorize(TcbStatus s) {
  switch (s) {
    case TcbStatus::kUpToDate:
      return Category::kUpToDate;
    case TcbStatus::kRevoked:
      return Category::kRevoked;
    default:
      // Only UpToDate/OutOfDate/Revoked are valid for QE and module levels;
      // anything else is treated as OutOfDate (fail towards "worse").
      return Category::kOutOfDate;
  }
}

bool IsConfigurationNeeded(TcbStatus s) {
  return s == TcbStatus::kConfigurationNeeded ||
         s == TcbStatus::kOutOfDateConfigurationNeeded ||
         s == TcbStatus::kConfigurationAndSwHardeningNeeded ||
         s == TcbStatus::kTdRelaunchAdvisedConfigurationNeeded;
}

// ConvergeOutOfDate is the shared rule for a module or QE that is OutOfDate.
TcbStatus ConvergeOutOfDate(TcbStatus level) {
  if (level == TcbStatus::kUpToDate || level == TcbStatus::kSwHardeningNeeded) {
    return TcbStatus::kOutOfDate;
  }
  if (level == TcbStatus::kConfigurationNeeded ||
      level == TcbStatus::kConfigurationAndSwHardeningNeeded) {
    return TcbStatus::kOutOfDateConfigurationNeeded;
  }
  return level;
}

TcbStatus Converge(TcbStatus level, Category other) {
  switch (other) {
    case Category::kUpToDate:
      return level;
    case Category::kOutOfDate:
      return ConvergeOutOfDate(level);
    case Category::kRevoked:
      return TcbStatus::kRevoked;
  }
  return TcbStatus::kRevoked;
}

bool SgxMatches(const TcbLevel& level, const PckExtension& pck) {
  for (size_t i = 0; i < 16; ++i) {
    if (pck.tcb_components[i] < level.sgx_components[i]) {
      return false;
    }
  }
  return pck.pce_svn >= level.pce_svn;
}

bool TdxMatches(const TcbLevel& level, const TdReportBody& td) {
  if (!level.tdx_components.has_value()) {
    return false;
  }
  // With TEE_TCB_SVN[1] > 0 the module (bytes 0 and 1) is judged by the TDX
  // module identity's levels instead.
  size_t first = td.tee_tcb_svn[1] > 0 ? 2 : 0;
  for (size_t i = first; i < 16; ++i) {
    if (td.tee_tcb_svn[i] < (*level.tdx_components)[i]) {
      return false;
    }
  }
  return true;
}

TcbLevelMatch MatchOf(const TcbLevel& l) {
  return {l.status, l.tcb_date, l.advisory_ids};
}

TcbLevelMatch MatchOf(const EnclaveTcbLevel& l) {
  return {l.status, l.tcb_date, l.advisory_ids};
}

// FirstAtOrBelow returns the first level (in `order`) whose ISVSVN <= svn.
const EnclaveTcbLevel* FirstAtOrBelow(
    const std::vector<EnclaveTcbLevel>& levels,
    const std::vector<size_t>& order, uint16_t svn) {
  for (size_t i : order) {
    if (levels[i].isv_svn <= svn) {
      return &levels[i];
    }
  }
  return nullptr;
}

void AppendUnique(const std::vector<std::string>& ids,
                  std::vector<std::string>* out) {
  for (const std::string& id : ids) {
    if (std::find(out->begin(), out->end(), id) == out->end()) {
      out->push_back(id);
    }
  }
}

// RelaunchCheck is QVL's checkForRelaunch for TD 1.5 reports.
absl::StatusOr<TcbStatus> RelaunchCheck(
    const CollateralRep& rep, const TdReportBody& td, TcbStatus sgx_status,
    TcbStatus tdx_status, Category module_status, Category qe_status) {
  if (qe_status != Category::kUpToDate) {
    return tdx_status;
  }
  if (sgx_status != TcbStatus::kUpToDate &&
      sgx_status != TcbStatus::kSwHardeningNeeded &&
      sgx_status != TcbStatus::kConfigurationNeeded &&
      sgx_status != TcbStatus::kConfigurationAndSwHardeningNeeded) {
    return tdx_status;
  }
  if (tdx_status != TcbStatus::kOutOfDate &&
      tdx_status != TcbStatus::kOutOfDateConfigurationNeeded) {
    return tdx_status;
  }
  if (module_status != Category::kOutOfDate || rep.tcb_order.empty()) {
    return tdx_status;
  }
  const TcbLevel& latest = rep.tcb_info.tcb_levels[rep.tcb_order.front()];
  if (!latest.tdx_components.has_value()) {
    return tdx_status;
  }
  const std::array<uint8_t, 16>& svn2 = td.tee_tcb_svn2;
  int latest_module_svn = (*latest.tdx_components)[0];
  if (svn2[1] != 0) {
    std::optional<size_t> idx = FindTdxModuleIdentity(rep.tcb_info, svn2[1]);
    if (!idx.has_value()) {
      return Failure(VerifyFailure::kTdxModuleMismatch,
                     StrCat("TEE_TCB_SVN2[1] = ", svn2[1],
                            ": tcbInfo has no "
                            "tdxModuleIdentities entry ",
                            ModuleId(svn2[1])));
    }
    const std::vector<size_t>& order = rep.module_orders[*idx];
    if (order.empty()) {
      return Failure(VerifyFailure::kTcbNotSupported,
                     StrCat("TDX module identity ", ModuleId(svn2[1]),
                            " has no TCB levels"));
    }
    const EnclaveTcbLevel& top =
        rep.tcb_info.tdx_module_identities[*idx].tcb_levels[order.front()];
    latest_module_svn = top.isv_svn;
  }
  if (svn2[0] >= latest_module_svn && svn2[2] >= (*latest.tdx_components)[2]) {
    return IsConfigurationNeeded(sgx_status) ||
                   IsConfigurationNeeded(tdx_status)
               ? TcbStatus::kTdRelaunchAdvisedConfigurationNeeded
               : TcbStatus::kTdRelaunchAdvised;
  }
  return tdx_status;
}

std::string Svns(std::span<const uint8_t> svns) {
  return fmt::format("[{}]", fmt::join(svns, ","));
}

}  // namespace

std::string ModuleId(uint8_t version) {
  return fmt::format("TDX_{:02X}", version);
}

std::optional<size_t> FindTdxModuleIdentity(const collateral::TcbInfo& info,
                                            uint8_t version) {
  std::string want = ModuleId(version);
  for (size_t i = 0; i < info.tdx_module_identities.size(); ++i) {
    std::string id = info.tdx_module_identities[i].id;
    for (char& c : id) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (id == want) {
      return i;
    }
  }
  return std::nullopt;
}

std::vector<size_t> IntelTcbOrder(const collateral::TcbInfo& info) {
  std::vector<size_t> order(info.tcb_levels.size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  const bool tdx = info.tee == collateral::TeeType::kTdx;
  auto key = [&](size_t i) {
    const TcbLevel& l = info.tcb_levels[i];
    std::array<uint8_t, 16> tdx_svns{};
    if (tdx && l.tdx_components.has_value()) {
      tdx_svns = *l.tdx_components;
    }
    return std::make_tuple(l.sgx_components, l.pce_svn, tdx_svns);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return key(a) > key(b); });
  return order;
}

std::vector<size_t> DescendingByIsvSvn(
    const std::vector<EnclaveTcbLevel>& levels) {
  std::vector<size_t> order(levels.size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return levels[a].isv_svn > levels[b].isv_svn;
  });
  return order;
}

absl::Status EvaluateTcb(const CollateralRep& rep, const TcbInputs& in,
                         VerificationResult* result) {
  const collateral::TcbInfo& info = rep.tcb_info;
  const PckExtension& pck = *in.pck;

  // QE TCB level (step G's status part).
  const EnclaveTcbLevel* qe_level =
      FirstAtOrBelow(rep.qe_identity.tcb_levels, rep.qe_order, in.qe_isv_svn);

  // Platform levels (step I).
  const TcbLevel* sgx_level = nullptr;
  const TcbLevel* tdx_level = nullptr;
  for (size_t i : rep.tcb_order) {
    const TcbLevel& level = info.tcb_levels[i];
    if (!SgxMatches(level, pck)) {
      continue;
    }
    if (sgx_level == nullptr) {
      sgx_level = &level;
    }
    if (in.td == nullptr) {
      break;
    }
    if (TdxMatches(level, *in.td)) {
      tdx_level = &level;
      break;
    }
  }
  if (sgx_level == nullptr) {
    return Failure(
        VerifyFailure::kTcbNotSupported,
        StrCat("no SGX TCB level of tcbInfo (fmspc ", HexEncode(info.fmspc),
               ") matches the PCK certificate's SGX TCB components ",
               Svns(pck.tcb_components), " and PCESVN ", pck.pce_svn));
  }
  result->sgx_level = MatchOf(*sgx_level);
  TcbStatus sgx_status = sgx_level->status;

  if (qe_level == nullptr) {
    return Failure(VerifyFailure::kTcbNotSupported,
                   StrCat("no TCB level of the QE identity matches the QE "
                          "report's ISVSVN ",
                          in.qe_isv_svn));
  }
  result->qe_level = MatchOf(*qe_level);
  result->qe_isv_svn = in.qe_isv_svn;
  Category qe_status = Categorize(qe_level->status);

  TcbStatus status = sgx_status;
  const EnclaveTcbLevel* module_level = nullptr;
  if (in.td != nullptr) {
    if (tdx_level == nullptr) {
      return Failure(
          VerifyFailure::kTcbNotSupported,
          StrCat("no TDX TCB level of tcbInfo (fmspc ", HexEncode(info.fmspc),
                 ") matches TEE_TCB_SVN ", Svns(in.td->tee_tcb_svn),
                 " among the levels matching the PCK certificate's SGX TCB"));
    }
    result->tdx_level = MatchOf(*tdx_level);

    // TDX module status (4.1.2.4.17.4.1).
    Category module_status = Category::kUpToDate;
    if (in.td->tee_tcb_svn[1] > 0) {
      if (!in.module_identity.has_value()) {
        return Failure(VerifyFailure::kTdxModuleMismatch,
                       "TDX module identity not selected");
      }
      const collateral::TdxModuleIdentity& module =
          info.tdx_module_identities[*in.module_identity];
      module_level = FirstAtOrBelow(module.tcb_levels,
                                    rep.module_orders[*in.module_identity],
                                    in.td->tee_tcb_svn[0]);
      if (module_level == nullptr) {
        return Failure(VerifyFailure::kTcbNotSupported,
                       StrCat("no TCB level of TDX module identity ", module.id,
                              " matches the module SVN TEE_TCB_SVN[0] = ",
                              in.td->tee_tcb_svn[0]));
      }
      result->tdx_module_level = MatchOf(*module_level);
      result->tdx_module_id = module.id;
      module_status = Categorize(module_level->status);
    }
    status = Converge(tdx_level->status, module_status);
    if (status == TcbStatus::kRevoked) {
      return Failure(
          VerifyFailure::kTcbRevoked,
          StrCat("TDX TCB is Revoked (TDX level ",
                 TcbStatusName(tdx_level->status), ", module ",
                 module_level != nullptr ? TcbStatusName(module_level->status)
                                         : "UpToDate",
                 ")"));
    }
    if (in.td->is_td15) {
      MRA_ASSIGN_OR_RETURN(
          status, RelaunchCheck(rep, *in.td, sgx_status, status, module_status,
                                qe_status));
    }
  }
  status = Converge(status, qe_status);
  if (status == TcbStatus::kRevoked) {
    return Failure(
        VerifyFailure::kTcbRevoked,
        StrCat("TCB is Revoked (platform level ",
               TcbStatusName(in.td != nullptr ? tdx_level->status : sgx_status),
               ", QE level ", TcbStatusName(qe_level->status), " at ISVSVN ",
               in.qe_isv_svn, ")"));
  }
  result->status = status;

  result->advisory_ids.clear();
  AppendUnique(
      in.td != nullptr ? tdx_level->advisory_ids : sgx_level->advisory_ids,
      &result->advisory_ids);
  if (module_level != nullptr) {
    AppendUnique(module_level->advisory_ids, &result->advisory_ids);
  }
  AppendUnique(qe_level->advisory_ids, &result->advisory_ids);
  return absl::OkStatus();
}

}  // namespace mra::sgx::internal

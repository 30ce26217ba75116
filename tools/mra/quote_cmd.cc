// `mra quote verify | show`: Intel DCAP quote verification (mra/sgx/verify.h)
// and a parsed dump of a quote.
//
// Exit codes (command.h): 0 verified and accepted by the policy; 1 refused (a
// verification or appraisal verdict, whose name is printed); 2 usage error or
// a quote / collateral / root file that does not parse; 3 I/O error.

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tools/mra/command.h"

#include "mra/attested/dcap_appraiser.h"
#include "mra/base/clock.h"
#include "mra/base/hex.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/collateral/cache.h"
#include "mra/collateral/collateral.h"
#include "mra/collateral/pcs_client.h"
#include "mra/collateral/provider.h"
#include "mra/sgx/quote.h"
#include "mra/sgx/quote_file.h"
#include "mra/sgx/verify.h"

namespace mra::cli {
namespace {

using Json = nlohmann::ordered_json;
using collateral::TcbStatus;

constexpr size_t kMaxRootFileLen = 64 * 1024;

struct VerifyArgs {
  std::string quote;
  std::string collateral;
  // Alternatives to --collateral: fetch for the quote's FMSPC / CA / TEE.
  std::string pccs_url;
  std::string offline;
  std::string cache;
  bool allow_http = false;
  std::string now;
  bool json = false;
  std::vector<std::string> roots;
  std::vector<std::string> allow_status;
  bool allow_debug = false;
  bool allow_simulation = false;
  std::optional<uint16_t> min_isv_svn;
  std::optional<int64_t> max_collateral_age;
  bool accept_expired_crls = false;
  std::string trailing = "zeros";
};

struct ShowArgs {
  std::string quote;
  bool json = false;
  std::string trailing = "any";
};

sgx::TrailingBytes ParseTrailing(const std::string& s) {
  if (s == "reject") {
    return sgx::TrailingBytes::kReject;
  }
  if (s == "zeros") {
    return sgx::TrailingBytes::kZerosOnly;
  }
  if (s == "any") {
    return sgx::TrailingBytes::kAny;
  }
  throw CliError{kExitUsage,
                 StrCat("--trailing '", s, "': use reject, zeros or any")};
}

absl::Time ParseNow(const std::string& now) {
  if (now.empty()) {
    return absl::Now();
  }
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, now, &t, &err)) {
    return t;
  }
  try {
    size_t used = 0;
    long long secs = std::stoll(now, &used);  // NOLINT(google-runtime-int)
    if (used == now.size()) {
      return absl::FromUnixSeconds(secs);
    }
  } catch (const std::exception&) {
  }
  throw CliError{kExitUsage, StrCat("--now '", now,
                                    "' is neither unix seconds nor RFC 3339")};
}

// Malformed input files exit 2; I/O errors keep their code.
[[noreturn]] void FailInput(const absl::Status& status,
                            const std::string& what) {
  if (GetVerifyFailure(status).has_value() ||
      status.code() == absl::StatusCode::kInvalidArgument) {
    throw CliError{kExitUsage, StrCat(what, ": ", ToStd(status.message()))};
  }
  Fail(status, what);
}

sgx::ParsedQuote LoadQuote(const std::string& path, sgx::TrailingBytes trailing,
                           std::vector<uint8_t>* raw) {
  absl::StatusOr<std::vector<uint8_t>> bytes = sgx::ReadQuoteFile(path);
  if (!bytes.ok()) {
    FailInput(bytes.status(), path);
  }
  sgx::ParseOptions opts;
  opts.trailing = trailing;
  absl::StatusOr<sgx::ParsedQuote> q = sgx::ParseQuote(*bytes, opts);
  if (!q.ok()) {
    FailInput(q.status(), path);
  }
  if (raw != nullptr) {
    *raw = *std::move(bytes);
  }
  return *std::move(q);
}

// LoadCollateralFor reads --collateral, or fetches the collateral the quote
// needs (FMSPC and CA from its PCK certificate, TEE type from the quote)
// from an offline bundle directory or a PCS/PCCS, through --cache if given.
absl::StatusOr<collateral::Collateral> LoadCollateralFor(
    const VerifyArgs& args, const sgx::ParsedQuote& quote) {
  int sources = static_cast<int>(!args.collateral.empty()) +
                static_cast<int>(!args.pccs_url.empty()) +
                static_cast<int>(!args.offline.empty());
  if (sources != 1) {
    throw cli::CliError{cli::kExitUsage,
                        "give exactly one of --collateral, --pccs-url, "
                        "--offline"};
  }
  if (!args.collateral.empty()) {
    std::string text =
        ReadFileOrFail(args.collateral, collateral::kMaxCollateralLen);
    absl::StatusOr<collateral::Collateral> col =
        collateral::ParseCollateralJson(text);
    if (!col.ok()) {
      FailInput(col.status(), args.collateral);
    }
    return col;
  }
  absl::StatusOr<collateral::CollateralRequest> request =
      attested::CollateralRequestForQuote(quote);
  if (!request.ok()) {
    FailInput(request.status(), args.quote);
  }
  std::unique_ptr<collateral::CollateralProvider> provider;
  if (!args.offline.empty()) {
    provider = std::make_unique<collateral::DirectoryProvider>(args.offline);
  } else {
    collateral::PcsHttpOptions pcs;
    pcs.base_url = args.pccs_url;
    pcs.allow_plain_http = args.allow_http;
    absl::StatusOr<std::unique_ptr<collateral::PcsHttpProvider>> http =
        collateral::PcsHttpProvider::Create(pcs);
    if (!http.ok()) {
      Fail(http.status(), "--pccs-url");
    }
    provider = std::move(*http);
  }
  if (!args.cache.empty()) {
    collateral::CachingOptions caching;
    caching.dir = args.cache;
    absl::StatusOr<std::unique_ptr<collateral::CachingProvider>> cached =
        collateral::CachingProvider::Create(std::move(provider), caching,
                                            Clock::Real());
    if (!cached.ok()) {
      Fail(cached.status(), "--cache");
    }
    provider = std::move(*cached);
  }
  absl::StatusOr<std::string> bundle = provider->Fetch(*request);
  if (!bundle.ok()) {
    Fail(bundle.status(), "collateral from " + provider->Name());
  }
  absl::StatusOr<collateral::Collateral> col =
      collateral::LoadBundleFor(*bundle, *request);
  if (!col.ok()) {
    Fail(col.status(), "collateral from " + provider->Name());
  }
  return col;
}

std::string Hex(std::span<const uint8_t> b) { return HexEncode(b); }

std::string BodyTypeName(sgx::BodyType t) {
  switch (t) {
    case sgx::BodyType::kSgx:
      return "SGX report";
    case sgx::BodyType::kTd10:
      return "TD 1.0 report";
    case sgx::BodyType::kTd15:
      return "TD 1.5 report";
  }
  return "?";
}

Json LevelJson(const sgx::TcbLevelMatch& l) {
  return Json{{"status", std::string(TcbStatusName(l.status))},
              {"tcb_date", FormatRfc3339Utc(l.tcb_date)},
              {"advisory_ids", l.advisory_ids}};
}

Json MeasurementsJson(const sgx::VerificationResult& r) {
  Json m;
  if (r.sgx.has_value()) {
    const sgx::SgxMeasurements& s = *r.sgx;
    m["mr_enclave"] = Hex(s.mr_enclave);
    m["mr_signer"] = Hex(s.mr_signer);
    m["isv_prod_id"] = s.isv_prod_id;
    m["isv_svn"] = s.isv_svn;
    m["config_svn"] = s.config_svn;
    m["miscselect"] = fmt::format("{:08x}", s.miscselect);
    m["attributes"] = Hex(s.attributes);
    m["cpu_svn"] = Hex(s.cpu_svn);
    m["debug"] = s.debug;
  }
  if (r.tdx.has_value()) {
    const sgx::TdxMeasurements& t = *r.tdx;
    m["mrtd"] = Hex(t.mrtd);
    Json rtmrs = Json::array();
    for (const auto& rtmr : t.rtmr) {
      rtmrs.push_back(Hex(rtmr));
    }
    m["rtmrs"] = rtmrs;
    m["mrconfigid"] = Hex(t.mrconfigid);
    m["mrowner"] = Hex(t.mrowner);
    m["mrownerconfig"] = Hex(t.mrownerconfig);
    m["mrseam"] = Hex(t.mrseam);
    m["mrsignerseam"] = Hex(t.mrsignerseam);
    m["td_attributes"] = Hex(t.td_attributes);
    m["xfam"] = Hex(t.xfam);
    m["tee_tcb_svn"] = Hex(t.tee_tcb_svn);
    if (t.tee_tcb_svn2.has_value()) {
      m["tee_tcb_svn2"] = Hex(*t.tee_tcb_svn2);
    }
    if (t.mrservicetd.has_value()) {
      m["mrservicetd"] = Hex(*t.mrservicetd);
    }
    m["debug"] = t.debug;
    m["sept_ve_disable"] = t.sept_ve_disable;
  }
  m["report_data"] = Hex(r.report_data);
  return m;
}

Json ResultJson(const sgx::VerificationResult& r) {
  Json j;
  j["status"] = std::string(TcbStatusName(r.status));
  j["advisory_ids"] = r.advisory_ids;
  j["tee"] = std::string(sgx::TeeTypeName(r.tee));
  j["quote_version"] = r.quote_version;
  j["qe"] = LevelJson(r.qe_level);
  j["qe"]["isv_svn"] = r.qe_isv_svn;
  j["sgx_level"] = LevelJson(r.sgx_level);
  if (r.tdx_level.has_value()) {
    j["tdx_level"] = LevelJson(*r.tdx_level);
  }
  if (r.tdx_module_level.has_value()) {
    j["tdx_module_level"] = LevelJson(*r.tdx_module_level);
    j["tdx_module_level"]["id"] = r.tdx_module_id;
  }
  j["tcb_eval_num"] = r.tcb_eval_num;
  j["qe_identity_eval_num"] = r.qe_identity_eval_num;
  j["fmspc"] = Hex(r.fmspc);
  j["pce_id"] = Hex(r.pck.pce_id);
  j["pck_tcb_components"] = std::vector<int>(r.pck.tcb_components.begin(),
                                             r.pck.tcb_components.end());
  j["pck_pce_svn"] = r.pck.pce_svn;
  j["measurements"] = MeasurementsJson(r);
  j["verified_at"] = FormatRfc3339Utc(r.verified_at);
  j["earliest_issue_date"] = FormatRfc3339Utc(r.earliest_issue_date);
  j["collateral_not_after"] = FormatRfc3339Utc(r.collateral_not_after);
  j["simulation"] = r.simulation;
  j["root_sha256"] = Hex(r.root_fingerprint);
  return j;
}

void PrintResultText(const sgx::VerificationResult& r) {
  std::printf("  TCB status:     %s\n",
              std::string(TcbStatusName(r.status)).c_str());
  std::printf("  advisory IDs:   %s\n",
              r.advisory_ids.empty()
                  ? "(none)"
                  : fmt::format("{}", fmt::join(r.advisory_ids, ", ")).c_str());
  std::printf("  QE level:       %s (%s, QE ISVSVN %u)\n",
              std::string(TcbStatusName(r.qe_level.status)).c_str(),
              FormatRfc3339Utc(r.qe_level.tcb_date).c_str(), r.qe_isv_svn);
  std::printf("  SGX level:      %s (%s)\n",
              std::string(TcbStatusName(r.sgx_level.status)).c_str(),
              FormatRfc3339Utc(r.sgx_level.tcb_date).c_str());
  if (r.tdx_level.has_value()) {
    std::printf("  TDX level:      %s (%s)\n",
                std::string(TcbStatusName(r.tdx_level->status)).c_str(),
                FormatRfc3339Utc(r.tdx_level->tcb_date).c_str());
  }
  if (r.tdx_module_level.has_value()) {
    std::printf("  TDX module:     %s %s (%s)\n", r.tdx_module_id.c_str(),
                std::string(TcbStatusName(r.tdx_module_level->status)).c_str(),
                FormatRfc3339Utc(r.tdx_module_level->tcb_date).c_str());
  }
  std::printf("  FMSPC:          %s (TCB evaluation data number %u)\n",
              Hex(r.fmspc).c_str(), r.tcb_eval_num);
  std::printf("  collateral:     issued %s, verifies until %s\n",
              FormatRfc3339Utc(r.earliest_issue_date).c_str(),
              FormatRfc3339Utc(r.collateral_not_after).c_str());
  std::printf(
      "  root:           %s%s\n", Hex(r.root_fingerprint).c_str(),
      r.simulation ? " (SIMULATION root, not Intel)" : " (Intel SGX Root CA)");
  if (r.sgx.has_value()) {
    std::printf("  MRENCLAVE:      %s\n  MRSIGNER:       %s\n",
                Hex(r.sgx->mr_enclave).c_str(), Hex(r.sgx->mr_signer).c_str());
    std::printf("  ISVPRODID %u  ISVSVN %u  ATTRIBUTES %s  debug %s\n",
                r.sgx->isv_prod_id, r.sgx->isv_svn,
                Hex(r.sgx->attributes).c_str(), r.sgx->debug ? "yes" : "no");
  }
  if (r.tdx.has_value()) {
    std::printf("  MRTD:           %s\n", Hex(r.tdx->mrtd).c_str());
    for (size_t i = 0; i < r.tdx->rtmr.size(); ++i) {
      std::printf("  RTMR%zu:          %s\n", i, Hex(r.tdx->rtmr[i]).c_str());
    }
    std::printf("  MRCONFIGID:     %s\n", Hex(r.tdx->mrconfigid).c_str());
    std::printf("  TDATTRIBUTES %s  debug %s  SEPT_VE_DISABLE %s\n",
                Hex(r.tdx->td_attributes).c_str(), r.tdx->debug ? "yes" : "no",
                r.tdx->sept_ve_disable ? "yes" : "no");
  }
  std::printf("  REPORTDATA:     %s\n", Hex(r.report_data).c_str());
}

int RunVerify(const VerifyArgs& args) {
  sgx::TrailingBytes trailing = ParseTrailing(args.trailing);
  absl::Time now = ParseNow(args.now);

  sgx::AppraisalPolicy policy;
  if (!args.allow_status.empty()) {
    policy.accepted_statuses.clear();
    for (const std::string& s : args.allow_status) {
      std::optional<TcbStatus> st = collateral::ParseTcbStatus(s);
      if (!st.has_value() || *st == TcbStatus::kRevoked) {
        throw CliError{kExitUsage,
                       StrCat("--allow-status '", s,
                              "' is not an acceptable TCB status (UpToDate, "
                              "SWHardeningNeeded, ConfigurationNeeded, ...)")};
      }
      policy.accepted_statuses.push_back(*st);
    }
  }
  policy.allow_debug = args.allow_debug;
  policy.allow_simulation = args.allow_simulation;
  policy.min_isv_svn = args.min_isv_svn;
  if (args.max_collateral_age.has_value()) {
    policy.max_collateral_age = absl::Seconds(*args.max_collateral_age);
  }

  sgx::VerifierOptions options;
  options.accept_expired_crls = args.accept_expired_crls;
  if (!args.roots.empty()) {
    std::vector<std::string> pems;
    for (const std::string& path : args.roots) {
      pems.push_back(ReadFileOrFail(path, kMaxRootFileLen));
    }
    absl::StatusOr<std::shared_ptr<const sgx::TrustStore>> store =
        sgx::TrustStore::Create(pems);
    if (!store.ok()) {
      FailInput(store.status(), "--root");
    }
    options.trust_store = *store;
  }

  std::vector<uint8_t> raw;
  sgx::ParsedQuote quote = LoadQuote(args.quote, trailing, &raw);
  absl::StatusOr<collateral::Collateral> col = LoadCollateralFor(args, quote);

  absl::StatusOr<sgx::VerificationResult> result =
      sgx::VerifyQuote(quote, *col, options, now);
  absl::Status verdict =
      result.ok() ? sgx::Appraise(*result, policy) : result.status();
  std::optional<VerifyFailure> failure = GetVerifyFailure(verdict);

  if (args.json) {
    Json j;
    j["ok"] = verdict.ok();
    j["failure"] = failure.has_value()
                       ? Json(std::string(VerifyFailureName(*failure)))
                       : Json(nullptr);
    j["message"] = verdict.ok() ? "" : std::string(ToStd(verdict.message()));
    j["verified"] = result.ok();
    j["stage"] = verdict.ok()  ? "accepted"
                 : result.ok() ? "appraisal"
                               : "verification";
    j["now"] = FormatRfc3339Utc(now);
    j["quote"] = {{"file", args.quote},
                  {"version", quote.header.version},
                  {"body", BodyTypeName(quote.body_type)},
                  {"length", quote.quote_len},
                  {"trailing_length", quote.trailing_len}};
    j["result"] = result.ok() ? ResultJson(*result) : Json(nullptr);
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("quote %s: %s quote v%u (%s), %zu bytes + %zu trailing\n",
                args.quote.c_str(), quote.IsTdx() ? "TDX" : "SGX",
                quote.header.version, BodyTypeName(quote.body_type).c_str(),
                quote.quote_len, quote.trailing_len);
    if (result.ok()) {
      std::printf("VERIFIED at %s:\n", FormatRfc3339Utc(now).c_str());
      PrintResultText(*result);
    }
    if (verdict.ok()) {
      std::printf("ACCEPTED by the policy\n");
    } else {
      std::fprintf(stderr, "REFUSED: %s\n",
                   std::string(ToStd(verdict.message())).c_str());
    }
  }
  return ExitCodeFor(verdict);
}

int RunShow(const ShowArgs& args) {
  std::vector<uint8_t> raw;
  sgx::ParsedQuote q =
      LoadQuote(args.quote, ParseTrailing(args.trailing), &raw);
  Json j;
  j["verified"] = false;
  j["version"] = q.header.version;
  j["att_key_type"] = q.header.att_key_type;
  j["tee"] = q.IsTdx() ? "TDX" : "SGX";
  j["body"] = BodyTypeName(q.body_type);
  j["qe_vendor_id"] = Hex(q.header.qe_vendor_id);
  j["user_data"] = Hex(q.header.user_data);
  if (q.header.version == 3) {
    j["qe_svn"] = q.header.qe_svn;
    j["pce_svn"] = q.header.pce_svn;
  }
  if (q.sgx_body.has_value()) {
    const sgx::SgxReportBody& b = *q.sgx_body;
    j["report"] = {{"cpu_svn", Hex(b.cpusvn)},
                   {"miscselect", fmt::format("{:08x}", b.miscselect)},
                   {"attributes", Hex(b.attributes)},
                   {"mr_enclave", Hex(b.mr_enclave)},
                   {"mr_signer", Hex(b.mr_signer)},
                   {"isv_prod_id", b.isv_prod_id},
                   {"isv_svn", b.isv_svn},
                   {"config_svn", b.config_svn},
                   {"debug", b.Debug()},
                   {"report_data", Hex(b.report_data)}};
  }
  if (q.td_body.has_value()) {
    const sgx::TdReportBody& b = *q.td_body;
    Json rtmrs = Json::array();
    for (const auto& r : b.rtmr) {
      rtmrs.push_back(Hex(r));
    }
    j["report"] = {{"tee_tcb_svn", Hex(b.tee_tcb_svn)},
                   {"mrseam", Hex(b.mrseam)},
                   {"mrsignerseam", Hex(b.mrsignerseam)},
                   {"seam_attributes", Hex(b.seam_attributes)},
                   {"td_attributes", Hex(b.td_attributes)},
                   {"xfam", Hex(b.xfam)},
                   {"mrtd", Hex(b.mrtd)},
                   {"mrconfigid", Hex(b.mrconfigid)},
                   {"mrowner", Hex(b.mrowner)},
                   {"mrownerconfig", Hex(b.mrownerconfig)},
                   {"rtmrs", rtmrs},
                   {"debug", b.Debug()},
                   {"sept_ve_disable", b.SeptVeDisable()},
                   {"report_data", Hex(b.report_data)}};
    if (b.is_td15) {
      j["report"]["tee_tcb_svn2"] = Hex(b.tee_tcb_svn2);
      j["report"]["mrservicetd"] = Hex(b.mrservicetd);
    }
  }
  const sgx::SgxReportBody& qe = q.signature.qe_report;
  j["qe_report"] = {{"mr_enclave", Hex(qe.mr_enclave)},
                    {"mr_signer", Hex(qe.mr_signer)},
                    {"isv_prod_id", qe.isv_prod_id},
                    {"isv_svn", qe.isv_svn},
                    {"report_data", Hex(qe.report_data)}};
  j["attestation_key"] = Hex(q.signature.attest_key);
  j["qe_auth_data_length"] = q.signature.qe_auth_data.size();
  j["pck_chain_pem_length"] = q.signature.pck_chain_pem.size();
  absl::StatusOr<collateral::CertChain> chain =
      collateral::ParsePemChain(q.signature.pck_chain_pem, "pck_chain");
  if (chain.ok() && !chain->empty()) {
    absl::StatusOr<sgx::PckExtension> ext =
        sgx::ParsePckCertificateExtension((*chain)[0].get());
    if (ext.ok()) {
      j["pck"] = {
          {"fmspc", Hex(ext->fmspc)},
          {"pce_id", Hex(ext->pce_id)},
          {"tcb_components", std::vector<int>(ext->tcb_components.begin(),
                                              ext->tcb_components.end())},
          {"pce_svn", ext->pce_svn},
          {"cpu_svn", Hex(ext->cpu_svn)},
          {"sgx_type", static_cast<int>(ext->sgx_type)}};
    } else {
      j["pck"] = {{"error", std::string(ToStd(ext.status().message()))}};
    }
  }
  j["length"] = q.quote_len;
  j["trailing_length"] = q.trailing_len;
  if (args.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("quote %s (UNVERIFIED: use 'mra quote verify')\n",
              args.quote.c_str());
  for (const auto& [key, value] : j.items()) {
    if (key == "verified") {
      continue;
    }
    if (value.is_object()) {
      std::printf("  %s:\n", key.c_str());
      for (const auto& [k, v] : value.items()) {
        std::printf(
            "    %-16s %s\n", k.c_str(),
            v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
      }
    } else {
      std::printf("  %-20s %s\n", key.c_str(),
                  value.is_string() ? value.get<std::string>().c_str()
                                    : value.dump().c_str());
    }
  }
  return kExitOk;
}

const CommandGroup kQuote([](CLI::App& root, int* exit_code) {
  CLI::App* cmd = root.add_subcommand("quote", "Intel SGX/TDX DCAP quotes");
  cmd->require_subcommand(1);

  auto verify = std::make_shared<VerifyArgs>();
  CLI::App* v = cmd->add_subcommand(
      "verify",
      "Verify a quote against collateral (Intel's algorithm), then apply the "
      "acceptance policy");
  v->add_option("--quote", verify->quote,
                "Quote file (binary, or hex text if *.hex / *.txt)")
      ->required();
  v->add_option("--collateral", verify->collateral,
                "Collateral bundle JSON (TCB info, QE identity, CRLs, chains)");
  v->add_option("--pccs-url", verify->pccs_url,
                "Fetch collateral from this Intel PCS / PCCS base URL instead");
  v->add_option("--offline", verify->offline,
                "Pick the collateral from this directory of bundles instead");
  v->add_option("--cache", verify->cache,
                "On-disk collateral cache for --pccs-url / --offline");
  v->add_flag("--allow-http", verify->allow_http,
              "Allow a plain http:// PCCS URL (loopback tests only)");
  v->add_option("--now", verify->now,
                "Verification time: unix seconds or RFC 3339 (default: now)");
  v->add_flag("--json", verify->json, "Machine-readable result on stdout");
  v->add_option("--root", verify->roots,
                "Also trust this root CA PEM as a SIMULATION root "
                "(repeatable; development only)");
  v->add_option("--allow-status", verify->allow_status,
                "Accept this TCB status (repeatable; default UpToDate only)");
  v->add_flag("--allow-debug", verify->allow_debug,
              "Accept debug enclaves / TDs");
  v->add_flag("--allow-simulation", verify->allow_simulation,
              "Accept quotes chaining to a --root simulation root");
  v->add_option("--min-isv-svn", verify->min_isv_svn,
                "SGX: minimum ISV SVN of the enclave");
  v->add_option("--max-collateral-age", verify->max_collateral_age,
                "Maximum collateral age in seconds");
  v->add_flag("--accept-expired-crls", verify->accept_expired_crls,
              "WARNING: forensics only; skip CRL thisUpdate/nextUpdate");
  v->add_option("--trailing", verify->trailing,
                "Bytes after the quote: reject, zeros (default) or any");
  v->callback([verify, exit_code] { *exit_code = RunVerify(*verify); });

  auto show = std::make_shared<ShowArgs>();
  CLI::App* s = cmd->add_subcommand(
      "show", "Parse and print a quote's fields (no verification)");
  s->add_option("quote", show->quote, "Quote file (binary or *.hex / *.txt)")
      ->required();
  s->add_flag("--json", show->json, "JSON output");
  s->add_option("--trailing", show->trailing,
                "Bytes after the quote: reject, zeros or any (default)");
  s->callback([show, exit_code] { *exit_code = RunShow(*show); });
});

}  // namespace
}  // namespace mra::cli

// `mra sim init | refresh-collateral | quote`: the simulation (no-hardware)
// development mode's platform. DEVELOPMENT ONLY.
#include <cstdio>
#include <memory>

#include "tools/mra/command.h"

#include "mra/attest/sim.h"
#include "mra/attest/sim_dir.h"
#include "mra/base/clock.h"
#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/strings.h"

namespace mra::cli {
namespace {

struct InitArgs {
  std::string dir;
  int validity_days = 3650;
  int collateral_days = 30;
  bool outdated_platform = false;
  bool force = false;
};

struct RefreshArgs {
  std::string dir;
  int collateral_days = 0;
};

struct QuoteArgs {
  std::string dir;
  std::string exe;
  std::string sigstruct;
  std::string report_data;
  std::string out;
};

void PrintInfo(const attest::SimDirInfo& info) {
  const attest::SimPlatform& p = info.platform;
  std::printf(
      "DEVELOPMENT ONLY: simulated SGX platform in %s\n"
      "  root CA:      %s (sha256 %s)\n"
      "                configure verifiers with it as a DEVELOPMENT root only\n"
      "  collateral:   %s (next update %s)\n"
      "  certificates: valid until %s\n"
      "  platform:     fmspc %s, pce svn %u, qe svn %u, tcb %s\n",
      info.dir.c_str(),
      attest::SimFilePath(info.dir, attest::kSimRootCertFile).c_str(),
      HexEncode(info.root_sha256).c_str(),
      attest::SimFilePath(info.dir, attest::kSimCollateralFile).c_str(),
      FormatRfc3339Utc(info.collateral_next_update).c_str(),
      FormatRfc3339Utc(info.certs_not_after).c_str(),
      HexEncode(p.fmspc).c_str(), p.pce_svn, p.qe_svn,
      p.sgx_tcb_components == p.latest_sgx_tcb_components &&
              p.pce_svn == p.latest_pce_svn
          ? "UpToDate"
          : "OutOfDate");
}

void RunInit(const InitArgs& args) {
  attest::SimInitOptions opts;
  opts.validity_days = args.validity_days;
  opts.collateral_days = args.collateral_days;
  opts.outdated_platform = args.outdated_platform;
  opts.force = args.force;
  absl::StatusOr<attest::SimDirInfo> info = attest::InitSimDir(args.dir, opts);
  if (!info.ok()) {
    if (absl::IsAlreadyExists(info.status())) {
      throw CliError{kExitUsage, std::string(ToStd(info.status().message()))};
    }
    Fail(info.status(), "sim init");
  }
  PrintInfo(*info);
}

void RunRefresh(const RefreshArgs& args) {
  attest::SimRefreshOptions opts;
  opts.collateral_days = args.collateral_days;
  absl::StatusOr<attest::SimDirInfo> info =
      attest::RefreshSimCollateral(args.dir, opts);
  if (!info.ok()) {
    Fail(info.status(), "sim refresh-collateral");
  }
  PrintInfo(*info);
}

void RunQuote(const QuoteArgs& args) {
  std::array<uint8_t, attest::kReportDataLen> rd{};
  if (!args.report_data.empty()) {
    absl::StatusOr<std::vector<uint8_t>> bytes = HexDecode(args.report_data);
    if (!bytes.ok() || bytes->size() > rd.size()) {
      throw CliError{kExitUsage,
                     "--report-data: expected up to 128 hex characters (64 "
                     "bytes; shorter values are zero-padded)"};
    }
    std::copy(bytes->begin(), bytes->end(), rd.begin());
  }
  attest::SimAttesterOptions opts;
  opts.sim_dir = args.dir;
  opts.executable = args.exe;
  opts.sigstruct = args.sigstruct;
  absl::StatusOr<std::unique_ptr<attest::SimAttester>> attester =
      attest::SimAttester::Create(opts);
  if (!attester.ok()) {
    const absl::Status& s = attester.status();
    if (absl::IsUnauthenticated(s) || absl::IsPermissionDenied(s)) {
      throw CliError{kExitRefused, std::string(ToStd(s.message()))};
    }
    Fail(s, "sim quote");
  }
  absl::StatusOr<std::vector<uint8_t>> quote = (*attester)->Quote(rd);
  if (!quote.ok()) {
    Fail(quote.status(), "sim quote");
  }
  absl::Status s = WriteFileAtomic(
      args.out, std::string(quote->begin(), quote->end()), 0644);
  if (!s.ok()) {
    Fail(s, "writing quote");
  }
  std::fprintf(stderr,
               "SIMULATED quote (%zu bytes, DEVELOPMENT ONLY) for %s "
               "(mr_enclave %s) -> %s\n",
               quote->size(), (*attester)->executable().c_str(),
               HexEncode((*attester)->identity().mr_enclave).c_str(),
               args.out.c_str());
}

const CommandGroup kSim([](CLI::App& root, int* /*exit_code*/) {
  CLI::App* sim = root.add_subcommand(
      "sim",
      "Simulation (no-hardware) development mode: a development PKI and "
      "DCAP collateral for a simulated SGX platform. DEVELOPMENT ONLY");
  sim->require_subcommand(1);

  auto init = std::make_shared<InitArgs>();
  CLI::App* init_cmd = sim->add_subcommand(
      "init",
      "Create DIR: development root CA, PCK chain, TCB signing cert, signed "
      "collateral.json, keys (0600)");
  init_cmd->add_option("--dir", init->dir, "Sim directory")->required();
  init_cmd
      ->add_option("--validity-days", init->validity_days,
                   "Certificate validity in days")
      ->capture_default_str();
  init_cmd
      ->add_option("--collateral-days", init->collateral_days,
                   "Days until the collateral's nextUpdate")
      ->capture_default_str();
  init_cmd->add_flag("--outdated-platform", init->outdated_platform,
                     "Give the PCK the OutOfDate TCB level (tests)");
  init_cmd->add_flag("--force", init->force,
                     "Replace an existing sim dir (new keys and root)");
  init_cmd->callback([init] { RunInit(*init); });

  auto refresh = std::make_shared<RefreshArgs>();
  CLI::App* refresh_cmd = sim->add_subcommand(
      "refresh-collateral",
      "Re-sign DIR/collateral.json with new dates, same keys and root");
  refresh_cmd->add_option("--dir", refresh->dir, "Sim directory")->required();
  refresh_cmd->add_option(
      "--collateral-days", refresh->collateral_days,
      "Days until nextUpdate (default: the value used at init)");
  refresh_cmd->callback([refresh] { RunRefresh(*refresh); });

  auto quote = std::make_shared<QuoteArgs>();
  CLI::App* quote_cmd = sim->add_subcommand(
      "quote", "Write a simulated SGX quote for a signed executable");
  quote_cmd->add_option("--dir", quote->dir, "Sim directory")->required();
  quote_cmd->add_option("--exe", quote->exe, "Executable (with its sidecar)")
      ->required();
  quote_cmd->add_option("--sigstruct", quote->sigstruct,
                        "Sidecar (default: EXE.sigstruct)");
  quote_cmd->add_option("--report-data", quote->report_data,
                        "Up to 64 bytes of hex (zero-padded)");
  quote_cmd->add_option("--out", quote->out, "Quote file")->required();
  quote_cmd->callback([quote] { RunQuote(*quote); });
});

}  // namespace
}  // namespace mra::cli

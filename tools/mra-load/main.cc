// Copyright The mra Authors.
//
// mra-load: the platform load test's client (issue 5).
//
//   mra-load [--config FILE] [--frontend HOST:PORT] [--clients N]
//            [--seconds T] [--max-ops N] [--value-bytes B] [--keys K]
//            [--timeout SECONDS] [--label NAME] [--user-prefix P]
//            [--json FILE] [--insecure-transport-for-tests |
//                           --plain-mtls-for-benchmarks DIR]
//
// N clients, each set up like one mra-client process (its own channel
// factory from SelectClientChannelFactory, so by default it verifies the
// manifest and attests the frontend one-way; its own user, registered and
// logged in), then put/get for T seconds (and at most --max-ops operations
// in total). Prints a table row (see load_generator.h) with every error
// counted; --json also writes the result as one JSON object.
//
// Exit codes: 0 no error and at least one successful operation; 1 the run
// had errors (all reported) or no operation succeeded; 2 usage error; 3 the
// JSON file could not be written, or an internal error.

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"
#include "tools/mra-load/load_generator.h"

#include "mra/base/strings.h"
#include "mra/platform/config.h"
#include "mra/platform/transport.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitErrors = 1;
constexpr int kExitUsage = 2;
constexpr int kExitIo = 3;

int Run(int argc, char** argv) {
  CLI::App app{
      "mra-load: N concurrent clients doing put/get through the "
      "platform's frontend"};
  std::string config_path;
  std::string frontend;
  bool insecure = false;
  std::string plain_mtls_dir;
  std::string json_path;
  std::string label;
  double seconds = 10;
  double timeout_seconds = 10;
  mra::load::LoadOptions options;
  options.user_prefix = mra::StrCat("load-", ::getpid());
  app.add_option("--config", config_path,
                 "deployment config (TOML): the frontend's address and what "
                 "to attest it against");
  app.add_option("--frontend", frontend,
                 "frontend address HOST:PORT (overrides the config)");
  app.add_option("--clients", options.num_clients, "concurrent clients")
      ->check(CLI::Range(1, 1024));
  app.add_option("--seconds", seconds, "duration of the measured phase")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--max-ops", options.max_ops,
                 "stop after this many operations in total (0: no limit)");
  app.add_option("--value-bytes", options.value_len, "bytes per put value")
      ->check(CLI::Range(0, 1 << 20));
  app.add_option("--keys", options.num_keys, "keys per client")
      ->check(CLI::Range(1, 1 << 16));
  app.add_option("--timeout", timeout_seconds, "per-operation deadline, s")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--label", label, "name of this run in the table");
  app.add_option("--user-prefix", options.user_prefix,
                 "users are PREFIX-0 .. PREFIX-(N-1) (default: load-<pid>)");
  app.add_option("--json", json_path, "also write the result as JSON here");
  CLI::Option* insecure_opt =
      app.add_flag("--insecure-transport-for-tests", insecure,
                   "WITHOUT attestation or encryption (tests only)");
  app.add_option("--plain-mtls-for-benchmarks", plain_mtls_dir,
                 "plain TLS to the frontend, checked against DIR/ca.pem, NO "
                 "attestation (the load-test baseline only)")
      ->excludes(insecure_opt);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  options.duration = absl::Seconds(seconds);
  options.op_timeout = absl::Seconds(timeout_seconds);
  if (const char* password = std::getenv("MRA_PASSWORD");
      password != nullptr && *password != '\0') {
    options.password = password;
  }

  // Logs (the transports' warnings) go to stderr; the table to stdout.
  spdlog::set_default_logger(spdlog::stderr_color_mt("mra.load"));
  spdlog::set_level(spdlog::level::warn);

  absl::StatusOr<mra::platform::DeploymentConfig> config =
      config_path.empty() ? absl::StatusOr<mra::platform::DeploymentConfig>(
                                mra::platform::DefaultDeploymentConfig())
                          : mra::platform::LoadDeploymentConfig(config_path);
  if (!config.ok()) {
    std::cerr << "mra-load: " << config.status().message() << "\n";
    return kExitUsage;
  }
  const std::string address =
      frontend.empty() ? config->Service("frontend").address : frontend;
  const mra::platform::TransportOptions transport{
      .insecure_for_tests = insecure,
      .plain_mtls_for_benchmarks_dir = plain_mtls_dir};
  if (insecure) {
    std::cerr << "mra-load: WARNING: insecure transport: the frontend is NOT "
                 "attested and nothing is encrypted\n";
  }
  // One factory per client, as N mra-client processes would have.
  mra::load::MakeFactory make_factory = [&] {
    return mra::platform::SelectClientChannelFactory(*config, transport);
  };
  absl::StatusOr<mra::load::LoadResult> result =
      mra::load::RunLoad(make_factory, address, options);
  if (!result.ok()) {
    std::cerr << "mra-load: " << result.status().message() << "\n";
    return kExitUsage;
  }
  result->label = label;
  std::cout << mra::load::FormatTable({*result});
  for (const auto& [kind, count] : result->errors_by_kind) {
    std::cout << "  errors " << kind << ": " << count << "\n";
  }
  for (const std::string& sample : result->error_samples) {
    std::cout << "  e.g. " << sample << "\n";
  }
  if (result->num_clients_ready != result->num_clients) {
    std::cout << "  only " << result->num_clients_ready << " of "
              << result->num_clients << " clients could be set up\n";
  }
  if (!json_path.empty()) {
    std::ofstream out(json_path, std::ios::trunc);
    out << mra::load::ToJson(*result) << "\n";
    out.close();
    if (!out) {
      std::cerr << "mra-load: cannot write " << json_path << "\n";
      return kExitIo;
    }
  }
  return result->num_errors == 0 && result->num_ok > 0 ? kExitOk : kExitErrors;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "mra-load: internal error: " << e.what() << "\n";
    return kExitIo;
  }
}

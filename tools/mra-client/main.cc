// Copyright The mra Authors.
//
// mra-client: user operations against the platform's frontend.
//
//   mra-client [--config FILE] [--frontend HOST:PORT] [--timeout SECONDS]
//              [--insecure-transport-for-tests] COMMAND
//     register USER      password from --password-stdin or $MRA_PASSWORD
//     login USER         prints the token on stdout (expiry on stderr)
//     put KEY [VALUE]    VALUE, or --value-file FILE; token from --token or
//                        $MRA_TOKEN
//     get KEY            prints the value on stdout, as stored
//
// The client reaches the frontend only through SelectClientChannelFactory,
// which attests the frontend one-way (the client presents no certificate).
//
// Exit codes (as tools/mra/command.h): 0 success; 1 refused (bad credentials
// or token, user exists, key not found, frontend not acceptable); 2 usage
// error or invalid input; 3 I/O, unavailable or internal error.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "fmt/format.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

#include "mra/base/clock.h"
#include "mra/base/file.h"
#include "mra/base/strings.h"
#include "mra/platform/config.h"
#include "mra/platform/transport.h"
#include "mra/v1/frontend.grpc.pb.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitError = 3;

// Values larger than this are refused before sending (gRPC's default limit).
constexpr size_t kMaxValueFileLen = size_t{4} * 1024 * 1024;

struct UsageError {
  std::string message;
};

int ExitCodeFor(::grpc::StatusCode code) {
  switch (code) {
    case ::grpc::StatusCode::OK:
      return kExitOk;
    case ::grpc::StatusCode::UNAUTHENTICATED:
    case ::grpc::StatusCode::PERMISSION_DENIED:
    case ::grpc::StatusCode::ALREADY_EXISTS:
    case ::grpc::StatusCode::NOT_FOUND:
      return kExitRefused;
    case ::grpc::StatusCode::INVALID_ARGUMENT:
      return kExitUsage;
    default:
      return kExitError;
  }
}

std::string_view CodeName(::grpc::StatusCode code) {
  switch (code) {
    case ::grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case ::grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case ::grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case ::grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case ::grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case ::grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case ::grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case ::grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    default:
      return "ERROR";
  }
}

int Report(const ::grpc::Status& status, std::string_view what) {
  if (status.ok()) {
    return kExitOk;
  }
  std::cerr << "mra-client: " << what << ": " << CodeName(status.error_code())
            << ": " << status.error_message() << "\n";
  return ExitCodeFor(status.error_code());
}

std::string Password(bool from_stdin) {
  if (from_stdin) {
    std::string line;
    if (!std::getline(std::cin, line)) {
      throw UsageError{"--password-stdin: no line on standard input"};
    }
    return line;
  }
  const char* env = std::getenv("MRA_PASSWORD");
  if (env == nullptr || *env == '\0') {
    throw UsageError{"no password: use --password-stdin or set MRA_PASSWORD"};
  }
  return env;
}

std::string Token(const std::string& flag) {
  if (!flag.empty()) {
    return flag;
  }
  const char* env = std::getenv("MRA_TOKEN");
  if (env == nullptr || *env == '\0') {
    throw UsageError{"no token: use --token or set MRA_TOKEN (see 'login')"};
  }
  return mra::StrCat(mra::TrimAsciiWhitespace(env));
}

int Run(int argc, char** argv) {
  CLI::App app{"mra-client: user operations against the mra platform frontend"};
  app.require_subcommand(1);
  std::string config_path;
  std::string frontend;
  bool insecure = false;
  int timeout_seconds = 30;
  app.add_option("--config", config_path,
                 "deployment config (TOML): the frontend's address and what "
                 "to attest it against");
  app.add_option("--frontend", frontend,
                 "frontend address HOST:PORT (overrides the config)");
  app.add_option("--timeout", timeout_seconds, "per-call deadline, seconds")
      ->check(CLI::Range(1, 3600));
  app.add_flag("--insecure-transport-for-tests", insecure,
               "talk to a frontend WITHOUT attestation or encryption (tests "
               "and local development only)");

  std::string user;
  bool password_stdin = false;
  CLI::App* reg = app.add_subcommand("register", "create a user");
  reg->add_option("USER", user, "user name")->required();
  reg->add_flag("--password-stdin", password_stdin,
                "read the password from the first line of stdin");
  CLI::App* login = app.add_subcommand("login", "log in; prints a token");
  login->add_option("USER", user, "user name")->required();
  login->add_flag("--password-stdin", password_stdin,
                  "read the password from the first line of stdin");

  std::string token_flag;
  std::string key;
  std::string value;
  std::string value_file;
  CLI::App* put = app.add_subcommand("put", "store a value under a key");
  put->add_option("KEY", key, "key")->required();
  CLI::Option* value_opt = put->add_option("VALUE", value, "value");
  put->add_option("--value-file", value_file, "read the value from a file")
      ->excludes(value_opt);
  put->add_option("--token", token_flag, "login token (default: $MRA_TOKEN)");
  CLI::App* get = app.add_subcommand("get", "print the value of a key");
  get->add_option("KEY", key, "key")->required();
  get->add_option("--token", token_flag, "login token (default: $MRA_TOKEN)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  try {
    absl::StatusOr<mra::platform::DeploymentConfig> config =
        config_path.empty() ? absl::StatusOr<mra::platform::DeploymentConfig>(
                                  mra::platform::DefaultDeploymentConfig())
                            : mra::platform::LoadDeploymentConfig(config_path);
    if (!config.ok()) {
      std::cerr << "mra-client: " << config.status().message() << "\n";
      return kExitUsage;
    }
    std::string address =
        frontend.empty() ? config->Service("frontend").address : frontend;

    absl::StatusOr<std::unique_ptr<mra::platform::ChannelFactory>> factory =
        mra::platform::SelectClientChannelFactory(
            *config, {.insecure_for_tests = insecure});
    if (!factory.ok()) {
      std::cerr << "mra-client: " << factory.status().message() << "\n";
      return kExitError;
    }
    if (insecure) {
      std::cerr << "mra-client: WARNING: insecure transport: the frontend is "
                   "NOT attested and nothing is encrypted\n";
    }
    absl::StatusOr<std::shared_ptr<::grpc::Channel>> channel =
        (*factory)->Dial("frontend", address);
    if (!channel.ok()) {
      std::cerr << "mra-client: " << channel.status().message() << "\n";
      return kExitError;
    }
    std::unique_ptr<mra::v1::Frontend::Stub> stub =
        mra::v1::Frontend::NewStub(*channel);
    ::grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(timeout_seconds));

    if (reg->parsed()) {
      mra::v1::RegisterRequest request;
      request.set_username(user);
      request.set_password(Password(password_stdin));
      mra::v1::RegisterResponse response;
      int rc = Report(stub->Register(&context, request, &response), "register");
      if (rc == kExitOk) {
        std::cerr << "registered " << user << "\n";
      }
      return rc;
    }
    if (login->parsed()) {
      mra::v1::LoginRequest request;
      request.set_username(user);
      request.set_password(Password(password_stdin));
      mra::v1::LoginResponse response;
      int rc = Report(stub->Login(&context, request, &response), "login");
      if (rc == kExitOk) {
        std::cout << response.token() << "\n";
        std::cerr << "logged in as " << user << "; token expires "
                  << mra::FormatRfc3339Utc(
                         absl::FromUnixSeconds(response.expires_unix_seconds()))
                  << "\n";
      }
      return rc;
    }
    if (put->parsed()) {
      mra::v1::PutRequest request;
      request.set_token(Token(token_flag));
      request.set_key(key);
      if (!value_file.empty()) {
        absl::StatusOr<std::string> bytes =
            mra::ReadFileBounded(value_file, kMaxValueFileLen);
        if (!bytes.ok()) {
          std::cerr << "mra-client: " << value_file << ": "
                    << bytes.status().message() << "\n";
          return absl::IsInvalidArgument(bytes.status()) ? kExitUsage
                                                         : kExitError;
        }
        request.set_value(std::move(*bytes));
      } else {
        request.set_value(value);
      }
      mra::v1::PutResponse response;
      int rc = Report(stub->Put(&context, request, &response), "put");
      if (rc == kExitOk) {
        std::cerr << "stored " << request.value().size() << " bytes under '"
                  << key << "'\n";
      }
      return rc;
    }
    if (get->parsed()) {
      mra::v1::GetRequest request;
      request.set_token(Token(token_flag));
      request.set_key(key);
      mra::v1::GetResponse response;
      int rc = Report(stub->Get(&context, request, &response), "get");
      if (rc == kExitOk) {
        std::cout << response.value();
        std::cout.flush();
      }
      return rc;
    }
  } catch (const UsageError& e) {
    std::cerr << "mra-client: " << e.message << "\n";
    return kExitUsage;
  }
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "mra-client: internal error: " << e.what() << "\n";
    return kExitError;
  }
}

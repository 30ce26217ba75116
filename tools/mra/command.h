// Copyright The mra Authors.
//
// File: tools/mra/command.h
// -----------------------------------------------------------------------------
// The CLI edge: command groups register themselves, errors become exit codes.
// Exit codes (documented in the README):
//   0  success / verified
//   1  verification refused (a VerifyFailure verdict)
//   2  usage error or malformed input
//   3  I/O or internal error

#pragma once

#include <functional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"

namespace mra::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitError = 3;

// ExitCodeFor maps a status to the exit codes above.
int ExitCodeFor(const absl::Status& status);

// CliError is thrown by command bodies at the CLI edge; main() prints it to
// stderr and exits with its code.
struct CliError {
  int exit_code;
  std::string message;
};

// Fail throws a CliError for `status` with `context` prefixed.
[[noreturn]] void Fail(const absl::Status& status, const std::string& context);

// ReadFileOrFail reads a bounded file or throws CliError naming it.
std::string ReadFileOrFail(const std::string& path, size_t max_len);

// A command group adds its subcommands to the root app. Registering is done
// by a static CommandGroup object in the group's .cc file.
using Installer = std::function<void(CLI::App& root, int* exit_code)>;

class CommandGroup {
 public:
  explicit CommandGroup(Installer installer);
  static const std::vector<Installer>& All();
};

}  // namespace mra::cli

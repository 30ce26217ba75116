// mra: the command-line tool for auditors, operators and developers.
#include <cstdio>

#include "tools/mra/command.h"

int main(int argc, char** argv) {
  CLI::App app{
      "mra - mutual remote attestation anchored in third-party auditors"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mra 0.1.0");
  int exit_code = mra::cli::kExitOk;
  for (const auto& install : mra::cli::CommandGroup::All()) {
    install(app, &exit_code);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : mra::cli::kExitUsage;
  } catch (const mra::cli::CliError& e) {
    std::fprintf(stderr, "mra: error: %s\n", e.message.c_str());
    return e.exit_code;
  }
  return exit_code;
}

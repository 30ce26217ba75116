// `mra enclave keygen | sign | measure`: simulated enclave identities (the
// signed BINARY.sigstruct sidecar, see mra/attest/sigstruct.h).
#include <cstdio>
#include <filesystem>
#include <memory>

#include "nlohmann/json.hpp"
#include "tools/mra/command.h"

#include "mra/attest/key_files.h"
#include "mra/attest/sigstruct.h"
#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/strings.h"

namespace mra::cli {
namespace {

struct KeygenArgs {
  std::string out;
  bool force = false;
};

struct SignArgs {
  std::string binary;
  std::string key;
  std::string out;
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  bool debug = false;
};

struct MeasureArgs {
  std::string binary;
  std::string sigstruct;
  bool json = false;
};

// FailSigstruct maps sidecar verdicts to "refused" (exit 1).
[[noreturn]] void FailSigstruct(const absl::Status& s,
                                const std::string& context) {
  if (absl::IsUnauthenticated(s) || absl::IsPermissionDenied(s)) {
    throw CliError{kExitRefused, StrCat(context, ": ", ToStd(s.message()))};
  }
  Fail(s, context);
}

void RunKeygen(const KeygenArgs& args) {
  absl::StatusOr<crypto::PrivateKey> key = attest::GenerateEnclaveSignerKey();
  if (!key.ok()) {
    Fail(key.status(), "enclave keygen");
  }
  absl::Status s = attest::WritePrivateKeyFile(args.out, *key, args.force);
  if (absl::IsAlreadyExists(s)) {
    throw CliError{kExitUsage, StrCat(ToStd(s.message()), "; pass --force")};
  }
  if (!s.ok()) {
    Fail(s, "writing key");
  }
  absl::StatusOr<crypto::Sha256Digest> mr_signer =
      attest::MrSignerOf(key->public_key());
  if (!mr_signer.ok()) {
    Fail(mr_signer.status(), "enclave keygen");
  }
  std::printf(
      "enclave signer key: %s (RSA-3072, exponent 3; keep it secret)\n"
      "mr_signer = \"%s\"\n",
      args.out.c_str(), HexEncode(*mr_signer).c_str());
}

void RunSign(const SignArgs& args) {
  absl::StatusOr<crypto::PrivateKey> key = attest::LoadPrivateKeyFile(args.key);
  if (!key.ok()) {
    Fail(key.status(), args.key);
  }
  attest::EnclaveSignOptions opts;
  opts.isv_prod_id = args.isv_prod_id;
  opts.isv_svn = args.isv_svn;
  opts.debug = args.debug;
  absl::StatusOr<std::string> text =
      attest::SignSigstruct(args.binary, *key, opts);
  if (!text.ok()) {
    Fail(text.status(), "enclave sign");
  }
  std::string out =
      args.out.empty() ? attest::SigstructPathFor(args.binary) : args.out;
  absl::Status s = WriteFileAtomic(out, *text, 0644);
  if (!s.ok()) {
    Fail(s, "writing sigstruct");
  }
  absl::StatusOr<attest::SimSigstruct> id = attest::ParseSigstruct(*text);
  if (!id.ok()) {
    Fail(id.status(), "enclave sign");
  }
  std::fprintf(stderr,
               "signed %s -> %s (simulated identity, DEVELOPMENT ONLY)\n"
               "mr_enclave = \"%s\"\nmr_signer = \"%s\"\n",
               args.binary.c_str(), out.c_str(),
               HexEncode(id->mr_enclave).c_str(),
               HexEncode(id->mr_signer).c_str());
}

void RunMeasure(const MeasureArgs& args) {
  std::string sidecar = args.sigstruct.empty()
                            ? attest::SigstructPathFor(args.binary)
                            : args.sigstruct;
  absl::StatusOr<attest::SimSigstruct> id =
      attest::LoadVerifiedSigstruct(args.binary, sidecar);
  if (!id.ok()) {
    FailSigstruct(id.status(), "enclave measure");
  }
  if (args.json) {
    nlohmann::ordered_json j = {
        {"binary", args.binary},
        {"sigstruct", sidecar},
        {"simulated", true},
        {"mr_enclave", HexEncode(id->mr_enclave)},
        {"mr_signer", HexEncode(id->mr_signer)},
        {"isv_prod_id", id->isv_prod_id},
        {"isv_svn", id->isv_svn},
        {"debug", id->Debug()},
        {"attributes", HexEncode(id->attributes)},
        {"misc_select", id->misc_select},
    };
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  // A manifest table body (enclave_info.toml), ready to paste.
  std::printf(
      "# %s: simulated SGX identity (sidecar %s verified; DEVELOPMENT "
      "ONLY)\n"
      "mr_enclave = \"%s\"\n"
      "mr_signer = \"%s\"\n"
      "isv_prod_id = %u\n"
      "min_isv_svn = %u\n"
      "# debug = %s\n",
      args.binary.c_str(), sidecar.c_str(), HexEncode(id->mr_enclave).c_str(),
      HexEncode(id->mr_signer).c_str(), id->isv_prod_id, id->isv_svn,
      id->Debug() ? "true" : "false");
}

const CommandGroup kEnclave([](CLI::App& root, int* /*exit_code*/) {
  CLI::App* enclave = root.add_subcommand(
      "enclave",
      "Simulated enclave identities for the simulation mode (BINARY.sigstruct "
      "sidecars)");
  enclave->require_subcommand(1);

  auto keygen = std::make_shared<KeygenArgs>();
  CLI::App* keygen_cmd = enclave->add_subcommand(
      "keygen", "Generate an enclave signer key (RSA-3072, exponent 3, 0600)");
  keygen_cmd->add_option("--out", keygen->out, "Private key file")->required();
  keygen_cmd->add_flag("--force", keygen->force, "Overwrite an existing key");
  keygen_cmd->callback([keygen] { RunKeygen(*keygen); });

  auto sign = std::make_shared<SignArgs>();
  CLI::App* sign_cmd = enclave->add_subcommand(
      "sign",
      "Measure BINARY (MRENCLAVE = SHA-256 of the file) and write the signed "
      "sidecar BINARY.sigstruct");
  sign_cmd->add_option("binary", sign->binary, "Executable")->required();
  sign_cmd->add_option("--key", sign->key, "Signer private key (RSA)")
      ->required();
  sign_cmd->add_option("--isv-prod-id", sign->isv_prod_id, "ISVPRODID")
      ->capture_default_str();
  sign_cmd->add_option("--isv-svn", sign->isv_svn, "ISVSVN")
      ->capture_default_str();
  sign_cmd->add_flag("--debug", sign->debug, "Set ATTRIBUTES.DEBUG");
  sign_cmd->add_option("--out", sign->out,
                       "Sidecar path (default: BINARY.sigstruct)");
  sign_cmd->callback([sign] { RunSign(*sign); });

  auto measure = std::make_shared<MeasureArgs>();
  CLI::App* measure_cmd = enclave->add_subcommand(
      "measure",
      "Verify BINARY's sidecar and print MRENCLAVE / MRSIGNER (as manifest "
      "lines, or --json)");
  measure_cmd->add_option("binary", measure->binary, "Executable")->required();
  measure_cmd->add_option("--sigstruct", measure->sigstruct,
                          "Sidecar (default: BINARY.sigstruct)");
  measure_cmd->add_flag("--json", measure->json, "JSON output");
  measure_cmd->callback([measure] { RunMeasure(*measure); });
});

}  // namespace
}  // namespace mra::cli

// `mra auditor keygen`: create an auditor key pair.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "tools/mra/command.h"

#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/strings.h"
#include "mra/crypto/keys.h"
#include "mra/manifest/trust_anchors.h"

namespace mra::cli {
namespace {

struct KeygenArgs {
  std::string type = "ecdsa-p256";
  std::string name;
  std::string out_dir = ".";
  bool force = false;
};

void RunKeygen(const KeygenArgs& args) {
  crypto::KeyType type;
  int rsa_bits = 3072;
  if (args.type == "rsa-3072") {
    type = crypto::KeyType::kRsa;
  } else if (args.type == "rsa-4096") {
    type = crypto::KeyType::kRsa;
    rsa_bits = 4096;
  } else if (args.type == "ecdsa-p256") {
    type = crypto::KeyType::kEcdsaP256;
  } else if (args.type == "ecdsa-p384") {
    type = crypto::KeyType::kEcdsaP384;
  } else if (args.type == "ed25519") {
    type = crypto::KeyType::kEd25519;
  } else {
    throw CliError{kExitUsage, StrCat("--type '", args.type,
                                      "' is not one of "
                                      "rsa-3072, rsa-4096, ecdsa-p256, "
                                      "ecdsa-p384, ed25519")};
  }
  std::string priv_path = args.out_dir + "/" + args.name + ".private.pem";
  std::string pub_path = args.out_dir + "/" + args.name + ".public.pem";
  if (!args.force && (std::filesystem::exists(priv_path) ||
                      std::filesystem::exists(pub_path))) {
    throw CliError{kExitUsage, StrCat(priv_path, " or ", pub_path,
                                      " exists; pass --force to replace")};
  }
  absl::StatusOr<crypto::PrivateKey> key =
      crypto::PrivateKey::Generate(type, rsa_bits);
  if (!key.ok()) {
    Fail(key.status(), "keygen");
  }
  absl::StatusOr<SecretBytes> pem = key->ToPkcs8Pem();
  if (!pem.ok()) {
    Fail(pem.status(), "keygen");
  }
  absl::Status s =
      WriteFileAtomic(priv_path, pem->UnsafeView(SecretAccess::Get()), 0600);
  if (!s.ok()) {
    Fail(s, "writing private key");
  }
  s = WriteFileAtomic(pub_path, key->public_key().ToPem(), 0644);
  if (!s.ok()) {
    Fail(s, "writing public key");
  }
  std::printf(
      "private key: %s (keep it secret)\npublic key:  %s\n"
      "type: %s\nfingerprint (sha256 of SPKI): %s\n",
      priv_path.c_str(), pub_path.c_str(), args.type.c_str(),
      HexEncode(key->public_key().Fingerprint()).c_str());
}

void RunList() {
  absl::StatusOr<manifest::TrustAnchors> anchors =
      manifest::CompiledTrustAnchors();
  if (!anchors.ok()) {
    Fail(anchors.status(), "compiled-in trust anchors");
  }
  std::printf("compiled-in auditors: %zu, threshold: %zu distinct signatures\n",
              anchors->auditors().size(), anchors->threshold());
  for (const manifest::Auditor& a : anchors->auditors()) {
    std::printf("  %-20s %-11s sha256(spki) %s\n", a.name.c_str(),
                crypto::KeyTypeName(a.key.type(), a.key.bits()).c_str(),
                HexEncode(a.key.Fingerprint()).c_str());
  }
}

const CommandGroup kAuditor([](CLI::App& root, int* /*exit_code*/) {
  CLI::App* auditor = root.add_subcommand("auditor", "Auditor key management");
  auditor->require_subcommand(1);
  auto args = std::make_shared<KeygenArgs>();
  CLI::App* keygen = auditor->add_subcommand(
      "keygen",
      "Generate an auditor key pair (NAME.private.pem, NAME.public.pem)");
  keygen
      ->add_option("--type", args->type,
                   "rsa-3072 | rsa-4096 | ecdsa-p256 | ecdsa-p384 | ed25519")
      ->capture_default_str();
  keygen->add_option("--name", args->name, "Auditor name (file prefix)")
      ->required();
  keygen->add_option("--out-dir", args->out_dir, "Output directory")
      ->capture_default_str();
  keygen->add_flag("--force", args->force, "Overwrite existing files");
  keygen->callback([args] { RunKeygen(*args); });
  auditor->add_subcommand("list", "Show the auditors compiled into this binary")
      ->callback(RunList);
});

}  // namespace
}  // namespace mra::cli

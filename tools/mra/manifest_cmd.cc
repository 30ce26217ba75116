// `mra manifest sign | verify | show`.
#include <cstdio>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tools/mra/command.h"

#include "mra/base/clock.h"
#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/crypto/signature.h"
#include "mra/manifest/verifier.h"

namespace mra::cli {
namespace {

constexpr size_t kMaxKeyFileLen = 64 * 1024;

struct SignArgs {
  std::string manifest;
  std::string key;
  std::string out;
};

struct VerifyArgs {
  std::string manifest;
  std::vector<std::string> sigs;
  std::vector<std::string> auditor_keys;
  size_t threshold = 0;
  std::string deployment;
  std::string state;
  std::string now;
  bool require_version = false;
  bool require_expires = false;
  bool json = false;
};

struct ShowArgs {
  std::string manifest;
  bool json = false;
};

void RunSign(const SignArgs& args) {
  std::string text = ReadFileOrFail(args.manifest, manifest::kMaxManifestLen);
  std::string pem = ReadFileOrFail(args.key, kMaxKeyFileLen);
  absl::StatusOr<crypto::PrivateKey> key = crypto::PrivateKey::ParsePem(pem);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!key.ok()) {
    Fail(key.status(), args.key);
  }
  absl::StatusOr<std::vector<uint8_t>> sig =
      crypto::SignDetached(*key, crypto::AsBytes(text));
  if (!sig.ok()) {
    Fail(sig.status(), "signing");
  }
  std::string out = args.out.empty() ? args.manifest + ".sig" : args.out;
  absl::Status s =
      WriteFileAtomic(out, std::string(sig->begin(), sig->end()), 0644);
  if (!s.ok()) {
    Fail(s, "writing signature");
  }
  std::fprintf(
      stderr, "signed %s (sha256 %s) with %s key %s -> %s\n",
      args.manifest.c_str(),
      HexEncode(crypto::Sha256(crypto::AsBytes(text))).c_str(),
      crypto::KeyTypeName(key->type(), key->public_key().bits()).c_str(),
      HexEncode(key->public_key().Fingerprint()).substr(0, 16).c_str(),
      out.c_str());
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
                                    "' is neither RFC 3339 nor unix seconds")};
}

manifest::TrustAnchors LoadAnchors(const VerifyArgs& args) {
  absl::StatusOr<manifest::TrustAnchors> anchors;
  if (args.auditor_keys.empty()) {
    if (args.threshold != 0) {
      throw CliError{kExitUsage,
                     "--threshold only applies with --auditor-key; the "
                     "compiled-in threshold is fixed at build time"};
    }
    anchors = manifest::CompiledTrustAnchors();
  } else {
    std::vector<manifest::Auditor> auditors;
    for (const std::string& path : args.auditor_keys) {
      absl::StatusOr<crypto::PublicKey> key =
          crypto::PublicKey::ParsePem(ReadFileOrFail(path, kMaxKeyFileLen));
      if (!key.ok()) {
        Fail(key.status(), path);
      }
      auditors.push_back(manifest::Auditor{path, *std::move(key)});
    }
    anchors =
        manifest::TrustAnchors::Create(std::move(auditors), args.threshold);
  }
  if (!anchors.ok()) {
    Fail(anchors.status(), "trust anchors");
  }
  return *std::move(anchors);
}

int RunVerify(const VerifyArgs& args) {
  manifest::TrustAnchors anchors = LoadAnchors(args);
  std::string text = ReadFileOrFail(args.manifest, manifest::kMaxManifestLen);
  std::vector<manifest::DetachedSignature> sigs;
  for (const std::string& path : args.sigs) {
    std::string bytes = ReadFileOrFail(path, crypto::kMaxSignatureLen);
    sigs.push_back({path, std::vector<uint8_t>(bytes.begin(), bytes.end())});
  }
  FixedClock clock(ParseNow(args.now));
  std::optional<manifest::RollbackStateFile> state;
  if (!args.state.empty()) {
    state.emplace(args.state);
  }
  manifest::VerifyOptions opts;
  opts.expected_deployment = args.deployment;
  opts.clock = &clock;
  opts.state = state.has_value() ? &*state : nullptr;
  opts.require_version = args.require_version;
  opts.require_expires = args.require_expires;
  absl::StatusOr<manifest::VerifiedManifest> result =
      manifest::VerifyManifest(text, sigs, anchors, opts);

  std::vector<manifest::SignatureVerdict> verdicts;
  std::vector<std::string> signers =
      manifest::CountSignatures(text, sigs, anchors, &verdicts);
  if (args.json) {
    nlohmann::ordered_json j;
    j["ok"] = result.ok();
    std::optional<VerifyFailure> f = GetVerifyFailure(result.status());
    j["failure"] =
        f.has_value()
            ? nlohmann::ordered_json(std::string(VerifyFailureName(*f)))
            : nlohmann::ordered_json(nullptr);
    j["message"] =
        result.ok() ? "" : std::string(ToStd(result.status().message()));
    j["threshold"] = anchors.threshold();
    j["auditors"] = anchors.auditors().size();
    j["signers"] = signers;
    nlohmann::ordered_json sj = nlohmann::ordered_json::array();
    for (const auto& v : verdicts) {
      sj.push_back({{"file", v.label},
                    {"counted", v.counted},
                    {"auditor", v.auditor},
                    {"note", v.note}});
    }
    j["signatures"] = sj;
    j["sha256"] = HexEncode(crypto::Sha256(crypto::AsBytes(text)));
    if (result.ok()) {
      j["manifest"] = nlohmann::ordered_json::parse(
          manifest::ManifestToJson(result->manifest));
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    for (const auto& v : verdicts) {
      std::fprintf(stderr, "  signature %s: %s\n", v.label.c_str(),
                   v.counted
                       ? StrCat("counted for auditor '", v.auditor, "'").c_str()
                       : v.note.c_str());
    }
    if (result.ok()) {
      std::printf(
          "OK: manifest %s verified: %zu of %zu auditors signed (%s), "
          "threshold %zu; version %s, %zu service(s)\n",
          args.manifest.c_str(), signers.size(), anchors.auditors().size(),
          fmt::format("{}", fmt::join(signers, ", ")).c_str(),
          anchors.threshold(),
          result->manifest.version.has_value()
              ? std::to_string(*result->manifest.version).c_str()
              : "(none)",
          result->manifest.services.size());
    } else {
      std::fprintf(stderr, "REFUSED: %s\n",
                   std::string(ToStd(result.status().message())).c_str());
    }
  }
  return ExitCodeFor(result.status());
}

int RunShow(const ShowArgs& args) {
  std::string text = ReadFileOrFail(args.manifest, manifest::kMaxManifestLen);
  absl::StatusOr<manifest::Manifest> m = manifest::ParseManifest(text);
  if (!m.ok()) {
    Fail(m.status(), args.manifest);
  }
  if (args.json) {
    std::printf("%s\n", manifest::ManifestToJson(*m).c_str());
    return kExitOk;
  }
  std::printf("manifest %s (UNVERIFIED: use 'mra manifest verify')\n",
              args.manifest.c_str());
  std::printf("  version:    %s\n  expires:    %s\n  deployment: %s\n",
              m->version ? std::to_string(*m->version).c_str() : "(none)",
              m->expires ? FormatRfc3339Utc(*m->expires).c_str() : "(never)",
              m->deployment ? m->deployment->c_str() : "(any)");
  for (const auto& s : m->services) {
    std::printf("  [%s]\n    mr_enclave %s\n    mr_signer  %s\n",
                s.name.c_str(), HexEncode(s.mr_enclave).c_str(),
                HexEncode(s.mr_signer).c_str());
    for (const auto& a : s.additional_mr_enclaves) {
      std::printf("    also       %s\n", HexEncode(a).c_str());
    }
    if (s.isv_prod_id) {
      std::printf("    isv_prod_id %u\n", *s.isv_prod_id);
    }
    if (s.min_isv_svn) {
      std::printf("    min_isv_svn %u\n", *s.min_isv_svn);
    }
  }
  return kExitOk;
}

const CommandGroup kManifest([](CLI::App& root, int* exit_code) {
  CLI::App* cmd = root.add_subcommand("manifest", "Enclave identity manifests");
  cmd->require_subcommand(1);

  auto sign = std::make_shared<SignArgs>();
  CLI::App* s = cmd->add_subcommand(
      "sign", "Write a detached signature over the exact manifest bytes");
  s->add_option("manifest", sign->manifest, "Manifest file")->required();
  s->add_option("--key", sign->key, "Auditor private key PEM")->required();
  s->add_option("--out", sign->out, "Signature file (default MANIFEST.sig)");
  s->callback([sign] { RunSign(*sign); });

  auto verify = std::make_shared<VerifyArgs>();
  CLI::App* v = cmd->add_subcommand(
      "verify", "Verify signatures (k of n distinct auditors) and policy");
  v->add_option("manifest", verify->manifest, "Manifest file")->required();
  v->add_option("--sig", verify->sigs, "Detached signature file (repeatable)");
  v->add_option("--auditor-key", verify->auditor_keys,
                "Use these auditor public keys instead of the compiled-in ones "
                "(repeatable)");
  v->add_option("--threshold", verify->threshold,
                "With --auditor-key: distinct signatures required (0 = all)");
  v->add_option("--deployment", verify->deployment,
                "Require this deployment name");
  v->add_option("--state", verify->state,
                "Rollback state file (created/advanced on success)");
  v->add_option("--now", verify->now,
                "Time to check against (RFC 3339 or unix seconds)");
  v->add_flag("--require-version", verify->require_version);
  v->add_flag("--require-expires", verify->require_expires);
  v->add_flag("--json", verify->json, "Machine-readable result on stdout");
  v->callback([verify, exit_code] { *exit_code = RunVerify(*verify); });

  auto show = std::make_shared<ShowArgs>();
  CLI::App* sh = cmd->add_subcommand(
      "show", "Parse and print a manifest (no verification)");
  sh->add_option("manifest", show->manifest, "Manifest file")->required();
  sh->add_flag("--json", show->json, "JSON output");
  sh->callback([show, exit_code] { *exit_code = RunShow(*show); });
});

}  // namespace
}  // namespace mra::cli

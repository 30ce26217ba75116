// Writes the generated seed corpora of the fuzz targets added with the
// attack suite (fuzz/corpus/<target>/), from the attack world's simulated
// platform, enclave sidecars and auditor-signed manifest. Nothing here comes
// from ../shared (real data is passed to the fuzzers as read-only SEEDS).
// Disabled: run it by hand after changing a format, then commit the corpus:
//   attack_dcap_test --gtest_also_run_disabled_tests
//       --gtest_filter='FuzzSeeds.*'

#include <cctype>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/attacks/attack_world.h"

#include "mra/attest/sim.h"
#include "mra/attest/sim_dir.h"
#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/crypto/keys.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::attacks {
namespace {

using ::mra::testing::IsOk;

std::string Corpus(const std::string& target) {
  const std::string dir =
      ::mra::testing::SourceDir() + "/fuzz/corpus/" + target;
  std::filesystem::create_directories(dir);
  return dir;
}

void Put(const std::string& target, const std::string& name,
         std::string_view bytes) {
  ASSERT_THAT(WriteFileAtomic(Corpus(target) + "/" + name, bytes), IsOk());
}

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> s = ReadFileBounded(path, 8 << 20);
  EXPECT_THAT(s, IsOk()) << path;
  return s.ok() ? *s : "";
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~' ||
        c == '+' || c == '/' || c == '=') {
      out.push_back(c);
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string Bytes(const std::vector<uint8_t>& v) {
  return std::string(v.begin(), v.end());
}

TEST(FuzzSeeds, DISABLED_Write) {
  absl::StatusOr<const AttackWorld*> world_or = AttackWorld::Get();
  ASSERT_THAT(world_or, IsOk());
  const AttackWorld& w = **world_or;
  const std::string sim = w.sim_dir;
  const std::string bundle =
      Read(attest::SimFilePath(sim, attest::kSimCollateralFile));
  nlohmann::json b = nlohmann::json::parse(bundle);
  const std::string chain = b["tcb_info_issuer_chain"].get<std::string>();
  const std::string crl_chain = b["pck_crl_issuer_chain"].get<std::string>();
  const std::string tcb = b["tcb_info"].get<std::string>();
  const std::string qe = b["qe_identity"].get<std::string>();
  absl::StatusOr<std::vector<uint8_t>> pck_crl =
      HexDecode(b["pck_crl"].get<std::string>());
  ASSERT_THAT(pck_crl, IsOk());

  // --- pcs_response
  // -----------------------------------------------------------
  const std::string sig(128, 'a');
  Put("pcs_response", "tcb_info.txt",
      "HTTP 200\nContent-Type: application/json\nTCB-Info-Issuer-Chain: " +
          PercentEncode(chain) + "\n\n{\"tcbInfo\":" + tcb +
          ",\"signature\":\"" + sig + "\"}");
  Put("pcs_response", "qe_identity.txt",
      "HTTP 200\ncontent-type: application/json; charset=utf-8\n"
      "SGX-Enclave-Identity-Issuer-Chain: " +
          PercentEncode(chain) + "\n\n{ \"enclaveIdentity\" : " + qe +
          " , \"signature\" : \"" + sig + "\" }\n");
  Put("pcs_response", "pck_crl_der.txt",
      "HTTP 200\nContent-Type: application/pkix-crl\n"
      "SGX-PCK-CRL-Issuer-Chain: " +
          PercentEncode(crl_chain) + "\n\n" + Bytes(*pck_crl));
  Put("pcs_response", "root_crl_hex.txt",
      "HTTP 200\nContent-Type: text/html; charset=utf-8\n\n" +
          b["root_ca_crl"].get<std::string>());
  Put("pcs_response", "not_found.txt",
      "HTTP 404\nError-Code: NotFound\nError-Message: FMSPC not found\n\n");
  Put("pcs_response", "duplicate_header.txt",
      "HTTP 200\nContent-Type: application/json\nTCB-Info-Issuer-Chain: a\n"
      "TCB-Info-Issuer-Chain: b\n\n{\"tcbInfo\":{},\"signature\":\"" +
          sig + "\"}");
  Put("pcs_response", "bad_escape.txt",
      "HTTP 200\nContent-Type: application/json\nTCB-Info-Issuer-Chain: "
      "%4\n\n{\"tcbInfo\":{\"a\":[1,2,{\"b\":\"\\\"}\"}]},\"signature\":\"" +
          sig + "\"}");
  Put("pcs_response", "body_only.json",
      "{\"tcbInfo\":{\"id\":\"SGX\"},\"signature\":\"" + sig + "\"}");

  // --- sigstruct
  // ----------------------------------------------------------------
  Put("sigstruct", "frontend.sigstruct", Read(w.frontend.sigstruct));
  Put("sigstruct", "debug.sigstruct", Read(w.frontend_debug.sigstruct));
  std::string tampered = Read(w.storage.sigstruct);
  tampered[tampered.find("\"isv_svn\": ") + 11] = '7';
  Put("sigstruct", "tampered.sigstruct", tampered);

  // --- rollback_state
  // -------------------------------------------------------------
  Put("rollback_state", "state.json", Read(w.dir + "/rollback-state.json"));
  Put("rollback_state", "wrong_types.json",
      "{\"format\":1,\"highest_version\":\"7\",\"manifest_sha256\":1,"
      "\"deployment\":null}");
  Put("rollback_state", "unknown_key.json",
      "{\"format\":1,\"highest_version\":3,\"manifest_sha256\":\"" +
          std::string(64, 'a') + "\",\"deployment\":\"x\",\"extra\":0}");

  // --- byte_reader
  // ------------------------------------------------------------------
  Put("byte_reader", "ops.bin",
      std::string("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x10\x20\x30", 12));
  Put("byte_reader", "lengths.bin",
      std::string("\xff\x07\x10\x04\x02\x05\x01\x08\x40\x07\x03\x00", 12));

  absl::StatusOr<std::unique_ptr<attest::SimAttester>> attester =
      w.Attester(w.frontend);
  ASSERT_THAT(attester, IsOk());
  x509::ReportData rd{};
  absl::StatusOr<std::vector<uint8_t>> quote = (*attester)->Quote(rd);
  ASSERT_THAT(quote, IsOk());

  // --- hex
  // ------------------------------------------------------------------------------
  const std::string quote_hex = HexEncode(*quote);
  Put("hex", "quote.hex", "0x" + quote_hex.substr(0, 200) + "\n");
  Put("hex", "spaced.hex", "  0X ab CD\tef\n01\r\n");
  Put("hex", "odd.hex", "abc");
  Put("hex", "bad.hex", "0xzz");

  // --- deployment_config
  // -------------------------------------------------------------
  Put("deployment_config", "example.toml",
      Read(::mra::testing::SourceDir() + "/config/deployment.example.toml"));
  Put("deployment_config", "small.toml",
      "deployment = \"prod\"\n[services.storage]\nlisten = "
      "\"127.0.0.1:9000\"\n[policy]\naccepted_tcb_statuses = [\"UpToDate\", "
      "\"SWHardeningNeeded\"]\n");

  // --- sim_metadata
  // ------------------------------------------------------------------------
  Put("sim_metadata", "sim.json",
      Read(attest::SimFilePath(sim, attest::kSimMetadataFile)));

  // --- manifest_signatures
  // -------------------------------------------------------------------
  const std::string sep = "\n--mra-fuzz-signature--\n";
  std::string signed_manifest = w.manifest_toml;
  for (const manifest::DetachedSignature& s : w.manifest_signatures) {
    signed_manifest += sep + Bytes(s.bytes);
  }
  Put("manifest_signatures", "signed_by_three.bin", signed_manifest);
  Put("manifest_signatures", "signed_by_one_twice.bin",
      w.manifest_toml + sep + Bytes(w.manifest_signatures[1].bytes) + sep +
          Bytes(w.manifest_signatures[1].bytes));
  Put("manifest_signatures", "junk_der.bin",
      w.manifest_toml + sep +
          std::string("\x30\x06\x02\x01\x01\x02\x01\x01", 8));

  // --- crypto_keys
  // -------------------------------------------------------------------------------
  for (auto [type, name] : {std::pair{crypto::KeyType::kEcdsaP384, "p384"},
                            std::pair{crypto::KeyType::kEd25519, "ed25519"}}) {
    absl::StatusOr<crypto::PrivateKey> k = crypto::PrivateKey::Generate(type);
    ASSERT_THAT(k, IsOk());
    Put("crypto_keys", std::string(name) + ".public.pem",
        k->public_key().ToPem());
    Put("crypto_keys", std::string(name) + ".spki.der",
        Bytes(k->public_key().SpkiDer()));
  }
  Put("crypto_keys", "truncated.pem",
      "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
      "-----END PUBLIC KEY-----\n");

  // --- collateral_cache
  // -------------------------------------------------------------------------
  nlohmann::ordered_json entry;
  entry["format"] = "mra-collateral-cache-v1";
  entry["tee"] = "sgx";
  entry["fmspc"] = "00906ed50000";
  entry["ca"] = "processor";
  entry["fetched_at"] = "2025-06-20T00:00:00Z";
  entry["bundle"] = bundle;
  Put("collateral_cache", "sim_entry.json", entry.dump());
  Put("collateral_cache", "upstream_only.bin",
      "\n--mra-fuzz-upstream--\n" + bundle);
}

}  // namespace
}  // namespace mra::attacks

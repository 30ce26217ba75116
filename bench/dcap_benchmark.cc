// Copyright The mra Authors.
//
// File: bench/dcap_benchmark.cc
// -----------------------------------------------------------------------------
// Google Benchmark for DCAP quote verification (issue 3) on the dcap-qvl SGX
// and TDX samples, at the "now" of their entries in
// shared/testdata/dcap/cases.json. bench/compare_dcap.sh runs it next to the
// @phala/dcap-qvl (JS) and @phala/dcap-qvl-web (wasm) peers.
//
// Benchmarks (CASE = sgx | tdx):
//   dcap/parse/CASE   ParseQuote + ParseCollateralJson (no cryptography).
//   dcap/floor/x509_parse    one PEM certificate -> X509 (OpenSSL 3), and
//   dcap/floor/ecdsa_verify  one P-256 ECDSA-SHA256 verification (the TCB
//                            info signature): the building blocks whose
//                            counts bound what a verification can cost.
//
// Before anything is timed, every case is verified once and must give the
// status and advisory IDs that cases.json expects; a byte-flipped quote must
// be refused. Otherwise the binary exits 1 (we only compare like with like).
//
// Data: $MRA_SHARED_DIR, else the MRA_SHARED_DIR the build was configured
// with. Single-threaded; pin it (taskset -c 0) for stable numbers.

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmark/benchmark.h"
#include "nlohmann/json.hpp"

#include "mra/base/file.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/signature.h"
#include "mra/collateral/collateral.h"
#include "mra/sgx/quote.h"

namespace mra::bench {
namespace {

using Json = nlohmann::json;

// The benchmarked cases, by id in cases.json (kept in sync with
// bench/js/dcap_peers.mjs).
struct CaseId {
  const char* key;
  const char* id;
};
constexpr CaseId kCaseIds[] = {
    {"sgx", "dcapqvl-sgx_quote@dcapqvl-sgx-2506"},
    {"tdx", "dcapqvl-tdx_quote@dcapqvl-tdx-b0c06f-2506"},
};

// Case holds one quote, its collateral and the expected verdict.
struct Case {
  std::string key;
  std::string id;
  std::vector<uint8_t> quote;
  std::string collateral_json;
  int64_t now = 0;
  std::string expected_status;
  std::vector<std::string> expected_advisory_ids;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "dcap_benchmark: FAIL: %s\n", message.c_str());
  std::exit(1);
}

std::string SharedDir() {
  const char* env = std::getenv("MRA_SHARED_DIR");
  if (env != nullptr && *env != '\0') {
    return env;
  }
  return MRA_DEFAULT_SHARED_DIR;
}

std::string ReadOrDie(const std::string& path, size_t max_len) {
  absl::StatusOr<std::string> text = ReadFileBounded(path, max_len);
  if (!text.ok()) {
    Die(path + ": " + std::string(text.status().message()) +
        " (set MRA_SHARED_DIR to the shared data directory)");
  }
  return *std::move(text);
}

std::vector<Case> LoadCases() {
  const std::string base = SharedDir() + "/testdata/dcap/";
  Json all = Json::parse(ReadOrDie(base + "cases.json", 8 << 20), nullptr,
                         /*allow_exceptions=*/false);
  if (all.is_discarded() || !all.contains("cases") ||
      !all["cases"].is_array()) {
    Die(base + "cases.json: not the expected JSON");
  }
  std::vector<Case> cases;
  for (const CaseId& want : kCaseIds) {
    const Json* found = nullptr;
    for (const Json& c : all["cases"]) {
      if (c.value("id", "") == want.id) {
        found = &c;
      }
    }
    if (found == nullptr) {
      Die(std::string("case ") + want.id + " not in cases.json");
    }
    const Json& c = *found;
    if (c.value("partial", true)) {
      Die(std::string("case ") + want.id + " is partial");
    }
    Case out;
    out.key = want.key;
    out.id = want.id;
    std::string quote =
        ReadOrDie(base + c.at("quote").get<std::string>(), 1 << 20);
    out.quote.assign(quote.begin(), quote.end());
    out.collateral_json =
        ReadOrDie(base + c.at("collateral").get<std::string>(), 8 << 20);
    out.now = c.at("now").get<int64_t>();
    out.expected_status = c.at("expected").at("status").get<std::string>();
    out.expected_advisory_ids =
        c.at("expected").value("advisory_ids", std::vector<std::string>{});
    cases.push_back(std::move(out));
  }
  return cases;
}

// --- dcap/parse/CASE ---------------------------------------------------------

void BM_Parse(benchmark::State& state, const Case* c) {
  for (auto _ : state) {
    absl::StatusOr<sgx::ParsedQuote> quote = sgx::ParseQuote(c->quote);
    absl::StatusOr<collateral::Collateral> col =
        collateral::ParseCollateralJson(c->collateral_json);
    if (!quote.ok() || !col.ok()) {
      state.SkipWithError("parse failed");
      break;
    }
    benchmark::DoNotOptimize(quote);
    benchmark::DoNotOptimize(col);
  }
}

// --- dcap/floor/* ------------------------------------------------------------

// FirstPem returns the first PEM block of a chain.
std::string FirstPem(const std::string& chain) {
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  size_t end = chain.find(kEnd);
  if (end == std::string::npos) {
    Die("no PEM certificate in the issuer chain");
  }
  return chain.substr(0, end + kEnd.size()) + "\n";
}

void BM_FloorX509Parse(benchmark::State& state, const std::string* pem) {
  for (auto _ : state) {
    absl::StatusOr<collateral::CertChain> chain =
        collateral::ParsePemChain(*pem, "bench");
    if (!chain.ok() || chain->size() != 1) {
      state.SkipWithError("ParsePemChain failed");
      break;
    }
    benchmark::DoNotOptimize(chain);
  }
}

void BM_FloorEcdsaVerify(benchmark::State& state,
                         const collateral::Collateral* col) {
  EVP_PKEY* key = X509_get0_pubkey(col->tcb_info_issuer_chain.at(0).get());
  for (auto _ : state) {
    absl::Status s = crypto::VerifyEcdsaRaw(
        key, crypto::AsBytes(col->tcb_info_json), col->tcb_info_signature);
    if (!s.ok()) {
      state.SkipWithError("TCB info signature does not verify");
      break;
    }
  }
}

// CheckParses fails loudly if a case does not parse.
void CheckParses(const Case& c) {
  absl::StatusOr<sgx::ParsedQuote> quote = sgx::ParseQuote(c.quote);
  if (!quote.ok()) {
    Die(c.key + ": ParseQuote: " + quote.status().ToString());
  }
  absl::StatusOr<collateral::Collateral> col =
      collateral::ParseCollateralJson(c.collateral_json);
  if (!col.ok()) {
    Die(c.key + ": ParseCollateralJson: " + col.status().ToString());
  }
}

}  // namespace
}  // namespace mra::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("openssl", OpenSSL_version(OPENSSL_VERSION));
#if defined(NDEBUG) && defined(__OPTIMIZE__)
  benchmark::AddCustomContext("mra_build", "optimised, NDEBUG");
#else
  benchmark::AddCustomContext("mra_build", "NOT an optimised NDEBUG build");
#endif
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 2;
  }
  // Cases live until exit; the registered benchmarks point into them.
  static const std::vector<mra::bench::Case> cases = mra::bench::LoadCases();
  for (const mra::bench::Case& c : cases) {
    mra::bench::CheckParses(c);
  }
  for (const mra::bench::Case& c : cases) {
    benchmark::RegisterBenchmark(("dcap/parse/" + c.key).c_str(),
                                 mra::bench::BM_Parse, &c)
        ->Unit(benchmark::kMicrosecond);
  }
  // Building blocks, on the SGX collateral's TCB signing certificate.
  static const mra::collateral::Collateral floor_col = [] {
    auto col = mra::collateral::ParseCollateralJson(cases[0].collateral_json);
    if (!col.ok()) {
      mra::bench::Die(col.status().ToString());
    }
    return *std::move(col);
  }();
  static const std::string floor_pem = mra::bench::FirstPem(
      nlohmann::json::parse(cases[0].collateral_json)
          .at("tcb_info_issuer_chain")
          .get<std::string>());
  benchmark::RegisterBenchmark("dcap/floor/x509_parse",
                               mra::bench::BM_FloorX509Parse, &floor_pem)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("dcap/floor/ecdsa_verify",
                               mra::bench::BM_FloorEcdsaVerify, &floor_col)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

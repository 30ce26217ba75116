// Copyright The mra Authors.
//
// File: bench/dcap_benchmark.cc
// -----------------------------------------------------------------------------
// Google Benchmark for DCAP quote verification (issue 3) on the dcap-qvl SGX
// and TDX samples, at the "now" of their entries in
// shared/testdata/dcap/cases.json. bench/compare_dcap.sh runs it next to the
// @phala/dcap-qvl (JS) and @phala/dcap-qvl-web (wasm) peers.
//
// Benchmarks (CASE = sgx | tdx), each starting from the bytes a service
// receives (quote bytes; collateral JSON text unless said otherwise):
//   dcap/parse/CASE       ParseQuote + ParseCollateralJson (no cryptography).
//   dcap/cold/CASE        ParseQuote + ParseCollateralJson + VerifyCollateral
//                         + VerifyQuote: nothing cached (what the peers do on
//                         every call).
//   dcap/cached/CASE      ParseQuote + QuoteVerifier::Verify with the
//                         collateral already parsed and its verification in
//                         the QuoteVerifier's cache (hit: CollateralDigest +
//                         validity windows + steps B-J).
//   dcap/quote_only/CASE  ParseQuote + VerifyQuote against a VerifiedCollateral
//                         held by the caller (the cached path without the
//                         cache lookup).
//   dcap/collateral/CASE  ParseCollateralJson + VerifyCollateral (step A).
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

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "nlohmann/json.hpp"
#include <openssl/x509.h>

#include "mra/base/file.h"
#include "mra/base/verify_failure.h"
#include "mra/collateral/collateral.h"
#include "mra/crypto/certificate.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/signature.h"
#include "mra/sgx/quote.h"
#include "mra/sgx/verify.h"

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

  absl::Time Now() const { return absl::FromUnixSeconds(now); }
  // Tampered returns the quote with one REPORTDATA bit flipped (signed
  // bytes: SGX v3 body at 48 + 320, TDX v4 body at 48 + 520).
  std::vector<uint8_t> Tampered() const {
    std::vector<uint8_t> bad = quote;
    bad.at(key == "sgx" ? 368 : 568) ^= 1;
    return bad;
  }
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

// --- verdict checks (before anything is timed) ------------------------------

template <typename T>
T OrDie(absl::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) {
    Die(what + ": " + v.status().ToString());
  }
  return *std::move(v);
}

void CheckResult(const Case& c, const std::string& path,
                 const sgx::VerificationResult& r) {
  std::string status(collateral::TcbStatusName(r.status));
  if (status != c.expected_status) {
    Die(c.key + " (" + path + "): status " + status + ", cases.json expects " +
        c.expected_status);
  }
  std::vector<std::string> got = r.advisory_ids;
  std::vector<std::string> want = c.expected_advisory_ids;
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  if (got != want) {
    Die(c.key + " (" + path + "): advisory IDs differ from cases.json");
  }
}

void CheckTamperedFails(const Case& c, const std::string& path,
                        const absl::Status& s) {
  std::optional<VerifyFailure> f = GetVerifyFailure(s);
  if (s.ok() || !f.has_value() || *f != VerifyFailure::kQuoteSignatureInvalid) {
    Die(c.key + " (" + path + "): a quote with a flipped REPORTDATA bit gave " +
        s.ToString() + ", expected QUOTE_SIGNATURE_INVALID");
  }
}

// CheckCase verifies `c` through every timed path and fails loudly unless
// each gives the verdict cases.json expects and refuses a tampered quote.
void CheckCase(const Case& c) {
  sgx::ParsedQuote quote =
      OrDie(sgx::ParseQuote(c.quote), c.key + " ParseQuote");
  sgx::ParsedQuote bad =
      OrDie(sgx::ParseQuote(c.Tampered()), c.key + " ParseQuote(tampered)");
  collateral::Collateral col =
      OrDie(collateral::ParseCollateralJson(c.collateral_json),
            c.key + " collateral");
  std::shared_ptr<const sgx::VerifiedCollateral> vc = OrDie(
      sgx::VerifyCollateral(col, {}, c.Now()), c.key + " VerifyCollateral");
  CheckResult(
      c, "cold",
      OrDie(sgx::VerifyQuote(quote, *vc, c.Now()), c.key + " VerifyQuote"));
  CheckTamperedFails(c, "cold", sgx::VerifyQuote(bad, *vc, c.Now()).status());

  sgx::QuoteVerifier verifier;
  for (int i = 0; i < 2; ++i) {  // A miss, then a hit.
    CheckResult(c, "cached",
                OrDie(verifier.Verify(quote, col, c.Now()),
                      c.key + " QuoteVerifier::Verify"));
  }
  CheckTamperedFails(c, "cached", verifier.Verify(bad, col, c.Now()).status());
  sgx::QuoteVerifier::CacheStats stats = verifier.cache_stats();
  if (stats.misses != 1 || stats.hits != 2 || stats.entries != 1) {
    Die(c.key + ": QuoteVerifier cache did not hit as expected");
  }
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

// --- dcap/cold/CASE ----------------------------------------------------------

void BM_Cold(benchmark::State& state, const Case* c) {
  const absl::Time now = c->Now();
  for (auto _ : state) {
    absl::StatusOr<sgx::ParsedQuote> quote = sgx::ParseQuote(c->quote);
    absl::StatusOr<collateral::Collateral> col =
        collateral::ParseCollateralJson(c->collateral_json);
    if (!quote.ok() || !col.ok()) {
      state.SkipWithError("parse failed");
      break;
    }
    absl::StatusOr<std::shared_ptr<const sgx::VerifiedCollateral>> vc =
        sgx::VerifyCollateral(*col, {}, now);
    if (!vc.ok()) {
      state.SkipWithError("VerifyCollateral failed");
      break;
    }
    absl::StatusOr<sgx::VerificationResult> r =
        sgx::VerifyQuote(*quote, **vc, now);
    if (!r.ok()) {
      state.SkipWithError("VerifyQuote failed");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
}

// --- dcap/cached/CASE --------------------------------------------------------

void BM_Cached(benchmark::State& state, const Case* c) {
  const absl::Time now = c->Now();
  collateral::Collateral col =
      OrDie(collateral::ParseCollateralJson(c->collateral_json), "collateral");
  sgx::QuoteVerifier verifier;
  if (!verifier.GetVerifiedCollateral(col, now).ok()) {  // Warm the cache.
    state.SkipWithError("GetVerifiedCollateral failed");
    return;
  }
  for (auto _ : state) {
    absl::StatusOr<sgx::ParsedQuote> quote = sgx::ParseQuote(c->quote);
    if (!quote.ok()) {
      state.SkipWithError("ParseQuote failed");
      break;
    }
    absl::StatusOr<sgx::VerificationResult> r =
        verifier.Verify(*quote, col, now);
    if (!r.ok()) {
      state.SkipWithError("QuoteVerifier::Verify failed");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  if (verifier.cache_stats().misses != 1) {
    state.SkipWithError("the collateral cache missed inside the loop");
  }
}

// --- dcap/quote_only/CASE ----------------------------------------------------

void BM_QuoteOnly(benchmark::State& state, const Case* c) {
  const absl::Time now = c->Now();
  collateral::Collateral col =
      OrDie(collateral::ParseCollateralJson(c->collateral_json), "collateral");
  std::shared_ptr<const sgx::VerifiedCollateral> vc =
      OrDie(sgx::VerifyCollateral(col, {}, now), "VerifyCollateral");
  for (auto _ : state) {
    absl::StatusOr<sgx::ParsedQuote> quote = sgx::ParseQuote(c->quote);
    if (!quote.ok()) {
      state.SkipWithError("ParseQuote failed");
      break;
    }
    absl::StatusOr<sgx::VerificationResult> r =
        sgx::VerifyQuote(*quote, *vc, now);
    if (!r.ok()) {
      state.SkipWithError("VerifyQuote failed");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
}

// --- dcap/collateral/CASE ----------------------------------------------------

void BM_Collateral(benchmark::State& state, const Case* c) {
  const absl::Time now = c->Now();
  for (auto _ : state) {
    absl::StatusOr<collateral::Collateral> col =
        collateral::ParseCollateralJson(c->collateral_json);
    if (!col.ok()) {
      state.SkipWithError("ParseCollateralJson failed");
      break;
    }
    absl::StatusOr<std::shared_ptr<const sgx::VerifiedCollateral>> vc =
        sgx::VerifyCollateral(*col, {}, now);
    if (!vc.ok()) {
      state.SkipWithError("VerifyCollateral failed");
      break;
    }
    benchmark::DoNotOptimize(vc);
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
  absl::StatusOr<crypto::EvpPkeyPtr> key =
      crypto::CertificatePublicKey(col->tcb_info_issuer_chain.at(0).get());
  if (!key.ok()) {
    state.SkipWithError("TCB signing key does not decode");
    return;
  }
  for (auto _ : state) {
    absl::Status s =
        crypto::VerifyEcdsaRaw(key->get(), crypto::AsBytes(col->tcb_info_json),
                               col->tcb_info_signature);
    if (!s.ok()) {
      state.SkipWithError("TCB info signature does not verify");
      break;
    }
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
    mra::bench::CheckCase(c);
  }
  using Fn = void (*)(benchmark::State&, const mra::bench::Case*);
  const std::pair<const char*, Fn> kinds[] = {
      {"parse", mra::bench::BM_Parse},
      {"cold", mra::bench::BM_Cold},
      {"cached", mra::bench::BM_Cached},
      {"quote_only", mra::bench::BM_QuoteOnly},
      {"collateral", mra::bench::BM_Collateral},
  };
  for (const auto& [kind, fn] : kinds) {
    for (const mra::bench::Case& c : cases) {
      benchmark::RegisterBenchmark(
          ("dcap/" + std::string(kind) + "/" + c.key).c_str(), fn, &c)
          ->Unit(benchmark::kMicrosecond);
    }
  }
  // Building blocks, on the SGX collateral's TCB signing certificate.
  static const mra::collateral::Collateral floor_col = [] {
    auto col = mra::collateral::ParseCollateralJson(cases[0].collateral_json);
    if (!col.ok()) {
      mra::bench::Die(col.status().ToString());
    }
    return *std::move(col);
  }();
  static const std::string floor_pem =
      mra::bench::FirstPem(nlohmann::json::parse(cases[0].collateral_json)
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

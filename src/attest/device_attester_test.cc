// GramineAttester and TsmAttester against temporary directories that imitate
// /dev/attestation and /sys/kernel/config/tsm/report, and MakeAttester.
#include <sys/stat.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "src/attest/attest_test_env.h"

#include "mra/attest/factory.h"
#include "mra/attest/gramine.h"
#include "mra/attest/sim.h"
#include "mra/attest/tsm.h"
#include "mra/base/file.h"
#include "mra/sgx/quote.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::attest {
namespace {

using ::mra::attest::testing::MakeSignedBinary;
using ::mra::attest::testing::SharedSimDir;
using ::mra::attest::testing::WriteFile;
using ::mra::testing::IsOk;
using ::mra::testing::MakeTempDir;
using ::mra::testing::SharedPath;
using ::mra::testing::StatusIs;

std::array<uint8_t, 64> ReportData(uint8_t seed) {
  std::array<uint8_t, 64> rd{};
  for (size_t i = 0; i < rd.size(); ++i) {
    rd[i] = static_cast<uint8_t>(size_t{seed} * 3 + i);
  }
  return rd;
}

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> s = ReadFileBounded(path, 1 << 22);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : std::string();
}

std::string AsString(const std::vector<uint8_t>& v) {
  return std::string(v.begin(), v.end());
}

// A real SGX quote (from the simulator) for `rd`.
std::vector<uint8_t> SimQuote(const std::array<uint8_t, 64>& rd) {
  static std::unique_ptr<SimAttester>* sim = [] {
    std::string binary = MakeSignedBinary(MakeTempDir(), "gramine-app", "app");
    SimAttesterOptions o;
    o.sim_dir = SharedSimDir();
    o.executable = binary;
    absl::StatusOr<std::unique_ptr<SimAttester>> a = SimAttester::Create(o);
    EXPECT_TRUE(a.ok()) << a.status();
    return new std::unique_ptr<SimAttester>(*std::move(a));
  }();
  absl::StatusOr<std::vector<uint8_t>> q = (*sim)->Quote(rd);
  EXPECT_TRUE(q.ok()) << q.status();
  return *q;
}

// --- Gramine ----------------------------------------------------------------

class GramineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = MakeTempDir();
    WriteFile(base_ + "/attestation_type", "dcap\n");
    WriteFile(base_ + "/user_report_data", "");
    WriteFile(base_ + "/quote", "");
  }
  GramineOptions Options() const {
    GramineOptions o;
    o.base_dir = base_;
    return o;
  }
  std::string base_;
};

TEST_F(GramineTest, WritesReportDataAndReturnsTheQuote) {
  std::array<uint8_t, 64> rd = ReportData(1);
  std::vector<uint8_t> quote = SimQuote(rd);
  // Gramine's file may carry zero padding; it is dropped.
  WriteFile(base_ + "/quote", AsString(quote) + std::string(70, '\0'));
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<GramineAttester> g,
                           GramineAttester::Create(Options()));
  EXPECT_EQ(g->Kind(), "gramine");
  MRA_ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> got, g->Quote(rd));
  EXPECT_EQ(got, quote);
  EXPECT_EQ(Read(base_ + "/user_report_data"),
            std::string(rd.begin(), rd.end()));
}

TEST_F(GramineTest, QuoteForOtherReportDataIsRefused) {
  WriteFile(base_ + "/quote", AsString(SimQuote(ReportData(2))));
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<GramineAttester> g,
                           GramineAttester::Create(Options()));
  absl::StatusOr<std::vector<uint8_t>> q = g->Quote(ReportData(3));
  EXPECT_THAT(q, StatusIs(absl::StatusCode::kInternal));
  EXPECT_NE(q.status().message().find("different report data"),
            std::string::npos);
}

TEST_F(GramineTest, GarbageQuoteIsRefused) {
  WriteFile(base_ + "/quote", "not a quote");
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<GramineAttester> g,
                           GramineAttester::Create(Options()));
  EXPECT_THAT(g->Quote(ReportData(4)), StatusIs(absl::StatusCode::kInternal));
}

TEST_F(GramineTest, WrongAttestationTypeIsRefused) {
  WriteFile(base_ + "/attestation_type", "epid");
  absl::StatusOr<std::unique_ptr<GramineAttester>> g =
      GramineAttester::Create(Options());
  EXPECT_THAT(g, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(g.status().message().find("'epid'"), std::string::npos);
  WriteFile(base_ + "/attestation_type", "none");
  EXPECT_THAT(GramineAttester::Create(Options()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(GramineTest, AttestationTypeIsOptional) {
  ::unlink((base_ + "/attestation_type").c_str());
  EXPECT_THAT(GramineAttester::Create(Options()), IsOk());
}

TEST_F(GramineTest, MissingFilesAreUnavailable) {
  ::unlink((base_ + "/quote").c_str());
  absl::StatusOr<std::unique_ptr<GramineAttester>> g =
      GramineAttester::Create(Options());
  EXPECT_THAT(g, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_NE(g.status().message().find("quote"), std::string::npos);
  GramineOptions none;
  none.base_dir = base_ + "/missing";
  g = GramineAttester::Create(none);
  EXPECT_THAT(g, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_NE(g.status().message().find("not running under Gramine"),
            std::string::npos);
}

TEST_F(GramineTest, FilesVanishingAfterCreateAreUnavailable) {
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<GramineAttester> g,
                           GramineAttester::Create(Options()));
  ::unlink((base_ + "/user_report_data").c_str());
  EXPECT_THAT(g->Quote(ReportData(5)),
              StatusIs(absl::StatusCode::kUnavailable));
}

// --- configfs-tsm -----------------------------------------------------------

struct TsmEntryFiles {
  std::string outblob;
  std::string provider = "tdx_guest\n";
  std::string generation = "1\n";
  bool inblob = true;
};

class TsmTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = MakeTempDir(); }

  // Options whose test hook creates the entry's attribute files like the
  // kernel would (outblob pre-populated: a plain directory cannot generate).
  TsmOptions Options(const TsmEntryFiles& files) {
    TsmOptions o;
    o.report_dir = root_;
    o.on_entry_created_for_test = [this, files](const std::string& entry) {
      entries_.push_back(entry);
      if (files.inblob) {
        WriteFile(entry + "/inblob", "");
      }
      if (!files.outblob.empty()) {
        WriteFile(entry + "/outblob", files.outblob);
      }
      if (!files.provider.empty()) {
        WriteFile(entry + "/provider", files.provider);
      }
      if (!files.generation.empty()) {
        WriteFile(entry + "/generation", files.generation);
      }
    };
    return o;
  }

  // A real TDX quote and its report data.
  static std::pair<std::string, std::array<uint8_t, 64>> RealTdxQuote() {
    std::string bytes =
        Read(SharedPath("testdata/dcap/dcap-qvl/sample/tdx_quote"));
    absl::StatusOr<sgx::ParsedQuote> q =
        sgx::ParseQuote(crypto::AsBytes(bytes));
    EXPECT_TRUE(q.ok()) << q.status();
    std::array<uint8_t, 64> rd{};
    std::span<const uint8_t, 64> r = q->ReportData();
    std::copy(r.begin(), r.end(), rd.begin());
    return {bytes.substr(0, q->quote_len), rd};
  }

  std::string root_;
  std::vector<std::string> entries_;
};

TEST_F(TsmTest, TdxGuestOutblobIsReturnedAndInblobWritten) {
  auto [quote, rd] = RealTdxQuote();
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TsmAttester> t,
                           TsmAttester::Create(Options({.outblob = quote})));
  EXPECT_EQ(t->Kind(), "tsm");
  MRA_ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> got, t->Quote(rd));
  EXPECT_EQ(AsString(got), quote);
  ASSERT_EQ(entries_.size(), 1u);
  EXPECT_EQ(Read(entries_[0] + "/inblob"), std::string(rd.begin(), rd.end()));
  EXPECT_EQ(std::filesystem::path(entries_[0]).parent_path(),
            std::filesystem::path(root_));
  // A second quote uses a fresh entry.
  MRA_ASSERT_OK_AND_ASSIGN(got, t->Quote(rd));
  ASSERT_EQ(entries_.size(), 2u);
  EXPECT_NE(entries_[0], entries_[1]);
}

TEST_F(TsmTest, TdxOutblobForOtherReportDataIsRefused) {
  auto [quote, rd] = RealTdxQuote();
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TsmAttester> t,
                           TsmAttester::Create(Options({.outblob = quote})));
  EXPECT_THAT(t->Quote(ReportData(1)), StatusIs(absl::StatusCode::kInternal));
}

TEST_F(TsmTest, OtherProvidersPassTheBlobThrough) {
  TsmEntryFiles f;
  f.outblob = "SEV-SNP report bytes";
  f.provider = "sev_guest\n";
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TsmAttester> t,
                           TsmAttester::Create(Options(f)));
  MRA_ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> got, t->Quote(ReportData(2)));
  EXPECT_EQ(AsString(got), "SEV-SNP report bytes");
}

TEST_F(TsmTest, UnexpectedProviderIsRefused) {
  TsmEntryFiles f;
  f.outblob = "x";
  f.provider = "sev_guest\n";
  TsmOptions o = Options(f);
  o.expected_provider = "tdx_guest";
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TsmAttester> t,
                           TsmAttester::Create(o));
  EXPECT_THAT(t->Quote(ReportData(3)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(TsmTest, ConcurrentWriterDetectedByGeneration) {
  auto [quote, rd] = RealTdxQuote();
  TsmEntryFiles f;
  f.outblob = quote;
  f.generation = "2\n";
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TsmAttester> t,
                           TsmAttester::Create(Options(f)));
  absl::StatusOr<std::vector<uint8_t>> q = t->Quote(rd);
  EXPECT_THAT(q, StatusIs(absl::StatusCode::kAborted));
  EXPECT_NE(q.status().message().find("generation 2"), std::string::npos);
}

TEST_F(TsmTest, MissingAttributesAreClearErrors) {
  auto [quote, rd] = RealTdxQuote();
  TsmEntryFiles no_outblob;
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TsmAttester> t,
                           TsmAttester::Create(Options(no_outblob)));
  absl::StatusOr<std::vector<uint8_t>> q = t->Quote(rd);
  EXPECT_THAT(q, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_NE(q.status().message().find("outblob"), std::string::npos);

  TsmEntryFiles no_generation;
  no_generation.outblob = quote;
  no_generation.generation = "";
  MRA_ASSERT_OK_AND_ASSIGN(t, TsmAttester::Create(Options(no_generation)));
  q = t->Quote(rd);
  EXPECT_THAT(q, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_NE(q.status().message().find("generation"), std::string::npos)
      << q.status();

  TsmEntryFiles bad_generation;
  bad_generation.outblob = quote;
  bad_generation.generation = "one";
  MRA_ASSERT_OK_AND_ASSIGN(t, TsmAttester::Create(Options(bad_generation)));
  EXPECT_THAT(t->Quote(rd), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TsmTest, PlainDirectoryWithoutTheHookFailsAndCleansUp) {
  TsmOptions o;
  o.report_dir = root_;
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TsmAttester> t,
                           TsmAttester::Create(o));
  absl::StatusOr<std::vector<uint8_t>> q = t->Quote(ReportData(4));
  EXPECT_THAT(q, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_NE(q.status().message().find("inblob"), std::string::npos);
  // The (empty) entry was removed again.
  EXPECT_TRUE(std::filesystem::is_empty(root_));
}

TEST_F(TsmTest, MissingReportDirIsUnavailable) {
  TsmOptions o;
  o.report_dir = root_ + "/no-configfs";
  absl::StatusOr<std::unique_ptr<TsmAttester>> t = TsmAttester::Create(o);
  EXPECT_THAT(t, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_NE(t.status().message().find("6.7"), std::string::npos);
}

// --- MakeAttester -----------------------------------------------------------

TEST(MakeAttesterTest, BuildsEachKindByName) {
  std::string base = MakeTempDir();
  WriteFile(base + "/user_report_data", "");
  WriteFile(base + "/quote", "");
  AttesterOptions o;
  o.gramine.base_dir = base;
  o.tsm.report_dir = MakeTempDir();
  o.sim.sim_dir = SharedSimDir();
  o.sim.executable = MakeSignedBinary(MakeTempDir(), "svc", "svc");
  for (std::string_view kind : {"sim", "gramine", "tsm"}) {
    MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Attester> a,
                             MakeAttester(kind, o));
    EXPECT_EQ(a->Kind(), kind);
  }
  EXPECT_EQ(AttesterKinds().size(), 4u);
}

TEST(MakeAttesterTest, UnknownKindIsInvalidArgument) {
  EXPECT_THAT(MakeAttester("sgx-magic", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MakeAttesterTest, AutoPrefersHardwareAndNeverPicksSimulation) {
  AttesterOptions o;
  o.gramine.base_dir = MakeTempDir() + "/none";
  o.tsm.report_dir = MakeTempDir() + "/none";
  o.sim.sim_dir = SharedSimDir();
  absl::StatusOr<std::unique_ptr<Attester>> a = MakeAttester("auto", o);
  EXPECT_THAT(a, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_NE(a.status().message().find("simulation must be requested"),
            std::string::npos);
  o.tsm.report_dir = MakeTempDir();
  a = MakeAttester("auto", o);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ((*a)->Kind(), "tsm");
  std::string base = MakeTempDir();
  WriteFile(base + "/user_report_data", "");
  WriteFile(base + "/quote", "");
  o.gramine.base_dir = base;
  a = MakeAttester("auto", o);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ((*a)->Kind(), "gramine");
}

}  // namespace
}  // namespace mra::attest

// PcsHttpProvider and CachingProvider against a real HTTP server: the test
// starts tests/pcs/fake_pcs.py on 127.0.0.1 (ephemeral port) serving the real
// collateral pieces of ../shared/testdata/dcap, and stops it when done (it
// also exits on its own when our end of its stdin closes).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "mra/base/file.h"
#include "mra/base/strings.h"
#include "mra/collateral/cache.h"
#include "mra/collateral/pcs_client.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::collateral {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kSgxBundle[] = "dcap-qvl/sample/sgx_quote_collateral.json";
constexpr char kTdxBundle[] = "dcap-qvl/sample/tdx_quote_collateral.json";

std::string Read(const std::string& rel) {
  auto text = ReadFileBounded(testing::SharedPath("testdata/dcap/" + rel),
                              kMaxCollateralLen);
  EXPECT_THAT(text, IsOk()) << rel;
  return text.ok() ? *text : "";
}

std::string ReadOrEmpty(const std::string& path) {
  auto text = ReadFileBounded(path, 16 << 20);
  return text.ok() ? *text : "";
}

// FakePcs runs tests/pcs/fake_pcs.py as a child process.
class FakePcs {
 public:
  // Start launches the server and waits (at most 15 s) for its port.
  static std::unique_ptr<FakePcs> Start(std::vector<std::string> extra_args) {
    std::vector<std::string> args = {
        "python3",
        testing::SourceDir() + "/tests/pcs/fake_pcs.py",
        "--bundle",
        testing::SharedPath(std::string("testdata/dcap/") + kSgxBundle),
        "--bundle",
        testing::SharedPath(std::string("testdata/dcap/") + kTdxBundle),
        "--exit-on-stdin-eof",
        "--max-seconds",
        "120"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (std::string& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);

    int to_child[2];
    int from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0 ||
        ::pipe2(from_child, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2 failed";
      return nullptr;
    }
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {
      // Child: only async-signal-safe calls until exec.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) {
        ::_exit(127);
      }
      ::dup2(to_child[0], 0);
      ::dup2(from_child[1], 1);
      ::execvp("python3", argv.data());
      ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    auto server =
        std::unique_ptr<FakePcs>(new FakePcs(pid, to_child[1], from_child[0]));
    if (pid < 0 || !server->WaitForPort()) {
      ADD_FAILURE() << "fake PCS did not start (is python3 installed?)";
      return nullptr;
    }
    return server;
  }

  ~FakePcs() { Stop(); }

  // Stop terminates the server; afterwards its port refuses connections.
  void Stop() {
    if (pid_ <= 0) {
      return;
    }
    ::close(stdin_fd_);
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    ::close(stdout_fd_);
    pid_ = -1;
  }

  int port() const { return port_; }
  std::string BaseUrl() const { return StrCat("http://127.0.0.1:", port_); }

  // Control sends GET `path` over a plain socket and returns the body.
  std::string Control(const std::string& path) const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr),  // NOLINT
                  sizeof(addr)) != 0) {
      ::close(fd);
      ADD_FAILURE() << "control connect failed";
      return "";
    }
    std::string req =
        StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    (void)!::write(fd, req.data(), req.size());
    std::string resp;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) {
      resp.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    size_t body = resp.find("\r\n\r\n");
    return body == std::string::npos ? "" : resp.substr(body + 4);
  }

  void Reset() { ASSERT_EQ(Control("/control/reset"), "ok"); }

  void SetMode(const std::string& mode) {
    ASSERT_EQ(Control("/control/mode?m=" + mode), "ok") << mode;
  }

  int Requests() const {
    Json j = Json::parse(Control("/control/stats"), nullptr, false);
    return j.is_object() ? j["requests"].get<int>() : -1;
  }
  Json Paths() const { return Json::parse(Control("/control/stats"))["paths"]; }

 private:
  FakePcs(pid_t pid, int stdin_fd, int stdout_fd)
      : pid_(pid), stdin_fd_(stdin_fd), stdout_fd_(stdout_fd) {}

  bool WaitForPort() {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{stdout_fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) {
        continue;
      }
      char buf[256];
      ssize_t n = ::read(stdout_fd_, buf, sizeof(buf));
      if (n <= 0) {
        return false;
      }
      out.append(buf, static_cast<size_t>(n));
      size_t nl = out.find('\n');
      if (out.starts_with("PORT ") && nl != std::string::npos) {
        port_ = std::stoi(out.substr(5, nl - 5));
        return port_ > 0;
      }
    }
    return false;
  }

  pid_t pid_;
  int stdin_fd_;
  int stdout_fd_;
  int port_ = 0;
};

CollateralRequest SgxRequest() {
  return *MakeCollateralRequest("00a067110000", TeeType::kSgx,
                                PckCaType::kProcessor);
}
CollateralRequest TdxRequest() {
  return *MakeCollateralRequest("b0c06f000000", TeeType::kTdx,
                                PckCaType::kPlatform);
}

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

class TestClock final : public Clock {
 public:
  explicit TestClock(absl::Time now) : now_(absl::ToUnixNanos(now)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(now_.load()); }
  void Set(absl::Time t) { now_ = absl::ToUnixNanos(t); }

 private:
  std::atomic<int64_t> now_;
};

class PcsHttpTest : public ::testing::Test {
 protected:
  // UseSharedServer points server_ at the process-wide server (started on
  // first use; python3 starts slowly on a busy machine), reset to mode
  // `mode` with zeroed counters.
  void UseSharedServer(const std::string& mode = "normal") {
    static FakePcs* const shared = FakePcs::Start({}).release();
    server_ = shared;
    ASSERT_NE(server_, nullptr);
    server_->Reset();
    server_->SetMode(mode);
  }
  // StartOwnServer starts a server for this test only (tests that stop it).
  void StartOwnServer() {
    own_server_ = FakePcs::Start({});
    server_ = own_server_.get();
    ASSERT_NE(server_, nullptr);
  }

  PcsHttpOptions Options() const {
    PcsHttpOptions o;
    o.base_url = server_->BaseUrl();
    o.allow_plain_http = true;
    o.connect_timeout = absl::Seconds(5);
    o.request_timeout = absl::Seconds(10);
    return o;
  }

  std::unique_ptr<PcsHttpProvider> Provider(PcsHttpOptions o) {
    auto p = PcsHttpProvider::Create(std::move(o));
    EXPECT_THAT(p, IsOk());
    return p.ok() ? *std::move(p) : nullptr;
  }
  std::unique_ptr<PcsHttpProvider> Provider() { return Provider(Options()); }

  // ExpectSameAsSource checks a fetched bundle piece by piece against the
  // bundle the server split up: the signed JSON byte-for-byte.
  static void ExpectSameAsSource(const std::string& fetched,
                                 const std::string& source_rel) {
    Json got = Json::parse(fetched);
    Json want = Json::parse(Read(source_rel));
    EXPECT_EQ(got["tcb_info"].get<std::string>(),
              want["tcb_info"].get<std::string>());
    EXPECT_EQ(got["qe_identity"].get<std::string>(),
              want["qe_identity"].get<std::string>());
    // Every other piece too (CRLs as hex of the same DER, same PEM chains,
    // same signatures), and no extra members.
    EXPECT_EQ(got, want);
  }

  FakePcs* server_ = nullptr;
  std::unique_ptr<FakePcs> own_server_;
};

TEST_F(PcsHttpTest, SgxCollateralArrivesIntactOverFourRequests) {
  UseSharedServer();
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  MRA_ASSERT_OK_AND_ASSIGN(std::string bundle, provider->Fetch(SgxRequest()));
  ExpectSameAsSource(bundle, kSgxBundle);
  MRA_ASSERT_OK_AND_ASSIGN(Collateral c, ParseCollateralJson(bundle));
  EXPECT_EQ(c.tcb_info.tee, TeeType::kSgx);
  EXPECT_EQ(server_->Requests(), 4);
  EXPECT_EQ(server_->Paths(),
            Json({"/sgx/certification/v4/tcb?fmspc=00A067110000",
                  "/sgx/certification/v4/qe/identity",
                  "/sgx/certification/v4/pckcrl?ca=processor&encoding=der",
                  "/sgx/certification/v4/rootcacrl"}));
}

TEST_F(PcsHttpTest, TdxCollateralArrivesIntact) {
  UseSharedServer("rootcrl-der");
  PcsHttpOptions o = Options();
  o.base_url += "/";  // Trailing slash is ignored.
  o.update = "standard";
  auto provider = Provider(o);
  ASSERT_NE(provider, nullptr);
  MRA_ASSERT_OK_AND_ASSIGN(std::string bundle, provider->Fetch(TdxRequest()));
  ExpectSameAsSource(bundle, kTdxBundle);
  EXPECT_EQ(server_->Paths()[0],
            "/tdx/certification/v4/tcb?fmspc=B0C06F000000&update=standard");
  EXPECT_EQ(server_->Paths()[1],
            "/tdx/certification/v4/qe/identity?update=standard");
}

TEST_F(PcsHttpTest, UnknownFmspcIsNotFound) {
  UseSharedServer();
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  absl::StatusOr<std::string> r = provider->Fetch(*MakeCollateralRequest(
      "00906ed50000", TeeType::kSgx, PckCaType::kProcessor));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("HTTP status 404 from http://127.0.0.1:"));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("Error-Code: NotFound"));
}

struct BadUpstream {
  const char* mode;
  VerifyFailure failure;
  const char* message;
};

std::string ModeName(const ::testing::TestParamInfo<BadUpstream>& p) {
  std::string name = p.param.mode;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

class PcsHttpRefusalTest : public PcsHttpTest,
                           public ::testing::WithParamInterface<BadUpstream> {};

TEST_P(PcsHttpRefusalTest, IsRefusedWithItsVerdict) {
  UseSharedServer(GetParam().mode);
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  absl::StatusOr<std::string> r = provider->Fetch(TdxRequest());
  EXPECT_THAT(r, FailsWith(GetParam().failure));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Modes, PcsHttpRefusalTest,
    ::testing::Values(
        BadUpstream{"corrupt-tcb", VerifyFailure::kCollateralMalformed,
                    "is not valid JSON"},
        BadUpstream{"wrong-fmspc", VerifyFailure::kTcbInfoMismatch,
                    "tcb_info.fmspc is 00a067110000, requested b0c06f000000"},
        BadUpstream{"wrong-tee", VerifyFailure::kTcbInfoMismatch,
                    "tcb_info is for sgx, requested tdx"},
        BadUpstream{"wrong-qe-tee", VerifyFailure::kQeIdentityMismatch,
                    "qe_identity.id is 'QE', expected 'TD_QE'"},
        BadUpstream{"wrong-ca", VerifyFailure::kCrlInvalid,
                    "pck_crl is issued by 'Intel SGX PCK Processor CA'"},
        BadUpstream{"html", VerifyFailure::kCollateralMalformed,
                    "unexpected Content-Type 'text/html'"},
        BadUpstream{"no-chain", VerifyFailure::kCollateralMalformed,
                    "no issuer chain header"},
        BadUpstream{"bad-signature", VerifyFailure::kCollateralMalformed,
                    "tcb_info.signature: expected 128 hex"},
        BadUpstream{"garbage-crl", VerifyFailure::kCollateralMalformed,
                    "pck_crl: CRL does not decode"},
        BadUpstream{"huge", VerifyFailure::kCollateralMalformed,
                    "response larger than 1048576 bytes"}),
    ModeName);

TEST_F(PcsHttpTest, ServerErrorIsUnavailable) {
  UseSharedServer("error500");
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  absl::StatusOr<std::string> r = provider->Fetch(SgxRequest());
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("HTTP status 500"));
}

TEST_F(PcsHttpTest, SlowServerTimesOut) {
  UseSharedServer("slow");
  PcsHttpOptions o = Options();
  o.request_timeout = absl::Milliseconds(700);
  auto provider = Provider(o);
  ASSERT_NE(provider, nullptr);
  auto begin = std::chrono::steady_clock::now();
  EXPECT_THAT(provider->Fetch(SgxRequest()),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(4));
}

TEST_F(PcsHttpTest, StoppedServerIsUnavailable) {
  StartOwnServer();
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  server_->Stop();
  EXPECT_THAT(provider->Fetch(SgxRequest()),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(PcsHttpOptionsTest, CreateRefusesUnsafeOrInvalidOptions) {
  PcsHttpOptions o;
  auto intel = PcsHttpProvider::Create(o);
  ASSERT_THAT(intel, IsOk());
  EXPECT_EQ((*intel)->root_ca_crl_url(), kIntelRootCaCrlUrl);
  EXPECT_EQ((*intel)->TcbInfoUrl(SgxRequest()),
            "https://api.trustedservices.intel.com/sgx/certification/v4/"
            "tcb?fmspc=00A067110000");
  EXPECT_EQ((*intel)->PckCrlUrl(TdxRequest()),
            "https://api.trustedservices.intel.com/sgx/certification/v4/"
            "pckcrl?ca=platform&encoding=der");

  o.base_url = "https://pccs.example:8081/";
  auto pccs = PcsHttpProvider::Create(o);
  ASSERT_THAT(pccs, IsOk());
  EXPECT_EQ((*pccs)->root_ca_crl_url(),
            "https://pccs.example:8081/sgx/certification/v4/rootcacrl");

  for (std::string url : {"http://127.0.0.1:1", "ftp://x", "https://",
                          "https://a b", "https://x?y=1", "file:///etc"}) {
    o = PcsHttpOptions{};
    o.base_url = url;
    EXPECT_THAT(PcsHttpProvider::Create(o),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << url;
  }
  o = PcsHttpOptions{};
  o.api_version = 5;
  EXPECT_THAT(PcsHttpProvider::Create(o),
              StatusIs(absl::StatusCode::kInvalidArgument));
  o = PcsHttpOptions{};
  o.update = "latest";
  EXPECT_THAT(PcsHttpProvider::Create(o),
              StatusIs(absl::StatusCode::kInvalidArgument));
  o = PcsHttpOptions{};
  o.max_response_len = kMaxCollateralLen + 1;
  EXPECT_THAT(PcsHttpProvider::Create(o),
              StatusIs(absl::StatusCode::kInvalidArgument));
  o = PcsHttpOptions{};
  o.root_ca_crl_url = "http://crl.example/root.der";
  EXPECT_THAT(PcsHttpProvider::Create(o),
              StatusIs(absl::StatusCode::kInvalidArgument));

  o = PcsHttpOptions{};
  o.api_version = 3;
  auto v3 = PcsHttpProvider::Create(o);
  ASSERT_THAT(v3, IsOk());
  EXPECT_THAT((*v3)->Fetch(TdxRequest()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// --- CachingProvider in front of the real HTTP client -----------------------

// Real dates of the SGX sample: QE identity nextUpdate 2025-07-19T10:01:18Z is
// the earliest of its pieces.
const absl::Time kT0 = Utc(2025, 6, 20);
const absl::Time kSgxExpiry = Utc(2025, 7, 19, 10, 1, 18);

class PcsCacheTest : public PcsHttpTest {
 protected:
  void SetUp() override {
    if (own_server_wanted_) {
      StartOwnServer();
    } else {
      UseSharedServer();
    }
    cache_dir_ = testing::MakeTempDir() + "/collateral-cache";
    auto cache = CachingProvider::Create(
        Provider(), CachingOptions{.dir = cache_dir_}, clock_);
    ASSERT_THAT(cache, IsOk());
    cache_ = *std::move(cache);
  }
  void TearDown() override { std::filesystem::remove_all(cache_dir_); }

  std::string EntryPath() const { return cache_->EntryPath(SgxRequest()); }

  // Populate fetches once at kT0, which must reach the server.
  void Populate() {
    clock_.Set(kT0);
    MRA_ASSERT_OK_AND_ASSIGN(FetchResult r,
                             cache_->FetchDetailed(SgxRequest()));
    ASSERT_EQ(r.source, CollateralSource::kUpstream);
    ASSERT_THAT(r.cache_write_error, IsOk());
    ASSERT_EQ(server_->Requests(), 4);
    ExpectSameAsSource(r.bundle, kSgxBundle);
    EXPECT_EQ(r.validity.next_update, kSgxExpiry);
  }

  bool own_server_wanted_ = false;
  TestClock clock_{kT0};
  std::string cache_dir_;
  std::unique_ptr<CachingProvider> cache_;
};

TEST_F(PcsCacheTest, FirstFetchIsCachedAndTheNextOneDoesNotContactTheServer) {
  Populate();
  clock_.Set(kT0 + absl::Hours(12));
  MRA_ASSERT_OK_AND_ASSIGN(FetchResult r, cache_->FetchDetailed(SgxRequest()));
  EXPECT_EQ(r.source, CollateralSource::kCache);
  EXPECT_EQ(r.fetched_at, kT0);
  EXPECT_EQ(server_->Requests(), 4);  // Not contacted again.
  ExpectSameAsSource(r.bundle, kSgxBundle);
  // Fetch (the interface) gives the same bundle, still from the cache.
  MRA_ASSERT_OK_AND_ASSIGN(std::string bundle, cache_->Fetch(SgxRequest()));
  EXPECT_EQ(bundle, r.bundle);
  EXPECT_EQ(server_->Requests(), 4);
}

TEST_F(PcsCacheTest, RefreshesAfterMaxAgeAndBeforeNextUpdate) {
  Populate();
  clock_.Set(kT0 + absl::Hours(25));  // Older than max_age (24 h).
  MRA_ASSERT_OK_AND_ASSIGN(FetchResult r, cache_->FetchDetailed(SgxRequest()));
  EXPECT_EQ(r.source, CollateralSource::kUpstream);
  EXPECT_EQ(server_->Requests(), 8);
  // Fetched 25 h before the earliest nextUpdate: refreshed (max_age).
  clock_.Set(kSgxExpiry - absl::Hours(25));
  ASSERT_THAT(cache_->Fetch(SgxRequest()), IsOk());
  EXPECT_EQ(server_->Requests(), 12);
  // Half an hour later, still outside the 24 h margin: a cache hit.
  clock_.Set(kSgxExpiry - absl::Hours(24) - absl::Minutes(30));
  MRA_ASSERT_OK_AND_ASSIGN(r, cache_->FetchDetailed(SgxRequest()));
  EXPECT_EQ(r.source, CollateralSource::kCache);
  EXPECT_EQ(server_->Requests(), 12);
  // Inside the margin: refreshed although fetched only 2 h ago.
  clock_.Set(kSgxExpiry - absl::Hours(23));
  MRA_ASSERT_OK_AND_ASSIGN(r, cache_->FetchDetailed(SgxRequest()));
  EXPECT_EQ(r.source, CollateralSource::kUpstream);
  EXPECT_EQ(server_->Requests(), 16);
}

// For tests that stop the server.
class PcsCacheDownTest : public PcsCacheTest {
 protected:
  void SetUp() override {
    own_server_wanted_ = true;
    PcsCacheTest::SetUp();
  }
};

TEST_F(PcsCacheDownTest, ServerDownWithValidCacheServesTheCache) {
  Populate();
  const std::string entry = ReadOrEmpty(EntryPath());
  server_->Stop();
  clock_.Set(kT0 + absl::Hours(48));  // Due for a refresh, not expired.
  MRA_ASSERT_OK_AND_ASSIGN(FetchResult r, cache_->FetchDetailed(SgxRequest()));
  EXPECT_EQ(r.source, CollateralSource::kStaleCache);
  EXPECT_THAT(r.refresh_error, StatusIs(absl::StatusCode::kUnavailable));
  ExpectSameAsSource(r.bundle, kSgxBundle);
  // Up to and including the earliest nextUpdate.
  clock_.Set(kSgxExpiry);
  MRA_ASSERT_OK_AND_ASSIGN(r, cache_->FetchDetailed(SgxRequest()));
  EXPECT_EQ(r.source, CollateralSource::kStaleCache);
  EXPECT_EQ(ReadOrEmpty(EntryPath()), entry);
}

TEST_F(PcsCacheDownTest, ServerDownWithExpiredCacheFailsClosed) {
  Populate();
  server_->Stop();
  clock_.Set(kSgxExpiry + absl::Seconds(1));
  absl::StatusOr<FetchResult> r = cache_->FetchDetailed(SgxRequest());
  EXPECT_THAT(r, FailsWith(VerifyFailure::kCollateralTooOld));
  std::string msg(r.status().message());
  EXPECT_THAT(msg, HasSubstr("cached collateral for sgx fmspc 00a067110000 "
                             "(processor CA)"));
  EXPECT_THAT(msg, HasSubstr("expired at 2025-07-19T10:01:18Z (qe_identity "
                             "nextUpdate; now 2025-07-19T10:01:19Z)"));
  EXPECT_THAT(msg, HasSubstr("nextUpdate; now 2025-07-19T10:01:19Z); refresh "
                             "failed: GET http://127.0.0.1:"));
  EXPECT_THAT(cache_->Fetch(SgxRequest()),
              FailsWith(VerifyFailure::kCollateralTooOld));
}

TEST_F(PcsCacheTest, ExpiredCacheAndExpiredUpstreamFailClosed) {
  Populate();
  clock_.Set(kSgxExpiry + absl::Hours(1));
  // The server still has the same (now expired) collateral: refused, and
  // the cache fails closed rather than serve it.
  EXPECT_THAT(cache_->FetchDetailed(SgxRequest()),
              FailsWith(VerifyFailure::kCollateralTooOld));
  EXPECT_EQ(server_->Requests(), 8);
}

class PcsCacheRefusalTest : public PcsCacheTest,
                            public ::testing::WithParamInterface<BadUpstream> {
};

TEST_P(PcsCacheRefusalTest, BadUpstreamDataLeavesTheCacheUntouched) {
  Populate();
  const std::string entry = ReadOrEmpty(EntryPath());
  ASSERT_FALSE(entry.empty());
  server_->SetMode(GetParam().mode);
  clock_.Set(kT0 + absl::Hours(48));
  MRA_ASSERT_OK_AND_ASSIGN(FetchResult r, cache_->FetchDetailed(SgxRequest()));
  EXPECT_EQ(r.source, CollateralSource::kStaleCache);
  EXPECT_THAT(r.refresh_error, FailsWith(GetParam().failure));
  EXPECT_THAT(std::string(r.refresh_error.message()),
              HasSubstr(GetParam().message));
  EXPECT_EQ(ReadOrEmpty(EntryPath()), entry);
  ExpectSameAsSource(r.bundle, kSgxBundle);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, PcsCacheRefusalTest,
    ::testing::Values(
        BadUpstream{"corrupt-tcb", VerifyFailure::kCollateralMalformed,
                    "is not valid JSON"},
        BadUpstream{"wrong-fmspc", VerifyFailure::kTcbInfoMismatch,
                    "tcb_info.fmspc is b0c06f000000, requested 00a067110000"},
        BadUpstream{"wrong-tee", VerifyFailure::kTcbInfoMismatch,
                    "tcb_info is for tdx, requested sgx"},
        BadUpstream{"wrong-ca", VerifyFailure::kCrlInvalid,
                    "pck_crl is issued by 'Intel SGX PCK Platform CA'"},
        BadUpstream{"html", VerifyFailure::kCollateralMalformed,
                    "unexpected Content-Type"}),
    ModeName);

TEST_F(PcsCacheTest, BadUpstreamDataWithoutCacheFailsAndWritesNothing) {
  server_->SetMode("wrong-fmspc");
  absl::StatusOr<FetchResult> r = cache_->FetchDetailed(SgxRequest());
  EXPECT_THAT(r, FailsWith(VerifyFailure::kTcbInfoMismatch));
  EXPECT_FALSE(std::filesystem::exists(EntryPath()));
  EXPECT_TRUE(std::filesystem::is_empty(cache_dir_));
}

TEST_F(PcsCacheTest, CorruptCacheFileIsRefetched) {
  Populate();
  ASSERT_THAT(WriteFileAtomic(EntryPath(), "{\"format\": \"garbage\"}"),
              IsOk());
  clock_.Set(kT0 + absl::Hours(1));
  MRA_ASSERT_OK_AND_ASSIGN(FetchResult r, cache_->FetchDetailed(SgxRequest()));
  EXPECT_EQ(r.source, CollateralSource::kUpstream);
  EXPECT_EQ(server_->Requests(), 8);
  Json entry = Json::parse(ReadOrEmpty(EntryPath()));
  EXPECT_EQ(entry["fetched_at"], "2025-06-20T01:00:00Z");
}

TEST_F(PcsCacheDownTest, CorruptCacheFileAndServerDownIsAClearError) {
  Populate();
  ASSERT_THAT(WriteFileAtomic(EntryPath(), "garbage"), IsOk());
  server_->Stop();
  absl::StatusOr<FetchResult> r = cache_->FetchDetailed(SgxRequest());
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
  std::string msg(r.status().message());
  EXPECT_THAT(msg,
              HasSubstr("no usable collateral for sgx fmspc 00a067110000"));
  EXPECT_THAT(
      msg, HasSubstr("cache entry '" + EntryPath() + "': not a JSON object"));
  EXPECT_THAT(msg, HasSubstr("127.0.0.1"));
}

}  // namespace
}  // namespace mra::collateral

#include "mra/sgx/quote.h"

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/strings.h"
#include "mra/sgx/quote_file.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::sgx {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::testing::HasSubstr;
using Json = nlohmann::json;
using Bytes = std::vector<uint8_t>;

// ReadQuote loads a quote from the shared test data with ReadQuoteFile
// (.hex/.txt files hold hex text).
Bytes ReadQuote(const std::string& rel) {
  auto bytes = ReadQuoteFile(testing::SharedPath("testdata/dcap/" + rel));
  EXPECT_THAT(bytes, IsOk()) << rel;
  return bytes.ok() ? *bytes : Bytes{};
}

struct QuoteCase {
  std::string path;
  Json policy;
};

std::vector<QuoteCase> Cases() {
  auto text =
      ReadFileBounded(testing::SharedPath("testdata/dcap/cases.json"), 8 << 20);
  EXPECT_THAT(text, IsOk());
  std::vector<QuoteCase> out;
  if (!text.ok()) {
    return out;
  }
  Json j = Json::parse(*text, nullptr, false);
  EXPECT_FALSE(j.is_discarded());
  std::set<std::string> seen;
  for (const Json& c : j.at("cases")) {
    std::string path = c.at("quote").get<std::string>();
    if (!seen.insert(path).second) {
      continue;
    }
    Json policy = c.contains("expected") && c["expected"].contains("policy")
                      ? c["expected"]["policy"]
                      : Json::object();
    out.push_back({path, policy});
  }
  return out;
}

size_t CountSubstr(const std::string& s, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = s.find(needle); pos != std::string::npos;
       pos = s.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

bool IsEppid(const std::string& path) {
  return path.find("eppid") != std::string::npos;
}

TEST(ParseQuoteTest, EveryRealQuote) {
  std::vector<QuoteCase> cases = Cases();
  ASSERT_GE(cases.size(), 20u);
  int parsed = 0;
  for (const QuoteCase& c : cases) {
    SCOPED_TRACE(c.path);
    Bytes bytes = ReadQuote(c.path);
    ASSERT_FALSE(bytes.empty());
    ParseOptions intel_compat;
    intel_compat.trailing = TrailingBytes::kAny;
    auto q = ParseQuote(bytes, intel_compat);
    if (q.ok() && q->trailing_len != 0) {
      bool junk = false;
      for (size_t i = q->quote_len; i < bytes.size(); ++i) {
        junk = junk || bytes[i] != 0;
      }
      // The default refuses non-zero trailing bytes, and accepts zero padding.
      auto strict = ParseQuote(bytes);
      if (junk) {
        EXPECT_THAT(strict, FailsWith(VerifyFailure::kQuoteMalformed));
        EXPECT_THAT(std::string(ToStd(strict.status().message())),
                    HasSubstr("non-zero byte after the signature data"));
      } else {
        EXPECT_THAT(strict, IsOk());
      }
    }
    if (IsEppid(c.path)) {
      EXPECT_THAT(q, FailsWith(VerifyFailure::kQuoteUnsupported));
      EXPECT_THAT(std::string(ToStd(q.status().message())),
                  HasSubstr("certification data type 3 (need 5"));
      continue;
    }
    ASSERT_THAT(q, IsOk());
    ++parsed;
    const ParsedQuote& p = *q;
    EXPECT_TRUE(p.header.version == 3 || p.header.version == 4 ||
                p.header.version == 5);
    EXPECT_EQ(p.header.att_key_type, 2);
    EXPECT_EQ(HexEncode(p.header.qe_vendor_id),
              "939a7233f79c4ca9940a0db3957f0607");
    bool want_tdx = c.policy.contains("td_debug");
    EXPECT_EQ(p.IsTdx(), want_tdx);
    EXPECT_EQ(p.header.tee_type, want_tdx ? kTeeTypeTdx : kTeeTypeSgx);
    if (p.header.version == 3) {
      EXPECT_FALSE(p.IsTdx());
    }
    if (want_tdx) {
      EXPECT_EQ(p.Debug(), c.policy["td_debug"].get<bool>());
      EXPECT_EQ(p.td_body->SeptVeDisable(),
                c.policy["sept_ve_disable"].get<bool>());
      EXPECT_EQ(p.signed_bytes.size(),
                p.header.version == 4
                    ? 632u
                    : 54u + (p.td_body->is_td15 ? 648u : 584u));
    } else {
      EXPECT_EQ(p.Debug(), c.policy.at("debug").get<bool>());
      EXPECT_EQ(p.signed_bytes.size(), p.header.version == 5 ? 438u : 432u);
    }
    EXPECT_EQ(0, std::memcmp(p.signed_bytes.data(), bytes.data(),
                             p.signed_bytes.size()));
    EXPECT_EQ(p.quote_len + p.trailing_len, bytes.size());
    EXPECT_EQ(p.signature.outer_cert_data_type, p.header.version == 3 ? 5 : 6);
    EXPECT_EQ(p.signature.cert_data_type, 5);
    EXPECT_EQ(p.signature.pck_chain_pem.rfind("-----BEGIN CERTIFICATE-----", 0),
              0u);
    EXPECT_EQ(
        CountSubstr(p.signature.pck_chain_pem, "-----BEGIN CERTIFICATE-----"),
        3u);
    EXPECT_EQ(
        CountSubstr(p.signature.pck_chain_pem, "-----END CERTIFICATE-----"),
        3u);
    EXPECT_EQ(p.signature.qe_auth_data.size(), 32u);
    // The QE report is Intel's QE (isvprodid 1 SGX QE, 2 TD QE).
    EXPECT_EQ(p.signature.qe_report.isv_prod_id, want_tdx ? 2 : 1);
    EXPECT_EQ(0, std::memcmp(p.ReportData().data(),
                             want_tdx ? p.td_body->report_data.data()
                                      : p.sgx_body->report_data.data(),
                             64));
  }
  EXPECT_GE(parsed, 20);
}

// FindQuote returns the first real quote with the given version and TDX-ness.
Bytes FindQuote(uint16_t version, bool tdx) {
  for (const QuoteCase& c : Cases()) {
    if (IsEppid(c.path)) {
      continue;
    }
    Bytes b = ReadQuote(c.path);
    auto q = ParseQuote(b);
    if (q.ok() && q->header.version == version && q->IsTdx() == tdx) {
      return Bytes(b.begin(),
                   b.begin() + static_cast<std::ptrdiff_t>(q->quote_len));
    }
  }
  ADD_FAILURE() << "no quote v" << version << " tdx=" << tdx;
  return {};
}

void PutU16(Bytes& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v & 0xff);
  b[off + 1] = static_cast<uint8_t>(v >> 8);
}
void PutU32(Bytes& b, size_t off, uint32_t v) {
  for (size_t i = 0; i < 4; ++i) {
    b[off + i] = static_cast<uint8_t>((v >> (8 * i)) & 0xff);
  }
}

class QuoteKindTest : public ::testing::TestWithParam<std::pair<int, bool>> {
 protected:
  void SetUp() override {
    quote_ =
        FindQuote(static_cast<uint16_t>(GetParam().first), GetParam().second);
    ASSERT_FALSE(quote_.empty());
  }
  // SigDataOffset is where sig_data_len lives.
  size_t SigLenOffset() const {
    auto q = ParseQuote(quote_);
    return q.ok() ? q->signed_bytes.size() : 0;
  }
  Bytes quote_;
};

TEST_P(QuoteKindTest, ExactQuoteParsesWithoutPadding) {
  ParseOptions strict;
  strict.trailing = TrailingBytes::kReject;
  EXPECT_THAT(ParseQuote(quote_, strict), IsOk());
}

TEST_P(QuoteKindTest, EveryTruncationFailsCleanly) {
  for (size_t len = 0; len < quote_.size(); len += 7) {
    auto q = ParseQuote(std::span<const uint8_t>(quote_.data(), len));
    ASSERT_THAT(q, FailsWith(VerifyFailure::kQuoteMalformed)) << len;
  }
  for (size_t cut = 1; cut <= 8; ++cut) {
    auto q = ParseQuote(
        std::span<const uint8_t>(quote_.data(), quote_.size() - cut));
    EXPECT_THAT(q, FailsWith(VerifyFailure::kQuoteMalformed)) << cut;
  }
}

TEST_P(QuoteKindTest, TrailingBytes) {
  Bytes padded = quote_;
  padded.resize(padded.size() + 100, 0);
  auto ok = ParseQuote(padded);
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->trailing_len, 100u);
  ParseOptions strict;
  strict.trailing = TrailingBytes::kReject;
  EXPECT_THAT(ParseQuote(padded, strict),
              FailsWith(VerifyFailure::kQuoteMalformed));
  padded[quote_.size() + 50] = 1;
  auto bad = ParseQuote(padded);
  EXPECT_THAT(bad, FailsWith(VerifyFailure::kQuoteMalformed));
  EXPECT_THAT(std::string(ToStd(bad.status().message())),
              HasSubstr("non-zero"));
}

TEST_P(QuoteKindTest, OversizedSignatureDataLength) {
  size_t off = SigLenOffset();
  ASSERT_GT(off, 0u);
  for (uint32_t v :
       {0xffffffffu, 0x10000000u, static_cast<uint32_t>(quote_.size())}) {
    Bytes b = quote_;
    PutU32(b, off, v);
    auto q = ParseQuote(b);
    EXPECT_THAT(q, FailsWith(VerifyFailure::kQuoteMalformed)) << v;
    EXPECT_THAT(std::string(ToStd(q.status().message())),
                HasSubstr("signature_data_len"));
  }
  // Shorter than the actual data: the rest is non-zero trailing junk or the
  // signature data is truncated; both refused.
  Bytes b = quote_;
  PutU32(b, off, 100);
  EXPECT_THAT(ParseQuote(b), FailsWith(VerifyFailure::kQuoteMalformed));
}

TEST_P(QuoteKindTest, OversizedInnerLengths) {
  size_t sig = SigLenOffset() + 4;
  bool v3 = GetParam().first == 3;
  // Offset of the QE report within the signature data.
  size_t qe = sig + 128 + (v3 ? 0 : 6);
  size_t auth_len_off = qe + 384 + 64;
  for (uint16_t v : {uint16_t{0xffff}, uint16_t{5000}}) {
    Bytes b = quote_;
    PutU16(b, auth_len_off, v);
    auto q = ParseQuote(b);
    EXPECT_THAT(q, FailsWith(VerifyFailure::kQuoteMalformed));
    EXPECT_THAT(std::string(ToStd(q.status().message())),
                HasSubstr("qe_auth_data"));
  }
  uint16_t auth_len = static_cast<uint16_t>(quote_[auth_len_off] |
                                            (quote_[auth_len_off + 1] << 8));
  size_t cert_size_off = auth_len_off + 2 + auth_len + 2;
  Bytes b = quote_;
  PutU32(b, cert_size_off, 0x7fffffff);
  EXPECT_THAT(ParseQuote(b), FailsWith(VerifyFailure::kQuoteMalformed));
  if (!v3) {
    Bytes w = quote_;
    PutU32(w, sig + 128 + 2, 0xfffffff0u);
    auto q = ParseQuote(w);
    EXPECT_THAT(q, FailsWith(VerifyFailure::kQuoteMalformed));
    EXPECT_THAT(std::string(ToStd(q.status().message())),
                HasSubstr("cert_data.size"));
  }
}

TEST_P(QuoteKindTest, CertDataTypeNotPckChain) {
  size_t sig = SigLenOffset() + 4;
  bool v3 = GetParam().first == 3;
  size_t qe = sig + 128 + (v3 ? 0 : 6);
  size_t auth_len_off = qe + 384 + 64;
  uint16_t auth_len = static_cast<uint16_t>(quote_[auth_len_off] |
                                            (quote_[auth_len_off + 1] << 8));
  size_t type_off = auth_len_off + 2 + auth_len;
  Bytes b = quote_;
  PutU16(b, type_off, 3);
  auto q = ParseQuote(b);
  EXPECT_THAT(q, FailsWith(VerifyFailure::kQuoteUnsupported));
  EXPECT_THAT(std::string(ToStd(q.status().message())),
              HasSubstr("certification data type 3 (need 5 = PCK cert chain)"));
  if (!v3) {
    Bytes w = quote_;
    PutU16(w, sig + 128, 5);
    EXPECT_THAT(ParseQuote(w), FailsWith(VerifyFailure::kQuoteUnsupported));
  }
}

TEST_P(QuoteKindTest, BadVersionAndKeyType) {
  for (uint16_t v :
       {uint16_t{0}, uint16_t{1}, uint16_t{2}, uint16_t{6}, uint16_t{0xffff}}) {
    Bytes b = quote_;
    PutU16(b, 0, v);
    auto q = ParseQuote(b);
    EXPECT_THAT(q, FailsWith(VerifyFailure::kQuoteUnsupported)) << v;
    EXPECT_THAT(std::string(ToStd(q.status().message())),
                HasSubstr("header.version"));
  }
  for (uint16_t k : {uint16_t{0}, uint16_t{3}, uint16_t{4}}) {
    Bytes b = quote_;
    PutU16(b, 2, k);
    auto q = ParseQuote(b);
    EXPECT_THAT(q, FailsWith(VerifyFailure::kQuoteUnsupported)) << k;
    EXPECT_THAT(std::string(ToStd(q.status().message())),
                HasSubstr("header.att_key_type"));
  }
}

TEST_P(QuoteKindTest, BadTeeType) {
  Bytes b = quote_;
  PutU32(b, 4, 0x42);
  EXPECT_THAT(ParseQuote(b), FailsWith(VerifyFailure::kQuoteMalformed));
}

INSTANTIATE_TEST_SUITE_P(Kinds, QuoteKindTest,
                         ::testing::Values(std::make_pair(3, false),
                                           std::make_pair(4, true),
                                           std::make_pair(5, true)));

TEST(ParseQuoteV5Test, BodyTypeAndSizeMustAgree) {
  Bytes q = FindQuote(5, true);
  ASSERT_FALSE(q.empty());
  auto p = ParseQuote(q);
  ASSERT_THAT(p, IsOk());
  Bytes b = q;
  PutU16(b, 48, 9);
  EXPECT_THAT(ParseQuote(b), FailsWith(VerifyFailure::kQuoteMalformed));
  b = q;
  PutU16(b, 48, 1);  // SGX body type under a TDX tee_type.
  EXPECT_THAT(ParseQuote(b), FailsWith(VerifyFailure::kQuoteMalformed));
  b = q;
  PutU32(b, 50, 0xffffffffu);
  auto r = ParseQuote(b);
  EXPECT_THAT(r, FailsWith(VerifyFailure::kQuoteMalformed));
  EXPECT_THAT(std::string(ToStd(r.status().message())), HasSubstr("body_size"));
}

TEST(QuoteFileTest, HexTextDecoding) {
  auto b = DecodeHexQuoteText("  0x0300\n02 00\r\n");
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(*b, (Bytes{0x03, 0x00, 0x02, 0x00}));
  EXPECT_THAT(DecodeHexQuoteText("0X0a0B"), IsOk());
  EXPECT_THAT(DecodeHexQuoteText("030"),
              FailsWith(VerifyFailure::kQuoteMalformed));
  EXPECT_THAT(DecodeHexQuoteText("03zz"),
              FailsWith(VerifyFailure::kQuoteMalformed));
  EXPECT_THAT(DecodeHexQuoteText(" \n"),
              FailsWith(VerifyFailure::kQuoteMalformed));
  EXPECT_TRUE(IsHexQuotePath("a/b/quote.HEX"));
  EXPECT_TRUE(IsHexQuotePath("quote_hex.txt"));
  EXPECT_FALSE(IsHexQuotePath("quote.dat"));
  EXPECT_FALSE(IsHexQuotePath("hex"));
}

TEST(QuoteFileTest, HexFileOfABinaryQuoteAgrees) {
  Bytes bin = ReadQuote("dcap-qvl/sample/sgx_quote");
  ASSERT_FALSE(bin.empty());
  std::string hex = "0x" + HexEncode(bin);
  for (size_t i = 64; i < hex.size(); i += 65) {
    hex.insert(i, "\n");
  }
  std::string dir = testing::MakeTempDir();
  ASSERT_THAT(WriteFileAtomic(dir + "/q.hex", hex), IsOk());
  ASSERT_THAT(
      WriteFileAtomic(dir + "/q.bin", std::string(bin.begin(), bin.end())),
      IsOk());
  auto from_hex = ReadQuoteFile(dir + "/q.hex");
  ASSERT_THAT(from_hex, IsOk());
  EXPECT_EQ(*from_hex, bin);
  auto from_bin = ReadQuoteFile(dir + "/q.bin");
  ASSERT_THAT(from_bin, IsOk());
  EXPECT_EQ(*from_bin, bin);
  // A binary quote named .hex is not hex text.
  ASSERT_THAT(
      WriteFileAtomic(dir + "/bin.hex", std::string(bin.begin(), bin.end())),
      IsOk());
  EXPECT_THAT(ReadQuoteFile(dir + "/bin.hex"),
              FailsWith(VerifyFailure::kQuoteMalformed));
  EXPECT_THAT(ReadQuoteFile(dir + "/missing.hex"),
              ::mra::testing::StatusIs(absl::StatusCode::kNotFound));
}

TEST(ParseQuoteTest, EmptyAndTiny) {
  EXPECT_THAT(ParseQuote({}), FailsWith(VerifyFailure::kQuoteMalformed));
  Bytes one = {3};
  EXPECT_THAT(ParseQuote(one), FailsWith(VerifyFailure::kQuoteMalformed));
}

}  // namespace
}  // namespace mra::sgx

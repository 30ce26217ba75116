// Tests of the PCK certificate SGX extension parser on real PCK leaves and
// on hand-built DER (a tiny encoder below, independent of OpenSSL).

#include "mra/sgx/pck.h"

#include <openssl/pem.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/sgx/test_forge.h"

#include "mra/base/hex.h"
#include "mra/base/strings.h"
#include "mra/collateral/collateral.h"
#include "mra/sgx/quote.h"
#include "mra/sgx/quote_file.h"
#include "mra/sgx/verify.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::sgx {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::testing::HasSubstr;
using Bytes = std::vector<uint8_t>;

// ---- A minimal DER writer -----------------------------------------------

Bytes Tlv(uint8_t tag, const Bytes& value) {
  Bytes out = {tag};
  size_t n = value.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n < 0x100) {
    out.push_back(0x81);
    out.push_back(static_cast<uint8_t>(n));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<uint8_t>(n >> 8));
    out.push_back(static_cast<uint8_t>(n & 0xff));
  }
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

Bytes Cat(const std::vector<Bytes>& parts) {
  Bytes out;
  for (const Bytes& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

Bytes Seq(const std::vector<Bytes>& items) { return Tlv(0x30, Cat(items)); }

// Oid encodes 1.2.840.113741.1.13.1[.a[.b]].
Bytes Oid(std::vector<int> suffix) {
  Bytes v = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
  for (int s : suffix) {
    v.push_back(static_cast<uint8_t>(s));
  }
  return Tlv(0x06, v);
}

Bytes Int(int v) {
  if (v < 0x80) {
    return Tlv(0x02, {static_cast<uint8_t>(v)});
  }
  if (v < 0x100) {
    return Tlv(0x02, {0x00, static_cast<uint8_t>(v)});
  }
  return Tlv(0x02, {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)});
}

Bytes Octets(size_t n, uint8_t fill) { return Tlv(0x04, Bytes(n, fill)); }

Bytes Pair(std::vector<int> oid, const Bytes& value) {
  return Seq({Oid(std::move(oid)), value});
}

// Parts of a valid extension, so tests can drop or alter one.
struct Parts {
  std::vector<Bytes> tcb;  // 18 pairs.
  Bytes ppid = Pair({1}, Octets(16, 0x42));
  Bytes pce_id = Pair({3}, Octets(2, 0x00));
  Bytes fmspc = Pair({4}, Tlv(0x04, {0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00}));
  Bytes sgx_type = Pair({5}, Tlv(0x0a, {0x00}));
  std::vector<Bytes> extra;

  Parts() {
    for (int i = 1; i <= 16; ++i) {
      tcb.push_back(Pair({2, i}, Int(i == 6 ? 200 : i)));
    }
    tcb.push_back(Pair({2, 17}, Int(300)));
    tcb.push_back(Pair({2, 18}, Octets(16, 0x07)));
  }

  Bytes Encode() const {
    std::vector<Bytes> items = {ppid, Pair({2}, Seq(tcb)), pce_id, fmspc,
                                sgx_type};
    items.insert(items.end(), extra.begin(), extra.end());
    return Seq(items);
  }
};

TEST(PckExtensionTest, HandBuiltDer) {
  auto ext = ParsePckExtension(Parts().Encode());
  ASSERT_THAT(ext, IsOk());
  EXPECT_EQ(ext->tcb_components[0], 1);
  EXPECT_EQ(ext->tcb_components[5], 200);
  EXPECT_EQ(ext->tcb_components[15], 16);
  EXPECT_EQ(ext->pce_svn, 300);
  EXPECT_EQ(ext->cpu_svn[0], 0x07);
  EXPECT_EQ(HexEncode(ext->fmspc), "00906ed50000");
  EXPECT_EQ(HexEncode(ext->pce_id), "0000");
  EXPECT_EQ(ext->ppid[15], 0x42);
  EXPECT_EQ(ext->sgx_type, SgxType::kStandard);
  EXPECT_FALSE(ext->platform_instance_id.has_value());
  EXPECT_FALSE(ext->configuration.has_value());
}

TEST(PckExtensionTest, UnknownTopLevelEntryIsIgnored) {
  Parts p;
  p.extra.push_back(Pair({99}, Octets(3, 1)));
  // OIDs are compared as content octets: a long unknown one is ignored too.
  p.extra.push_back(
      Pair({99, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, Octets(1, 1)));
  EXPECT_THAT(ParsePckExtension(p.Encode()), IsOk());
}

struct BadCase {
  const char* name;
  void (*edit)(Parts*);
  const char* field;
};

const BadCase kBad[] = {
    {"missing_fmspc", [](Parts* p) { p->fmspc = Pair({98}, Octets(6, 0)); },
     "fmspc: missing"},
    {"missing_ppid", [](Parts* p) { p->ppid = Pair({97}, Octets(16, 0)); },
     "ppid: missing"},
    {"short_fmspc", [](Parts* p) { p->fmspc = Pair({4}, Octets(5, 0)); },
     "fmspc: expected 6 bytes"},
    {"fmspc_not_octets", [](Parts* p) { p->fmspc = Pair({4}, Int(5)); },
     "fmspc: expected OCTET STRING"},
    {"long_pce_id", [](Parts* p) { p->pce_id = Pair({3}, Octets(3, 0)); },
     "pceId: expected 2 bytes"},
    {"sgx_type_out_of_range",
     [](Parts* p) { p->sgx_type = Pair({5}, Tlv(0x0a, {0x03})); },
     "sgxType: value 3"},
    {"sgx_type_integer", [](Parts* p) { p->sgx_type = Pair({5}, Int(0)); },
     "sgxType: expected ENUMERATED"},
    {"duplicate_fmspc", [](Parts* p) { p->extra.push_back(p->fmspc); },
     "extension[5]: duplicate entry 1.2.840.113741.1.13.1.4"},
    {"svn_too_large",
     [](Parts* p) {
       p->tcb[3] = Pair({2, 4}, Int(256));
     },
     "tcb.sgxtcbcomp4svn: value 256"},
    {"svn_negative",
     [](Parts* p) {
       p->tcb[3] = Pair({2, 4}, Tlv(0x02, {0xff}));
     },
     "tcb.sgxtcbcomp4svn: value -1"},
    {"pcesvn_too_large",
     [](Parts* p) {
       p->tcb[16] = Pair({2, 17}, Tlv(0x02, {0x01, 0, 0}));
     },
     "tcb.pcesvn: value 65536"},
    {"missing_component", [](Parts* p) { p->tcb.erase(p->tcb.begin() + 2); },
     "tcb.sgxtcbcomp3svn: missing"},
    {"unknown_tcb_entry",
     [](Parts* p) {
       p->tcb.push_back(Pair({2, 19}, Int(1)));
     },
     "tcb: unexpected entry 1.2.840.113741.1.13.1.2.19"},
    {"short_cpusvn",
     [](Parts* p) {
       p->tcb[17] = Pair({2, 18}, Octets(15, 0));
     },
     "tcb.cpusvn: expected 16 bytes"},
    {"pair_with_three_elements",
     [](Parts* p) {
       p->ppid = Seq({Oid({1}), Octets(16, 0), Int(1)});
     },
     "expected exactly an OID and a value"},
    {"pair_without_oid",
     [](Parts* p) {
       p->ppid = Seq({Int(1), Int(2)});
     },
     "first element is not an OBJECT IDENTIFIER"},
    {"entry_not_a_sequence", [](Parts* p) { p->ppid = Octets(16, 0); },
     "expected SEQUENCE { OID, value }"},
};

class PckBadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(PckBadTest, Refused) {
  Parts p;
  GetParam().edit(&p);
  auto ext = ParsePckExtension(p.Encode());
  EXPECT_THAT(ext, FailsWith(VerifyFailure::kCertificateMalformed));
  EXPECT_THAT(std::string(ToStd(ext.status().message())),
              HasSubstr(GetParam().field));
}

INSTANTIATE_TEST_SUITE_P(
    Der, PckBadTest, ::testing::ValuesIn(kBad),
    [](const ::testing::TestParamInfo<BadCase>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(PckExtensionTest, FramingErrors) {
  Bytes good = Parts().Encode();
  EXPECT_THAT(ParsePckExtension({}),
              FailsWith(VerifyFailure::kCertificateMalformed));
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_THAT(ParsePckExtension(trailing),
              FailsWith(VerifyFailure::kCertificateMalformed));
  for (size_t len = 0; len < good.size(); len += 3) {
    EXPECT_THAT(ParsePckExtension({good.data(), len}),
                FailsWith(VerifyFailure::kCertificateMalformed))
        << len;
  }
  Bytes huge = Seq({Pair({99}, Octets(kMaxPckExtensionLen, 0))});
  auto r = ParsePckExtension(huge);
  EXPECT_THAT(r, FailsWith(VerifyFailure::kCertificateMalformed));
  EXPECT_THAT(std::string(ToStd(r.status().message())), HasSubstr("limit"));
  // Every single-bit flip either parses or is refused cleanly.
  for (size_t i = 0; i < good.size(); ++i) {
    Bytes b = good;
    b[i] ^= 0x20;
    auto f = ParsePckExtension(b);
    if (!f.ok()) {
      EXPECT_THAT(f, FailsWith(VerifyFailure::kCertificateMalformed)) << i;
    }
  }
}

// The framing is read element by element; each way it can be wrong is named.
TEST(PckExtensionTest, FramingProblemsAreNamed) {
  auto message = [](const Bytes& der) {
    absl::StatusOr<PckExtension> r = ParsePckExtension(der);
    EXPECT_THAT(r, FailsWith(VerifyFailure::kCertificateMalformed));
    return std::string(ToStd(r.status().message()));
  };
  Bytes good = Parts().Encode();
  EXPECT_THAT(message({}), HasSubstr("extension: empty"));
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_THAT(message(trailing),
              HasSubstr("extension: trailing bytes after the SEQUENCE"));
  EXPECT_THAT(message(Octets(4, 0)), HasSubstr("extension: not a DER SEQUENCE"));
  // Indefinite length is BER, not DER.
  Bytes indefinite = {0x30, 0x80};
  Bytes inner = Parts().ppid;
  indefinite.insert(indefinite.end(), inner.begin(), inner.end());
  indefinite.push_back(0);
  indefinite.push_back(0);
  EXPECT_THAT(message(indefinite), HasSubstr("extension: not a DER SEQUENCE"));
  // An element running past its parent.
  Bytes overrun = Seq({Tlv(0x30, {0x06, 0x7f, 0x01})});
  EXPECT_THAT(message(overrun), HasSubstr("extension[0]: not DER"));
  EXPECT_THAT(message(Seq({Seq({})})),
              HasSubstr("extension[0]: expected exactly an OID and a value"));
  EXPECT_THAT(message(Seq({Seq({Oid({1})})})),
              HasSubstr("extension[0]: expected exactly an OID and a value"));
  // The value's length claims two octets, one is there.
  Bytes pair = Seq({Oid({1}), Tlv(0x04, {0x01, 0x02})});
  pair.pop_back();
  pair[1] -= 1;  // The pair's own length still matches what is left.
  EXPECT_THAT(message(Seq({pair})),
              HasSubstr("extension[0]: value is not DER"));
  // An OID that is not valid DER (an arc padded with 0x80) in an entry that
  // would otherwise be ignored.
  Parts p;
  p.extra.push_back(Seq({Tlv(0x06, {0x2a, 0x80, 0x01}), Octets(1, 0)}));
  EXPECT_THAT(message(p.Encode()),
              HasSubstr("extension[5]: OBJECT IDENTIFIER does not decode"));
}

TEST(PckExtensionTest, ForgeEncoderRoundTrips) {
  std::array<uint8_t, 16> tcb = {1, 2,  3,  4,  5,  6,  7,  8,
                                 9, 10, 11, 12, 13, 14, 15, 255};
  std::array<uint8_t, 6> fmspc = {1, 2, 3, 4, 5, 6};
  auto ext = ParsePckExtension(testing::SgxExtensionDer(tcb, 0xfffe, fmspc,
                                                        /*platform=*/true));
  ASSERT_THAT(ext, IsOk());
  EXPECT_EQ(ext->tcb_components, tcb);
  EXPECT_EQ(ext->cpu_svn, tcb);
  EXPECT_EQ(ext->pce_svn, 0xfffe);
  EXPECT_EQ(ext->fmspc, fmspc);
  EXPECT_EQ(ext->sgx_type, SgxType::kScalable);
  ASSERT_TRUE(ext->platform_instance_id.has_value());
  ASSERT_TRUE(ext->configuration.has_value());
  EXPECT_EQ(ext->configuration->dynamic_platform, false);
  EXPECT_EQ(ext->configuration->cached_keys, true);
  EXPECT_EQ(ext->configuration->smt_enabled, true);
}

// LeafOf returns the PCK leaf of a real quote.
crypto::X509Ptr LeafOf(const std::string& rel) {
  auto bytes =
      ReadQuoteFile(::mra::testing::SharedPath("testdata/dcap/" + rel));
  EXPECT_THAT(bytes, IsOk());
  auto q = ParseQuote(*bytes, {TrailingBytes::kAny});
  EXPECT_THAT(q, IsOk());
  auto chain =
      collateral::ParsePemChain(q->signature.pck_chain_pem, "pck_chain");
  EXPECT_THAT(chain, IsOk());
  return std::move((*chain)[0]);
}

TEST(PckCertificateTest, RealProcessorCaLeaf) {
  crypto::X509Ptr leaf = LeafOf("dcap-qvl/sample/sgx_quote");
  auto ext = ParsePckCertificateExtension(leaf.get());
  ASSERT_THAT(ext, IsOk());
  EXPECT_EQ(HexEncode(ext->fmspc), "00a067110000");
  EXPECT_EQ(HexEncode(ext->pce_id), "0000");
  EXPECT_EQ(ext->pce_svn, 13);
  EXPECT_EQ(HexEncode(ext->cpu_svn), "0b0b0202ff0100000000000000000000");
  EXPECT_EQ(
      (std::vector<int>(ext->tcb_components.begin(),
                        ext->tcb_components.end())),
      (std::vector<int>{11, 11, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(HexEncode(ext->ppid), "d04ec06d4e6d92dc90d0ad3cf5ee2ddf");
  EXPECT_EQ(ext->sgx_type, SgxType::kStandard);
  EXPECT_FALSE(ext->platform_instance_id.has_value());
}

TEST(PckCertificateTest, RealPlatformCaLeaf) {
  crypto::X509Ptr leaf = LeafOf("dcap-qvl/sample/tdx_quote");
  auto ext = ParsePckCertificateExtension(leaf.get());
  ASSERT_THAT(ext, IsOk());
  EXPECT_EQ(HexEncode(ext->fmspc), "b0c06f000000");
  EXPECT_EQ(ext->sgx_type, SgxType::kScalable);
  EXPECT_TRUE(ext->platform_instance_id.has_value());
  ASSERT_TRUE(ext->configuration.has_value());
}

TEST(PckCertificateTest, CertificateWithoutTheExtension) {
  auto chain = collateral::ParsePemChain(IntelSgxRootCaPem(), "root");
  ASSERT_THAT(chain, IsOk());
  auto ext = ParsePckCertificateExtension((*chain)[0].get());
  EXPECT_THAT(ext, FailsWith(VerifyFailure::kCertificateMalformed));
  EXPECT_THAT(std::string(ToStd(ext.status().message())),
              HasSubstr("no extension 1.2.840.113741.1.13.1"));
  EXPECT_THAT(ParsePckCertificateExtension(nullptr),
              FailsWith(VerifyFailure::kCertificateMalformed));
}

}  // namespace
}  // namespace mra::sgx

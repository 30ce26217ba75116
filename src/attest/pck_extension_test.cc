// The SGX extension encoder against real Intel PCK certificates.
#include "src/attest/internal/pck_extension.h"

#include <openssl/objects.h>

#include "gtest/gtest.h"
#include <openssl/x509.h>

#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/collateral/collateral.h"
#include "mra/crypto/digest.h"
#include "mra/sgx/quote.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::attest::internal {
namespace {

template <size_t N>
std::array<uint8_t, N> Hex(std::string_view hex) {
  std::array<uint8_t, N> out{};
  EXPECT_TRUE(HexDecodeInto(hex, out).ok()) << hex;
  return out;
}

// RealExtension returns the SGX extension value of the PCK leaf carried in a
// real quote from ../shared/testdata.
std::vector<uint8_t> RealExtension(const std::string& quote_file) {
  absl::StatusOr<std::string> bytes =
      ReadFileBounded(mra::testing::SharedPath(quote_file), 1 << 20);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<sgx::ParsedQuote> q = sgx::ParseQuote(crypto::AsBytes(*bytes));
  EXPECT_TRUE(q.ok()) << q.status();
  if (!q.ok()) {
    return {};
  }
  absl::StatusOr<collateral::CertChain> chain =
      collateral::ParsePemChain(q->signature.pck_chain_pem, "chain");
  EXPECT_TRUE(chain.ok()) << chain.status();
  if (!chain.ok()) {
    return {};
  }
  ASN1_OBJECT* oid = OBJ_txt2obj(kSgxExtensionOid, 1);
  int idx = X509_get_ext_by_OBJ((*chain)[0].get(), oid, -1);
  ASN1_OBJECT_free(oid);
  EXPECT_GE(idx, 0);
  if (idx < 0) {
    return {};
  }
  ASN1_OCTET_STRING* data =
      X509_EXTENSION_get_data(X509_get_ext((*chain)[0].get(), idx));
  std::span<const uint8_t> value(ASN1_STRING_get0_data(data),
                                 static_cast<size_t>(ASN1_STRING_length(data)));
  return std::vector<uint8_t>(value.begin(), value.end());
}

TEST(SgxExtensionTest, ProcessorCaLeafMatchesIntelByteForByte) {
  // Values read with `openssl asn1parse` from the dcap-qvl sample SGX quote's
  // PCK certificate (issued by the PCK Processor CA: no .6 / .7).
  PckExtensionValues v;
  v.ppid = Hex<16>("d04ec06d4e6d92dc90d0ad3cf5ee2ddf");
  v.sgx_tcb_components = Hex<16>("0b0b0202ff0100000000000000000000");
  v.pce_svn = 13;
  v.cpusvn = Hex<16>("0b0b0202ff0100000000000000000000");
  v.pce_id = Hex<2>("0000");
  v.fmspc = Hex<6>("00a067110000");
  v.sgx_type = 0;
  MRA_ASSERT_OK_AND_ASSIGN(Der der, EncodeSgxExtension(v));
  EXPECT_EQ(
      HexEncode(der),
      HexEncode(RealExtension("testdata/dcap/dcap-qvl/sample/sgx_quote")));
}

TEST(SgxExtensionTest, PlatformCaLeafMatchesIntelByteForByte) {
  // The dcap-qvl sample TDX quote's PCK (PCK Platform CA): with platform
  // instance id (.6) and configuration (.7), SGX type 1 (scalable).
  PckExtensionValues v;
  v.ppid = Hex<16>("811dca2a26b952e85bb6448b097ba4fd");
  v.sgx_tcb_components = Hex<16>("03030202040100050000000000000000");
  v.pce_svn = 11;
  v.cpusvn = Hex<16>("03030202040100050000000000000000");
  v.pce_id = Hex<2>("0000");
  v.fmspc = Hex<6>("b0c06f000000");
  v.sgx_type = 1;
  v.platform_instance_id = Hex<16>("07828474603e7019dc930775ffe8cdd2");
  v.configuration = PckConfiguration{true, true, true};
  MRA_ASSERT_OK_AND_ASSIGN(Der der, EncodeSgxExtension(v));
  EXPECT_EQ(
      HexEncode(der),
      HexEncode(RealExtension("testdata/dcap/dcap-qvl/sample/tdx_quote")));
}

TEST(SgxExtensionTest, SvnsAbove127GetALeadingZero) {
  // DER INTEGER is signed: 255 encodes as 02 02 00 ff (seen in Intel's certs).
  PckExtensionValues v;
  v.sgx_tcb_components[0] = 255;
  v.pce_svn = 0x1234;
  MRA_ASSERT_OK_AND_ASSIGN(Der der, EncodeSgxExtension(v));
  std::string hex = HexEncode(der);
  EXPECT_NE(hex.find("060b2a864886f84d010d010201020200ff"), std::string::npos);
  EXPECT_NE(hex.find("060b2a864886f84d010d01021102021234"), std::string::npos);
}

}  // namespace
}  // namespace mra::attest::internal

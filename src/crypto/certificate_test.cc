#include "mra/crypto/certificate.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mra/crypto/keys.h"
#include "mra/testing/status_matchers.h"

namespace mra::crypto {
namespace {

using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;

// SelfSigned returns the DER of a CA certificate for `key`, signed by itself.
std::vector<uint8_t> SelfSigned(const PrivateKey& key) {
  X509Ptr cert(X509_new());
  EXPECT_NE(cert, nullptr);
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("test"), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.pkey());
  X509_EXTENSION* bc =
      X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, "CA:TRUE");
  X509_add_ext(cert.get(), bc, -1);
  X509_EXTENSION_free(bc);
  const EVP_MD* md = key.type() == KeyType::kEd25519 ? nullptr : EVP_sha256();
  EXPECT_GT(X509_sign(cert.get(), key.pkey(), md), 0);
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

class CertificateKeyTest : public ::testing::TestWithParam<KeyType> {};

// Every key type comes back equal to the signer's key, and the certificate
// still verifies, re-encodes to the same bytes and reports its extensions.
TEST_P(CertificateKeyTest, KeyAndCertificateAreIntact) {
  MRA_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(GetParam()));
  std::vector<uint8_t> der = SelfSigned(key);
  MRA_ASSERT_OK_AND_ASSIGN(X509Ptr cert, ParseCertificateDer(der));
  MRA_ASSERT_OK_AND_ASSIGN(EvpPkeyPtr pub, CertificatePublicKey(cert.get()));
  EXPECT_EQ(EVP_PKEY_eq(pub.get(), key.pkey()), 1);
  EXPECT_EQ(X509_verify(cert.get(), pub.get()), 1);
  EXPECT_GT(X509_check_ca(cert.get()), 0);
  unsigned char* again = nullptr;
  int len = i2d_X509(cert.get(), &again);
  ASSERT_GT(len, 0);
  EXPECT_EQ(std::vector<uint8_t>(again, again + len), der);
  OPENSSL_free(again);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, CertificateKeyTest,
                         ::testing::Values(KeyType::kRsa, KeyType::kEcdsaP256,
                                           KeyType::kEcdsaP384,
                                           KeyType::kEd25519));

TEST(CertificateTest, TamperedCertificateDoesNotVerify) {
  MRA_ASSERT_OK_AND_ASSIGN(PrivateKey key,
                           PrivateKey::Generate(KeyType::kEcdsaP256));
  std::vector<uint8_t> der = SelfSigned(key);
  der[der.size() / 3] ^= 0x01;  // Inside the TBS, not the key.
  absl::StatusOr<X509Ptr> cert = ParseCertificateDer(der);
  if (cert.ok()) {
    EXPECT_NE(X509_verify(cert->get(), key.pkey()), 1);
  }
}

TEST(CertificateTest, RejectsTrailingAndTruncatedDer) {
  MRA_ASSERT_OK_AND_ASSIGN(PrivateKey key,
                           PrivateKey::Generate(KeyType::kEcdsaP256));
  std::vector<uint8_t> der = SelfSigned(key);
  std::vector<uint8_t> longer = der;
  longer.push_back(0);
  absl::Status s = ParseCertificateDer(longer).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(s.message(), "has 1 bytes after its DER");
  der.pop_back();
  s = ParseCertificateDer(der).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(s.message(), "does not decode as DER");
  EXPECT_THAT(ParseCertificateDer({}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CertificateTest, PointOffTheCurveIsRefused) {
  MRA_ASSERT_OK_AND_ASSIGN(PrivateKey key,
                           PrivateKey::Generate(KeyType::kEcdsaP256));
  std::vector<uint8_t> der = SelfSigned(key);
  MRA_ASSERT_OK_AND_ASSIGN(X509Ptr cert, ParseCertificateDer(der));
  const unsigned char* bits = nullptr;
  int bits_len = 0;
  ASSERT_EQ(X509_PUBKEY_get0_param(nullptr, &bits, &bits_len, nullptr,
                                   X509_get_X509_PUBKEY(cert.get())),
            1);
  ASSERT_EQ(bits_len, 65);
  std::vector<uint8_t> point(bits, bits + bits_len);
  EXPECT_THAT(EcPublicKeyFromPoint("prime256v1", point), IsOk());
  point[64] ^= 0x01;  // y no longer matches x.
  absl::Status s = EcPublicKeyFromPoint("prime256v1", point).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(s.message(), "EC public key is not a valid point on prime256v1");
  EXPECT_THAT(EcPublicKeyFromPoint("prime256v1", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

std::string Pem(const std::vector<uint8_t>& der) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return std::string(data, static_cast<size_t>(len));
}

// DecodeChain splits `pem` and decodes every body, as the verifiers do.
absl::StatusOr<std::vector<std::vector<uint8_t>>> DecodeChain(
    std::string_view pem, size_t max) {
  absl::StatusOr<std::vector<std::string_view>> bodies =
      SplitPemCertificates(pem, max);
  if (!bodies.ok()) {
    return bodies.status();
  }
  std::vector<std::vector<uint8_t>> ders;
  for (std::string_view body : *bodies) {
    absl::StatusOr<std::vector<uint8_t>> der = DecodePemBody(body, ders.size());
    if (!der.ok()) {
      return der.status();
    }
    ders.push_back(*std::move(der));
  }
  return ders;
}

TEST(CertificateTest, DecodesPemChainsAndNamesEachProblem) {
  MRA_ASSERT_OK_AND_ASSIGN(PrivateKey key,
                           PrivateKey::Generate(KeyType::kEcdsaP256));
  std::vector<uint8_t> der = SelfSigned(key);
  std::string pem = Pem(der);
  // Two blocks, whitespace between, NUL-terminated as in a quote.
  std::string chain = pem + "\n\r\n" + pem + std::string(1, '\0');
  MRA_ASSERT_OK_AND_ASSIGN(auto ders, DecodeChain(chain, 3));
  ASSERT_EQ(ders.size(), 2u);
  EXPECT_EQ(ders[0], der);
  EXPECT_EQ(ders[1], der);

  auto message = [](std::string_view text, size_t max) {
    absl::Status s = DecodeChain(text, max).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << text;
    return std::string(s.message());
  };
  EXPECT_EQ(message("", 3), "no certificates");
  EXPECT_EQ(message(" \n\0", 3), "no certificates");
  EXPECT_EQ(message("junk" + pem, 3),
            "expected a PEM certificate ('-----BEGIN CERTIFICATE-----')");
  EXPECT_EQ(message(pem + "junk", 3),
            "expected a PEM certificate ('-----BEGIN CERTIFICATE-----')");
  EXPECT_EQ(message(pem.substr(0, pem.size() - 10), 3),
            "unterminated PEM certificate");
  EXPECT_EQ(message(chain, 1), "more than 1 certificates");
  std::string bad = pem;
  bad[40] = '*';
  EXPECT_EQ(message(pem + bad, 3), "certificate 1 is not valid base64");
  std::string with_header = pem;
  with_header.insert(28, "Proc-Type: 4,ENCRYPTED\n");
  EXPECT_EQ(message(with_header, 3), "certificate 0 is not valid base64");
  // OpenSSL's decoder stops at '-': nothing may follow the data unseen.
  std::string tail = pem;
  tail.insert(tail.find("-----END"), "-QUJD\n");
  EXPECT_EQ(message(tail, 3), "certificate 0 is not valid base64");
}

TEST(CertificateTest, PemBodiesAreRecognisedByTheirText) {
  MRA_ASSERT_OK_AND_ASSIGN(PrivateKey key,
                           PrivateKey::Generate(KeyType::kEcdsaP256));
  std::vector<uint8_t> der = SelfSigned(key);
  const std::string b64 = Base64Encode(der);
  ASSERT_EQ(b64.size() % 4, 0u);
  EXPECT_EQ(b64.find_first_of("\n\r "), std::string::npos);

  std::string chain = Pem(der) + Pem(der);
  MRA_ASSERT_OK_AND_ASSIGN(auto bodies, SplitPemCertificates(chain, 2));
  ASSERT_EQ(bodies.size(), 2u);
  MRA_ASSERT_OK_AND_ASSIGN(auto decoded, DecodePemBody(bodies[1], 1));
  EXPECT_EQ(decoded, der);
  // PEM's 64-column lines, other wrapping and CRLF all match the one line.
  EXPECT_TRUE(PemBodyIs(bodies[0], b64));
  std::string rewrapped = "\r\n";
  for (size_t i = 0; i < b64.size(); i += 76) {
    rewrapped += b64.substr(i, 76) + "\r\n";
  }
  EXPECT_TRUE(PemBodyIs(rewrapped, b64));
  const std::string spaced = b64.substr(0, 10) + " \t" + b64.substr(10, 30) +
                             "\r \n" + b64.substr(40);
  EXPECT_TRUE(PemBodyIs(spaced, b64));
  std::string spaced_changed = spaced;
  spaced_changed[13] = spaced_changed[13] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(PemBodyIs(spaced_changed, b64));
  MRA_ASSERT_OK_AND_ASSIGN(decoded, DecodePemBody(rewrapped, 0));
  EXPECT_EQ(decoded, der);
  // Any other text is not the certificate.
  std::string changed = rewrapped;
  changed[10] = changed[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(PemBodyIs(changed, b64));
  EXPECT_FALSE(PemBodyIs(rewrapped + "AAAA", b64));
  EXPECT_FALSE(PemBodyIs(rewrapped.substr(0, rewrapped.size() - 8), b64));
  EXPECT_FALSE(PemBodyIs("", b64));
  EXPECT_FALSE(PemBodyIs("\n", ""));  // Nothing is known.
  EXPECT_EQ(DecodePemBody("\n", 3).status().message(),
            "certificate 3 is not valid base64");
  EXPECT_EQ(Base64Encode({}), "");
  EXPECT_EQ(SplitPemCertificates(chain, 1).status().message(),
            "more than 1 certificates");
}

TEST(CertificateTest, PemBodiesDecodeStrictly) {
  auto decode = [](std::string_view body) -> std::string {
    absl::StatusOr<std::vector<uint8_t>> der = DecodePemBody(body, 0);
    return der.ok() ? std::string(der->begin(), der->end()) : "<refused>";
  };
  EXPECT_EQ(decode("TWFu"), "Man");
  EXPECT_EQ(decode("\r\nTW\tE=\n"), "Ma");
  EXPECT_EQ(decode("TQ=="), "M");
  EXPECT_EQ(decode("TWFuTQ=="), "ManM");
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "", " \n", "TWF", "TWFuT", "TW=u", "T===", "====", "TQ==TWFu",
           "TQ=a", "TWFu-", std::string_view("TWFu\0", 5)}) {
    EXPECT_EQ(decode(bad), "<refused>") << bad;
  }
}

// Curves without a built-in template go through EVP_PKEY_fromdata.
TEST(CertificateTest, OtherNamedCurvesBuildThroughFromdata) {
  EvpPkeyPtr p521(EVP_EC_gen("secp521r1"));
  ASSERT_NE(p521, nullptr);
  uint8_t* encoded = nullptr;
  size_t len = EVP_PKEY_get1_encoded_public_key(p521.get(), &encoded);
  ASSERT_GT(len, 0u);
  std::vector<uint8_t> point(encoded, encoded + len);
  OPENSSL_free(encoded);
  MRA_ASSERT_OK_AND_ASSIGN(EvpPkeyPtr key,
                           EcPublicKeyFromPoint("secp521r1", point));
  EXPECT_EQ(EVP_PKEY_eq(key.get(), p521.get()), 1);
  point.back() ^= 0x01;
  EXPECT_THAT(EcPublicKeyFromPoint("secp521r1", point),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EcPublicKeyFromPoint("no-such-curve", point),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CertificateTest, NullCertificateIsAnError) {
  EXPECT_THAT(CertificatePublicKey(nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace mra::crypto

// Tests of the verifier's X.509 helpers (src/sgx/x509_util.cc) on
// certificates built here, one property at a time.

#include <openssl/evp.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/sgx/internal/verify_internal.h"
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mra/crypto/keys.h"
#include "mra/testing/status_matchers.h"

namespace mra::sgx::internal {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::testing::HasSubstr;

// Cert returns a self-signed certificate carrying `extensions`, each
// "name:value" in openssl.cnf syntax (X509V3_EXT_conf).
crypto::X509Ptr Cert(const std::vector<std::string>& extensions) {
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256);
  EXPECT_THAT(key, IsOk());
  crypto::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("ca"), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key->pkey());
  for (const std::string& ext : extensions) {
    size_t colon = ext.find(':');
    X509_EXTENSION* e =
        X509V3_EXT_conf(nullptr, nullptr, ext.substr(0, colon).c_str(),
                        ext.substr(colon + 1).c_str());
    EXPECT_NE(e, nullptr) << ext;
    X509_add_ext(cert.get(), e, -1);
    X509_EXTENSION_free(e);
  }
  EXPECT_GT(X509_sign(cert.get(), key->pkey(), EVP_sha256()), 0);
  return cert;
}

TEST(CheckIsCaTest, AcceptsCaCertificates) {
  EXPECT_THAT(CheckIsCa(Cert({"basicConstraints:critical,CA:TRUE"}).get(), "c"),
              IsOk());
  EXPECT_THAT(
      CheckIsCa(Cert({"basicConstraints:CA:TRUE,pathlen:0",
                      "keyUsage:critical,keyCertSign,cRLSign"})
                    .get(),
                "c"),
      IsOk());
}

TEST(CheckIsCaTest, NamesWhatIsMissing) {
  struct Case {
    std::vector<std::string> extensions;
    const char* why;
  };
  const Case cases[] = {
      {{}, "no basicConstraints"},
      {{"keyUsage:keyCertSign"}, "no basicConstraints"},
      {{"basicConstraints:CA:FALSE"}, "basicConstraints cA is FALSE"},
      {{"basicConstraints:CA:TRUE", "keyUsage:digitalSignature,cRLSign"},
       "keyUsage lacks keyCertSign"},
      {{"basicConstraints:CA:TRUE", "basicConstraints:CA:TRUE"},
       "basicConstraints repeated"},
      {{"basicConstraints:CA:TRUE", "keyUsage:keyCertSign",
        "keyUsage:keyCertSign"},
       "keyUsage repeated"},
  };
  for (const Case& c : cases) {
    crypto::X509Ptr cert = Cert(c.extensions);
    absl::Status s = CheckIsCa(cert.get(), "chain[1]");
    EXPECT_THAT(s, FailsWith(VerifyFailure::kCertChainInvalid)) << c.why;
    EXPECT_THAT(s.message(),
                HasSubstr(std::string("chain[1]: not a CA certificate (") +
                          c.why + ")"));
  }
}

}  // namespace
}  // namespace mra::sgx::internal

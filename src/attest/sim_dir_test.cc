// The development PKI and collateral made by InitSimDir / RefreshSimCollateral.
#include "mra/attest/sim_dir.h"

#include <openssl/objects.h>
#include <sys/stat.h>

#include <map>

#include "gtest/gtest.h"
#include "src/attest/internal/cert_builder.h"
#include "src/attest/internal/collateral_writer.h"
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/collateral/collateral.h"
#include "mra/crypto/certificate.h"
#include "mra/crypto/signature.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::attest {
namespace {

using ::mra::testing::IsOk;
using ::mra::testing::MakeTempDir;
using ::mra::testing::StatusIs;

// 2030-01-01, the fixed "now" of these tests.
constexpr int64_t kNowUnix = 1893456000;
absl::Time TestNow() { return absl::FromUnixSeconds(kNowUnix); }

std::string Read(const std::string& dir, std::string_view file) {
  absl::StatusOr<std::string> s =
      ReadFileBounded(SimFilePath(dir, file), 1 << 22);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : std::string();
}

crypto::X509Ptr Cert(const std::string& dir, std::string_view file) {
  absl::StatusOr<crypto::X509Ptr> c =
      internal::ParseOneCertPem(Read(dir, file), file);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : nullptr;
}

std::string CommonName(X509* cert) {
  char buf[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf,
                            sizeof(buf));
  return buf;
}

unsigned Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

// Decodes the SGX extension with OpenSSL's generic ASN.1 parser (independent
// of the encoder): OID text -> the ASN1_TYPE value of each SEQUENCE{OID, v}.
class SgxExtension {
 public:
  explicit SgxExtension(X509* cert) {
    ASN1_OBJECT* oid = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    int idx = X509_get_ext_by_OBJ(cert, oid, -1);
    ASN1_OBJECT_free(oid);
    EXPECT_GE(idx, 0) << "no SGX extension";
    if (idx < 0) {
      return;
    }
    X509_EXTENSION* ext = X509_get_ext(cert, idx);
    EXPECT_EQ(X509_EXTENSION_get_critical(ext), 0);
    ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
    Walk(ASN1_STRING_get0_data(data), ASN1_STRING_length(data));
  }
  ~SgxExtension() {
    for (STACK_OF(ASN1_TYPE) * seq : owned_) {
      sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
    }
  }

  const ASN1_TYPE* Get(const std::string& suffix) const {
    auto it = values_.find("1.2.840.113741.1.13.1." + suffix);
    return it == values_.end() ? nullptr : it->second;
  }
  std::string OctetHex(const std::string& suffix) const {
    const ASN1_TYPE* t = Get(suffix);
    if (t == nullptr || t->type != V_ASN1_OCTET_STRING) {
      return "<missing>";
    }
    return HexEncode(std::span<const uint8_t>(
        ASN1_STRING_get0_data(t->value.octet_string),
        static_cast<size_t>(ASN1_STRING_length(t->value.octet_string))));
  }
  int64_t Integer(const std::string& suffix) const {
    const ASN1_TYPE* t = Get(suffix);
    if (t == nullptr ||
        (t->type != V_ASN1_INTEGER && t->type != V_ASN1_ENUMERATED)) {
      return -1;
    }
    int64_t v = -1;
    if (t->type == V_ASN1_INTEGER) {
      ASN1_INTEGER_get_int64(&v, t->value.integer);
    } else {
      ASN1_ENUMERATED_get_int64(&v, t->value.enumerated);
    }
    return v;
  }

 private:
  void Walk(const unsigned char* p, int len) {
    const unsigned char* q = p;
    STACK_OF(ASN1_TYPE)* seq = d2i_ASN1_SEQUENCE_ANY(nullptr, &q, len);
    ASSERT_NE(seq, nullptr);
    owned_.push_back(seq);
    for (int i = 0; i < sk_ASN1_TYPE_num(seq); ++i) {
      ASN1_TYPE* entry = sk_ASN1_TYPE_value(seq, i);
      ASSERT_EQ(entry->type, V_ASN1_SEQUENCE);
      const unsigned char* e = ASN1_STRING_get0_data(entry->value.sequence);
      STACK_OF(ASN1_TYPE)* pair = d2i_ASN1_SEQUENCE_ANY(
          nullptr, &e, ASN1_STRING_length(entry->value.sequence));
      ASSERT_NE(pair, nullptr);
      owned_.push_back(pair);
      ASSERT_EQ(sk_ASN1_TYPE_num(pair), 2);
      ASN1_TYPE* oid = sk_ASN1_TYPE_value(pair, 0);
      ASSERT_EQ(oid->type, V_ASN1_OBJECT);
      char buf[128] = {0};
      OBJ_obj2txt(buf, sizeof(buf), oid->value.object, 1);
      ASN1_TYPE* value = sk_ASN1_TYPE_value(pair, 1);
      values_[buf] = value;
      if (value->type == V_ASN1_SEQUENCE) {
        Walk(ASN1_STRING_get0_data(value->value.sequence),
             ASN1_STRING_length(value->value.sequence));
      }
    }
  }
  std::map<std::string, const ASN1_TYPE*> values_;
  std::vector<STACK_OF(ASN1_TYPE)*> owned_;
};

class SimDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir() + "/sim";
    SimInitOptions opts;
    opts.clock = &clock_;
    absl::StatusOr<SimDirInfo> info = InitSimDir(dir_, opts);
    ASSERT_THAT(info, IsOk());
    info_ = *info;
  }

  FixedClock clock_{TestNow()};
  std::string dir_;
  SimDirInfo info_;
};

TEST_F(SimDirTest, WritesTheDocumentedLayoutWithPrivateKeys) {
  for (std::string_view f : {kSimReadmeFile, kSimMetadataFile, kSimRootCertFile,
                             kSimPlatformCaCertFile, kSimTcbSigningCertFile,
                             kSimPckCertFile, kSimCollateralFile}) {
    EXPECT_EQ(Mode(SimFilePath(dir_, f)), 0644u) << f;
  }
  EXPECT_EQ(Mode(dir_), 0700u);
  EXPECT_EQ(Mode(SimFilePath(dir_, "keys")), 0700u);
  for (std::string_view f :
       {kSimRootKeyFile, kSimPlatformCaKeyFile, kSimTcbSigningKeyFile,
        kSimPckKeyFile, kSimAttestationKeyFile}) {
    EXPECT_EQ(Mode(SimFilePath(dir_, f)), 0600u) << f;
  }
  EXPECT_NE(Read(dir_, kSimReadmeFile).find("DEVELOPMENT ONLY"),
            std::string::npos);
  EXPECT_NE(Read(dir_, kSimMetadataFile).find("DEVELOPMENT ONLY"),
            std::string::npos);
}

TEST_F(SimDirTest, CertificatesAreShapedLikeIntelsAndChainToTheDevRoot) {
  crypto::X509Ptr root = Cert(dir_, kSimRootCertFile);
  crypto::X509Ptr ca = Cert(dir_, kSimPlatformCaCertFile);
  crypto::X509Ptr tcb = Cert(dir_, kSimTcbSigningCertFile);
  crypto::X509Ptr pck = Cert(dir_, kSimPckCertFile);
  ASSERT_TRUE(root && ca && tcb && pck);
  EXPECT_EQ(CommonName(root.get()),
            "mra DEVELOPMENT Root CA - NOT FOR PRODUCTION");
  EXPECT_NE(CommonName(ca.get()).find("SGX PCK Platform CA"),
            std::string::npos);
  EXPECT_NE(CommonName(tcb.get()).find("SGX TCB Signing"), std::string::npos);
  EXPECT_NE(CommonName(pck.get()).find("SGX PCK Certificate"),
            std::string::npos);
  EXPECT_EQ(X509_check_ca(root.get()), 1);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_check_ca(pck.get()), 0);
  EXPECT_EQ(X509_check_ca(tcb.get()), 0);

  crypto::X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), root.get());
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  sk_X509_push(untrusted, ca.get());
  for (X509* leaf : {pck.get(), tcb.get()}) {
    crypto::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    ASSERT_EQ(X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted), 1);
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()),
                               absl::ToTimeT(TestNow()));
    EXPECT_EQ(X509_verify_cert(ctx.get()), 1)
        << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  }
  sk_X509_free(untrusted);
  EXPECT_EQ(info_.certs_not_after, TestNow() + absl::Hours(24 * 3650));
}

TEST_F(SimDirTest, PckCertificateCarriesTheSgxExtension) {
  crypto::X509Ptr pck = Cert(dir_, kSimPckCertFile);
  ASSERT_TRUE(pck);
  SgxExtension ext(pck.get());
  const SimPlatform& p = info_.platform;
  EXPECT_EQ(ext.OctetHex("1"), HexEncode(p.ppid));
  for (size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(ext.Integer("2." + std::to_string(i + 1)),
              p.sgx_tcb_components[i])
        << i;
  }
  EXPECT_EQ(ext.Integer("2.17"), p.pce_svn);
  EXPECT_EQ(ext.OctetHex("2.18"), HexEncode(p.sgx_tcb_components));
  EXPECT_EQ(ext.OctetHex("3"), HexEncode(p.pce_id));
  EXPECT_EQ(ext.OctetHex("4"), HexEncode(p.fmspc));
  EXPECT_EQ(ext.Integer("5"), 1);  // Scalable.
  EXPECT_EQ(ext.OctetHex("6"), HexEncode(p.platform_instance_id));
  ASSERT_NE(ext.Get("7.1"), nullptr);
  EXPECT_EQ(ext.Get("7.1")->type, V_ASN1_BOOLEAN);
  // By default the PCK has the latest (UpToDate) TCB.
  EXPECT_EQ(p.sgx_tcb_components, p.latest_sgx_tcb_components);
  EXPECT_EQ(p.pce_svn, p.latest_pce_svn);
}

TEST_F(SimDirTest, CollateralLoadsAndItsSignaturesVerify) {
  MRA_ASSERT_OK_AND_ASSIGN(
      collateral::Collateral c,
      collateral::ParseCollateralJson(Read(dir_, kSimCollateralFile)));
  const SimPlatform& p = info_.platform;
  EXPECT_EQ(c.tcb_info.version, 3u);
  EXPECT_EQ(c.tcb_info.tee, collateral::TeeType::kSgx);
  EXPECT_EQ(c.tcb_info.fmspc, p.fmspc);
  EXPECT_EQ(c.tcb_info.pce_id, p.pce_id);
  EXPECT_EQ(c.tcb_info.issue_date, TestNow() - absl::Hours(24));
  EXPECT_EQ(c.tcb_info.next_update, TestNow() + absl::Hours(24 * 30));
  ASSERT_EQ(c.tcb_info.tcb_levels.size(), 2u);
  EXPECT_EQ(c.tcb_info.tcb_levels[0].status, collateral::TcbStatus::kUpToDate);
  EXPECT_EQ(c.tcb_info.tcb_levels[0].sgx_components, p.sgx_tcb_components);
  EXPECT_EQ(c.tcb_info.tcb_levels[0].pce_svn, p.pce_svn);
  EXPECT_EQ(c.tcb_info.tcb_levels[1].status, collateral::TcbStatus::kOutOfDate);
  EXPECT_LT(c.tcb_info.tcb_levels[1].pce_svn, p.pce_svn);

  EXPECT_EQ(c.qe_identity.id, "QE");
  EXPECT_EQ(c.qe_identity.mrsigner, p.qe_mr_signer);
  EXPECT_EQ(c.qe_identity.isv_prod_id, p.qe_isv_prod_id);
  for (size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(p.qe_attributes[i] & c.qe_identity.attributes_mask[i],
              c.qe_identity.attributes[i]);
  }
  ASSERT_FALSE(c.qe_identity.tcb_levels.empty());
  EXPECT_EQ(c.qe_identity.tcb_levels[0].isv_svn, p.qe_svn);

  // Signatures over the exact bytes, by the TCB signing certificate's key.
  ASSERT_EQ(c.tcb_info_issuer_chain.size(), 2u);
  MRA_ASSERT_OK_AND_ASSIGN(
      crypto::EvpPkeyPtr signer_key,
      crypto::CertificatePublicKey(c.tcb_info_issuer_chain[0].get()));
  EVP_PKEY* signer = signer_key.get();
  EXPECT_THAT(crypto::VerifyEcdsaRaw(signer, crypto::AsBytes(c.tcb_info_json),
                                     c.tcb_info_signature),
              IsOk());
  EXPECT_THAT(
      crypto::VerifyEcdsaRaw(signer, crypto::AsBytes(c.qe_identity_json),
                             c.qe_identity_signature),
      IsOk());
  std::string tampered = c.tcb_info_json;
  tampered.insert(1, " ");
  EXPECT_FALSE(crypto::VerifyEcdsaRaw(signer, crypto::AsBytes(tampered),
                                      c.tcb_info_signature)
                   .ok());

  // CRLs: empty, signed by root / PCK Platform CA, dated like the JSON.
  crypto::X509Ptr root = Cert(dir_, kSimRootCertFile);
  crypto::X509Ptr ca = Cert(dir_, kSimPlatformCaCertFile);
  EXPECT_EQ(X509_CRL_verify(c.root_ca_crl.get(), X509_get0_pubkey(root.get())),
            1);
  EXPECT_EQ(X509_CRL_verify(c.pck_crl.get(), X509_get0_pubkey(ca.get())), 1);
  EXPECT_EQ(X509_CRL_get_REVOKED(c.pck_crl.get()), nullptr);
  EXPECT_EQ(X509_NAME_cmp(X509_CRL_get_issuer(c.pck_crl.get()),
                          X509_get_subject_name(ca.get())),
            0);
  EXPECT_EQ(info_.collateral_next_update, TestNow() + absl::Hours(24 * 30));
}

TEST_F(SimDirTest, ReRunningRequiresForce) {
  SimInitOptions opts;
  opts.clock = &clock_;
  EXPECT_THAT(InitSimDir(dir_, opts),
              StatusIs(absl::StatusCode::kAlreadyExists));
  std::string old_root = Read(dir_, kSimRootCertFile);
  opts.force = true;
  MRA_ASSERT_OK_AND_ASSIGN(SimDirInfo again, InitSimDir(dir_, opts));
  EXPECT_NE(Read(dir_, kSimRootCertFile), old_root);
  EXPECT_NE(again.root_sha256, info_.root_sha256);
}

TEST_F(SimDirTest, RefreshKeepsKeysAndCertsAndMovesTheDates) {
  std::string root = Read(dir_, kSimRootCertFile);
  std::string pck = Read(dir_, kSimPckCertFile);
  std::string key = Read(dir_, kSimPckKeyFile);
  FixedClock later(TestNow() + absl::Hours(24 * 45));
  SimRefreshOptions opts;
  opts.clock = &later;
  MRA_ASSERT_OK_AND_ASSIGN(SimDirInfo refreshed,
                           RefreshSimCollateral(dir_, opts));
  EXPECT_EQ(refreshed.root_sha256, info_.root_sha256);
  EXPECT_EQ(Read(dir_, kSimRootCertFile), root);
  EXPECT_EQ(Read(dir_, kSimPckCertFile), pck);
  EXPECT_EQ(Read(dir_, kSimPckKeyFile), key);
  EXPECT_EQ(refreshed.collateral_next_update,
            TestNow() + absl::Hours(24 * 45) + absl::Hours(24 * 30));
  MRA_ASSERT_OK_AND_ASSIGN(
      collateral::Collateral c,
      collateral::ParseCollateralJson(Read(dir_, kSimCollateralFile)));
  EXPECT_EQ(c.tcb_info.issue_date, TestNow() + absl::Hours(24 * 44));
  EXPECT_EQ(c.qe_identity.next_update, refreshed.collateral_next_update);
  auto* number = static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(c.pck_crl.get(), NID_crl_number, nullptr, nullptr));
  ASSERT_NE(number, nullptr);
  EXPECT_EQ(ASN1_INTEGER_get(number), 2);
  ASN1_INTEGER_free(number);
  // Still signed by the same TCB signing key.
  crypto::X509Ptr tcb = Cert(dir_, kSimTcbSigningCertFile);
  EXPECT_THAT(crypto::VerifyEcdsaRaw(X509_get0_pubkey(tcb.get()),
                                     crypto::AsBytes(c.tcb_info_json),
                                     c.tcb_info_signature),
              IsOk());
}

TEST_F(SimDirTest, RefreshRefusesWhenTheCertificatesWouldExpireFirst) {
  FixedClock late(TestNow() + absl::Hours(24 * 3640));
  SimRefreshOptions opts;
  opts.clock = &late;
  EXPECT_THAT(RefreshSimCollateral(dir_, opts),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(SimDirStandaloneTest, RefreshOfANonSimDirIsNotFound) {
  EXPECT_THAT(RefreshSimCollateral(MakeTempDir()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(LoadSimPlatform(MakeTempDir()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(SimDirStandaloneTest, BadDayCountsAreRefused) {
  SimInitOptions opts;
  opts.validity_days = 0;
  EXPECT_THAT(InitSimDir(MakeTempDir() + "/a", opts),
              StatusIs(absl::StatusCode::kInvalidArgument));
  opts.validity_days = 10;
  opts.collateral_days = 20;
  EXPECT_THAT(InitSimDir(MakeTempDir() + "/b", opts),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SimDirStandaloneTest, OutdatedPlatformGetsTheOutOfDateLevel) {
  std::string dir = MakeTempDir() + "/sim";
  SimInitOptions opts;
  opts.outdated_platform = true;
  MRA_ASSERT_OK_AND_ASSIGN(SimDirInfo info, InitSimDir(dir, opts));
  const SimPlatform& p = info.platform;
  internal::SimTcb lower =
      internal::OutOfDateTcb({p.latest_sgx_tcb_components, p.latest_pce_svn});
  EXPECT_EQ(p.sgx_tcb_components, lower.sgx_components);
  EXPECT_EQ(p.pce_svn, lower.pce_svn);
  crypto::X509Ptr pck = Cert(dir, kSimPckCertFile);
  SgxExtension ext(pck.get());
  EXPECT_EQ(ext.Integer("2.17"), lower.pce_svn);
  EXPECT_EQ(ext.Integer("2.1"), lower.sgx_components[0]);
  MRA_ASSERT_OK_AND_ASSIGN(SimPlatform loaded, LoadSimPlatform(dir));
  EXPECT_EQ(loaded.sgx_tcb_components, p.sgx_tcb_components);
  EXPECT_EQ(loaded.qe_mr_signer, p.qe_mr_signer);
  EXPECT_EQ(loaded.tcb_date, p.tcb_date);
}

}  // namespace
}  // namespace mra::attest

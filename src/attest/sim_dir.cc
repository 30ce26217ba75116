// The development PKI and collateral of the simulation mode.
#include "mra/attest/sim_dir.h"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "src/attest/internal/cert_builder.h"
#include "src/attest/internal/collateral_writer.h"
#include "src/attest/internal/ecdsa_raw.h"
#include "src/attest/internal/pck_extension.h"
#include "src/attest/internal/sim_metadata.h"

#include "mra/attest/key_files.h"
#include "mra/base/file.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/crypto/keys.h"

namespace mra::attest {
namespace {

using internal::CertRole;
using internal::CertSpec;
using internal::SimMetadata;

constexpr absl::Duration kBackdate = absl::Hours(24);
constexpr int kMaxValidityDays = 100 * 365;
constexpr int kMaxCollateralDays = 10 * 365;
constexpr size_t kMaxCertFileLen = size_t{64} * 1024;

// Not routable (RFC 2606 .invalid): the shape of Intel's CRL distribution
// points, so tools that read them (ca=platform) behave, without a real host.
constexpr std::string_view kRootCrlUrl =
    "https://mra-dev.invalid/sgx/certification/v4/rootcacrl";
constexpr std::string_view kPckCrlUrl =
    "https://mra-dev.invalid/sgx/certification/v4/"
    "pckcrl?ca=platform&encoding=der";

constexpr std::string_view kReadme =
    R"(DEVELOPMENT ONLY - NOT FOR PRODUCTION

This directory is a *simulated* Intel SGX platform created by `mra sim init`.
It holds a development root CA ("mra DEVELOPMENT Root CA - NOT FOR
PRODUCTION"), a PCK Platform CA, a TCB Signing certificate, a PCK certificate
with the SGX extension, their PRIVATE KEYS (keys/), and DCAP collateral
(collateral.json) signed with them.

Quotes produced in simulation mode have the real SGX quote v3 format but are
signed with these keys: they prove NOTHING about hardware, and anyone who can
read keys/ can forge them. Verifiers accept them only when explicitly
configured with root.pem as a development root, and then report
simulation = true.

  mra sim refresh-collateral --dir DIR   re-sign the collateral with new dates
  mra sim init --dir DIR --force         start over (new keys)

Never configure a production verifier with root.pem. Never copy keys/ into an
image that leaves your machine.
)";

const Clock& ClockOf(const Clock* c) {
  return c != nullptr ? *c : Clock::Real();
}

absl::Time TruncateToSeconds(absl::Time t) {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(t));
}

absl::Time StartOfDay(absl::Time t) {
  int64_t s = absl::ToUnixSeconds(t);
  return absl::FromUnixSeconds(s - (s % 86400));
}

absl::Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(
        StrCat("cannot create '", path, "': ", std::strerror(errno)));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        StrCat("'", path, "' is not a directory"));
  }
  return absl::OkStatus();
}

absl::Status RandomBytes(std::span<uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    return crypto::OpenSslError("RAND_bytes");
  }
  return absl::OkStatus();
}

absl::StatusOr<SimPlatform> DefaultPlatform(absl::Time now,
                                            bool outdated_platform) {
  SimPlatform p;
  // An FMSPC of no real Intel CPU family ("DE7E" ~ "dev").
  p.fmspc = {0x00, 0xde, 0x7e, 0x00, 0x00, 0x00};
  p.pce_id = {0x00, 0x00};
  MRA_RETURN_IF_ERROR(RandomBytes(p.ppid));
  MRA_RETURN_IF_ERROR(RandomBytes(p.platform_instance_id));
  p.latest_sgx_tcb_components = {7, 7, 2, 2, 3, 1, 0, 3,
                                 0, 0, 0, 0, 0, 0, 0, 0};
  p.latest_pce_svn = 13;
  internal::SimTcb pck{p.latest_sgx_tcb_components, p.latest_pce_svn};
  if (outdated_platform) {
    pck = internal::OutOfDateTcb(pck);
  }
  p.sgx_tcb_components = pck.sgx_components;
  p.pce_svn = pck.pce_svn;
  p.qe_svn = 8;
  p.qe_isv_prod_id = 1;
  p.qe_mr_enclave = crypto::Sha256(
      crypto::AsBytes("mra DEVELOPMENT simulated quoting enclave"));
  p.qe_mr_signer = crypto::Sha256(
      crypto::AsBytes("mra DEVELOPMENT simulated quoting enclave signer"));
  // INIT | MODE64BIT | PROVISIONKEY, XFRM 0xe7: what Intel's QE reports.
  p.qe_attributes = {0x15, 0, 0, 0, 0, 0, 0, 0, 0xe7, 0, 0, 0, 0, 0, 0, 0};
  p.tcb_evaluation_data_number = 17;
  p.tcb_date = StartOfDay(now);
  return p;
}

internal::PckExtensionValues PckValues(const SimPlatform& p) {
  internal::PckExtensionValues v;
  v.ppid = p.ppid;
  v.sgx_tcb_components = p.sgx_tcb_components;
  v.pce_svn = p.pce_svn;
  v.cpusvn = p.sgx_tcb_components;
  v.pce_id = p.pce_id;
  v.fmspc = p.fmspc;
  v.sgx_type = 1;  // Scalable, as on Platform-CA-issued (Xeon SP) PCKs.
  v.platform_instance_id = p.platform_instance_id;
  v.configuration = internal::PckConfiguration{};
  return v;
}

// The CA material RefreshSimCollateral and InitSimDir both sign with.
struct Authority {
  crypto::X509Ptr root;
  crypto::X509Ptr platform_ca;
  crypto::X509Ptr tcb_signing;
  std::string root_pem;
  std::string platform_ca_pem;
  std::string tcb_signing_pem;
  std::optional<crypto::PrivateKey> root_key;
  std::optional<crypto::PrivateKey> platform_ca_key;
  std::optional<crypto::PrivateKey> tcb_signing_key;
};

// WriteCollateral signs and writes collateral.json; returns nextUpdate.
absl::StatusOr<absl::Time> WriteCollateral(const std::string& dir,
                                           const SimMetadata& meta,
                                           const Authority& a, absl::Time now,
                                           int days) {
  absl::Time issue = now - kBackdate;
  absl::Time next = now + absl::Hours(24) * days;
  internal::CollateralBundle b;
  MRA_ASSIGN_OR_RETURN(crypto::X509CrlPtr root_crl,
                       internal::IssueCrl({issue, next, meta.crl_number},
                                          a.root.get(), a.root_key->pkey()));
  MRA_ASSIGN_OR_RETURN(
      crypto::X509CrlPtr pck_crl,
      internal::IssueCrl({issue, next, meta.crl_number}, a.platform_ca.get(),
                         a.platform_ca_key->pkey()));
  MRA_ASSIGN_OR_RETURN(b.root_ca_crl_der, internal::CrlDer(root_crl.get()));
  MRA_ASSIGN_OR_RETURN(b.pck_crl_der, internal::CrlDer(pck_crl.get()));
  b.pck_crl_issuer_chain = a.platform_ca_pem + a.root_pem;
  b.tcb_info_issuer_chain = a.tcb_signing_pem + a.root_pem;
  b.qe_identity_issuer_chain = b.tcb_info_issuer_chain;
  b.tcb_info = internal::TcbInfoJson(meta.platform, issue, next);
  b.qe_identity = internal::QeIdentityJson(meta.platform, issue, next);
  MRA_ASSIGN_OR_RETURN(b.tcb_info_signature,
                       internal::SignP256Raw(a.tcb_signing_key->pkey(),
                                             crypto::AsBytes(b.tcb_info)));
  MRA_ASSIGN_OR_RETURN(b.qe_identity_signature,
                       internal::SignP256Raw(a.tcb_signing_key->pkey(),
                                             crypto::AsBytes(b.qe_identity)));
  MRA_RETURN_IF_ERROR(WriteFileAtomic(SimFilePath(dir, kSimCollateralFile),
                                      internal::BundleJson(b), 0644));
  return next;
}

absl::StatusOr<crypto::Sha256Digest> DerSha256(X509* cert) {
  int len = i2d_X509(cert, nullptr);
  if (len <= 0) {
    return crypto::OpenSslError("i2d_X509");
  }
  std::vector<uint8_t> der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  i2d_X509(cert, &p);
  return crypto::Sha256(der);
}

absl::Time NotAfter(X509* cert) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) {
    return absl::InfinitePast();
  }
  return absl::FromTM(tm, absl::UTCTimeZone());
}

bool AnySimFileExists(const std::string& dir) {
  for (std::string_view f :
       {kSimMetadataFile, kSimReadmeFile, kSimRootCertFile,
        kSimPlatformCaCertFile, kSimTcbSigningCertFile, kSimPckCertFile,
        kSimCollateralFile, kSimRootKeyFile, kSimPlatformCaKeyFile,
        kSimTcbSigningKeyFile, kSimPckKeyFile, kSimAttestationKeyFile}) {
    std::error_code ec;
    if (std::filesystem::exists(SimFilePath(dir, f), ec)) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<crypto::X509Ptr> LoadCert(const std::string& dir,
                                         std::string_view file,
                                         std::string* out_pem) {
  std::string path = SimFilePath(dir, file);
  MRA_ASSIGN_OR_RETURN(*out_pem, ReadFileBounded(path, kMaxCertFileLen));
  return internal::ParseOneCertPem(*out_pem, path);
}

}  // namespace

std::string SimFilePath(const std::string& dir, std::string_view file) {
  return (std::filesystem::path(dir) / std::string(file)).string();
}

absl::StatusOr<SimDirInfo> InitSimDir(const std::string& dir,
                                      const SimInitOptions& opts) {
  if (opts.validity_days < 1 || opts.validity_days > kMaxValidityDays) {
    return absl::InvalidArgumentError(StrCat("validity days ",
                                             opts.validity_days, " outside 1..",
                                             kMaxValidityDays));
  }
  if (opts.collateral_days < 1 || opts.collateral_days > kMaxCollateralDays) {
    return absl::InvalidArgumentError(
        StrCat("collateral days ", opts.collateral_days, " outside 1..",
               kMaxCollateralDays));
  }
  if (opts.collateral_days > opts.validity_days) {
    return absl::InvalidArgumentError(
        "collateral days exceed the certificates' validity days");
  }
  if (!opts.force && AnySimFileExists(dir)) {
    return absl::AlreadyExistsError(
        StrCat("'", dir,
               "' already holds a sim dir; pass --force to replace it (new "
               "keys: verifiers configured with the old root.pem will refuse "
               "new quotes)"));
  }
  MRA_RETURN_IF_ERROR(MakeDir(dir));
  MRA_RETURN_IF_ERROR(MakeDir(SimFilePath(dir, "keys")));

  absl::Time now = TruncateToSeconds(ClockOf(opts.clock).Now());
  SimMetadata meta;
  meta.created = now;
  meta.collateral_days = opts.collateral_days;
  meta.crl_number = 1;
  MRA_ASSIGN_OR_RETURN(meta.platform,
                       DefaultPlatform(now, opts.outdated_platform));

  using crypto::KeyType;
  using crypto::PrivateKey;
  Authority a;
  MRA_ASSIGN_OR_RETURN(a.root_key, PrivateKey::Generate(KeyType::kEcdsaP256));
  MRA_ASSIGN_OR_RETURN(a.platform_ca_key,
                       PrivateKey::Generate(KeyType::kEcdsaP256));
  MRA_ASSIGN_OR_RETURN(a.tcb_signing_key,
                       PrivateKey::Generate(KeyType::kEcdsaP256));
  MRA_ASSIGN_OR_RETURN(PrivateKey pck_key,
                       PrivateKey::Generate(KeyType::kEcdsaP256));
  MRA_ASSIGN_OR_RETURN(PrivateKey attestation_key,
                       PrivateKey::Generate(KeyType::kEcdsaP256));

  absl::Time not_before = now - kBackdate;
  absl::Time not_after = now + absl::Hours(24) * opts.validity_days;
  auto spec = [&](CertRole role, std::string_view cn, std::string_view dp) {
    CertSpec s;
    s.role = role;
    s.common_name = std::string(cn);
    s.organization = std::string(kSimOrganization);
    s.not_before = not_before;
    s.not_after = not_after;
    s.crl_distribution_point = std::string(dp);
    return s;
  };
  MRA_ASSIGN_OR_RETURN(
      a.root, internal::IssueCert(
                  spec(CertRole::kRootCa, kSimRootCommonName, kRootCrlUrl),
                  a.root_key->pkey(), nullptr, a.root_key->pkey()));
  MRA_ASSIGN_OR_RETURN(
      a.platform_ca,
      internal::IssueCert(spec(CertRole::kIntermediateCa,
                               kSimPlatformCaCommonName, kRootCrlUrl),
                          a.platform_ca_key->pkey(), a.root.get(),
                          a.root_key->pkey()));
  MRA_ASSIGN_OR_RETURN(
      a.tcb_signing,
      internal::IssueCert(
          spec(CertRole::kSigner, kSimTcbSigningCommonName, kRootCrlUrl),
          a.tcb_signing_key->pkey(), a.root.get(), a.root_key->pkey()));
  CertSpec pck_spec = spec(CertRole::kSigner, kSimPckCommonName, kPckCrlUrl);
  MRA_ASSIGN_OR_RETURN(pck_spec.sgx_extension,
                       internal::EncodeSgxExtension(PckValues(meta.platform)));
  MRA_ASSIGN_OR_RETURN(
      crypto::X509Ptr pck,
      internal::IssueCert(pck_spec, pck_key.pkey(), a.platform_ca.get(),
                          a.platform_ca_key->pkey()));
  MRA_ASSIGN_OR_RETURN(a.root_pem, internal::CertPem(a.root.get()));
  MRA_ASSIGN_OR_RETURN(a.platform_ca_pem,
                       internal::CertPem(a.platform_ca.get()));
  MRA_ASSIGN_OR_RETURN(a.tcb_signing_pem,
                       internal::CertPem(a.tcb_signing.get()));
  MRA_ASSIGN_OR_RETURN(std::string pck_pem, internal::CertPem(pck.get()));

  // Keys first and sim.json last: a crash leaves no half-valid sim dir.
  MRA_RETURN_IF_ERROR(WritePrivateKeyFile(SimFilePath(dir, kSimRootKeyFile),
                                          *a.root_key, true));
  MRA_RETURN_IF_ERROR(WritePrivateKeyFile(
      SimFilePath(dir, kSimPlatformCaKeyFile), *a.platform_ca_key, true));
  MRA_RETURN_IF_ERROR(WritePrivateKeyFile(
      SimFilePath(dir, kSimTcbSigningKeyFile), *a.tcb_signing_key, true));
  MRA_RETURN_IF_ERROR(
      WritePrivateKeyFile(SimFilePath(dir, kSimPckKeyFile), pck_key, true));
  MRA_RETURN_IF_ERROR(WritePrivateKeyFile(
      SimFilePath(dir, kSimAttestationKeyFile), attestation_key, true));
  MRA_RETURN_IF_ERROR(
      WriteFileAtomic(SimFilePath(dir, kSimRootCertFile), a.root_pem, 0644));
  MRA_RETURN_IF_ERROR(WriteFileAtomic(SimFilePath(dir, kSimPlatformCaCertFile),
                                      a.platform_ca_pem, 0644));
  MRA_RETURN_IF_ERROR(WriteFileAtomic(SimFilePath(dir, kSimTcbSigningCertFile),
                                      a.tcb_signing_pem, 0644));
  MRA_RETURN_IF_ERROR(
      WriteFileAtomic(SimFilePath(dir, kSimPckCertFile), pck_pem, 0644));
  MRA_RETURN_IF_ERROR(
      WriteFileAtomic(SimFilePath(dir, kSimReadmeFile), kReadme, 0644));
  MRA_ASSIGN_OR_RETURN(absl::Time next, WriteCollateral(dir, meta, a, now,
                                                        opts.collateral_days));
  MRA_RETURN_IF_ERROR(WriteFileAtomic(SimFilePath(dir, kSimMetadataFile),
                                      internal::SimMetadataJson(meta), 0644));
  SimDirInfo info;
  info.dir = dir;
  MRA_ASSIGN_OR_RETURN(info.root_sha256, DerSha256(a.root.get()));
  info.certs_not_after = not_after;
  info.collateral_next_update = next;
  info.platform = meta.platform;
  return info;
}

absl::StatusOr<SimDirInfo> RefreshSimCollateral(const std::string& dir,
                                                const SimRefreshOptions& opts) {
  MRA_ASSIGN_OR_RETURN(std::string text,
                       ReadFileBounded(SimFilePath(dir, kSimMetadataFile),
                                       internal::kMaxSimMetadataLen));
  MRA_ASSIGN_OR_RETURN(SimMetadata meta, internal::ParseSimMetadata(text));
  int days =
      opts.collateral_days > 0 ? opts.collateral_days : meta.collateral_days;
  if (days < 1 || days > kMaxCollateralDays) {
    return absl::InvalidArgumentError(
        StrCat("collateral days ", days, " outside 1..", kMaxCollateralDays));
  }
  Authority a;
  MRA_ASSIGN_OR_RETURN(a.root, LoadCert(dir, kSimRootCertFile, &a.root_pem));
  MRA_ASSIGN_OR_RETURN(
      a.platform_ca, LoadCert(dir, kSimPlatformCaCertFile, &a.platform_ca_pem));
  MRA_ASSIGN_OR_RETURN(
      a.tcb_signing, LoadCert(dir, kSimTcbSigningCertFile, &a.tcb_signing_pem));
  MRA_ASSIGN_OR_RETURN(a.root_key,
                       LoadPrivateKeyFile(SimFilePath(dir, kSimRootKeyFile)));
  MRA_ASSIGN_OR_RETURN(a.platform_ca_key, LoadPrivateKeyFile(SimFilePath(
                                              dir, kSimPlatformCaKeyFile)));
  MRA_ASSIGN_OR_RETURN(a.tcb_signing_key, LoadPrivateKeyFile(SimFilePath(
                                              dir, kSimTcbSigningKeyFile)));
  if (X509_check_private_key(a.root.get(), a.root_key->pkey()) != 1 ||
      X509_check_private_key(a.platform_ca.get(), a.platform_ca_key->pkey()) !=
          1 ||
      X509_check_private_key(a.tcb_signing.get(), a.tcb_signing_key->pkey()) !=
          1) {
    crypto::ClearOpenSslErrors();
    return absl::FailedPreconditionError(
        StrCat("'", dir, "': a key in keys/ does not match its certificate"));
  }
  absl::Time now = TruncateToSeconds(ClockOf(opts.clock).Now());
  absl::Time certs_not_after = NotAfter(a.root.get());
  for (X509* c : {a.platform_ca.get(), a.tcb_signing.get()}) {
    certs_not_after = std::min(certs_not_after, NotAfter(c));
  }
  if (now + absl::Hours(24) * days > certs_not_after) {
    return absl::FailedPreconditionError(StrCat(
        "the development certificates in '", dir, "' expire ",
        FormatRfc3339Utc(certs_not_after),
        ", before the refreshed collateral would; run `mra sim init --force`"));
  }
  ++meta.crl_number;
  MRA_ASSIGN_OR_RETURN(absl::Time next,
                       WriteCollateral(dir, meta, a, now, days));
  MRA_RETURN_IF_ERROR(WriteFileAtomic(SimFilePath(dir, kSimMetadataFile),
                                      internal::SimMetadataJson(meta), 0644));
  SimDirInfo info;
  info.dir = dir;
  MRA_ASSIGN_OR_RETURN(info.root_sha256, DerSha256(a.root.get()));
  info.certs_not_after = certs_not_after;
  info.collateral_next_update = next;
  info.platform = meta.platform;
  return info;
}

absl::StatusOr<SimPlatform> LoadSimPlatform(const std::string& dir) {
  MRA_ASSIGN_OR_RETURN(std::string text,
                       ReadFileBounded(SimFilePath(dir, kSimMetadataFile),
                                       internal::kMaxSimMetadataLen));
  MRA_ASSIGN_OR_RETURN(SimMetadata meta, internal::ParseSimMetadata(text));
  return meta.platform;
}

}  // namespace mra::attest

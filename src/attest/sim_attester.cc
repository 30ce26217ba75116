// SimAttester: SGX quote v3 signed by the development PKI of a sim dir.
#include <filesystem>
#include <mutex>

#include "spdlog/spdlog.h"
#include "src/attest/internal/cert_builder.h"
#include "src/attest/internal/ecdsa_raw.h"
#include "src/attest/internal/quote_writer.h"

#include "mra/attest/key_files.h"
#include "mra/attest/sim.h"
#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/collateral/collateral.h"
#include "mra/sgx/quote.h"

namespace mra::attest {
namespace {

constexpr size_t kMaxCertFileLen = size_t{64} * 1024;
constexpr size_t kQeAuthDataLen = 32;

void WarnOnce(const std::string& dir, const SimSigstruct& id) {
  static std::once_flag once;
  std::call_once(once, [&] {
    spdlog::warn("*** {} ***", kSimulationWarning);
    spdlog::warn(
        "*** sim dir '{}' (root CN \"{}\"); simulated MRENCLAVE {} ***", dir,
        kSimRootCommonName, HexEncode(id.mr_enclave));
  });
}

// WarnIfCollateralStale is advisory: verifiers enforce the dates.
void WarnIfCollateralStale(const std::string& dir) {
  std::string path = SimFilePath(dir, kSimCollateralFile);
  absl::StatusOr<std::string> text =
      ReadFileBounded(path, collateral::kMaxCollateralLen);
  if (!text.ok()) {
    spdlog::warn("sim collateral '{}' unreadable: {}", path,
                 ToStd(text.status().message()));
    return;
  }
  absl::StatusOr<collateral::Collateral> c =
      collateral::ParseCollateralJson(*text);
  if (!c.ok()) {
    spdlog::warn("sim collateral '{}' does not parse: {}", path,
                 ToStd(c.status().message()));
    return;
  }
  absl::Time next =
      std::min(c->tcb_info.next_update, c->qe_identity.next_update);
  if (next < absl::Now()) {
    spdlog::warn(
        "sim collateral '{}' expired at {}; verifiers will refuse simulated "
        "quotes until `mra sim refresh-collateral --dir {}`",
        path, FormatRfc3339Utc(next), dir);
  }
}

absl::StatusOr<std::string> ReadCert(const std::string& dir,
                                     std::string_view file,
                                     crypto::X509Ptr* out) {
  std::string path = SimFilePath(dir, file);
  MRA_ASSIGN_OR_RETURN(std::string pem, ReadFileBounded(path, kMaxCertFileLen));
  MRA_ASSIGN_OR_RETURN(*out, internal::ParseOneCertPem(pem, path));
  return pem;
}

}  // namespace

SimAttester::SimAttester(SimSigstruct identity,
                         crypto::PrivateKey attestation_key)
    : identity_(identity), attestation_key_(std::move(attestation_key)) {}

absl::StatusOr<std::unique_ptr<SimAttester>> SimAttester::Create(
    const SimAttesterOptions& opts) {
  if (opts.sim_dir.empty()) {
    return absl::InvalidArgumentError(
        "simulation mode needs a sim dir (create one with `mra sim init`)");
  }
  std::error_code ec;
  std::filesystem::path canonical =
      std::filesystem::canonical(opts.executable, ec);
  if (ec) {
    return absl::NotFoundError(StrCat("cannot resolve executable '",
                                      opts.executable, "': ", ec.message()));
  }
  std::string sidecar = opts.sigstruct.empty()
                            ? SigstructPathFor(canonical.string())
                            : opts.sigstruct;
  // Measure the given path: /proc/self/exe is the running image even if the
  // file at the canonical path was replaced since.
  MRA_ASSIGN_OR_RETURN(SimSigstruct identity,
                       LoadVerifiedSigstruct(opts.executable, sidecar));

  const std::string& dir = opts.sim_dir;
  MRA_ASSIGN_OR_RETURN(SimPlatform platform, LoadSimPlatform(dir));
  crypto::X509Ptr pck;
  crypto::X509Ptr platform_ca;
  crypto::X509Ptr root;
  MRA_ASSIGN_OR_RETURN(std::string pck_pem,
                       ReadCert(dir, kSimPckCertFile, &pck));
  MRA_ASSIGN_OR_RETURN(std::string ca_pem,
                       ReadCert(dir, kSimPlatformCaCertFile, &platform_ca));
  MRA_ASSIGN_OR_RETURN(std::string root_pem,
                       ReadCert(dir, kSimRootCertFile, &root));
  MRA_ASSIGN_OR_RETURN(crypto::PrivateKey pck_key,
                       LoadPrivateKeyFile(SimFilePath(dir, kSimPckKeyFile)));
  MRA_ASSIGN_OR_RETURN(
      crypto::PrivateKey attestation_key,
      LoadPrivateKeyFile(SimFilePath(dir, kSimAttestationKeyFile)));
  if (X509_check_private_key(pck.get(), pck_key.pkey()) != 1 ||
      X509_verify(pck.get(), X509_get0_pubkey(platform_ca.get())) != 1 ||
      X509_verify(platform_ca.get(), X509_get0_pubkey(root.get())) != 1) {
    crypto::ClearOpenSslErrors();
    return absl::FailedPreconditionError(
        StrCat("sim dir '", dir,
               "' is inconsistent (PCK key, PCK certificate, PCK Platform CA "
               "and root do not belong together); recreate it with `mra sim "
               "init --force`"));
  }

  std::unique_ptr<SimAttester> a(
      new SimAttester(identity, std::move(attestation_key)));
  a->executable_ = canonical.string();
  a->root_pem_ = root_pem;
  a->platform_ = platform;

  MRA_ASSIGN_OR_RETURN(internal::RawP256PublicKey attest_pub,
                       internal::RawP256Point(a->attestation_key_.pkey()));
  std::array<uint8_t, kQeAuthDataLen> auth{};
  for (size_t i = 0; i < auth.size(); ++i) {
    auth[i] = static_cast<uint8_t>(i);  // What Intel's QE sends (0..31).
  }
  std::vector<uint8_t> bound(attest_pub.begin(), attest_pub.end());
  bound.insert(bound.end(), auth.begin(), auth.end());
  crypto::Sha256Digest binding = crypto::Sha256(bound);

  sgx::SgxReportBody qe;
  qe.cpusvn = platform.sgx_tcb_components;
  qe.attributes = platform.qe_attributes;
  qe.mr_enclave = platform.qe_mr_enclave;
  qe.mr_signer = platform.qe_mr_signer;
  qe.isv_prod_id = platform.qe_isv_prod_id;
  qe.isv_svn = platform.qe_svn;
  std::copy(binding.begin(), binding.end(), qe.report_data.begin());
  std::array<uint8_t, sgx::kSgxReportBodyLen> qe_bytes =
      internal::EncodeReportBody(qe);
  MRA_ASSIGN_OR_RETURN(internal::RawP256Signature qe_sig,
                       internal::SignP256Raw(pck_key.pkey(), qe_bytes));

  std::string chain = pck_pem + ca_pem + root_pem;
  chain.push_back('\0');
  internal::ByteWriter w(&a->signature_tail_);
  w.Bytes(attest_pub);
  w.Bytes(qe_bytes);
  w.Bytes(qe_sig);
  w.U16(static_cast<uint16_t>(auth.size()));
  w.Bytes(auth);
  w.U16(sgx::kCertDataPckCertChain);
  w.U32(static_cast<uint32_t>(chain.size()));
  w.Bytes(crypto::AsBytes(chain));

  sgx::QuoteHeader h;
  h.version = 3;
  h.att_key_type = sgx::kAttKeyTypeEcdsaP256;
  h.qe_svn = platform.qe_svn;
  h.pce_svn = platform.pce_svn;
  h.qe_vendor_id = sgx::kIntelQeVendorId;
  crypto::Sha256Digest qe_id = crypto::Sha256(attest_pub);
  std::copy_n(qe_id.begin(), 16, h.user_data.begin());
  std::vector<uint8_t> header;
  internal::AppendV3Header(h, &header);
  std::copy_n(header.begin(), a->header_.size(), a->header_.begin());

  WarnOnce(dir, identity);
  WarnIfCollateralStale(dir);
  return a;
}

absl::StatusOr<std::vector<uint8_t>> SimAttester::Quote(
    std::span<const uint8_t, kReportDataLen> report_data) {
  sgx::SgxReportBody body;
  body.cpusvn = platform_.sgx_tcb_components;
  body.miscselect = identity_.misc_select;
  body.attributes = identity_.attributes;
  body.mr_enclave = identity_.mr_enclave;
  body.mr_signer = identity_.mr_signer;
  body.isv_prod_id = identity_.isv_prod_id;
  body.isv_svn = identity_.isv_svn;
  std::copy(report_data.begin(), report_data.end(), body.report_data.begin());

  std::vector<uint8_t> quote;
  quote.reserve(header_.size() + sgx::kSgxReportBodyLen + 4 + 64 +
                signature_tail_.size());
  internal::ByteWriter w(&quote);
  w.Bytes(header_);
  w.Bytes(internal::EncodeReportBody(body));
  MRA_ASSIGN_OR_RETURN(internal::RawP256Signature sig,
                       internal::SignP256Raw(attestation_key_.pkey(), quote));
  w.U32(static_cast<uint32_t>(sig.size() + signature_tail_.size()));
  w.Bytes(sig);
  w.Bytes(signature_tail_);
  return quote;
}

}  // namespace mra::attest

// Fuzzes the PCK certificate SGX extension parser (mra/sgx/pck.h): no crash,
// hang or throw; refusals are CERTIFICATE_MALFORMED; accepted values are in
// range and parsing is deterministic. The input is tried as the extension's
// DER, as a DER certificate, and (for the real quotes among the seeds) as a
// quote whose PCK chain certificates are then parsed.
#include <cstddef>
#include <cstdint>
#include <span>

#include <openssl/x509.h>

#include "mra/base/verify_failure.h"
#include "mra/collateral/collateral.h"
#include "mra/sgx/pck.h"
#include "mra/sgx/quote.h"

namespace {

void Check(const absl::StatusOr<mra::sgx::PckExtension>& ext) {
  if (!ext.ok()) {
    if (mra::GetVerifyFailure(ext.status()) !=
        mra::VerifyFailure::kCertificateMalformed) {
      __builtin_trap();
    }
    return;
  }
  if (static_cast<int>(ext->sgx_type) > 2) {
    __builtin_trap();
  }
}

bool Same(const mra::sgx::PckExtension& a, const mra::sgx::PckExtension& b) {
  return a.ppid == b.ppid && a.tcb_components == b.tcb_components &&
         a.pce_svn == b.pce_svn && a.cpu_svn == b.cpu_svn &&
         a.pce_id == b.pce_id && a.fmspc == b.fmspc &&
         a.sgx_type == b.sgx_type &&
         a.platform_instance_id == b.platform_instance_id &&
         a.configuration.has_value() == b.configuration.has_value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);

  auto ext = mra::sgx::ParsePckExtension(bytes);
  Check(ext);
  auto again = mra::sgx::ParsePckExtension(bytes);
  if (ext.ok() != again.ok() || (ext.ok() && !Same(*ext, *again))) {
    __builtin_trap();
  }

  const unsigned char* p = data;
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(size));  // NOLINT
  if (cert != nullptr) {
    Check(mra::sgx::ParsePckCertificateExtension(cert));
    X509_free(cert);
  }

  mra::sgx::ParseOptions opts;
  opts.trailing = mra::sgx::TrailingBytes::kAny;
  auto quote = mra::sgx::ParseQuote(bytes, opts);
  if (quote.ok()) {
    auto chain = mra::collateral::ParsePemChain(quote->signature.pck_chain_pem,
                                                "pck_chain");
    if (chain.ok()) {
      for (const auto& c : *chain) {
        Check(mra::sgx::ParsePckCertificateExtension(c.get()));
      }
    }
  }
  return 0;
}

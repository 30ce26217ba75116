// Copyright The mra Authors.
//
// File: mra/collateral/pcs_client.h
// -----------------------------------------------------------------------------
// PcsHttpProvider fetches collateral from Intel's Provisioning Certification
// Service (PCS) or a Provisioning Certificate Caching Service (PCCS), API v4
// (or v3, SGX only), with libcurl:
//
//   GET {base}/{sgx|tdx}/certification/v{N}/tcb?fmspc=HEX
//       body {"tcbInfo":{...},"signature":"HEX"}, application/json,
//       header TCB-Info-Issuer-Chain (v4) or SGX-TCB-Info-Issuer-Chain (v3)
//   GET {base}/{sgx|tdx}/certification/v{N}/qe/identity
//       body {"enclaveIdentity":{...},"signature":"HEX"}, application/json,
//       header SGX-Enclave-Identity-Issuer-Chain
//   GET {base}/sgx/certification/v{N}/pckcrl?ca=platform|processor&encoding=der
//       body DER CRL, header SGX-PCK-CRL-Issuer-Chain
//   GET root CA CRL: PCCS {base}/sgx/certification/v{N}/rootcacrl (hex of
//       DER), or Intel's CRL distribution point for the Intel PCS
//
// Issuer chains arrive URL-encoded (RFC 3986 percent-encoding) in headers.
// The signed JSON is kept byte-for-byte as served: the bundle's `tcb_info` /
// `qe_identity` are the exact bytes of the `tcbInfo` / `enclaveIdentity`
// member values, which is what the signatures cover.
//
// Every response is bounded in size and time, must have status 200 and an
// expected content type, and the assembled bundle must parse and match the
// request (provider.h) before it is returned. Redirects are not followed.
// TLS peer and host verification are always on; plain http:// is refused
// unless explicitly allowed (tests, a PCCS on loopback).

#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/collateral/provider.h"

namespace mra::collateral {

// kIntelPcsBaseUrl is Intel's production PCS.
inline constexpr std::string_view kIntelPcsBaseUrl =
    "https://api.trustedservices.intel.com";
// kIntelRootCaCrlUrl is the CRL distribution point of the Intel SGX Root CA
// (the PCS itself serves no root CA CRL; a PCCS does).
inline constexpr std::string_view kIntelRootCaCrlUrl =
    "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der";

// Largest response accepted by default (Intel's largest, a PCK platform CRL,
// is a few KiB; TCB info tens of KiB).
inline constexpr size_t kDefaultMaxResponseLen = 1 << 20;

// PcsHttpOptions configures PcsHttpProvider.
struct PcsHttpOptions {
  // Base URL without the /sgx/... path, e.g. "https://pccs.local:8081".
  // A trailing '/' is ignored.
  std::string base_url = std::string(kIntelPcsBaseUrl);
  // PCS API version: 4 (SGX and TDX) or 3 (SGX only, TCB info v2).
  int api_version = 4;
  // Root CA CRL URL. Empty: kIntelRootCaCrlUrl when base_url is the Intel
  // PCS, otherwise the PCCS endpoint {base}/sgx/certification/v{N}/rootcacrl.
  std::string root_ca_crl_url;
  // PEM file of CA certificates trusted for the server's TLS certificate
  // (e.g. a PCCS's self-signed certificate). Empty: the system store.
  std::string ca_file;
  // Accept http:// URLs. Collateral is signed, but plain HTTP still lets a
  // network attacker withhold or replay it; meant for loopback tests.
  bool allow_plain_http = false;
  // Optional `update=early|standard` query parameter for TCB info and QE
  // identity (PCS v4). Empty: not sent (the PCS default, standard).
  std::string update;
  absl::Duration connect_timeout = absl::Seconds(10);
  // Limit for each whole request (connect, transfer).
  absl::Duration request_timeout = absl::Seconds(30);
  // Largest accepted response body, per request; at most kMaxCollateralLen.
  size_t max_response_len = kDefaultMaxResponseLen;
};

// PcsHttpProvider implements CollateralProvider over the PCS/PCCS API.
// Fetch makes four requests (TCB info, QE identity, PCK CRL, root CA CRL),
// each on a fresh connection.
//
// Fetch failures: kUnavailable (connection refused, TLS failure, HTTP 5xx
// and other non-200 statuses), kDeadlineExceeded (timeout), kNotFound (HTTP
// 404: e.g. an FMSPC the service does not know), kCollateralMalformed (a
// response too large, of the wrong content type, without its issuer-chain
// header, or that does not parse), and the mismatch verdicts of provider.h.
// Messages name the URL and the piece.
//
// Thread-safety: Fetch may be called concurrently.
class PcsHttpProvider final : public CollateralProvider {
 public:
  // Create validates `options`: kInvalidArgument for a URL that is not
  // https:// (or http:// when allowed), an API version other than 3 or 4,
  // an `update` other than "", "early" or "standard", or non-positive
  // timeouts or sizes.
  static absl::StatusOr<std::unique_ptr<PcsHttpProvider>> Create(
      PcsHttpOptions options);

  absl::StatusOr<std::string> Fetch(const CollateralRequest& request) override;
  std::string Name() const override;

  // The URLs Fetch requests, for logs and tests.
  std::string TcbInfoUrl(const CollateralRequest& request) const;
  std::string QeIdentityUrl(const CollateralRequest& request) const;
  std::string PckCrlUrl(const CollateralRequest& request) const;
  const std::string& root_ca_crl_url() const { return root_ca_crl_url_; }

 private:
  explicit PcsHttpProvider(PcsHttpOptions options, std::string root_crl_url);

  const PcsHttpOptions options_;
  const std::string root_ca_crl_url_;
};

}  // namespace mra::collateral

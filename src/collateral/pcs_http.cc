// PcsHttpProvider: the Intel PCS / PCCS v3/v4 API over libcurl.
#include <curl/curl.h>

#include <cctype>
#include <memory>

#include "src/collateral/json_util.h"
#include "src/collateral/pcs_response.h"
#include "src/collateral/provider_util.h"

#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/collateral/pcs_client.h"

namespace mra::collateral {
namespace {

using internal::HttpResponse;

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

// curl_global_init is not thread-safe in older libcurl: run it once.
absl::Status EnsureCurlInitialised() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) {
    return absl::InternalError(
        StrCat("curl_global_init: ", curl_easy_strerror(rc)));
  }
  return absl::OkStatus();
}

struct Transfer {
  HttpResponse* response = nullptr;
  size_t max_body_len = 0;
  size_t header_len = 0;
  bool body_too_large = false;
  bool headers_too_large = false;
};

size_t OnBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nmemb;  // libcurl: size is always 1.
  if (n > t->max_body_len - t->response->body.size()) {
    t->body_too_large = true;
    return 0;  // Aborts the transfer with CURLE_WRITE_ERROR.
  }
  t->response->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nitems;
  t->header_len += n;
  if (t->header_len > internal::kMaxHeaderBytes) {
    t->headers_too_large = true;
    return 0;
  }
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  if (line.starts_with("HTTP/")) {
    // A new response (e.g. after "100 Continue"): keep only its headers.
    t->response->headers.clear();
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return n;  // Blank line at the end, or not a header.
  }
  t->response->headers.emplace_back(
      std::string(TrimAsciiWhitespace(line.substr(0, colon))),
      std::string(TrimAsciiWhitespace(line.substr(colon + 1))));
  return n;
}

long Millis(absl::Duration d) {  // NOLINT(google-runtime-int): curl's type.
  return static_cast<long>(      // NOLINT(google-runtime-int)
      absl::ToInt64Milliseconds(d));
}

// HttpGet performs one bounded GET (see pcs_client.h for the policy).
absl::StatusOr<HttpResponse> HttpGet(const std::string& url,
                                     const PcsHttpOptions& options) {
  MRA_RETURN_IF_ERROR(EnsureCurlInitialised());
  CurlPtr curl(curl_easy_init());
  if (curl == nullptr) {
    return absl::InternalError("curl_easy_init failed");
  }
  HttpResponse response;
  response.url = url;
  Transfer transfer;
  transfer.response = &response;
  transfer.max_body_len = options.max_response_len;
  char error_buffer[CURL_ERROR_SIZE] = {};

  CURL* c = curl.get();
  CURLcode rc = CURLE_OK;
  auto set = [&rc](CURLcode r) {
    if (rc == CURLE_OK) {
      rc = r;
    }
  };
  set(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer));
  set(curl_easy_setopt(c, CURLOPT_URL, url.c_str()));
  set(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
                       options.allow_plain_http ? "http,https" : "https"));
  set(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L));
  set(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(c, CURLOPT_HTTPGET, 1L));
  set(curl_easy_setopt(c, CURLOPT_USERAGENT, "mra-collateral/1"));
  set(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                       Millis(options.connect_timeout)));
  set(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, Millis(options.request_timeout)));
  set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L));
  set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L));
  set(curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2));
  if (!options.ca_file.empty()) {
    set(curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str()));
  }
  set(curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                       static_cast<curl_off_t>(options.max_response_len)));
  set(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody));
  set(curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer));
  set(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader));
  set(curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer));
  if (rc != CURLE_OK) {
    return absl::InternalError(
        StrCat("configuring libcurl: ", curl_easy_strerror(rc)));
  }

  rc = curl_easy_perform(c);
  if (transfer.body_too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    return internal::Malformed(url, StrCat("response larger than ",
                                           options.max_response_len, " bytes"));
  }
  if (transfer.headers_too_large) {
    return internal::Malformed(
        url, StrCat("response headers larger than ", internal::kMaxHeaderBytes,
                    " bytes"));
  }
  if (rc != CURLE_OK) {
    std::string msg = StrCat("GET ", url, ": ", curl_easy_strerror(rc),
                             error_buffer[0] != '\0' ? " (" : "", error_buffer,
                             error_buffer[0] != '\0' ? ")" : "");
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return absl::DeadlineExceededError(msg);
    }
    return absl::UnavailableError(msg);
  }
  long status = 0;  // NOLINT(google-runtime-int): curl's type.
  if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
    return absl::InternalError("curl_easy_getinfo(RESPONSE_CODE) failed");
  }
  response.status = status;
  return response;
}

// ValidUrl requires https:// (or http:// when allowed), a host, and no
// characters that would need escaping.
absl::Status CheckUrl(std::string_view url, bool allow_plain_http,
                      std::string_view what) {
  bool https = url.starts_with("https://");
  bool http = url.starts_with("http://");
  if (!https && !(http && allow_plain_http)) {
    return absl::InvalidArgumentError(
        StrCat(what, " '", url, "' must start with https://",
               http ? " (plain http:// is only allowed when enabled)" : ""));
  }
  std::string_view rest = url.substr(https ? 8 : 7);
  if (rest.empty() || rest.front() == '/') {
    return absl::InvalidArgumentError(StrCat(what, " '", url, "' has no host"));
  }
  for (char c : url) {
    if (c <= 0x20 || c >= 0x7f || c == '#') {
      return absl::InvalidArgumentError(
          StrCat(what,
                 " contains a space, control or non-ASCII character, "
                 "or a fragment"));
    }
  }
  return absl::OkStatus();
}

std::string Upper(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return s;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PcsHttpProvider>> PcsHttpProvider::Create(
    PcsHttpOptions options) {
  while (options.base_url.ends_with('/')) {
    options.base_url.pop_back();
  }
  MRA_RETURN_IF_ERROR(
      CheckUrl(options.base_url, options.allow_plain_http, "PCS base URL"));
  if (options.base_url.find('?') != std::string::npos) {
    return absl::InvalidArgumentError(
        "PCS base URL must not have a query string");
  }
  if (options.api_version != 3 && options.api_version != 4) {
    return absl::InvalidArgumentError(StrCat(
        "PCS API version ", options.api_version, " is not supported (3 or 4)"));
  }
  if (!options.update.empty() && options.update != "early" &&
      options.update != "standard") {
    return absl::InvalidArgumentError(StrCat(
        "update '", options.update, "' must be empty, early or standard"));
  }
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("PCS timeouts must be positive");
  }
  if (options.max_response_len == 0 ||
      options.max_response_len > kMaxCollateralLen) {
    return absl::InvalidArgumentError(
        StrCat("max_response_len must be in 1..", kMaxCollateralLen));
  }
  std::string root_url = options.root_ca_crl_url;
  if (root_url.empty()) {
    root_url = options.base_url == kIntelPcsBaseUrl
                   ? std::string(kIntelRootCaCrlUrl)
                   : StrCat(options.base_url, "/sgx/certification/v",
                            options.api_version, "/rootcacrl");
  }
  MRA_RETURN_IF_ERROR(
      CheckUrl(root_url, options.allow_plain_http, "root CA CRL URL"));
  return std::unique_ptr<PcsHttpProvider>(
      new PcsHttpProvider(std::move(options), std::move(root_url)));
}

PcsHttpProvider::PcsHttpProvider(PcsHttpOptions options,
                                 std::string root_crl_url)
    : options_(std::move(options)), root_ca_crl_url_(std::move(root_crl_url)) {}

std::string PcsHttpProvider::Name() const {
  return StrCat("PCS ", options_.base_url, " (API v", options_.api_version,
                ")");
}

std::string PcsHttpProvider::TcbInfoUrl(
    const CollateralRequest& request) const {
  return StrCat(options_.base_url, "/", TeeTypeLabel(request.tee),
                "/certification/v", options_.api_version,
                "/tcb?fmspc=", Upper(request.FmspcHex()),
                options_.update.empty() ? "" : "&update=", options_.update);
}

std::string PcsHttpProvider::QeIdentityUrl(
    const CollateralRequest& request) const {
  return StrCat(options_.base_url, "/", TeeTypeLabel(request.tee),
                "/certification/v", options_.api_version, "/qe/identity",
                options_.update.empty() ? "" : "?update=", options_.update);
}

std::string PcsHttpProvider::PckCrlUrl(const CollateralRequest& request) const {
  return StrCat(options_.base_url, "/sgx/certification/v", options_.api_version,
                "/pckcrl?ca=", PckCaTypeName(request.ca), "&encoding=der");
}

absl::StatusOr<std::string> PcsHttpProvider::Fetch(
    const CollateralRequest& request) {
  if (request.tee == TeeType::kTdx && options_.api_version < 4) {
    return absl::InvalidArgumentError(
        "TDX collateral needs PCS API v4 (v3 serves SGX only)");
  }
  MRA_ASSIGN_OR_RETURN(HttpResponse tcb_response,
                       HttpGet(TcbInfoUrl(request), options_));
  MRA_ASSIGN_OR_RETURN(
      internal::SignedPiece tcb,
      internal::ParseSignedJsonResponse(
          tcb_response, "tcbInfo",
          {"TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain"}, "tcb_info"));

  MRA_ASSIGN_OR_RETURN(HttpResponse qe_response,
                       HttpGet(QeIdentityUrl(request), options_));
  MRA_ASSIGN_OR_RETURN(
      internal::SignedPiece qe,
      internal::ParseSignedJsonResponse(qe_response, "enclaveIdentity",
                                        {"SGX-Enclave-Identity-Issuer-Chain",
                                         "Enclave-Identity-Issuer-Chain"},
                                        "qe_identity"));

  MRA_ASSIGN_OR_RETURN(HttpResponse pck_response,
                       HttpGet(PckCrlUrl(request), options_));
  MRA_ASSIGN_OR_RETURN(
      internal::CrlPiece pck,
      internal::ParseCrlResponse(pck_response,
                                 /*with_chain=*/true, "pck_crl"));

  MRA_ASSIGN_OR_RETURN(HttpResponse root_response,
                       HttpGet(root_ca_crl_url_, options_));
  MRA_ASSIGN_OR_RETURN(
      internal::CrlPiece root,
      internal::ParseCrlResponse(root_response,
                                 /*with_chain=*/false, "root_ca_crl"));

  std::string bundle = internal::AssembleBundle(tcb, qe, pck, root.der);
  absl::StatusOr<Collateral> parsed = LoadBundleFor(bundle, request);
  if (!parsed.ok()) {
    return internal::Annotate(parsed.status(),
                              StrCat("collateral from ", Name()));
  }
  return bundle;
}

}  // namespace mra::collateral

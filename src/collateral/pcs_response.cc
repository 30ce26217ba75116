// PCS/PCCS responses -> bundle pieces (see pcs_response.h).
#include "src/collateral/pcs_response.h"

#include <algorithm>
#include <cctype>

#include "nlohmann/json.hpp"
#include "src/collateral/json_util.h"

#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/collateral/collateral.h"

namespace mra::collateral::internal {
namespace {

constexpr size_t kMaxQuotedHeaderLen = 200;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

// Printable ASCII only, bounded: header text we quote in messages.
std::string Sanitize(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxQuotedHeaderLen)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  return out;
}

bool IsPrintableText(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t';
    if (!ok) {
      return false;
    }
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// JsonScanner walks JSON text without building values, to find the exact
// byte span of a member. It only needs to delimit values correctly; full
// validation is nlohmann's job on the same text.
class JsonScanner {
 public:
  explicit JsonScanner(std::string_view s) : s_(s) {}

  size_t pos() const { return pos_; }
  bool AtEnd() const { return pos_ == s_.size(); }

  void SkipWhitespace() { pos_ = SkipJsonSpace(s_, pos_); }

  bool Consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool Peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }

  // ScanString reads a string at pos_; *out_raw is its raw contents
  // (between the quotes, escapes not decoded). Raw control characters are
  // refused anywhere in it, as JSON requires (even after a backslash).
  bool ScanString(std::string_view* out_raw) {
    if (!Peek('"')) {
      return false;
    }
    const size_t end = StringTokenEnd(s_, pos_);
    if (end == std::string_view::npos) {
      return false;
    }
    std::string_view raw = s_.substr(pos_ + 1, end - pos_ - 2);
    if (std::any_of(raw.begin(), raw.end(), [](char c) {
          return static_cast<unsigned char>(c) < 0x20;
        })) {
      return false;
    }
    *out_raw = raw;
    pos_ = end;
    return true;
  }

  bool SkipValue(size_t depth) {
    if (depth > kMaxJsonDepth) {
      return false;
    }
    SkipWhitespace();
    if (pos_ >= s_.size()) {
      return false;
    }
    char c = s_[pos_];
    if (c == '"') {
      std::string_view ignored;
      return ScanString(&ignored);
    }
    if (c == '{' || c == '[') {
      bool object = c == '{';
      char close = object ? '}' : ']';
      ++pos_;
      SkipWhitespace();
      if (Consume(close)) {
        return true;
      }
      while (true) {
        if (object) {
          SkipWhitespace();
          std::string_view ignored;
          if (!ScanString(&ignored)) {
            return false;
          }
          SkipWhitespace();
          if (!Consume(':')) {
            return false;
          }
        }
        if (!SkipValue(depth + 1)) {
          return false;
        }
        SkipWhitespace();
        if (Consume(close)) {
          return true;
        }
        if (!Consume(',')) {
          return false;
        }
      }
    }
    // Number or literal.
    size_t begin = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) != 0 ||
            s_[pos_] == '-' || s_[pos_] == '+' || s_[pos_] == '.')) {
      ++pos_;
    }
    return pos_ > begin;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

absl::Status CheckHttpOk(const HttpResponse& response, std::string_view what) {
  if (response.status == 200) {
    return absl::OkStatus();
  }
  std::string detail;
  for (std::string_view name : {"Error-Code", "Error-Message"}) {
    for (const auto& [k, v] : response.headers) {
      if (EqualsIgnoreCase(k, name)) {
        StrAppend(&detail, "; ", name, ": ", Sanitize(v));
        break;
      }
    }
  }
  std::string msg = StrCat(what, ": HTTP status ", response.status, " from ",
                           response.url, detail);
  if (response.status == 404) {
    return absl::NotFoundError(msg);
  }
  return absl::UnavailableError(msg);
}

absl::StatusOr<std::optional<std::string>> UniqueHeader(
    const HttpResponse& response, std::string_view name,
    std::string_view what) {
  std::optional<std::string> found;
  for (const auto& [k, v] : response.headers) {
    if (!EqualsIgnoreCase(k, name)) {
      continue;
    }
    if (found.has_value()) {
      return Malformed(what, StrCat("header ", name, " sent more than once"));
    }
    found = v;
  }
  return found;
}

absl::Status CheckContentType(const HttpResponse& response,
                              std::initializer_list<std::string_view> allowed,
                              std::string_view what) {
  MRA_ASSIGN_OR_RETURN(std::optional<std::string> type,
                       UniqueHeader(response, "Content-Type", what));
  if (!type.has_value()) {
    return Malformed(what, StrCat("no Content-Type from ", response.url));
  }
  std::string_view full = *type;
  std::string media =
      Lower(TrimAsciiWhitespace(full.substr(0, full.find(';'))));
  for (std::string_view a : allowed) {
    if (media == a) {
      return absl::OkStatus();
    }
  }
  return Malformed(what, StrCat("unexpected Content-Type '", Sanitize(*type),
                                "' from ", response.url));
}

absl::StatusOr<std::string> PercentDecode(std::string_view encoded,
                                          std::string_view what) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    int hi = i + 2 < encoded.size() ? HexValue(encoded[i + 1]) : -1;
    int lo = i + 2 < encoded.size() ? HexValue(encoded[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return Malformed(what, StrCat("bad percent-escape at offset ", i));
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

absl::StatusOr<std::string_view> RawJsonMember(
    std::string_view json, std::string_view key,
    std::initializer_list<std::string_view> allowed_keys,
    std::string_view what) {
  JsonScanner scan(json);
  std::vector<std::string_view> seen;
  std::optional<std::string_view> value;
  scan.SkipWhitespace();
  if (!scan.Consume('{')) {
    return Malformed(what, "expected a JSON object");
  }
  scan.SkipWhitespace();
  bool empty = scan.Consume('}');
  while (!empty) {
    scan.SkipWhitespace();
    std::string_view name;
    if (!scan.ScanString(&name)) {
      return Malformed(what, StrCat("bad member name at offset ", scan.pos()));
    }
    bool known = false;
    for (std::string_view k : allowed_keys) {
      known = known || name == k;
    }
    if (!known) {
      return Malformed(what,
                       StrCat("unexpected member '", Sanitize(name), "'"));
    }
    for (std::string_view s : seen) {
      if (s == name) {
        return Malformed(what, StrCat("duplicate member '", name, "'"));
      }
    }
    seen.push_back(name);
    scan.SkipWhitespace();
    if (!scan.Consume(':')) {
      return Malformed(what, StrCat("expected ':' at offset ", scan.pos()));
    }
    scan.SkipWhitespace();
    size_t begin = scan.pos();
    if (!scan.SkipValue(1)) {
      return Malformed(what, StrCat("bad value of '", name, "'"));
    }
    if (name == key) {
      value = json.substr(begin, scan.pos() - begin);
    }
    scan.SkipWhitespace();
    if (scan.Consume('}')) {
      break;
    }
    if (!scan.Consume(',')) {
      return Malformed(what,
                       StrCat("expected ',' or '}' at offset ", scan.pos()));
    }
  }
  scan.SkipWhitespace();
  if (!scan.AtEnd()) {
    return Malformed(what, "trailing bytes after the JSON object");
  }
  if (seen.size() != allowed_keys.size() || !value.has_value()) {
    return Malformed(what,
                     StrCat("expected members ",
                            fmt::format("{}", fmt::join(allowed_keys, ", "))));
  }
  return *value;
}

absl::StatusOr<SignedPiece> ParseSignedJsonResponse(
    const HttpResponse& response, std::string_view body_key,
    std::initializer_list<std::string_view> chain_headers,
    std::string_view what) {
  MRA_RETURN_IF_ERROR(CheckHttpOk(response, what));
  MRA_RETURN_IF_ERROR(CheckContentType(response, {"application/json"}, what));
  MRA_RETURN_IF_ERROR(CheckJsonDepth(response.body, what));
  // Validates the whole body (the exact-bytes member below is only
  // delimited by RawJsonMember) and reads the signature; views into
  // `parser` are copied before it goes.
  simdjson::dom::parser parser;
  std::string_view body = SkipUtf8Bom(response.body);
  JsonValue j;
  if (parser.parse(body.data(), body.size()).get(j) != simdjson::SUCCESS) {
    return Malformed(
        what, StrCat("response from ", response.url, " is not valid JSON"));
  }
  MRA_ASSIGN_OR_RETURN(
      std::string_view raw,
      RawJsonMember(response.body, body_key, {body_key, "signature"}, what));
  if (raw.empty() || raw.front() != '{') {
    return Malformed(StrCat(what, ".", body_key), "expected a JSON object");
  }
  SignedPiece piece;
  piece.body = std::string(raw);
  MRA_ASSIGN_OR_RETURN(std::string_view sig, String(j, "signature", what));
  std::vector<uint8_t> sig_bytes(64);
  if (!HexDecodeInto(sig, sig_bytes).ok()) {
    return Malformed(StrCat(what, ".signature"),
                     "expected 128 hex characters (ECDSA r||s)");
  }
  piece.signature_hex = HexEncode(sig_bytes);

  std::optional<std::string> chain;
  for (std::string_view name : chain_headers) {
    MRA_ASSIGN_OR_RETURN(chain, UniqueHeader(response, name, what));
    if (chain.has_value()) {
      MRA_ASSIGN_OR_RETURN(piece.issuer_chain,
                           PercentDecode(*chain, StrCat(what, " ", name)));
      break;
    }
  }
  if (!chain.has_value()) {
    return Malformed(what,
                     StrCat("no issuer chain header (",
                            fmt::format("{}", fmt::join(chain_headers, " or ")),
                            ") from ", response.url));
  }
  if (!IsPrintableText(piece.issuer_chain)) {
    return Malformed(what, "issuer chain header is not PEM text");
  }
  return piece;
}

absl::StatusOr<CrlPiece> ParseCrlResponse(const HttpResponse& response,
                                          bool with_chain,
                                          std::string_view what) {
  MRA_RETURN_IF_ERROR(CheckHttpOk(response, what));
  // PCS: application/pkix-crl (DER) or application/x-pem-file (PEM). PCCS
  // sends PCK CRLs as octet-stream and the root CA CRL as hex text with
  // Express's default text/html; CDNs use application/x-x509-crl etc.
  MRA_RETURN_IF_ERROR(
      CheckContentType(response,
                       {"application/pkix-crl", "application/x-pkcs7-crl",
                        "application/x-x509-crl", "application/octet-stream",
                        "application/x-pem-file", "text/plain", "text/html"},
                       what));
  CrlPiece piece;
  MRA_ASSIGN_OR_RETURN(crypto::X509CrlPtr crl,
                       ParseCrl(response.body, what, &piece.der));
  if (with_chain) {
    MRA_ASSIGN_OR_RETURN(
        std::optional<std::string> chain,
        UniqueHeader(response, "SGX-PCK-CRL-Issuer-Chain", what));
    if (!chain.has_value()) {
      return Malformed(what, StrCat("no SGX-PCK-CRL-Issuer-Chain header from ",
                                    response.url));
    }
    MRA_ASSIGN_OR_RETURN(piece.issuer_chain,
                         PercentDecode(*chain, StrCat(what, " issuer chain")));
    if (!IsPrintableText(piece.issuer_chain)) {
      return Malformed(what, "issuer chain header is not PEM text");
    }
  }
  return piece;
}

std::string AssembleBundle(const SignedPiece& tcb_info,
                           const SignedPiece& qe_identity,
                           const CrlPiece& pck_crl,
                           std::span<const uint8_t> root_ca_crl_der) {
  // Every string is ASCII or came out of simdjson's UTF-8-validating parser
  // (the signed bodies) or passed IsPrintableText (the issuer chains), so
  // dump() cannot throw.
  nlohmann::ordered_json j;
  j["pck_crl_issuer_chain"] = pck_crl.issuer_chain;
  j["root_ca_crl"] = HexEncode(root_ca_crl_der);
  j["pck_crl"] = HexEncode(pck_crl.der);
  j["tcb_info_issuer_chain"] = tcb_info.issuer_chain;
  j["tcb_info"] = tcb_info.body;
  j["tcb_info_signature"] = tcb_info.signature_hex;
  j["qe_identity_issuer_chain"] = qe_identity.issuer_chain;
  j["qe_identity"] = qe_identity.body;
  j["qe_identity_signature"] = qe_identity.signature_hex;
  return j.dump();
}

}  // namespace mra::collateral::internal

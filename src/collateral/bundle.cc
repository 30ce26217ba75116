// The collateral bundle: PEM issuer chains, CRLs, and the signed JSON parts.
#include <openssl/pem.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "src/collateral/cert_parse.h"
#include "src/collateral/json_util.h"

#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/collateral/collateral.h"

namespace mra::collateral {
namespace {

using internal::JsonValue;
using internal::Malformed;
using internal::SkipJsonSpace;

constexpr std::string_view kBeginCrl = "-----BEGIN X509 CRL-----";

// The bundle's keys; BundleKey indexes kBundleKeys.
constexpr std::string_view kBundleKeys[] = {
    "pck_crl_issuer_chain",     "root_ca_crl", "pck_crl",
    "tcb_info_issuer_chain",    "tcb_info",    "tcb_info_signature",
    "qe_identity_issuer_chain", "qe_identity", "qe_identity_signature"};
enum BundleKey : size_t {
  kPckCrlIssuerChain,
  kRootCaCrl,
  kPckCrl,
  kTcbInfoIssuerChain,
  kTcbInfo,
  kTcbInfoSignature,
  kQeIdentityIssuerChain,
  kQeIdentity,
  kQeIdentitySignature,
  kNumBundleKeys,
};
static_assert(std::size(kBundleKeys) == kNumBundleKeys);

// Members holds each bundle member's (unescaped, owned) string, or the error
// reading it gives ("missing", "expected a string"), reported when
// ParseCollateralJson gets to that member, as before.
using Members = std::array<absl::StatusOr<std::string>, kNumBundleKeys>;

size_t KeyIndex(std::string_view key) {
  for (size_t i = 0; i < kNumBundleKeys; ++i) {
    if (kBundleKeys[i] == key) {
      return i;
    }
  }
  return kNumBundleKeys;
}

struct RawMember {
  std::string_view key;    // The raw string token, quotes included.
  std::string_view value;  // Likewise.
};

// ScanFlatStringObject delimits `json` as exactly
//   ws '{' ws [ str ws ':' ws str ws { ',' ws str ws ':' ws str ws } ] '}' ws
// (ws: JSON's space, tab, LF, CR) with at most `max_members` members, and
// returns their raw tokens; false for any other text. The string tokens are
// only delimited here: DecodeString must validate each one.
bool ScanFlatStringObject(std::string_view json, size_t max_members,
                          std::vector<RawMember>* out) {
  size_t i = SkipJsonSpace(json, 0);
  if (i == json.size() || json[i] != '{') {
    return false;
  }
  i = SkipJsonSpace(json, i + 1);
  if (i < json.size() && json[i] == '}') {
    return SkipJsonSpace(json, i + 1) == json.size();
  }
  for (;;) {
    RawMember m;
    for (std::string_view* token : {&m.key, &m.value}) {
      if (i == json.size() || json[i] != '"') {
        return false;
      }
      const size_t end = internal::StringTokenEnd(json, i);
      if (end == std::string_view::npos) {
        return false;
      }
      *token = json.substr(i, end - i);
      i = SkipJsonSpace(json, end);
      if (token == &m.key) {
        if (i == json.size() || json[i] != ':') {
          return false;
        }
        i = SkipJsonSpace(json, i + 1);
      }
    }
    if (out->size() == max_members) {
      return false;
    }
    out->push_back(m);
    if (i == json.size()) {
      return false;
    }
    if (json[i] == '}') {
      return SkipJsonSpace(json, i + 1) == json.size();
    }
    if (json[i] != ',') {
      return false;
    }
    i = SkipJsonSpace(json, i + 1);
  }
}

// ReadFlatBundle is the fast path, for a bundle that is an object of
// distinct known keys with string values (every bundle we accept). It
// delimits the members itself and has simdjson validate and unescape each
// key and value token, so `parser` only ever holds one string: a DOM of the
// whole bundle needs ~15x its size in parser buffers (~200 KB for 14 KB),
// which glibc hands back to the kernel after each call (heap trim) and
// faults in again on the next, costing more than nlohmann's parse did.
// Returns false for any other text, valid or not, leaving it to ReadBundle
// (which names what is wrong); every member read is validated, and the
// delimiters between them are checked here, so true means the whole text is
// valid JSON with exactly these members.
bool ReadFlatBundle(simdjson::dom::parser& parser, std::string_view json,
                    Members* out) {
  std::vector<RawMember> raw;
  raw.reserve(kNumBundleKeys);
  if (!ScanFlatStringObject(internal::SkipUtf8Bom(json), kNumBundleKeys,
                            &raw)) {
    return false;
  }
  std::array<bool, kNumBundleKeys> seen{};
  for (const RawMember& m : raw) {
    std::optional<std::string_view> key = internal::DecodeString(parser, m.key);
    const size_t k = key.has_value() ? KeyIndex(*key) : kNumBundleKeys;
    if (k == kNumBundleKeys || seen[k]) {
      return false;
    }
    seen[k] = true;
    std::optional<std::string_view> value =
        internal::DecodeString(parser, m.value);
    if (!value.has_value()) {
      return false;
    }
    (*out)[k] = std::string(*value);
  }
  for (size_t k = 0; k < kNumBundleKeys; ++k) {
    if (!seen[k]) {
      (*out)[k] = Malformed(StrCat("collateral.", kBundleKeys[k]), "missing");
    }
  }
  return true;
}

// ReadBundle parses any other bundle text with a DOM of the whole of it:
// invalid JSON, nesting, duplicate and unknown keys are refused here, as
// before; members come out as ReadFlatBundle's do.
[[nodiscard]] absl::Status ReadBundle(simdjson::dom::parser& parser,
                                      std::string_view json, Members* out) {
  MRA_ASSIGN_OR_RETURN(JsonValue j,
                       internal::ParseJsonObject(parser, json, "collateral"));
  simdjson::dom::object members;
  if (j.get_object().get(members) != simdjson::SUCCESS) {
    return Malformed("collateral", "expected a JSON object");
  }
  // Of several unknown keys, name the least (nlohmann's sorted order).
  std::optional<std::string_view> unknown;
  for (simdjson::dom::key_value_pair member : members) {
    if (KeyIndex(member.key) == kNumBundleKeys &&
        (!unknown.has_value() || member.key < *unknown)) {
      unknown = member.key;
    }
  }
  if (unknown.has_value()) {
    return Malformed(StrCat("collateral.", *unknown), "unknown key");
  }
  for (size_t k = 0; k < kNumBundleKeys; ++k) {
    absl::StatusOr<std::string_view> value =
        internal::String(j, kBundleKeys[k], "collateral");
    if (value.ok()) {
      (*out)[k] = std::string(*value);
    } else {
      (*out)[k] = value.status();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> RawSignature(Members& members,
                                                  BundleKey key) {
  MRA_ASSIGN_OR_RETURN(std::string hex, std::move(members[key]));
  std::vector<uint8_t> sig(64);
  absl::Status s = HexDecodeInto(hex, sig);
  if (!s.ok()) {
    return Malformed(StrCat("collateral.", kBundleKeys[key]),
                     StrCat("expected 128 hex characters (ECDSA r||s): ",
                            ToStd(s.message())));
  }
  return sig;
}

}  // namespace

absl::StatusOr<crypto::X509CrlPtr> ParseCrl(std::string_view data,
                                            std::string_view field,
                                            std::vector<uint8_t>* out_der) {
  std::vector<uint8_t> der;
  std::string_view trimmed = TrimAsciiWhitespace(data);
  if (trimmed.starts_with(kBeginCrl)) {
    crypto::BioPtr bio(
        BIO_new_mem_buf(trimmed.data(), static_cast<int>(trimmed.size())));
    if (bio == nullptr) {
      return crypto::OpenSslError("BIO_new_mem_buf");
    }
    X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
    if (crl == nullptr) {
      crypto::ClearOpenSslErrors();
      return Malformed(field, "PEM CRL does not decode");
    }
    crypto::X509CrlPtr owned(crl);
    int len = i2d_X509_CRL(crl, nullptr);
    if (len <= 0) {
      return crypto::OpenSslError("i2d_X509_CRL");
    }
    der.resize(static_cast<size_t>(len));
    unsigned char* p = der.data();
    i2d_X509_CRL(crl, &p);
    if (out_der != nullptr) {
      *out_der = std::move(der);
    }
    return owned;
  }
  if (!trimmed.empty() && IsHex(trimmed)) {
    absl::StatusOr<std::vector<uint8_t>> decoded = HexDecode(trimmed);
    if (!decoded.ok()) {  // E.g. odd length: malformed input, not a bug.
      return Malformed(field, StrCat("CRL hex does not decode: ",
                                     ToStd(decoded.status().message())));
    }
    der = *std::move(decoded);
  } else {
    der.assign(data.begin(), data.end());
  }
  if (der.empty()) {
    return Malformed(field, "empty CRL");
  }
  const unsigned char* p = der.data();
  X509_CRL* crl = d2i_X509_CRL(
      nullptr, &p,
      static_cast<long>(der.size()));  // NOLINT(google-runtime-int)
  if (crl == nullptr) {
    crypto::ClearOpenSslErrors();
    return Malformed(field, "CRL does not decode as DER");
  }
  crypto::X509CrlPtr owned(crl);
  if (p != der.data() + der.size()) {
    return Malformed(field, "trailing bytes after the CRL");
  }
  if (out_der != nullptr) {
    *out_der = std::move(der);
  }
  return owned;
}

absl::StatusOr<Collateral> ParseCollateralJson(std::string_view json) {
  if (json.size() > kMaxCollateralLen) {
    return Malformed("collateral", StrCat(json.size(), " bytes; the limit is ",
                                          kMaxCollateralLen));
  }
  // One parser per call, for the members, then the TCB info, then the QE
  // identity (each parse invalidates the last; Members owns its strings).
  simdjson::dom::parser parser;
  Members m;
  if (!ReadFlatBundle(parser, json, &m)) {
    MRA_RETURN_IF_ERROR(ReadBundle(parser, json, &m));
  }
  Collateral c;
  // The chains share certificates; the interner keeps views of the chains'
  // text in `m`, which outlives it.
  internal::CertInterner certs;
  auto text = [&m](BundleKey key) -> absl::StatusOr<std::string_view> {
    if (!m[key].ok()) {
      return m[key].status();
    }
    return std::string_view(*m[key]);
  };
  MRA_ASSIGN_OR_RETURN(c.tcb_info_json, std::move(m[kTcbInfo]));
  MRA_ASSIGN_OR_RETURN(c.tcb_info,
                       internal::ParseTcbInfo(parser, c.tcb_info_json));
  MRA_ASSIGN_OR_RETURN(c.tcb_info_signature,
                       RawSignature(m, kTcbInfoSignature));
  MRA_ASSIGN_OR_RETURN(std::string_view chain, text(kTcbInfoIssuerChain));
  MRA_ASSIGN_OR_RETURN(c.tcb_info_issuer_chain,
                       internal::ParsePemChain(
                           chain, "collateral.tcb_info_issuer_chain", certs));

  MRA_ASSIGN_OR_RETURN(c.qe_identity_json, std::move(m[kQeIdentity]));
  MRA_ASSIGN_OR_RETURN(c.qe_identity,
                       internal::ParseQeIdentity(parser, c.qe_identity_json));
  MRA_ASSIGN_OR_RETURN(c.qe_identity_signature,
                       RawSignature(m, kQeIdentitySignature));
  MRA_ASSIGN_OR_RETURN(chain, text(kQeIdentityIssuerChain));
  MRA_ASSIGN_OR_RETURN(
      c.qe_identity_issuer_chain,
      internal::ParsePemChain(chain, "collateral.qe_identity_issuer_chain",
                              certs));

  MRA_ASSIGN_OR_RETURN(std::string crl, std::move(m[kPckCrl]));
  MRA_ASSIGN_OR_RETURN(c.pck_crl,
                       ParseCrl(crl, "collateral.pck_crl", &c.pck_crl_der));
  MRA_ASSIGN_OR_RETURN(chain, text(kPckCrlIssuerChain));
  MRA_ASSIGN_OR_RETURN(
      c.pck_crl_issuer_chain,
      internal::ParsePemChain(chain, "collateral.pck_crl_issuer_chain", certs));
  MRA_ASSIGN_OR_RETURN(crl, std::move(m[kRootCaCrl]));
  MRA_ASSIGN_OR_RETURN(c.root_ca_crl, ParseCrl(crl, "collateral.root_ca_crl",
                                               &c.root_ca_crl_der));
  return c;
}

}  // namespace mra::collateral

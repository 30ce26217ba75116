// Copyright The mra Authors.
//
// Decoding of the Intel SGX PCK certificate extension with OpenSSL's ASN.1
// parser: every level is a SEQUENCE OF SEQUENCE { OID, value }, framed with
// ASN1_get_object, each value decoded with d2i_ASN1_TYPE (which keeps
// constructed values as raw encodings, so nesting is bounded by
// construction), everything consumed exactly.

#include "mra/sgx/pck.h"

#include <openssl/objects.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <openssl/asn1.h>
#include <openssl/x509v3.h>

#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/crypto/openssl_ptr.h"

namespace mra::sgx {
namespace {

absl::Status Bad(std::string_view field, std::string_view what) {
  return VerifyError(VerifyFailure::kCertificateMalformed,
                     StrCat("PCK SGX extension: ", field, ": ", what));
}

using AsnTypePtr =
    std::unique_ptr<ASN1_TYPE, crypto::OpenSslDeleter<ASN1_TYPE, ASN1_TYPE_free>>;

// Element is one DER element (tag, length, contents) as ASN1_get_object
// reads it.
struct Element {
  int tag = 0;
  int xclass = 0;
  bool constructed = false;
  std::span<const uint8_t> whole;     // Identifier, length and contents.
  std::span<const uint8_t> contents;  // The contents octets only.

  bool Is(int universal_tag, bool want_constructed) const {
    return xclass == V_ASN1_UNIVERSAL && tag == universal_tag &&
           constructed == want_constructed;
  }
};

// NextElement reads the element at the front of *rest into *out and
// advances *rest past it; false when the bytes are not one (definite-length)
// element that fits.
bool NextElement(std::span<const uint8_t>* rest, Element* out) {
  if (rest->empty()) {
    return false;
  }
  const unsigned char* p = rest->data();
  long len = 0;  // NOLINT(google-runtime-int): OpenSSL's type.
  int rc = ASN1_get_object(&p, &len, &out->tag, &out->xclass,
                           static_cast<long>(rest->size()));  // NOLINT
  if ((rc & 0x80) != 0 || rc == (V_ASN1_CONSTRUCTED | 1) || len < 0) {
    crypto::ClearOpenSslErrors();  // Error, or indefinite length (not DER).
    return false;
  }
  const size_t header = static_cast<size_t>(p - rest->data());
  const size_t length = static_cast<size_t>(len);
  if (length > rest->size() - header) {
    return false;
  }
  out->constructed = (rc & V_ASN1_CONSTRUCTED) != 0;
  out->whole = rest->first(header + length);
  out->contents = out->whole.subspan(header);
  *rest = rest->subspan(header + length);
  return true;
}

// Oid is an OBJECT IDENTIFIER's DER contents octets: entries are matched
// byte-wise (~35 per certificate), and dotted text is built only for errors.
struct Oid {
  std::array<uint8_t, 12> bytes{};
  size_t len = 0;

  std::span<const uint8_t> view() const { return {bytes.data(), len}; }
};

// SgxOid returns kSgxExtensionOid's content octets with `arcs` appended
// (every arc below the extension is < 128, so one octet each).
Oid SgxOid(std::initializer_list<uint8_t> arcs) {
  // 1.2.840.113741.1.13.1 (X.690 8.19: 40 * 1 + 2, then base-128 arcs).
  constexpr uint8_t kBase[] = {0x2a, 0x86, 0x48, 0x86, 0xf8,
                               0x4d, 0x01, 0x0d, 0x01};
  Oid oid;
  for (uint8_t b : kBase) {
    oid.bytes[oid.len++] = b;
  }
  for (uint8_t arc : arcs) {
    MRA_CHECK(arc < 0x80 && oid.len < oid.bytes.size());
    oid.bytes[oid.len++] = arc;
  }
  return oid;
}

// DecodeOid decodes an OBJECT IDENTIFIER element (what the fast path skips
// for the OIDs it recognises byte-wise); null when it is not a valid one.
std::unique_ptr<ASN1_OBJECT, crypto::OpenSslDeleter<ASN1_OBJECT, ASN1_OBJECT_free>>
DecodeOid(std::span<const uint8_t> element) {
  const unsigned char* p = element.data();
  ASN1_OBJECT* obj = d2i_ASN1_OBJECT(
      nullptr, &p, static_cast<long>(element.size()));  // NOLINT
  if (obj == nullptr || p != element.data() + element.size()) {
    crypto::ClearOpenSslErrors();
    ASN1_OBJECT_free(obj);
    obj = nullptr;
  }
  return decltype(DecodeOid({}))(obj);
}

// OidText is the dotted form of an OBJECT IDENTIFIER element, for messages.
std::string OidText(std::span<const uint8_t> element) {
  auto obj = DecodeOid(element);
  char buf[96];
  int len = obj == nullptr ? 0 : OBJ_obj2txt(buf, sizeof(buf), obj.get(), 1);
  crypto::ClearOpenSslErrors();
  if (len <= 0 || static_cast<size_t>(len) >= sizeof(buf)) {
    return "(unprintable OID)";
  }
  return std::string(buf, static_cast<size_t>(len));
}

// Entry is one SEQUENCE { OID, value } of a level. `oid_element` views the
// caller's DER; `value` is owned by the EntryList it came from.
struct Entry {
  std::span<const uint8_t> oid_element;  // The whole OID element.
  std::span<const uint8_t> oid;          // Its contents octets.
  const ASN1_TYPE* value = nullptr;
  bool used = false;
};

// EntryList decodes one level. The SEQUENCE framing and the OIDs are read
// with ASN1_get_object and OIDs compared as bytes (decoding each pair with
// d2i_ASN1_SEQUENCE_ANY built an ASN1_OBJECT per entry, looked up in
// OpenSSL's OID table); each value is decoded with d2i_ASN1_TYPE, which keeps
// a constructed value as its raw encoding, so nesting is bounded.
class EntryList {
 public:
  // Decode parses `der` (a full DER SEQUENCE) into entries; `field` names the
  // level in errors. `der` must outlive the list.
  absl::Status Decode(std::span<const uint8_t> der, std::string_view field) {
    if (der.empty()) {
      return Bad(field, "empty");
    }
    std::span<const uint8_t> rest = der;
    Element outer;
    if (!NextElement(&rest, &outer) || !outer.Is(V_ASN1_SEQUENCE, true)) {
      return Bad(field, "not a DER SEQUENCE");
    }
    if (!rest.empty()) {
      return Bad(field, "trailing bytes after the SEQUENCE");
    }
    std::span<const uint8_t> items = outer.contents;
    for (int i = 0; !items.empty(); ++i) {
      // Built only for an error: the hot path decodes ~35 entries.
      auto where = [&] { return StrCat(field, "[", i, "]"); };
      Element item;
      if (!NextElement(&items, &item)) {
        return Bad(where(), "not DER");
      }
      if (!item.Is(V_ASN1_SEQUENCE, true)) {
        return Bad(where(), "expected SEQUENCE { OID, value }");
      }
      std::span<const uint8_t> pair = item.contents;
      Element oid;
      if (!NextElement(&pair, &oid)) {
        return Bad(where(), pair.empty() ? "expected exactly an OID and a value"
                                         : "not DER");
      }
      if (!oid.Is(V_ASN1_OBJECT, false)) {
        return Bad(where(), "first element is not an OBJECT IDENTIFIER");
      }
      if (pair.empty()) {
        return Bad(where(), "expected exactly an OID and a value");
      }
      const unsigned char* p = pair.data();
      AsnTypePtr value(d2i_ASN1_TYPE(nullptr, &p,
                                     static_cast<long>(pair.size())));  // NOLINT
      if (value == nullptr) {
        crypto::ClearOpenSslErrors();
        return Bad(where(), "value is not DER");
      }
      if (p != pair.data() + pair.size()) {
        return Bad(where(), "expected exactly an OID and a value");
      }
      Entry e;
      e.oid_element = oid.whole;
      e.oid = oid.contents;
      e.value = value.get();
      for (const Entry& other : entries_) {
        if (std::ranges::equal(other.oid, e.oid)) {
          return Bad(where(), StrCat("duplicate entry ", OidText(oid.whole)));
        }
      }
      entries_.push_back(e);
      values_.push_back(std::move(value));
    }
    return absl::OkStatus();
  }

  // Find returns the entry with OID `oid` (nullptr if absent) and marks it
  // used.
  Entry* Find(const Oid& oid) {
    for (Entry& e : entries_) {
      if (std::ranges::equal(e.oid, oid.view())) {
        e.used = true;
        return &e;
      }
    }
    return nullptr;
  }

  // CheckUnusedOids refuses an entry not taken by Find whose OID does not
  // decode (recognised OIDs are valid by construction).
  absl::Status CheckUnusedOids(std::string_view field) const {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (!entries_[i].used && DecodeOid(entries_[i].oid_element) == nullptr) {
        return Bad(StrCat(field, "[", i, "]"),
                   "OBJECT IDENTIFIER does not decode");
      }
    }
    return absl::OkStatus();
  }

  std::vector<Entry>& entries() { return entries_; }

 private:
  std::vector<AsnTypePtr> values_;
  std::vector<Entry> entries_;
};

template <size_t N>
absl::Status OctetString(const Entry* e, std::string_view field,
                         std::array<uint8_t, N>* out) {
  if (e == nullptr) {
    return Bad(field, "missing");
  }
  if (ASN1_TYPE_get(e->value) != V_ASN1_OCTET_STRING) {
    return Bad(field, "expected OCTET STRING");
  }
  const ASN1_OCTET_STRING* s = e->value->value.octet_string;
  if (static_cast<size_t>(ASN1_STRING_length(s)) != N) {
    return Bad(field,
               StrCat("expected ", N, " bytes, got ", ASN1_STRING_length(s)));
  }
  const unsigned char* data = ASN1_STRING_get0_data(s);
  for (size_t i = 0; i < N; ++i) {
    (*out)[i] = data[i];
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SmallInteger(const Entry* e, std::string_view field,
                                      int type, uint64_t max) {
  if (e == nullptr) {
    return Bad(field, "missing");
  }
  if (ASN1_TYPE_get(e->value) != type) {
    return Bad(field, type == V_ASN1_INTEGER ? "expected INTEGER"
                                             : "expected ENUMERATED");
  }
  int64_t v = 0;
  int ok = type == V_ASN1_INTEGER
               ? ASN1_INTEGER_get_int64(&v, e->value->value.integer)
               : ASN1_ENUMERATED_get_int64(&v, e->value->value.enumerated);
  if (ok != 1) {
    crypto::ClearOpenSslErrors();
    return Bad(field, "integer out of range");
  }
  if (v < 0 || static_cast<uint64_t>(v) > max) {
    return Bad(field, StrCat("value ", v, " outside 0..", max));
  }
  return static_cast<uint64_t>(v);
}

absl::StatusOr<std::span<const uint8_t>> SequenceBytes(const Entry* e,
                                                       std::string_view field) {
  if (e == nullptr) {
    return Bad(field, "missing");
  }
  if (ASN1_TYPE_get(e->value) != V_ASN1_SEQUENCE) {
    return Bad(field, "expected SEQUENCE");
  }
  const ASN1_STRING* s = e->value->value.sequence;
  return std::span<const uint8_t>(ASN1_STRING_get0_data(s),
                                  static_cast<size_t>(ASN1_STRING_length(s)));
}

absl::Status ParseTcb(std::span<const uint8_t> der, PckExtension* out) {
  EntryList tcb;
  MRA_RETURN_IF_ERROR(tcb.Decode(der, "tcb"));
  static const std::array<Oid, 16> kComponents = [] {
    std::array<Oid, 16> oids;
    for (uint8_t i = 0; i < 16; ++i) {
      oids[i] = SgxOid({2, static_cast<uint8_t>(i + 1)});
    }
    return oids;
  }();
  static const Oid kPceSvn = SgxOid({2, 17});
  static const Oid kCpuSvn = SgxOid({2, 18});
  for (size_t i = 0; i < 16; ++i) {
    const Entry* e = tcb.Find(kComponents[i]);
    absl::StatusOr<uint64_t> svn = SmallInteger(e, "", V_ASN1_INTEGER, 255);
    if (!svn.ok()) {  // Again with the field's name, built only for errors.
      svn = SmallInteger(e, StrCat("tcb.sgxtcbcomp", i + 1, "svn"),
                         V_ASN1_INTEGER, 255);
    }
    MRA_RETURN_IF_ERROR(svn.status());
    out->tcb_components[i] = static_cast<uint8_t>(*svn);
  }
  MRA_ASSIGN_OR_RETURN(
      uint64_t pce_svn,
      SmallInteger(tcb.Find(kPceSvn), "tcb.pcesvn", V_ASN1_INTEGER, 0xffff));
  out->pce_svn = static_cast<uint16_t>(pce_svn);
  MRA_RETURN_IF_ERROR(
      OctetString(tcb.Find(kCpuSvn), "tcb.cpusvn", &out->cpu_svn));
  for (const Entry& e : tcb.entries()) {
    if (!e.used) {
      return Bad("tcb", StrCat("unexpected entry ", OidText(e.oid_element)));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseConfiguration(std::span<const uint8_t> der,
                                PckConfiguration* out) {
  EntryList conf;
  MRA_RETURN_IF_ERROR(conf.Decode(der, "configuration"));
  struct Flag {
    uint8_t arc;
    const char* name;
    std::optional<bool> PckConfiguration::*member;
  };
  const Flag flags[] = {
      {1, "configuration.dynamicPlatform", &PckConfiguration::dynamic_platform},
      {2, "configuration.cachedKeys", &PckConfiguration::cached_keys},
      {3, "configuration.smtEnabled", &PckConfiguration::smt_enabled},
  };
  for (const Flag& f : flags) {
    const Entry* e = conf.Find(SgxOid({7, f.arc}));
    if (e == nullptr) {
      continue;
    }
    if (ASN1_TYPE_get(e->value) != V_ASN1_BOOLEAN) {
      return Bad(f.name, "expected BOOLEAN");
    }
    out->*(f.member) = e->value->value.boolean != 0;
  }
  return conf.CheckUnusedOids("configuration");
}

}  // namespace

absl::StatusOr<PckExtension> ParsePckExtension(std::span<const uint8_t> der) {
  if (der.size() > kMaxPckExtensionLen) {
    return Bad("extension", StrCat(der.size(), " bytes; the limit is ",
                                   kMaxPckExtensionLen));
  }
  static const std::array<Oid, 7> kTop = [] {
    std::array<Oid, 7> oids;
    for (uint8_t i = 0; i < 7; ++i) {
      oids[i] = SgxOid({static_cast<uint8_t>(i + 1)});
    }
    return oids;
  }();
  EntryList top;
  MRA_RETURN_IF_ERROR(top.Decode(der, "extension"));
  PckExtension ext;
  MRA_RETURN_IF_ERROR(OctetString(top.Find(kTop[0]), "ppid", &ext.ppid));
  MRA_ASSIGN_OR_RETURN(std::span<const uint8_t> tcb,
                       SequenceBytes(top.Find(kTop[1]), "tcb"));
  MRA_RETURN_IF_ERROR(ParseTcb(tcb, &ext));
  MRA_RETURN_IF_ERROR(OctetString(top.Find(kTop[2]), "pceId", &ext.pce_id));
  MRA_RETURN_IF_ERROR(OctetString(top.Find(kTop[3]), "fmspc", &ext.fmspc));
  MRA_ASSIGN_OR_RETURN(
      uint64_t sgx_type,
      SmallInteger(top.Find(kTop[4]), "sgxType", V_ASN1_ENUMERATED, 2));
  ext.sgx_type = static_cast<SgxType>(sgx_type);
  if (const Entry* e = top.Find(kTop[5]); e != nullptr) {
    std::array<uint8_t, 16> id{};
    MRA_RETURN_IF_ERROR(OctetString(e, "platformInstanceId", &id));
    ext.platform_instance_id = id;
  }
  if (const Entry* e = top.Find(kTop[6]); e != nullptr) {
    MRA_ASSIGN_OR_RETURN(std::span<const uint8_t> conf,
                         SequenceBytes(e, "configuration"));
    PckConfiguration c;
    MRA_RETURN_IF_ERROR(ParseConfiguration(conf, &c));
    ext.configuration = c;
  }
  MRA_RETURN_IF_ERROR(top.CheckUnusedOids("extension"));
  return ext;
}

absl::StatusOr<PckExtension> ParsePckCertificateExtension(const X509* cert) {
  if (cert == nullptr) {
    return Bad("certificate", "null");
  }
  static const Oid kExtension = SgxOid({});
  const X509_EXTENSION* found = nullptr;
  int n = X509_get_ext_count(cert);
  for (int i = 0; i < n; ++i) {
    const X509_EXTENSION* ext = X509_get_ext(cert, i);
    const ASN1_OBJECT* obj =
        X509_EXTENSION_get_object(const_cast<X509_EXTENSION*>(ext));  // NOLINT
    if (!std::ranges::equal(
            std::span<const uint8_t>(OBJ_get0_data(obj), OBJ_length(obj)),
            kExtension.view())) {
      continue;
    }
    if (found != nullptr) {
      return Bad("certificate", "more than one SGX extension");
    }
    found = ext;
  }
  if (found == nullptr) {
    return Bad("certificate", StrCat("no extension ", kSgxExtensionOid));
  }
  const ASN1_OCTET_STRING* data =
      X509_EXTENSION_get_data(const_cast<X509_EXTENSION*>(found));  // NOLINT
  return ParsePckExtension({ASN1_STRING_get0_data(data),
                            static_cast<size_t>(ASN1_STRING_length(data))});
}

}  // namespace mra::sgx

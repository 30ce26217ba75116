// Copyright The mra Authors.
//
// Decoding of the Intel SGX PCK certificate extension with OpenSSL's ASN.1
// parser: every level is a SEQUENCE OF SEQUENCE { OID, value }, decoded with
// d2i_ASN1_SEQUENCE_ANY (which keeps constructed elements as raw encodings,
// so nesting is bounded by construction) and consumed exactly.

#include "mra/sgx/pck.h"

#include <openssl/objects.h>

#include <memory>
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

void FreeSequence(ASN1_SEQUENCE_ANY* seq) {
  sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
}
using SequencePtr =
    std::unique_ptr<ASN1_SEQUENCE_ANY,
                    crypto::OpenSslDeleter<ASN1_SEQUENCE_ANY, FreeSequence>>;

// Entry is one SEQUENCE { OID, value } of a level; `value` is owned by the
// EntryList it came from.
struct Entry {
  std::string oid;
  const ASN1_TYPE* value = nullptr;
  bool used = false;
};

// EntryList decodes one level and keeps the OpenSSL objects alive.
class EntryList {
 public:
  // Decode parses `der` (a full DER SEQUENCE) into entries; `field` names the
  // level in errors.
  absl::Status Decode(std::span<const uint8_t> der, std::string_view field) {
    SequencePtr outer;
    if (const char* problem = ParseSequence(der, &outer)) {
      return Bad(field, problem);
    }
    int n = sk_ASN1_TYPE_num(outer.get());
    for (int i = 0; i < n; ++i) {
      const ASN1_TYPE* item = sk_ASN1_TYPE_value(outer.get(), i);
      // Built only for an error: the hot path decodes ~30 entries.
      auto where = [&] { return StrCat(field, "[", i, "]"); };
      if (ASN1_TYPE_get(item) != V_ASN1_SEQUENCE) {
        return Bad(where(), "expected SEQUENCE { OID, value }");
      }
      const ASN1_STRING* enc = item->value.sequence;
      SequencePtr pair;
      if (const char* problem = ParseSequence(
              {ASN1_STRING_get0_data(enc),
               static_cast<size_t>(ASN1_STRING_length(enc))},
              &pair)) {
        return Bad(where(), problem);
      }
      if (sk_ASN1_TYPE_num(pair.get()) != 2) {
        return Bad(where(), "expected exactly an OID and a value");
      }
      const ASN1_TYPE* oid = sk_ASN1_TYPE_value(pair.get(), 0);
      if (ASN1_TYPE_get(oid) != V_ASN1_OBJECT) {
        return Bad(where(), "first element is not an OBJECT IDENTIFIER");
      }
      char buf[96];
      int len = OBJ_obj2txt(buf, sizeof(buf), oid->value.object, 1);
      if (len <= 0 || static_cast<size_t>(len) >= sizeof(buf)) {
        return Bad(where(), "OBJECT IDENTIFIER too long or invalid");
      }
      Entry e;
      e.oid.assign(buf, static_cast<size_t>(len));
      e.value = sk_ASN1_TYPE_value(pair.get(), 1);
      for (const Entry& other : entries_) {
        if (other.oid == e.oid) {
          return Bad(where(), StrCat("duplicate entry ", e.oid));
        }
      }
      entries_.push_back(std::move(e));
      owners_.push_back(std::move(pair));
    }
    owners_.push_back(std::move(outer));
    return absl::OkStatus();
  }

  // Take returns the entry with OID `oid` (nullptr if absent) and marks it
  // used.
  Entry* Find(std::string_view oid) {
    for (Entry& e : entries_) {
      if (e.oid == oid) {
        e.used = true;
        return &e;
      }
    }
    return nullptr;
  }

  std::vector<Entry>& entries() { return entries_; }

 private:
  // ParseSequence decodes one full DER SEQUENCE into `out`; on failure it
  // returns what is wrong (the caller names the field).
  static const char* ParseSequence(std::span<const uint8_t> der,
                                   SequencePtr* out) {
    if (der.empty()) {
      return "empty";
    }
    const unsigned char* p = der.data();
    out->reset(d2i_ASN1_SEQUENCE_ANY(
        nullptr, &p,
        static_cast<long>(der.size())));  // NOLINT(google-runtime-int)
    if (*out == nullptr) {
      crypto::ClearOpenSslErrors();
      return "not a DER SEQUENCE";
    }
    if (p != der.data() + der.size()) {
      return "trailing bytes after the SEQUENCE";
    }
    return nullptr;
  }

  std::vector<SequencePtr> owners_;
  std::vector<Entry> entries_;
};

std::string Arc(std::string_view suffix) {
  return StrCat(kSgxExtensionOid, ".", suffix);
}

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
  for (size_t i = 0; i < 16; ++i) {
    std::string field = StrCat("tcb.sgxtcbcomp", i + 1, "svn");
    MRA_ASSIGN_OR_RETURN(uint64_t svn,
                         SmallInteger(tcb.Find(Arc(StrCat("2.", i + 1))), field,
                                      V_ASN1_INTEGER, 255));
    out->tcb_components[i] = static_cast<uint8_t>(svn);
  }
  MRA_ASSIGN_OR_RETURN(uint64_t pce_svn,
                       SmallInteger(tcb.Find(Arc("2.17")), "tcb.pcesvn",
                                    V_ASN1_INTEGER, 0xffff));
  out->pce_svn = static_cast<uint16_t>(pce_svn);
  MRA_RETURN_IF_ERROR(
      OctetString(tcb.Find(Arc("2.18")), "tcb.cpusvn", &out->cpu_svn));
  for (const Entry& e : tcb.entries()) {
    if (!e.used) {
      return Bad("tcb", StrCat("unexpected entry ", e.oid));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseConfiguration(std::span<const uint8_t> der,
                                PckConfiguration* out) {
  EntryList conf;
  MRA_RETURN_IF_ERROR(conf.Decode(der, "configuration"));
  struct Flag {
    const char* suffix;
    const char* name;
    std::optional<bool> PckConfiguration::*member;
  };
  const Flag flags[] = {
      {"7.1", "configuration.dynamicPlatform",
       &PckConfiguration::dynamic_platform},
      {"7.2", "configuration.cachedKeys", &PckConfiguration::cached_keys},
      {"7.3", "configuration.smtEnabled", &PckConfiguration::smt_enabled},
  };
  for (const Flag& f : flags) {
    const Entry* e = conf.Find(Arc(f.suffix));
    if (e == nullptr) {
      continue;
    }
    if (ASN1_TYPE_get(e->value) != V_ASN1_BOOLEAN) {
      return Bad(f.name, "expected BOOLEAN");
    }
    out->*(f.member) = e->value->value.boolean != 0;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PckExtension> ParsePckExtension(std::span<const uint8_t> der) {
  if (der.size() > kMaxPckExtensionLen) {
    return Bad("extension", StrCat(der.size(), " bytes; the limit is ",
                                   kMaxPckExtensionLen));
  }
  EntryList top;
  MRA_RETURN_IF_ERROR(top.Decode(der, "extension"));
  PckExtension ext;
  MRA_RETURN_IF_ERROR(OctetString(top.Find(Arc("1")), "ppid", &ext.ppid));
  MRA_ASSIGN_OR_RETURN(std::span<const uint8_t> tcb,
                       SequenceBytes(top.Find(Arc("2")), "tcb"));
  MRA_RETURN_IF_ERROR(ParseTcb(tcb, &ext));
  MRA_RETURN_IF_ERROR(OctetString(top.Find(Arc("3")), "pceId", &ext.pce_id));
  MRA_RETURN_IF_ERROR(OctetString(top.Find(Arc("4")), "fmspc", &ext.fmspc));
  MRA_ASSIGN_OR_RETURN(
      uint64_t sgx_type,
      SmallInteger(top.Find(Arc("5")), "sgxType", V_ASN1_ENUMERATED, 2));
  ext.sgx_type = static_cast<SgxType>(sgx_type);
  if (const Entry* e = top.Find(Arc("6")); e != nullptr) {
    std::array<uint8_t, 16> id{};
    MRA_RETURN_IF_ERROR(OctetString(e, "platformInstanceId", &id));
    ext.platform_instance_id = id;
  }
  if (const Entry* e = top.Find(Arc("7")); e != nullptr) {
    MRA_ASSIGN_OR_RETURN(std::span<const uint8_t> conf,
                         SequenceBytes(e, "configuration"));
    PckConfiguration c;
    MRA_RETURN_IF_ERROR(ParseConfiguration(conf, &c));
    ext.configuration = c;
  }
  return ext;
}

absl::StatusOr<PckExtension> ParsePckCertificateExtension(const X509* cert) {
  if (cert == nullptr) {
    return Bad("certificate", "null");
  }
  const X509_EXTENSION* found = nullptr;
  int n = X509_get_ext_count(cert);
  for (int i = 0; i < n; ++i) {
    const X509_EXTENSION* ext = X509_get_ext(cert, i);
    char buf[96];
    int len = OBJ_obj2txt(
        buf, sizeof(buf),
        X509_EXTENSION_get_object(const_cast<X509_EXTENSION*>(ext)),  // NOLINT
        1);
    if (len <= 0 || static_cast<size_t>(len) >= sizeof(buf)) {
      continue;
    }
    if (std::string_view(buf, static_cast<size_t>(len)) != kSgxExtensionOid) {
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

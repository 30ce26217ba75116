#include "src/attest/internal/der_writer.h"

#include <openssl/objects.h>

#include <algorithm>
#include <memory>

#include <openssl/asn1.h>

#include "mra/crypto/openssl_ptr.h"

namespace mra::attest::internal {
namespace {

template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, crypto::OpenSslDeleter<T, Free>>;

// Encode runs an i2d_* function twice (size, then bytes).
template <typename T>
Der Encode(const T* obj, int (*i2d)(const T*, unsigned char**)) {
  int len = i2d(obj, nullptr);
  if (len <= 0) {
    return {};
  }
  Der out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  if (i2d(obj, &p) != len) {
    return {};
  }
  return out;
}

// i2d_ASN1_OBJECT and friends take non-const pointers in some OpenSSL
// versions; these adapters give Encode one signature.
int I2dObject(const ASN1_OBJECT* o, unsigned char** p) {
  return i2d_ASN1_OBJECT(o, p);
}
int I2dInteger(const ASN1_INTEGER* i, unsigned char** p) {
  return i2d_ASN1_INTEGER(i, p);
}
int I2dOctetString(const ASN1_OCTET_STRING* s, unsigned char** p) {
  return i2d_ASN1_OCTET_STRING(s, p);
}
int I2dEnumerated(const ASN1_ENUMERATED* e, unsigned char** p) {
  return i2d_ASN1_ENUMERATED(e, p);
}
int I2dType(const ASN1_TYPE* t, unsigned char** p) {
  return i2d_ASN1_TYPE(t, p);
}

}  // namespace

Der DerWriter::Fail(std::string_view what) {
  if (status_.ok()) {
    status_ = crypto::OpenSslError(what);
  }
  return {};
}

Der DerWriter::Oid(const char* dotted) {
  if (!status_.ok()) {
    return {};
  }
  Owned<ASN1_OBJECT, ASN1_OBJECT_free> obj(OBJ_txt2obj(dotted, /*no_name=*/1));
  if (obj == nullptr) {
    return Fail("OBJ_txt2obj");
  }
  Der out = Encode<ASN1_OBJECT>(obj.get(), I2dObject);
  return out.empty() ? Fail("i2d_ASN1_OBJECT") : out;
}

Der DerWriter::Integer(uint64_t value) {
  if (!status_.ok()) {
    return {};
  }
  Owned<ASN1_INTEGER, ASN1_INTEGER_free> i(ASN1_INTEGER_new());
  if (i == nullptr || ASN1_INTEGER_set_uint64(i.get(), value) != 1) {
    return Fail("ASN1_INTEGER_set_uint64");
  }
  Der out = Encode<ASN1_INTEGER>(i.get(), I2dInteger);
  return out.empty() ? Fail("i2d_ASN1_INTEGER") : out;
}

Der DerWriter::OctetString(std::span<const uint8_t> bytes) {
  if (!status_.ok()) {
    return {};
  }
  Owned<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> s(ASN1_OCTET_STRING_new());
  if (s == nullptr ||
      ASN1_OCTET_STRING_set(s.get(), bytes.data(),
                            static_cast<int>(bytes.size())) != 1) {
    return Fail("ASN1_OCTET_STRING_set");
  }
  Der out = Encode<ASN1_OCTET_STRING>(s.get(), I2dOctetString);
  return out.empty() ? Fail("i2d_ASN1_OCTET_STRING") : out;
}

Der DerWriter::Enumerated(int64_t value) {
  if (!status_.ok()) {
    return {};
  }
  Owned<ASN1_ENUMERATED, ASN1_ENUMERATED_free> e(ASN1_ENUMERATED_new());
  if (e == nullptr || ASN1_ENUMERATED_set_int64(e.get(), value) != 1) {
    return Fail("ASN1_ENUMERATED_set_int64");
  }
  Der out = Encode<ASN1_ENUMERATED>(e.get(), I2dEnumerated);
  return out.empty() ? Fail("i2d_ASN1_ENUMERATED") : out;
}

Der DerWriter::Boolean(bool value) {
  if (!status_.ok()) {
    return {};
  }
  Owned<ASN1_TYPE, ASN1_TYPE_free> t(ASN1_TYPE_new());
  if (t == nullptr) {
    return Fail("ASN1_TYPE_new");
  }
  // For V_ASN1_BOOLEAN, ASN1_TYPE_set1 stores TRUE iff `value` is non-null.
  static constexpr int kTrue = 1;
  if (ASN1_TYPE_set1(t.get(), V_ASN1_BOOLEAN, value ? &kTrue : nullptr) != 1) {
    return Fail("ASN1_TYPE_set1");
  }
  Der out = Encode<ASN1_TYPE>(t.get(), I2dType);
  return out.empty() ? Fail("i2d_ASN1_TYPE") : out;
}

Der DerWriter::Sequence(std::initializer_list<Der> children) {
  return Sequence(std::span<const Der>(children.begin(), children.size()));
}

Der DerWriter::Sequence(std::span<const Der> children) {
  if (!status_.ok()) {
    return {};
  }
  size_t content_len = 0;
  for (const Der& c : children) {
    content_len += c.size();
  }
  int len = static_cast<int>(content_len);
  int total = ASN1_object_size(/*constructed=*/1, len, V_ASN1_SEQUENCE);
  if (total <= 0) {
    return Fail("ASN1_object_size");
  }
  Der out(static_cast<size_t>(total));
  unsigned char* p = out.data();
  ASN1_put_object(&p, /*constructed=*/1, len, V_ASN1_SEQUENCE,
                  V_ASN1_UNIVERSAL);
  // The header is whatever ASN1_put_object wrote before the content.
  auto at = out.begin() + (total - len);
  for (const Der& c : children) {
    at = std::copy(c.begin(), c.end(), at);
  }
  return out;
}

}  // namespace mra::attest::internal

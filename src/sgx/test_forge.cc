// Copyright The mra Authors.
//
// Test-only forge of a DCAP world (see test_forge.h).

#include "src/sgx/test_forge.h"

#include <openssl/ecdsa.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <memory>
#include <string>
#include <utility>

#include "nlohmann/json.hpp"
#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mra/base/clock.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/keys.h"
#include "mra/crypto/openssl_ptr.h"
#include "mra/crypto/signature.h"
#include "mra/sgx/pck.h"

namespace mra::sgx::testing {
namespace {

using crypto::PrivateKey;
using crypto::X509Ptr;
using Bytes = std::vector<uint8_t>;

// ---- ASN.1 building for the SGX extension ----------------------------------

void FreeSequence(ASN1_SEQUENCE_ANY* seq) {
  sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
}

ASN1_TYPE* Integer(int64_t v) {
  ASN1_INTEGER* i = ASN1_INTEGER_new();
  ASN1_INTEGER_set_int64(i, v);
  ASN1_TYPE* t = ASN1_TYPE_new();
  ASN1_TYPE_set(t, V_ASN1_INTEGER, i);
  return t;
}

ASN1_TYPE* Enumerated(int64_t v) {
  ASN1_ENUMERATED* e = ASN1_ENUMERATED_new();
  ASN1_ENUMERATED_set_int64(e, v);
  ASN1_TYPE* t = ASN1_TYPE_new();
  ASN1_TYPE_set(t, V_ASN1_ENUMERATED, e);
  return t;
}

ASN1_TYPE* Octets(std::span<const uint8_t> bytes) {
  ASN1_OCTET_STRING* s = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(s, bytes.data(), static_cast<int>(bytes.size()));
  ASN1_TYPE* t = ASN1_TYPE_new();
  ASN1_TYPE_set(t, V_ASN1_OCTET_STRING, s);
  return t;
}

ASN1_TYPE* Boolean(bool v) {
  ASN1_TYPE* t = ASN1_TYPE_new();
  // ASN1_TYPE_set stores only whether the pointer is non-null for BOOLEAN.
  ASN1_TYPE_set(t, V_ASN1_BOOLEAN, v ? t : nullptr);
  return t;
}

Bytes EncodeSequence(std::vector<ASN1_TYPE*> items) {
  ASN1_SEQUENCE_ANY* seq = sk_ASN1_TYPE_new_null();
  for (ASN1_TYPE* t : items) {
    sk_ASN1_TYPE_push(seq, t);
  }
  unsigned char* der = nullptr;
  int len = i2d_ASN1_SEQUENCE_ANY(seq, &der);
  FreeSequence(seq);
  MRA_CHECK(len > 0);
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

ASN1_TYPE* SequenceType(const Bytes& der) {
  ASN1_STRING* s = ASN1_STRING_new();
  ASN1_STRING_set(s, der.data(), static_cast<int>(der.size()));
  ASN1_TYPE* t = ASN1_TYPE_new();
  ASN1_TYPE_set(t, V_ASN1_SEQUENCE, s);
  return t;
}

ASN1_TYPE* Pair(const std::string& arc, ASN1_TYPE* value) {
  ASN1_TYPE* oid = ASN1_TYPE_new();
  ASN1_TYPE_set(
      oid, V_ASN1_OBJECT,
      OBJ_txt2obj(StrCat(kSgxExtensionOid, arc.empty() ? "" : ".", arc).c_str(),
                  1));
  return SequenceType(EncodeSequence({oid, value}));
}

// ---- Certificates, CRLs, signatures -----------------------------------------

absl::StatusOr<PrivateKey> NewKey() {
  return PrivateKey::Generate(crypto::KeyType::kEcdsaP256);
}

X509_NAME* Name(const std::string& cn) {
  X509_NAME* n = X509_NAME_new();
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(
      n, "O", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>("mra TEST - not Intel"), -1, -1,
      0);
  return n;
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  MRA_CHECK(ext != nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

struct CertSpec {
  std::string cn;
  const PrivateKey* key = nullptr;
  X509* issuer = nullptr;  // nullptr: self-signed.
  const PrivateKey* issuer_key = nullptr;
  bool ca = false;
  absl::Time not_before;
  absl::Time not_after;
  int64_t serial = 1;
  std::optional<Bytes> sgx_extension;
};

X509Ptr MakeCert(const CertSpec& spec) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set_int64(X509_get_serialNumber(cert.get()), spec.serial);
  X509_NAME* subject = Name(spec.cn);
  X509_set_subject_name(cert.get(), subject);
  X509_set_issuer_name(cert.get(), spec.issuer != nullptr
                                       ? X509_get_subject_name(spec.issuer)
                                       : subject);
  X509_NAME_free(subject);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                absl::ToTimeT(spec.not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(spec.not_after));
  X509_set_pubkey(cert.get(), spec.key->pkey());
  X509* issuer = spec.issuer != nullptr ? spec.issuer : cert.get();
  AddExt(cert.get(), issuer, NID_basic_constraints,
         spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  AddExt(cert.get(), issuer, NID_key_usage,
         spec.ca ? "critical,keyCertSign,cRLSign"
                 : "critical,digitalSignature,nonRepudiation");
  if (spec.sgx_extension.has_value()) {
    ASN1_OBJECT* obj = OBJ_txt2obj(std::string(kSgxExtensionOid).c_str(), 1);
    ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(data, spec.sgx_extension->data(),
                          static_cast<int>(spec.sgx_extension->size()));
    X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj, 0, data);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(data);
    ASN1_OBJECT_free(obj);
  }
  const PrivateKey* signer =
      spec.issuer_key != nullptr ? spec.issuer_key : spec.key;
  MRA_CHECK(X509_sign(cert.get(), signer->pkey(), EVP_sha256()) > 0);
  return cert;
}

std::string Pem(X509* cert) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return std::string(data, static_cast<size_t>(len));
}

std::string CrlHex(X509* issuer, const PrivateKey& key, absl::Time this_update,
                   absl::Time next_update,
                   const std::vector<const X509*>& revoked) {
  crypto::X509CrlPtr crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer));
  ASN1_TIME* t = ASN1_TIME_new();
  ASN1_TIME_set(t, absl::ToTimeT(this_update));
  X509_CRL_set1_lastUpdate(crl.get(), t);
  ASN1_TIME_set(t, absl::ToTimeT(next_update));
  X509_CRL_set1_nextUpdate(crl.get(), t);
  ASN1_TIME_set(t, absl::ToTimeT(this_update));
  for (const X509* cert : revoked) {
    X509_REVOKED* r = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(
        r, const_cast<ASN1_INTEGER*>(X509_get0_serialNumber(cert)));  // NOLINT
    X509_REVOKED_set_revocationDate(r, t);
    X509_CRL_add0_revoked(crl.get(), r);
  }
  ASN1_TIME_free(t);
  X509_CRL_sort(crl.get());
  MRA_CHECK(X509_CRL_sign(crl.get(), key.pkey(), EVP_sha256()) > 0);
  unsigned char* der = nullptr;
  int len = i2d_X509_CRL(crl.get(), &der);
  MRA_CHECK(len > 0);
  std::string hex = HexEncode({der, static_cast<size_t>(len)});
  OPENSSL_free(der);
  return hex;
}

// RawSign returns an ECDSA-P256-SHA256 signature as r || s (32 bytes each).
std::array<uint8_t, 64> RawSign(const PrivateKey& key,
                                std::span<const uint8_t> data) {
  absl::StatusOr<Bytes> der = crypto::SignDetached(key, data);
  MRA_CHECK(der.ok());
  const unsigned char* p = der->data();
  crypto::EcdsaSigPtr sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der->size())));  // NOLINT
  MRA_CHECK(sig != nullptr);
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::array<uint8_t, 64> out{};
  BN_bn2binpad(r, out.data(), 32);
  BN_bn2binpad(s, out.data() + 32, 32);
  return out;
}

std::array<uint8_t, 64> RawPublicKey(const PrivateKey& key) {
  const Bytes& spki = key.public_key().SpkiDer();
  MRA_CHECK(spki.size() >= 64);
  std::array<uint8_t, 64> out{};
  std::copy(spki.end() - 64, spki.end(), out.begin());
  return out;
}

std::string Rfc3339(absl::Time t) { return FormatRfc3339Utc(t); }

// ---- Quote encoding ---------------------------------------------------------

void PutU16(Bytes* b, uint16_t v) {
  b->push_back(static_cast<uint8_t>(v & 0xff));
  b->push_back(static_cast<uint8_t>(v >> 8));
}
void PutU32(Bytes* b, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b->push_back(static_cast<uint8_t>((v >> (8 * i)) & 0xff));
  }
}
void PutZeros(Bytes* b, size_t n) { b->insert(b->end(), n, 0); }
template <size_t N>
void Put(Bytes* b, const std::array<uint8_t, N>& a) {
  b->insert(b->end(), a.begin(), a.end());
}

struct Report {
  std::array<uint8_t, 16> cpusvn{};
  uint32_t miscselect = 0;
  std::array<uint8_t, 16> attributes{};
  std::array<uint8_t, 32> mr_enclave{};
  std::array<uint8_t, 32> mr_signer{};
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  std::array<uint8_t, 64> report_data{};
};

Bytes EncodeReport(const Report& r) {
  Bytes b;
  Put(&b, r.cpusvn);
  PutU32(&b, r.miscselect);
  PutZeros(&b, 12 + 16);  // reserved1, isv_ext_prod_id.
  Put(&b, r.attributes);
  Put(&b, r.mr_enclave);
  PutZeros(&b, 32);
  Put(&b, r.mr_signer);
  PutZeros(&b, 32 + 64);  // reserved3, config_id.
  PutU16(&b, r.isv_prod_id);
  PutU16(&b, r.isv_svn);
  PutZeros(&b, 2 + 42 + 16);  // config_svn, reserved4, isv_family_id.
  Put(&b, r.report_data);
  MRA_CHECK(b.size() == 384);
  return b;
}

constexpr std::array<uint8_t, 32> kQeMrSigner = {
    0x8c, 0x4f, 0x57, 0x75, 0xd7, 0x96, 0x50, 0x3e, 0x96, 0x13, 0x7f,
    0x77, 0xc6, 0x8a, 0x82, 0x9a, 0x00, 0x56, 0xac, 0x8d, 0xed, 0x70,
    0x14, 0x0b, 0x08, 0x1b, 0x09, 0x44, 0x90, 0xc5, 0x7b, 0xff};

}  // namespace

std::vector<uint8_t> SgxExtensionDer(const std::array<uint8_t, 16>& tcb,
                                     uint16_t pce_svn,
                                     const std::array<uint8_t, 6>& fmspc,
                                     bool platform) {
  std::vector<ASN1_TYPE*> tcb_items;
  for (size_t i = 0; i < 16; ++i) {
    tcb_items.push_back(Pair(StrCat("2.", i + 1), Integer(tcb[i])));
  }
  tcb_items.push_back(Pair("2.17", Integer(pce_svn)));
  tcb_items.push_back(Pair("2.18", Octets(tcb)));
  std::array<uint8_t, 16> ppid{};
  ppid.fill(0x42);
  std::array<uint8_t, 2> pce_id{};
  std::vector<ASN1_TYPE*> items = {
      Pair("1", Octets(ppid)),
      Pair("2", SequenceType(EncodeSequence(tcb_items))),
      Pair("3", Octets(pce_id)),
      Pair("4", Octets(fmspc)),
      Pair("5", Enumerated(platform ? 1 : 0)),
  };
  if (platform) {
    std::array<uint8_t, 16> instance{};
    instance.fill(0x17);
    items.push_back(Pair("6", Octets(instance)));
    items.push_back(
        Pair("7", SequenceType(EncodeSequence({Pair("7.1", Boolean(false)),
                                               Pair("7.2", Boolean(true)),
                                               Pair("7.3", Boolean(true))}))));
  }
  return EncodeSequence(items);
}

absl::StatusOr<Forged> Forge(const ForgeOptions& o) {
  MRA_ASSIGN_OR_RETURN(PrivateKey root_key, NewKey());
  MRA_ASSIGN_OR_RETURN(PrivateKey ca_key, NewKey());
  MRA_ASSIGN_OR_RETURN(PrivateKey tcb_key, NewKey());
  MRA_ASSIGN_OR_RETURN(PrivateKey pck_key, NewKey());
  MRA_ASSIGN_OR_RETURN(PrivateKey attest_key, NewKey());
  const absl::Time now = o.now;
  const absl::Time long_ago = now - absl::Hours(24 * 365 * 5);
  const absl::Time far_away = now + absl::Hours(24 * 365 * 20);

  X509Ptr root = MakeCert({"mra TEST SGX Root CA", &root_key, nullptr, nullptr,
                           true, long_ago, far_away, 1, std::nullopt});
  X509Ptr ca = MakeCert({"mra TEST SGX PCK Platform CA", &ca_key, root.get(),
                         &root_key, true, long_ago, far_away, 2, std::nullopt});
  MRA_ASSIGN_OR_RETURN(PrivateKey mid_key, NewKey());
  X509Ptr mid =
      MakeCert({"mra TEST SGX Intermediate CA", &mid_key, root.get(), &root_key,
                true, long_ago, far_away, 4, std::nullopt});
  X509* tcb_issuer = o.tcb_chain_intermediate ? mid.get() : root.get();
  X509Ptr tcb = MakeCert({"mra TEST SGX TCB Signing", &tcb_key, tcb_issuer,
                          o.tcb_chain_intermediate ? &mid_key : &root_key,
                          false, long_ago, far_away, 3, std::nullopt});
  X509Ptr leaf = MakeCert(
      {"mra TEST SGX PCK Certificate", &pck_key, ca.get(), &ca_key, false,
       now + o.pck_leaf_not_before, now + o.pck_leaf_not_after, 0x1234567,
       SgxExtensionDer(o.pck_tcb, o.pck_pce_svn, o.fmspc, true)});

  Forged out;
  out.root_pem = Pem(root.get());
  out.pck_ca_pem = Pem(ca.get());
  out.pck_leaf_pem = Pem(leaf.get());

  // TCB info (SGX v3).
  nlohmann::ordered_json tcb_info;
  tcb_info["id"] = "SGX";
  tcb_info["version"] = 3;
  tcb_info["issueDate"] = Rfc3339(now + o.tcb_info_issued);
  tcb_info["nextUpdate"] = Rfc3339(now + o.tcb_info_next_update);
  tcb_info["fmspc"] = HexEncode(o.tcb_info_fmspc.value_or(o.fmspc));
  tcb_info["pceId"] = "0000";
  tcb_info["tcbType"] = 0;
  tcb_info["tcbEvaluationDataNumber"] = 17;
  nlohmann::ordered_json levels = nlohmann::ordered_json::array();
  for (size_t i = 0; i < o.levels.size(); ++i) {
    const ForgeOptions::Level& l = o.levels[i];
    nlohmann::ordered_json comps = nlohmann::ordered_json::array();
    for (size_t c = 0; c < 16; ++c) {
      int svn = o.pck_tcb[c] + (c == 0 ? l.delta : 0);
      comps.push_back({{"svn", svn}});
    }
    nlohmann::ordered_json level;
    level["tcb"] = {{"sgxtcbcomponents", comps}, {"pcesvn", o.pck_pce_svn}};
    level["tcbDate"] = Rfc3339(now - absl::Hours(24 * (100 + 100 * i)));
    level["tcbStatus"] = l.status;
    if (!l.advisory_ids.empty()) {
      level["advisoryIDs"] = l.advisory_ids;
    }
    levels.push_back(level);
  }
  tcb_info["tcbLevels"] = levels;
  std::string tcb_info_text = tcb_info.dump();

  // QE identity.
  nlohmann::ordered_json qe;
  qe["id"] = "QE";
  qe["version"] = 2;
  qe["issueDate"] = Rfc3339(now + o.qe_identity_issued);
  qe["nextUpdate"] = Rfc3339(now + o.qe_identity_next_update);
  qe["tcbEvaluationDataNumber"] = 17;
  qe["miscselect"] = o.qe_identity_miscselect;
  qe["miscselectMask"] = o.qe_identity_miscselect_mask;
  qe["attributes"] = "11000000000000000000000000000000";
  qe["attributesMask"] = "FBFFFFFFFFFFFFFF0000000000000000";
  std::array<uint8_t, 32> identity_signer = kQeMrSigner;
  if (o.qe_identity_wrong_mrsigner) {
    identity_signer[0] ^= 1;
  }
  qe["mrsigner"] = HexEncode(identity_signer);
  qe["isvprodid"] = 1;
  qe["tcbLevels"] = nlohmann::ordered_json::array(
      {{{"tcb", {{"isvsvn", o.qe_isv_svn}}},
        {"tcbDate", Rfc3339(now - absl::Hours(24 * 90))},
        {"tcbStatus", o.qe_level_status}}});
  std::string qe_text = qe.dump();

  const PrivateKey& tcb_signer = o.tcb_info_signed_by_pck_ca ? ca_key : tcb_key;
  X509Ptr reissued_root =
      MakeCert({"mra TEST SGX Root CA", &root_key, root.get(), &root_key, true,
                long_ago, far_away, 5, std::nullopt});
  std::string chain_tcb =
      Pem(tcb.get()) + (o.tcb_chain_intermediate ? Pem(mid.get()) : "") +
      Pem(o.tcb_chain_reissued_root ? reissued_root.get() : root.get());
  nlohmann::ordered_json bundle;
  bundle["pck_crl_issuer_chain"] = Pem(ca.get()) + Pem(root.get());
  std::vector<const X509*> root_revoked;
  if (o.revoke_pck_ca) {
    root_revoked.push_back(ca.get());
  }
  if (o.revoke_tcb_intermediate) {
    root_revoked.push_back(mid.get());
  }
  bundle["root_ca_crl"] =
      CrlHex(root.get(), root_key, now + o.root_crl_this_update,
             now + o.root_crl_next_update, root_revoked);
  std::vector<const X509*> pck_revoked;
  if (o.revoke_pck) {
    pck_revoked.push_back(leaf.get());
  }
  bundle["pck_crl"] = CrlHex(
      ca.get(), o.pck_crl_signed_by_root ? root_key : ca_key,
      now + o.pck_crl_this_update, now + o.pck_crl_next_update, pck_revoked);
  bundle["tcb_info_issuer_chain"] = chain_tcb;
  bundle["tcb_info"] = tcb_info_text;
  bundle["tcb_info_signature"] =
      HexEncode(RawSign(tcb_signer, crypto::AsBytes(tcb_info_text)));
  bundle["qe_identity_issuer_chain"] = chain_tcb;
  bundle["qe_identity"] = qe_text;
  bundle["qe_identity_signature"] =
      HexEncode(RawSign(tcb_key, crypto::AsBytes(qe_text)));
  out.collateral_json = bundle.dump(1);

  // The quote (SGX v3).
  Bytes header;
  PutU16(&header, 3);
  PutU16(&header, 2);
  PutU32(&header, 0);
  PutU16(&header, o.qe_isv_svn);
  PutU16(&header, o.pck_pce_svn);
  Put(&header, o.qe_vendor_id);
  PutZeros(&header, 20);
  Report body;
  body.cpusvn = o.pck_tcb;
  body.attributes[0] = o.debug ? 0x07 : 0x05;
  body.attributes[8] = 0x03;
  body.mr_enclave.fill(0xe1);
  body.mr_signer.fill(0x51);
  body.isv_prod_id = 7;
  body.isv_svn = o.isv_svn;
  body.report_data.fill(0xd0);
  Bytes signed_bytes = header;
  Bytes body_bytes = EncodeReport(body);
  signed_bytes.insert(signed_bytes.end(), body_bytes.begin(), body_bytes.end());

  std::array<uint8_t, 64> attest_pub = RawPublicKey(attest_key);
  std::array<uint8_t, 32> auth{};
  auth.fill(0xa5);
  Bytes bound(attest_pub.begin(), attest_pub.end());
  bound.insert(bound.end(), auth.begin(), auth.end());
  crypto::Sha256Digest binding = crypto::Sha256(bound);
  Report qe_report;
  qe_report.cpusvn = o.pck_tcb;
  qe_report.miscselect = o.qe_miscselect;
  qe_report.attributes[0] = 0x11;
  qe_report.mr_enclave.fill(0x0e);
  qe_report.mr_signer = kQeMrSigner;
  qe_report.isv_prod_id = 1;
  qe_report.isv_svn = o.qe_isv_svn;
  std::copy(binding.begin(), binding.end(), qe_report.report_data.begin());
  Bytes qe_bytes = EncodeReport(qe_report);

  std::string chain_pem = out.pck_leaf_pem + out.pck_ca_pem + out.root_pem;
  Bytes sig;
  Put(&sig, RawSign(attest_key, signed_bytes));
  Put(&sig, attest_pub);
  sig.insert(sig.end(), qe_bytes.begin(), qe_bytes.end());
  Put(&sig, RawSign(pck_key, qe_bytes));
  PutU16(&sig, static_cast<uint16_t>(auth.size()));
  Put(&sig, auth);
  PutU16(&sig, 5);
  PutU32(&sig, static_cast<uint32_t>(chain_pem.size() + 1));
  sig.insert(sig.end(), chain_pem.begin(), chain_pem.end());
  sig.push_back(0);  // Intel's QPL NUL-terminates the chain.

  out.quote = signed_bytes;
  PutU32(&out.quote, static_cast<uint32_t>(sig.size()));
  out.quote.insert(out.quote.end(), sig.begin(), sig.end());
  return out;
}

}  // namespace mra::sgx::testing

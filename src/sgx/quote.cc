// Copyright The mra Authors.

#include "mra/sgx/quote.h"

#include <string_view>
#include <utility>

#include "mra/base/byte_reader.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"

namespace mra::sgx {
namespace {

absl::Status Malformed(std::string_view field, size_t offset,
                       std::string_view what) {
  return VerifyError(VerifyFailure::kQuoteMalformed,
                     StrCat(field, " at offset ", offset, ": ", what));
}

absl::Status Unsupported(std::string_view field, size_t offset,
                         std::string_view what) {
  return VerifyError(VerifyFailure::kQuoteUnsupported,
                     StrCat(field, " at offset ", offset, ": ", what));
}

// Cursor is a ByteReader that knows its absolute offset in the quote, so
// errors can name where they happened.
class Cursor {
 public:
  Cursor(ByteReader reader, size_t base) : reader_(reader), base_(base) {}

  size_t offset() const { return base_ + reader_.consumed(); }
  size_t remaining() const { return reader_.remaining(); }
  ByteReader& reader() { return reader_; }

  absl::Status U16(std::string_view field, uint16_t* out) {
    if (!reader_.ReadU16Le(out)) {
      return Truncated(field, 2);
    }
    return absl::OkStatus();
  }
  absl::Status U32(std::string_view field, uint32_t* out) {
    if (!reader_.ReadU32Le(out)) {
      return Truncated(field, 4);
    }
    return absl::OkStatus();
  }
  template <size_t N>
  absl::Status Array(std::string_view field, std::array<uint8_t, N>* out) {
    if (!reader_.ReadArray(out)) {
      return Truncated(field, N);
    }
    return absl::OkStatus();
  }
  absl::Status Bytes(std::string_view field, size_t len,
                     std::span<const uint8_t>* out) {
    if (!reader_.ReadBytes(len, out)) {
      return Truncated(field, len);
    }
    return absl::OkStatus();
  }
  absl::Status Skip(std::string_view field, size_t len) {
    if (!reader_.Skip(len)) {
      return Truncated(field, len);
    }
    return absl::OkStatus();
  }
  // Sub consumes `len` bytes and returns a cursor over them.
  absl::Status Sub(std::string_view field, size_t len, Cursor* out) {
    size_t start = offset();
    ByteReader sub;
    if (!reader_.ReadSubReader(len, &sub)) {
      return Truncated(field, len);
    }
    *out = Cursor(sub, start);
    return absl::OkStatus();
  }

  absl::Status Truncated(std::string_view field, size_t need) const {
    return Malformed(field, offset(),
                     StrCat("truncated (need ", need, " bytes, have ",
                            reader_.remaining(), ")"));
  }

 private:
  ByteReader reader_;
  size_t base_;
};

// CheckLength bounds an attacker-controlled length by a documented maximum
// and by the bytes remaining.
absl::Status CheckLength(const Cursor& c, std::string_view field, size_t len,
                         size_t max_len, size_t len_offset) {
  if (len > max_len) {
    return Malformed(field, len_offset,
                     StrCat("length ", len, " exceeds maximum ", max_len));
  }
  if (len > c.remaining()) {
    return Malformed(
        field, len_offset,
        StrCat("length ", len, " exceeds remaining ", c.remaining(), " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ParseHeader(Cursor& c, QuoteHeader* h) {
  MRA_RETURN_IF_ERROR(c.U16("header.version", &h->version));
  if (h->version != 3 && h->version != 4 && h->version != 5) {
    return Unsupported(
        "header.version", 0,
        StrCat("quote version ", h->version, " (supported: 3, 4, 5)"));
  }
  MRA_RETURN_IF_ERROR(c.U16("header.att_key_type", &h->att_key_type));
  if (h->att_key_type != kAttKeyTypeEcdsaP256) {
    return Unsupported("header.att_key_type", 2,
                       StrCat("attestation key type ", h->att_key_type,
                              h->att_key_type == 3 ? " (ECDSA P-384)" : "",
                              " (need 2 = ECDSA P-256)"));
  }
  size_t tee_off = c.offset();
  MRA_RETURN_IF_ERROR(c.U32("header.tee_type", &h->tee_type));
  if (h->version == 3) {
    if (h->tee_type != 0) {
      return Malformed("header.att_key_data_0", tee_off, "must be zero");
    }
    MRA_RETURN_IF_ERROR(c.U16("header.qe_svn", &h->qe_svn));
    MRA_RETURN_IF_ERROR(c.U16("header.pce_svn", &h->pce_svn));
  } else {
    if (h->tee_type != kTeeTypeSgx && h->tee_type != kTeeTypeTdx) {
      return Malformed(
          "header.tee_type", tee_off,
          StrCat("unknown tee type 0x", fmt::format("{:x}", h->tee_type)));
    }
    MRA_RETURN_IF_ERROR(c.Skip("header.reserved", 4));
  }
  MRA_RETURN_IF_ERROR(c.Array("header.qe_vendor_id", &h->qe_vendor_id));
  MRA_RETURN_IF_ERROR(c.Array("header.user_data", &h->user_data));
  return absl::OkStatus();
}

// ParseSgxReportBody decodes a 384-byte sgx_report_body_t; `name` prefixes
// field names in errors ("body" or "qe_report").
absl::Status ParseSgxReportBody(Cursor& c, std::string_view name,
                                SgxReportBody* b) {
  std::span<const uint8_t> raw;
  size_t start = c.offset();
  MRA_RETURN_IF_ERROR(c.Bytes(name, kSgxReportBodyLen, &raw));
  for (size_t i = 0; i < kSgxReportBodyLen; ++i) {
    b->raw[i] = raw[i];
  }
  Cursor r(ByteReader(raw), start);
  // All reads below are within the 384 bytes just taken; still checked.
  MRA_RETURN_IF_ERROR(r.Array(StrCat(name, ".cpusvn"), &b->cpusvn));
  MRA_RETURN_IF_ERROR(r.U32(StrCat(name, ".miscselect"), &b->miscselect));
  MRA_RETURN_IF_ERROR(r.Skip(StrCat(name, ".reserved1"), 12));
  MRA_RETURN_IF_ERROR(
      r.Array(StrCat(name, ".isv_ext_prod_id"), &b->isv_ext_prod_id));
  MRA_RETURN_IF_ERROR(r.Array(StrCat(name, ".attributes"), &b->attributes));
  MRA_RETURN_IF_ERROR(r.Array(StrCat(name, ".mr_enclave"), &b->mr_enclave));
  MRA_RETURN_IF_ERROR(r.Skip(StrCat(name, ".reserved2"), 32));
  MRA_RETURN_IF_ERROR(r.Array(StrCat(name, ".mr_signer"), &b->mr_signer));
  MRA_RETURN_IF_ERROR(r.Skip(StrCat(name, ".reserved3"), 32));
  MRA_RETURN_IF_ERROR(r.Array(StrCat(name, ".config_id"), &b->config_id));
  MRA_RETURN_IF_ERROR(r.U16(StrCat(name, ".isv_prod_id"), &b->isv_prod_id));
  MRA_RETURN_IF_ERROR(r.U16(StrCat(name, ".isv_svn"), &b->isv_svn));
  MRA_RETURN_IF_ERROR(r.U16(StrCat(name, ".config_svn"), &b->config_svn));
  MRA_RETURN_IF_ERROR(r.Skip(StrCat(name, ".reserved4"), 42));
  MRA_RETURN_IF_ERROR(
      r.Array(StrCat(name, ".isv_family_id"), &b->isv_family_id));
  MRA_RETURN_IF_ERROR(r.Array(StrCat(name, ".report_data"), &b->report_data));
  if (r.remaining() != 0) {
    return Malformed(name, r.offset(), "report body layout mismatch");
  }
  return absl::OkStatus();
}

absl::Status ParseTdReportBody(Cursor& c, bool td15, TdReportBody* b) {
  b->is_td15 = td15;
  MRA_RETURN_IF_ERROR(c.Array("body.tee_tcb_svn", &b->tee_tcb_svn));
  MRA_RETURN_IF_ERROR(c.Array("body.mrseam", &b->mrseam));
  MRA_RETURN_IF_ERROR(c.Array("body.mrsignerseam", &b->mrsignerseam));
  MRA_RETURN_IF_ERROR(c.Array("body.seam_attributes", &b->seam_attributes));
  MRA_RETURN_IF_ERROR(c.Array("body.td_attributes", &b->td_attributes));
  MRA_RETURN_IF_ERROR(c.Array("body.xfam", &b->xfam));
  MRA_RETURN_IF_ERROR(c.Array("body.mrtd", &b->mrtd));
  MRA_RETURN_IF_ERROR(c.Array("body.mrconfigid", &b->mrconfigid));
  MRA_RETURN_IF_ERROR(c.Array("body.mrowner", &b->mrowner));
  MRA_RETURN_IF_ERROR(c.Array("body.mrownerconfig", &b->mrownerconfig));
  for (size_t i = 0; i < b->rtmr.size(); ++i) {
    MRA_RETURN_IF_ERROR(c.Array(StrCat("body.rtmr", i), &b->rtmr[i]));
  }
  MRA_RETURN_IF_ERROR(c.Array("body.report_data", &b->report_data));
  if (td15) {
    MRA_RETURN_IF_ERROR(c.Array("body.tee_tcb_svn2", &b->tee_tcb_svn2));
    MRA_RETURN_IF_ERROR(c.Array("body.mrservicetd", &b->mrservicetd));
  }
  return absl::OkStatus();
}

// ParsePckChain reads {type u16, size u32, data} and requires type 5.
absl::Status ParsePckChainCertData(Cursor& c, std::string_view name,
                                   SignatureData* sig) {
  size_t type_off = c.offset();
  MRA_RETURN_IF_ERROR(c.U16(StrCat(name, ".type"), &sig->cert_data_type));
  size_t size_off = c.offset();
  uint32_t size = 0;
  MRA_RETURN_IF_ERROR(c.U32(StrCat(name, ".size"), &size));
  MRA_RETURN_IF_ERROR(
      CheckLength(c, StrCat(name, ".size"), size, kMaxCertDataLen, size_off));
  if (sig->cert_data_type != kCertDataPckCertChain) {
    return Unsupported(StrCat(name, ".type"), type_off,
                       StrCat("certification data type ", sig->cert_data_type,
                              " (need 5 = PCK cert chain)"));
  }
  std::span<const uint8_t> data;
  MRA_RETURN_IF_ERROR(c.Bytes(StrCat(name, ".data"), size, &data));
  sig->pck_chain_pem.assign(data.begin(), data.end());
  return absl::OkStatus();
}

// ParseQeBlock reads QE report, its signature, QE auth data.
absl::Status ParseQeBlock(Cursor& c, SignatureData* sig) {
  MRA_RETURN_IF_ERROR(ParseSgxReportBody(c, "qe_report", &sig->qe_report));
  MRA_RETURN_IF_ERROR(
      c.Array("qe_report_signature", &sig->qe_report_signature));
  size_t len_off = c.offset();
  uint16_t auth_len = 0;
  MRA_RETURN_IF_ERROR(c.U16("qe_auth_data.size", &auth_len));
  MRA_RETURN_IF_ERROR(CheckLength(c, "qe_auth_data.size", auth_len,
                                  kMaxQeAuthDataLen, len_off));
  std::span<const uint8_t> auth;
  MRA_RETURN_IF_ERROR(c.Bytes("qe_auth_data", auth_len, &auth));
  sig->qe_auth_data.assign(auth.begin(), auth.end());
  return absl::OkStatus();
}

absl::Status ParseSignatureData(Cursor& c, uint16_t version,
                                SignatureData* sig) {
  MRA_RETURN_IF_ERROR(c.Array("quote_signature", &sig->quote_signature));
  MRA_RETURN_IF_ERROR(c.Array("attest_key", &sig->attest_key));
  if (version == 3) {
    MRA_RETURN_IF_ERROR(ParseQeBlock(c, sig));
    sig->outer_cert_data_type = kCertDataPckCertChain;
    MRA_RETURN_IF_ERROR(ParsePckChainCertData(c, "cert_data", sig));
  } else {
    size_t type_off = c.offset();
    MRA_RETURN_IF_ERROR(c.U16("cert_data.type", &sig->outer_cert_data_type));
    if (sig->outer_cert_data_type != kCertDataQeReport) {
      return Unsupported(
          "cert_data.type", type_off,
          StrCat("certification data type ", sig->outer_cert_data_type,
                 " (need 6 = QE report certification data)"));
    }
    size_t size_off = c.offset();
    uint32_t size = 0;
    MRA_RETURN_IF_ERROR(c.U32("cert_data.size", &size));
    MRA_RETURN_IF_ERROR(
        CheckLength(c, "cert_data.size", size, kMaxSignatureDataLen, size_off));
    Cursor inner(ByteReader(), 0);
    MRA_RETURN_IF_ERROR(c.Sub("cert_data.data", size, &inner));
    MRA_RETURN_IF_ERROR(ParseQeBlock(inner, sig));
    MRA_RETURN_IF_ERROR(ParsePckChainCertData(inner, "inner_cert_data", sig));
    if (inner.remaining() != 0) {
      return Malformed("cert_data.data", inner.offset(),
                       StrCat(inner.remaining(),
                              " unconsumed bytes in QE report cert data"));
    }
  }
  if (c.remaining() != 0) {
    return Malformed("signature_data", c.offset(),
                     StrCat(c.remaining(), " unconsumed bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

bool ParsedQuote::Debug() const {
  if (td_body.has_value()) {
    return td_body->Debug();
  }
  if (sgx_body.has_value()) {
    return sgx_body->Debug();
  }
  return false;
}

std::span<const uint8_t, 64> ParsedQuote::ReportData() const {
  if (td_body.has_value()) {
    return td_body->report_data;
  }
  MRA_CHECK(sgx_body.has_value());
  return sgx_body->report_data;
}

absl::StatusOr<ParsedQuote> ParseQuote(std::span<const uint8_t> bytes,
                                       const ParseOptions& opts) {
  ParsedQuote q;
  Cursor c(ByteReader(bytes), 0);
  MRA_RETURN_IF_ERROR(ParseHeader(c, &q.header));

  size_t body_len = 0;
  if (q.header.version == 3) {
    q.body_type = BodyType::kSgx;
    body_len = kSgxReportBodyLen;
  } else if (q.header.version == 4) {
    q.body_type =
        q.header.tee_type == kTeeTypeTdx ? BodyType::kTd10 : BodyType::kSgx;
    body_len =
        q.body_type == BodyType::kSgx ? kSgxReportBodyLen : kTd10ReportBodyLen;
  } else {
    size_t type_off = c.offset();
    uint16_t body_type = 0;
    MRA_RETURN_IF_ERROR(c.U16("body_type", &body_type));
    size_t size_off = c.offset();
    uint32_t body_size = 0;
    MRA_RETURN_IF_ERROR(c.U32("body_size", &body_size));
    size_t want = 0;
    switch (body_type) {
      case 1:
        q.body_type = BodyType::kSgx;
        want = kSgxReportBodyLen;
        break;
      case 2:
        q.body_type = BodyType::kTd10;
        want = kTd10ReportBodyLen;
        break;
      case 3:
        q.body_type = BodyType::kTd15;
        want = kTd15ReportBodyLen;
        break;
      default:
        return Malformed(
            "body_type", type_off,
            StrCat("unknown body type ", body_type, " (expected 1, 2 or 3)"));
    }
    bool tdx_body = q.body_type != BodyType::kSgx;
    if (tdx_body != (q.header.tee_type == kTeeTypeTdx)) {
      return Malformed(
          "body_type", type_off,
          StrCat("body type ", body_type, " does not match tee type"));
    }
    if (body_size != want) {
      return Malformed("body_size", size_off,
                       StrCat("body size ", body_size, " for body type ",
                              body_type, " (expected ", want, ")"));
    }
    body_len = want;
  }

  Cursor body(ByteReader(), 0);
  MRA_RETURN_IF_ERROR(c.Sub("body", body_len, &body));
  if (q.body_type == BodyType::kSgx) {
    q.sgx_body.emplace();
    MRA_RETURN_IF_ERROR(ParseSgxReportBody(body, "body", &*q.sgx_body));
  } else {
    q.td_body.emplace();
    MRA_RETURN_IF_ERROR(
        ParseTdReportBody(body, q.body_type == BodyType::kTd15, &*q.td_body));
  }
  size_t signed_len = c.offset();
  // signed_len <= bytes.size() holds: it is what the reader consumed.
  q.signed_bytes.assign(
      bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(signed_len));

  size_t len_off = c.offset();
  uint32_t sig_len = 0;
  MRA_RETURN_IF_ERROR(c.U32("signature_data_len", &sig_len));
  MRA_RETURN_IF_ERROR(CheckLength(c, "signature_data_len", sig_len,
                                  kMaxSignatureDataLen, len_off));
  Cursor sig(ByteReader(), 0);
  MRA_RETURN_IF_ERROR(c.Sub("signature_data", sig_len, &sig));
  MRA_RETURN_IF_ERROR(ParseSignatureData(sig, q.header.version, &q.signature));

  q.quote_len = c.offset();
  q.trailing_len = c.remaining();
  if (q.trailing_len != 0 && opts.trailing != TrailingBytes::kAny) {
    if (opts.trailing == TrailingBytes::kReject) {
      return Malformed(
          "trailing", q.quote_len,
          StrCat(q.trailing_len, " bytes after the signature data"));
    }
    std::span<const uint8_t> rest = c.reader().Rest();
    for (size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] != 0) {
        return Malformed("trailing", q.quote_len + i,
                         "non-zero byte after the signature data");
      }
    }
  }
  return q;
}

}  // namespace mra::sgx

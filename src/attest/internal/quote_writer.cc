#include "src/attest/internal/quote_writer.h"

#include <algorithm>

namespace mra::attest::internal {

void ByteWriter::U16(uint16_t v) {
  out_->push_back(static_cast<uint8_t>(v & 0xff));
  out_->push_back(static_cast<uint8_t>(v >> 8));
}

void ByteWriter::U32(uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) {
    out_->push_back(static_cast<uint8_t>((v >> shift) & 0xff));
  }
}

void ByteWriter::Bytes(std::span<const uint8_t> b) {
  out_->insert(out_->end(), b.begin(), b.end());
}

void ByteWriter::Zeros(size_t n) { out_->insert(out_->end(), n, 0); }

void AppendV3Header(const sgx::QuoteHeader& h, std::vector<uint8_t>* out) {
  ByteWriter w(out);
  w.U16(3);
  w.U16(h.att_key_type);
  w.U32(0);  // att_key_data_0 (reserved).
  w.U16(h.qe_svn);
  w.U16(h.pce_svn);
  w.Bytes(h.qe_vendor_id);
  w.Bytes(h.user_data);
}

std::array<uint8_t, sgx::kSgxReportBodyLen> EncodeReportBody(
    const sgx::SgxReportBody& b) {
  std::vector<uint8_t> v;
  v.reserve(sgx::kSgxReportBodyLen);
  ByteWriter w(&v);
  w.Bytes(b.cpusvn);           // 0
  w.U32(b.miscselect);         // 16
  w.Zeros(12);                 // 20 reserved1
  w.Bytes(b.isv_ext_prod_id);  // 32
  w.Bytes(b.attributes);       // 48
  w.Bytes(b.mr_enclave);       // 64
  w.Zeros(32);                 // 96 reserved2
  w.Bytes(b.mr_signer);        // 128
  w.Zeros(32);                 // 160 reserved3
  w.Bytes(b.config_id);        // 192
  w.U16(b.isv_prod_id);        // 256
  w.U16(b.isv_svn);            // 258
  w.U16(b.config_svn);         // 260
  w.Zeros(42);                 // 262 reserved4
  w.Bytes(b.isv_family_id);    // 304
  w.Bytes(b.report_data);      // 320
  std::array<uint8_t, sgx::kSgxReportBodyLen> out{};
  std::copy_n(v.begin(), std::min(v.size(), out.size()), out.begin());
  return out;
}

}  // namespace mra::attest::internal

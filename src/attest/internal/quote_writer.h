// Copyright The mra Authors.
//
// File: src/attest/internal/quote_writer.h
// -----------------------------------------------------------------------------
// Serialises the SGX quote v3 structures (docs/dcap-spec.md sections 1-2)
// from the same structs ParseQuote fills (mra/sgx/quote.h), so a written
// quote parses back field for field. Little-endian integers throughout.

#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "mra/sgx/quote.h"

namespace mra::attest::internal {

// ByteWriter appends little-endian fields to a byte vector.
class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>* out) : out_(out) {}
  void U16(uint16_t v);
  void U32(uint32_t v);
  void Bytes(std::span<const uint8_t> b);
  void Zeros(size_t n);

 private:
  std::vector<uint8_t>* out_;
};

// AppendV3Header writes the 48-byte v3 header (att_key_data_0 = 0).
void AppendV3Header(const sgx::QuoteHeader& h, std::vector<uint8_t>* out);

// EncodeReportBody writes a 384-byte sgx_report_body_t (reserved fields
// zero). `b.raw` is ignored.
std::array<uint8_t, sgx::kSgxReportBodyLen> EncodeReportBody(
    const sgx::SgxReportBody& b);

}  // namespace mra::attest::internal

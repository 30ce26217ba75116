#include "mra/base/byte_reader.h"

namespace mra {

bool ByteReader::ReadBytes(size_t len, std::span<const uint8_t>* out) {
  if (len > data_.size()) {
    return false;
  }
  *out = data_.first(len);
  data_ = data_.subspan(len);
  consumed_ += len;
  return true;
}

bool ByteReader::Skip(size_t len) {
  std::span<const uint8_t> ignored;
  return ReadBytes(len, &ignored);
}

bool ByteReader::ReadSubReader(size_t len, ByteReader* out) {
  std::span<const uint8_t> bytes;
  if (!ReadBytes(len, &bytes)) {
    return false;
  }
  *out = ByteReader(bytes);
  return true;
}

bool ByteReader::ReadU8(uint8_t* out) {
  std::span<const uint8_t> b;
  if (!ReadBytes(1, &b)) {
    return false;
  }
  *out = b[0];
  return true;
}

bool ByteReader::ReadU16Le(uint16_t* out) {
  std::span<const uint8_t> b;
  if (!ReadBytes(2, &b)) {
    return false;
  }
  *out = static_cast<uint16_t>(b[0] | (b[1] << 8));
  return true;
}

bool ByteReader::ReadU32Le(uint32_t* out) {
  std::span<const uint8_t> b;
  if (!ReadBytes(4, &b)) {
    return false;
  }
  uint32_t v = 0;
  for (size_t i = 4; i-- > 0;) {
    v = (v << 8) | b[i];
  }
  *out = v;
  return true;
}

bool ByteReader::ReadU64Le(uint64_t* out) {
  std::span<const uint8_t> b;
  if (!ReadBytes(8, &b)) {
    return false;
  }
  uint64_t v = 0;
  for (size_t i = 8; i-- > 0;) {
    v = (v << 8) | b[i];
  }
  *out = v;
  return true;
}

}  // namespace mra

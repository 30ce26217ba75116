#include "src/x509/internal/cbor.h"

#include <cbor.h>

#include <array>

namespace mra::x509::internal {
namespace {

// Each callback records what libcbor saw into the CborHead `ctx` points to.
void Set(void* ctx, CborHead::Kind kind, uint64_t value,
         std::span<const uint8_t> bytes = {}) {
  CborHead* head = static_cast<CborHead*>(ctx);
  head->kind = kind;
  head->value = value;
  head->bytes = bytes;
}

void OnUint8(void* ctx, uint8_t v) { Set(ctx, CborHead::Kind::kUint, v); }
void OnUint16(void* ctx, uint16_t v) { Set(ctx, CborHead::Kind::kUint, v); }
void OnUint32(void* ctx, uint32_t v) { Set(ctx, CborHead::Kind::kUint, v); }
void OnUint64(void* ctx, uint64_t v) { Set(ctx, CborHead::Kind::kUint, v); }
void OnNegint8(void* ctx, uint8_t v) { Set(ctx, CborHead::Kind::kNegint, v); }
void OnNegint16(void* ctx, uint16_t v) { Set(ctx, CborHead::Kind::kNegint, v); }
void OnNegint32(void* ctx, uint32_t v) { Set(ctx, CborHead::Kind::kNegint, v); }
void OnNegint64(void* ctx, uint64_t v) { Set(ctx, CborHead::Kind::kNegint, v); }
void OnBytes(void* ctx, cbor_data data, size_t len) {
  Set(ctx, CborHead::Kind::kBytes, len, {data, len});
}
void OnText(void* ctx, cbor_data data, size_t len) {
  Set(ctx, CborHead::Kind::kText, len, {data, len});
}
void OnArray(void* ctx, size_t n) { Set(ctx, CborHead::Kind::kArray, n); }
void OnMap(void* ctx, size_t n) { Set(ctx, CborHead::Kind::kMap, n); }
void OnTag(void* ctx, uint64_t v) { Set(ctx, CborHead::Kind::kTag, v); }
void OnOther(void* ctx) { Set(ctx, CborHead::Kind::kOther, 0); }
void OnFloat(void* ctx, float /*unused*/) { OnOther(ctx); }
void OnDouble(void* ctx, double /*unused*/) { OnOther(ctx); }
void OnBool(void* ctx, bool /*unused*/) { OnOther(ctx); }

// Every member is set, so libcbor never calls a null function pointer.
constexpr cbor_callbacks kCallbacks = {
    .uint8 = OnUint8,
    .uint16 = OnUint16,
    .uint32 = OnUint32,
    .uint64 = OnUint64,
    .negint64 = OnNegint64,
    .negint32 = OnNegint32,
    .negint16 = OnNegint16,
    .negint8 = OnNegint8,
    .byte_string_start = OnOther,
    .byte_string = OnBytes,
    .string = OnText,
    .string_start = OnOther,
    .indef_array_start = OnOther,
    .array_start = OnArray,
    .indef_map_start = OnOther,
    .map_start = OnMap,
    .tag = OnTag,
    .float2 = OnFloat,
    .float4 = OnFloat,
    .float8 = OnDouble,
    .undefined = OnOther,
    .null = OnOther,
    .boolean = OnBool,
    .indef_break = OnOther,
};

}  // namespace

bool CborReader::Next(CborHead* out) {
  if (data_.empty()) {
    return false;
  }
  CborHead head;
  cbor_decoder_result result =
      cbor_stream_decode(data_.data(), data_.size(), &kCallbacks, &head);
  if (result.status != CBOR_DECODER_FINISHED || result.read == 0 ||
      result.read > data_.size()) {
    return false;
  }
  data_ = data_.subspan(result.read);
  *out = head;
  return true;
}

namespace {

// The longest CBOR head is 9 bytes (initial byte + 8-byte argument).
using HeadBuf = std::array<unsigned char, 9>;

void Append(std::vector<uint8_t>* out, const HeadBuf& buf, size_t len) {
  out->insert(out->end(), buf.begin(),
              buf.begin() + static_cast<std::ptrdiff_t>(len));
}

}  // namespace

void CborWriter::Uint(uint64_t value) {
  HeadBuf buf{};
  Append(&out_, buf, cbor_encode_uint(value, buf.data(), buf.size()));
}

void CborWriter::Tag(uint64_t tag) {
  HeadBuf buf{};
  Append(&out_, buf, cbor_encode_tag(tag, buf.data(), buf.size()));
}

void CborWriter::ArrayStart(size_t num_elements) {
  HeadBuf buf{};
  Append(&out_, buf,
         cbor_encode_array_start(num_elements, buf.data(), buf.size()));
}

void CborWriter::MapStart(size_t num_pairs) {
  HeadBuf buf{};
  Append(&out_, buf, cbor_encode_map_start(num_pairs, buf.data(), buf.size()));
}

void CborWriter::Bytes(std::span<const uint8_t> bytes) {
  HeadBuf buf{};
  Append(&out_, buf,
         cbor_encode_bytestring_start(bytes.size(), buf.data(), buf.size()));
  out_.insert(out_.end(), bytes.begin(), bytes.end());
}

void CborWriter::Text(std::string_view text) {
  HeadBuf buf{};
  Append(&out_, buf,
         cbor_encode_string_start(text.size(), buf.data(), buf.size()));
  out_.insert(out_.end(), text.begin(), text.end());
}

}  // namespace mra::x509::internal

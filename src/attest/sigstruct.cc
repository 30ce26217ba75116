// The signed sidecar that gives a plain executable a simulated SGX identity.
#include "mra/attest/sigstruct.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>

#include "nlohmann/json.hpp"
#include "src/attest/internal/quote_writer.h"

#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/crypto/signature.h"

namespace mra::attest {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kDomain = "MRA-SIM-SIGSTRUCT-V1\n";
constexpr std::string_view kWarning =
    "DEVELOPMENT ONLY: a simulated SGX identity for simulation mode; it "
    "proves nothing about hardware.";

absl::Status Bad(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("sigstruct: ", field, ": ", what));
}

std::vector<uint8_t> SignedMessage(const SimSigstruct& s) {
  std::vector<uint8_t> msg(kDomain.begin(), kDomain.end());
  internal::ByteWriter w(&msg);
  w.Bytes(s.mr_enclave);
  w.Bytes(s.attributes);
  w.U32(s.misc_select);
  w.U16(s.isv_prod_id);
  w.U16(s.isv_svn);
  return msg;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::StatusOr<const Json*> Field(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) {
    return Bad(key, "missing");
  }
  return &*it;
}

absl::StatusOr<std::string> StringField(const Json& j, const char* key) {
  MRA_ASSIGN_OR_RETURN(const Json* v, Field(j, key));
  if (!v->is_string()) {
    return Bad(key, "expected a string");
  }
  return v->get<std::string>();
}

absl::StatusOr<uint64_t> UnsignedField(const Json& j, const char* key,
                                       uint64_t max) {
  MRA_ASSIGN_OR_RETURN(const Json* v, Field(j, key));
  if (!v->is_number_unsigned() || v->get<uint64_t>() > max) {
    return Bad(key, StrCat("expected an integer 0..", max));
  }
  return v->get<uint64_t>();
}

absl::Status HexField(const Json& j, const char* key, std::span<uint8_t> out) {
  MRA_ASSIGN_OR_RETURN(std::string s, StringField(j, key));
  if (!HexDecodeInto(s, out).ok()) {
    return Bad(key, StrCat("expected ", out.size() * 2, " hex characters"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string SigstructPathFor(const std::string& binary) {
  return binary + std::string(kSigstructSuffix);
}

absl::StatusOr<crypto::Sha256Digest> MeasureFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    int err = errno;
    std::string msg =
        StrCat("cannot open '", path, "' to measure it: ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg)
                         : absl::UnavailableError(msg);
  }
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return crypto::OpenSslError("EVP_DigestInit_ex");
  }
  std::vector<uint8_t> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return absl::UnavailableError(
          StrCat("cannot read '", path, "': ", std::strerror(errno)));
    }
    if (n == 0) {
      break;
    }
    if (EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n)) != 1) {
      return crypto::OpenSslError("EVP_DigestUpdate");
    }
  }
  crypto::Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 ||
      len != out.size()) {
    return crypto::OpenSslError("EVP_DigestFinal_ex");
  }
  return out;
}

absl::StatusOr<crypto::Sha256Digest> MrSignerOf(const crypto::PublicKey& key) {
  if (key.type() != crypto::KeyType::kRsa) {
    return absl::InvalidArgumentError(
        "an enclave signer key must be RSA (SGX: RSA-3072, exponent 3)");
  }
  BIGNUM* raw_n = nullptr;
  if (EVP_PKEY_get_bn_param(key.pkey(), OSSL_PKEY_PARAM_RSA_N, &raw_n) != 1) {
    return crypto::OpenSslError("EVP_PKEY_get_bn_param(n)");
  }
  crypto::BignumPtr n(raw_n);
  int size = EVP_PKEY_get_size(key.pkey());
  if (size <= 0) {
    return crypto::OpenSslError("EVP_PKEY_get_size");
  }
  std::vector<uint8_t> modulus_le(static_cast<size_t>(size));
  if (BN_bn2lebinpad(n.get(), modulus_le.data(), size) != size) {
    return crypto::OpenSslError("BN_bn2lebinpad");
  }
  return crypto::Sha256(modulus_le);
}

absl::StatusOr<crypto::PrivateKey> GenerateEnclaveSignerKey() {
  crypto::EvpPkeyCtxPtr ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  crypto::BignumPtr e(BN_new());
  if (ctx == nullptr || e == nullptr || BN_set_word(e.get(), 3) != 1 ||
      EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 3072) != 1 ||
      EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), e.get()) != 1) {
    return crypto::OpenSslError("RSA-3072 e=3 key generation setup");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return crypto::OpenSslError("EVP_PKEY_keygen");
  }
  crypto::EvpPkeyPtr pkey(raw);
  // Round-trip through PKCS#8 into PrivateKey (which owns the EVP_PKEY).
  crypto::BioPtr bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0,
                               nullptr, nullptr) != 1) {
    return crypto::OpenSslError("PEM_write_bio_PrivateKey");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  SecretBytes pem(std::string_view(data, static_cast<size_t>(len)));
  OPENSSL_cleanse(data, static_cast<size_t>(len));
  return crypto::PrivateKey::ParsePem(pem.UnsafeView(SecretAccess::Get()));
}

absl::StatusOr<std::string> SignSigstruct(const std::string& binary,
                                          const crypto::PrivateKey& signer,
                                          const EnclaveSignOptions& opts) {
  MRA_ASSIGN_OR_RETURN(crypto::Sha256Digest mr_signer,
                       MrSignerOf(signer.public_key()));
  SimSigstruct s;
  MRA_ASSIGN_OR_RETURN(s.mr_enclave, MeasureFile(binary));
  s.mr_signer = mr_signer;
  s.isv_prod_id = opts.isv_prod_id;
  s.isv_svn = opts.isv_svn;
  // INIT | MODE64BIT (| DEBUG); XFRM x87 | SSE, the minimum.
  s.attributes[0] = static_cast<uint8_t>(kAttributeInit | kAttributeMode64Bit |
                                         (opts.debug ? kAttributeDebug : 0));
  s.attributes[8] = 0x03;
  MRA_ASSIGN_OR_RETURN(std::vector<uint8_t> sig,
                       crypto::SignDetached(signer, SignedMessage(s)));
  Json j = {
      {"format", kSigstructFormat},
      {"development_only", kWarning},
      {"mr_enclave", HexEncode(s.mr_enclave)},
      {"mr_signer", HexEncode(s.mr_signer)},
      {"isv_prod_id", s.isv_prod_id},
      {"isv_svn", s.isv_svn},
      {"attributes", HexEncode(s.attributes)},
      {"misc_select", s.misc_select},
      {"signer_public_key", signer.public_key().ToPem()},
      {"signature", HexEncode(sig)},
  };
  return j.dump(2) + "\n";
}

absl::StatusOr<SimSigstruct> ParseSigstruct(std::string_view text) {
  if (text.size() > kMaxSigstructLen) {
    return Bad("file", StrCat("larger than ", kMaxSigstructLen, " bytes"));
  }
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Bad("file", "not a JSON object");
  }
  static constexpr std::initializer_list<const char*> kKeys = {
      "format",     "development_only", "mr_enclave",
      "mr_signer",  "isv_prod_id",      "isv_svn",
      "attributes", "misc_select",      "signer_public_key",
      "signature"};
  for (const auto& [key, unused] : j.items()) {
    bool known = false;
    for (const char* k : kKeys) {
      known = known || key == k;
    }
    if (!known) {
      return Bad(key, "unknown key");
    }
  }
  MRA_ASSIGN_OR_RETURN(std::string format, StringField(j, "format"));
  if (format != kSigstructFormat) {
    return Bad("format", StrCat("'", format, "' is not ", kSigstructFormat));
  }
  MRA_ASSIGN_OR_RETURN(std::string unused_warning,
                       StringField(j, "development_only"));
  SimSigstruct s;
  MRA_RETURN_IF_ERROR(HexField(j, "mr_enclave", s.mr_enclave));
  crypto::Sha256Digest stated_signer{};
  MRA_RETURN_IF_ERROR(HexField(j, "mr_signer", stated_signer));
  MRA_ASSIGN_OR_RETURN(uint64_t v, UnsignedField(j, "isv_prod_id", 0xffff));
  s.isv_prod_id = static_cast<uint16_t>(v);
  MRA_ASSIGN_OR_RETURN(v, UnsignedField(j, "isv_svn", 0xffff));
  s.isv_svn = static_cast<uint16_t>(v);
  MRA_RETURN_IF_ERROR(HexField(j, "attributes", s.attributes));
  MRA_ASSIGN_OR_RETURN(v, UnsignedField(j, "misc_select", 0xffffffff));
  s.misc_select = static_cast<uint32_t>(v);
  MRA_ASSIGN_OR_RETURN(std::string pem, StringField(j, "signer_public_key"));
  absl::StatusOr<crypto::PublicKey> key = crypto::PublicKey::ParsePem(pem);
  if (!key.ok()) {
    return Bad("signer_public_key", ToStd(key.status().message()));
  }
  if (key->type() != crypto::KeyType::kRsa) {
    return Bad("signer_public_key", "not an RSA key");
  }
  MRA_ASSIGN_OR_RETURN(std::string sig_hex, StringField(j, "signature"));
  absl::StatusOr<std::vector<uint8_t>> sig = HexDecode(sig_hex);
  if (!sig.ok()) {
    return Bad("signature", "expected hex");
  }
  MRA_ASSIGN_OR_RETURN(s.mr_signer, MrSignerOf(*key));
  if (s.mr_signer != stated_signer) {
    return absl::UnauthenticatedError(
        "sigstruct: mr_signer does not match signer_public_key");
  }
  absl::Status verified = crypto::VerifyDetached(*key, SignedMessage(s), *sig);
  if (!verified.ok()) {
    return absl::UnauthenticatedError(
        "sigstruct: signature does not verify under signer_public_key (the "
        "sidecar was edited after signing)");
  }
  return s;
}

absl::StatusOr<SimSigstruct> LoadVerifiedSigstruct(const std::string& binary,
                                                   const std::string& sidecar) {
  std::string path = sidecar.empty() ? SigstructPathFor(binary) : sidecar;
  absl::StatusOr<std::string> text = ReadFileBounded(path, kMaxSigstructLen);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) {
      return absl::NotFoundError(StrCat(
          "no sigstruct sidecar '", path, "' for '", binary,
          "'; create one with `mra enclave sign --key KEY ", binary, "`"));
    }
    return text.status();
  }
  absl::StatusOr<SimSigstruct> s = ParseSigstruct(*text);
  if (!s.ok()) {
    return absl::Status(s.status().code(),
                        StrCat(path, ": ", ToStd(s.status().message())));
  }
  MRA_ASSIGN_OR_RETURN(crypto::Sha256Digest measured, MeasureFile(binary));
  if (measured != s->mr_enclave) {
    return absl::PermissionDeniedError(StrCat(
        "'", binary, "' measures ", HexEncode(measured), " but its sidecar '",
        path, "' was signed for MRENCLAVE ", HexEncode(s->mr_enclave),
        " (binary changed after signing? re-run `mra enclave sign`)"));
  }
  return s;
}

}  // namespace mra::attest

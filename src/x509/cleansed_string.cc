#include "mra/x509/cleansed_string.h"

#include <string_view>

namespace mra::x509 {

CleansedString::CleansedString(const SecretBytes& secret)
    : text_(std::make_unique<std::string>()) {
  std::string_view view = secret.UnsafeView(SecretAccess::Get());
  text_->reserve(view.size());
  text_->assign(view.data(), view.size());
}

CleansedString::~CleansedString() { Wipe(); }

CleansedString& CleansedString::operator=(CleansedString&& other) noexcept {
  if (this != &other) {
    Wipe();
    text_ = std::move(other.text_);
  }
  return *this;
}

void CleansedString::Wipe() {
  if (text_ != nullptr && !text_->empty()) {
    internal::Cleanse(text_->data(), text_->size());
  }
}

}  // namespace mra::x509

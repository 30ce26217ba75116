// Copyright The mra Authors.
//
// The storage service: mra.v1.Storage over KvStore.

#include <memory>
#include <string>

#include "spdlog/spdlog.h"
#include "src/platform/internal/call_guard.h"
#include "src/platform/internal/kv_store.h"

#include "mra/base/status.h"
#include "mra/platform/services.h"
#include "mra/v1/storage.grpc.pb.h"

namespace mra::platform {
namespace {

using internal::AuthorizeCaller;
using internal::ToGrpcStatus;

class StorageService final : public v1::Storage::Service {
 public:
  StorageService(const ServiceContext& context,
                 std::unique_ptr<internal::KvStore> store)
      : transport_(context.transport),
        acl_(context.acl),
        store_(std::move(store)) {}

  ::grpc::Status Put(::grpc::ServerContext* context,
                     const v1::StoragePutRequest* request,
                     v1::StoragePutResponse* /*response*/) override {
    std::string peer;
    ::grpc::Status allowed =
        AuthorizeCaller(transport_, *context, acl_, "Put", &peer);
    if (!allowed.ok()) {
      return allowed;
    }
    absl::Status s =
        store_->Put(request->owner(), request->key(), request->value());
    if (!s.ok() && !absl::IsInvalidArgument(s)) {
      spdlog::error("storage put failed owner={} status={}",
                    internal::Printable(request->owner()), s.ToString());
      return {::grpc::StatusCode::INTERNAL, "write failed; nothing stored"};
    }
    return ToGrpcStatus(s);
  }

  ::grpc::Status Get(::grpc::ServerContext* context,
                     const v1::StorageGetRequest* request,
                     v1::StorageGetResponse* response) override {
    std::string peer;
    ::grpc::Status allowed =
        AuthorizeCaller(transport_, *context, acl_, "Get", &peer);
    if (!allowed.ok()) {
      return allowed;
    }
    absl::StatusOr<std::string> value =
        store_->Get(request->owner(), request->key());
    if (!value.ok()) {
      if (!absl::IsInvalidArgument(value.status()) &&
          !absl::IsNotFound(value.status())) {
        spdlog::error("storage get failed owner={} status={}",
                      internal::Printable(request->owner()),
                      value.status().ToString());
        return {::grpc::StatusCode::INTERNAL, "read failed"};
      }
      return ToGrpcStatus(value.status());
    }
    *response->mutable_value() = std::move(*value);
    return ::grpc::Status::OK;
  }

 private:
  Transport& transport_;
  const ServiceAcl& acl_;
  std::unique_ptr<internal::KvStore> store_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<::grpc::Service>> MakeStorageService(
    const ServiceContext& context) {
  const ServiceConfig& self = context.config.Service(kStorageService);
  std::string path = self.data_dir + "/storage.db";
  internal::KvLimits limits{
      .max_key_len = context.config.storage.max_key_bytes,
      .max_value_len = context.config.storage.max_value_bytes};
  MRA_ASSIGN_OR_RETURN(std::unique_ptr<internal::KvStore> store,
                       internal::KvStore::Open(path, limits));
  spdlog::info(
      "storage database open path={} max_key_bytes={} "
      "max_value_bytes={}",
      path, limits.max_key_len, limits.max_value_len);
  return std::make_unique<StorageService>(context, std::move(store));
}

}  // namespace mra::platform

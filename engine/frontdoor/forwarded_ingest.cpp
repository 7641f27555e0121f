#include "engine/frontdoor/forwarded_ingest.hpp"

#include <stdexcept>

#include "engine/frontdoor/ingest_service.hpp"
#include "engine/frontdoor/twin_queries.hpp"

namespace citytwin {

namespace {

std::string twin_method(const char* rpc) { return "/" + std::string(v1::TwinService::service_full_name()) + "/" + rpc; }

audit_call forwarded_call(const forwarded_caller& who, std::string method) {
  return {who.identity, who.role, "grpc", who.peer, std::move(method)};
}

forwarded_answer answer(const grpc::Status& status, const google::protobuf::Message& response) {
  return {static_cast<std::int32_t>(status.error_code()), status.error_message(), status.ok() ? response.SerializeAsString() : ""};
}

}  // namespace

std::string ingest_forwarded_batch(frontdoor_context& context, const std::string& batch, const forwarded_caller& who) {
  v1::IngestBatch parsed;
  if (!parsed.ParseFromString(batch)) throw std::invalid_argument("a forwarded batch is not an IngestBatch");
  return ingest_service(context).handle_batch(parsed, forwarded_call(who, "/" + std::string(v1::IngestService::service_full_name()) + "/Ingest")).SerializeAsString();
}

forwarded_answer answer_forwarded_read(frontdoor_context& context, const std::string& method, const std::string& request,
                                       const forwarded_caller& who) {
  if (method == twin_method("GetHistory")) {
    v1::GetHistoryRequest parsed;
    v1::GetHistoryResponse response;
    const grpc::Status status =
        parsed.ParseFromString(request)
            ? audited_history(context, forwarded_call(who, method), grpc::Status::OK, parsed, &response)
            : grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the forwarded request is not a GetHistoryRequest");
    return answer(status, response);
  }
  if (method == twin_method("GetStats")) {
    v1::TwinStats stats;
    read_stats(context, &stats);
    return answer(grpc::Status::OK, stats);
  }
  return answer({grpc::StatusCode::UNIMPLEMENTED, "node 0 answers no forwarded " + method}, v1::TwinStats());
}

void forwarded_ingest_target::serve_with(frontdoor_context* context) {
  std::unique_lock lock(mutex_);
  context_ = context;
}

frontdoor_context& forwarded_ingest_target::serving() const {
  if (context_ == nullptr) throw std::runtime_error("node 0's front door is not serving");
  return *context_;
}

std::string forwarded_ingest_target::ingest(const std::string& batch, const forwarded_caller& who) {
  std::shared_lock lock(mutex_);
  return ingest_forwarded_batch(serving(), batch, who);
}

forwarded_answer forwarded_ingest_target::read(const std::string& method, const std::string& request, const forwarded_caller& who) {
  std::shared_lock lock(mutex_);
  return answer_forwarded_read(serving(), method, request, who);
}

std::shared_ptr<const twin_view> forwarded_ingest_target::view_after(std::uint64_t version, std::chrono::milliseconds wait) {
  std::shared_lock lock(mutex_);
  const auto& twin = serving().twin;
  auto view = twin.wait_for_view_after(version, wait);
  if (auto failure = twin.failure()) throw std::runtime_error("the live twin stopped: " + *failure);
  return view;
}

}  // namespace citytwin

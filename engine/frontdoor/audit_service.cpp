#include "engine/frontdoor/audit_service.hpp"

#include <fmt/format.h>

#include "engine/store/twin_store.hpp"

namespace citytwin {

namespace {

constexpr int default_page_size = 100;
constexpr int max_page_size = 1000;

grpc::Status invalid(const std::string& why) { return {grpc::StatusCode::INVALID_ARGUMENT, why}; }

std::string describe(const v1::ReadAuditRequest& request) {
  std::string text = fmt::format("audit trail [{}, {})", request.from_time_ms(),
                                 request.to_time_ms() == 0 ? std::string("end") : std::to_string(request.to_time_ms()));
  if (!request.caller().empty()) text += " of caller " + request.caller();
  if (!request.method().empty()) text += " for methods containing '" + request.method() + "'";
  return text;
}

}  // namespace

grpc::Status audit_service::ReadAudit(grpc::ServerContext* context, const v1::ReadAuditRequest* request,
                                      v1::ReadAuditResponse* response) {
  caller who;
  const grpc::Status authorization = context_.access.authorize(*context, role::admin, who);
  const grpc::Status outcome = authorization.ok() ? read(*request, *response) : authorization;
  const audit_call call =
      grpc_audit_call(*context, authorization, who, "/" + std::string(v1::AuditService::service_full_name()) + "/ReadAudit");
  if (authorization.ok()) {
    context_.audit.record_read(call, describe(*request), response->records_size(), outcome);
  } else {
    // Someone without the admin role tried to read the trail: always worth a record.
    auto record = context_.audit.describe(call, "refused: " + describe(*request));
    record.mutable_read_access()->set_target(describe(*request));
    context_.audit.record(std::move(record), outcome);
  }
  return outcome;
}

grpc::Status audit_service::read(const v1::ReadAuditRequest& request, v1::ReadAuditResponse& response) const {
  if (request.page_size() < 0) return invalid(fmt::format("page_size: {} is negative", request.page_size()));
  if (request.from_time_ms() < 0) return invalid(fmt::format("from_time_ms: {} is negative", request.from_time_ms()));
  const std::int64_t to = request.to_time_ms() == 0 ? INT64_MAX : request.to_time_ms();
  if (to <= request.from_time_ms())
    return invalid(fmt::format("to_time_ms: {} is not after from_time_ms {}", request.to_time_ms(), request.from_time_ms()));
  const int page_size = request.page_size() == 0 ? default_page_size : std::min(request.page_size(), max_page_size);
  std::string token = request.page_token();
  auto keep = [&](const audit_entry& entry) {
    if (request.caller().empty() && request.method().empty()) return true;
    v1::AuditRecord record;
    if (!record.ParseFromString(entry.bytes)) return true;  // shown (and flagged below) rather than hidden
    if (!request.caller().empty() && record.caller() != request.caller()) return false;
    return request.method().empty() || record.method().find(request.method()) != std::string::npos;
  };
  std::vector<audit_entry> entries;
  try {
    entries = context_.store.audit_records(request.from_time_ms(), to, static_cast<std::size_t>(page_size), &token, keep);
  } catch (const std::invalid_argument&) {
    return invalid("page_token: not one this server issued");
  }
  for (const auto& entry : entries) {
    auto* record = response.add_records();
    if (!record->ParseFromString(entry.bytes)) record->set_summary("(this record could not be decoded)");
    // The key is authoritative for when and in which order.
    record->set_time_ms(entry.time_ms);
    record->set_sequence(entry.sequence);
  }
  response.set_next_page_token(token);
  return grpc::Status::OK;
}

}  // namespace citytwin

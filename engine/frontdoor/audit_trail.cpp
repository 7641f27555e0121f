#include "engine/frontdoor/audit_trail.hpp"

#include <fmt/format.h>

#include "engine/live/live_twin.hpp"
#include "engine/store/twin_store.hpp"

namespace citytwin {

namespace {

audit_call make_call(std::string transport, std::string peer, const grpc::Status& authorization, const caller& who,
                     std::string method) {
  // authorize leaves `who` unset for a caller without a valid token.
  const bool identified = authorization.ok() || authorization.error_code() == grpc::StatusCode::PERMISSION_DENIED;
  return {identified ? who.identity : "", identified ? role_name(who.granted) : "", std::move(transport),
          std::move(peer), std::move(method)};
}

}  // namespace

audit_call grpc_audit_call(const grpc::ServerContext& context, const grpc::Status& authorization, const caller& who,
                           std::string method) {
  return make_call("grpc", context.peer(), authorization, who, std::move(method));
}

audit_call http_audit_call(const std::string& peer, const grpc::Status& authorization, const caller& who,
                           std::string method) {
  return make_call("http", peer, authorization, who, std::move(method));
}

const char* status_code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    default: return "UNKNOWN";
  }
}

v1::AuditRecord audit_trail::describe(const audit_call& call, std::string summary) const {
  v1::AuditRecord r;
  r.set_time_ms(wall_clock_epoch_ms());
  r.set_sim_time_ms(twin_.to_epoch_ms(twin_.now()));
  r.set_caller(call.caller);
  r.set_role(call.role);
  r.set_transport(call.transport);
  r.set_peer(call.peer);
  r.set_method(call.method);
  r.set_summary(std::move(summary));
  return r;
}

void audit_trail::set_outcome(v1::AuditRecord& record, const grpc::Status& outcome) {
  record.set_outcome_code(status_code_name(outcome.error_code()));
  record.set_outcome_message(outcome.error_message());
}

void audit_trail::record(v1::AuditRecord record, const grpc::Status& outcome) {
  set_outcome(record, outcome);
  record.set_time_ms(wall_clock_epoch_ms());  // when the call ended
  try {
    store_.append_audit(record.time_ms(), record.SerializeAsString());
  } catch (const std::exception& e) {
    fmt::print(stderr, "audit: could not record {} by '{}': {}\n", record.method(), record.caller(), e.what());
  }
}

void audit_trail::record_read(const audit_call& call, const std::string& target, std::uint64_t items,
                              const grpc::Status& outcome) {
  if (!reads_audited()) return;
  auto r = describe(call, outcome.ok() ? fmt::format("read {}: {} {}", target, items, items == 1 ? "item" : "items")
                                       : "read " + target);
  r.mutable_read_access()->set_target(target);
  r.mutable_read_access()->set_items(items);
  record(std::move(r), outcome);
}

}  // namespace citytwin

#include "engine/frontdoor/twin_query_service.hpp"

#include "engine/frontdoor/twin_queries.hpp"
#include "engine/frontdoor/twin_scan.hpp"
#include "engine/frontdoor/twin_watch.hpp"

namespace citytwin {

namespace {

std::string method_name(const char* rpc) { return "/" + std::string(v1::TwinService::service_full_name()) + "/" + rpc; }

// A filter as its text form, cut short: enough to tell in the audit trail what was asked for.
std::string describe(const v1::TwinFilter& filter) {
  std::string text = filter.ShortDebugString();
  if (text.empty()) return "all twins";
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  return "twins matching " + text;
}

}  // namespace

grpc::Status twin_query_service::GetTwin(grpc::ServerContext* context, const v1::GetTwinRequest* request,
                                         v1::Twin* response) {
  caller who;
  const grpc::Status authorization = context_.access.authorize(*context, role::viewer, who);
  const grpc::Status outcome = authorization.ok() ? find_twin(context_, request->twin(), response) : authorization;
  context_.audit.record_read(grpc_audit_call(*context, authorization, who, method_name("GetTwin")),
                             audit_target(request->twin()), outcome.ok() ? 1 : 0, outcome);
  return outcome;
}

grpc::Status twin_query_service::QueryTwins(grpc::ServerContext* context, const v1::QueryTwinsRequest* request,
                                            v1::QueryTwinsResponse* response) {
  caller who;
  const grpc::Status authorization = context_.access.authorize(*context, role::viewer, who);
  const grpc::Status outcome = authorization.ok() ? query(*request, *response) : authorization;
  context_.audit.record_read(grpc_audit_call(*context, authorization, who, method_name("QueryTwins")),
                             describe(request->filter()), response->twins_size(), outcome);
  return outcome;
}

grpc::Status twin_query_service::query(const v1::QueryTwinsRequest& request, v1::QueryTwinsResponse& response) {
  return query_page(context_.catalog, twin_scan(context_.catalog, context_.twin.view(), context_.inputs), request, response);
}

grpc::Status twin_query_service::WatchTwins(grpc::ServerContext* context, const v1::WatchTwinsRequest* request,
                                            grpc::ServerWriter<v1::TwinChange>* writer) {
  caller who;
  const grpc::Status authorization = context_.access.authorize(*context, role::viewer, who);
  std::uint64_t sent = 0;
  const grpc::Status outcome =
      authorization.ok()
          ? watch_twins({context_.catalog, context_.inputs, context_.twin, context_.watch_max_views_behind}, *context, *request, *writer, sent)
          : authorization;
  context_.audit.record_read(grpc_audit_call(*context, authorization, who, method_name("WatchTwins")),
                             "watch of " + describe(request->filter()), sent, outcome);
  return outcome;
}

grpc::Status twin_query_service::GetHistory(grpc::ServerContext* context, const v1::GetHistoryRequest* request,
                                            v1::GetHistoryResponse* response) {
  caller who;
  const grpc::Status authorization = context_.access.authorize(*context, role::viewer, who);
  return audited_history(context_, grpc_audit_call(*context, authorization, who, method_name("GetHistory")), authorization,
                         *request, response);
}

grpc::Status twin_query_service::GetStats(grpc::ServerContext* context, const v1::GetStatsRequest*,
                                          v1::TwinStats* response) {
  caller who;
  if (auto s = context_.access.authorize(*context, role::viewer, who); !s.ok()) return s;
  read_stats(context_, response);
  return grpc::Status::OK;
}

}  // namespace citytwin

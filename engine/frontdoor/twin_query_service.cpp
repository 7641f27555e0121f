#include "engine/frontdoor/twin_query_service.hpp"

#include <cmath>
#include <fmt/format.h>
#include <map>
#include <thread>

#include "engine/frontdoor/twin_queries.hpp"
#include "engine/frontdoor/twin_scan.hpp"

namespace citytwin {

namespace {

grpc::Status invalid(const std::string& why) { return {grpc::StatusCode::INVALID_ARGUMENT, why}; }

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
  const grpc::Status outcome = authorization.ok() ? watch(*context, *request, *writer, sent) : authorization;
  context_.audit.record_read(grpc_audit_call(*context, authorization, who, method_name("WatchTwins")),
                             "watch of " + describe(request->filter()), sent, outcome);
  return outcome;
}

grpc::Status twin_query_service::watch(grpc::ServerContext& context, const v1::WatchTwinsRequest& request,
                                       grpc::ServerWriter<v1::TwinChange>& writer, std::uint64_t& sent) {
  const v1::TwinFilter& filter = request.filter();
  if (auto problem = filter_problem(context_.catalog, filter); !problem.empty()) return invalid(problem);
  if (request.min_interval_ms() < 0) return invalid("min_interval_ms must not be negative");

  std::map<std::size_t, twin_scan::fingerprint> members;  // matching twins and what the watcher last saw
  auto send = [&](v1::TwinChange::ChangeType type, std::size_t t, const twin_scan& scan) {
    v1::TwinChange change;
    change.set_type(type);
    *change.mutable_twin() = scan.twin(t);
    ++sent;
    return writer.Write(change);
  };
  const twin_scan first(context_.catalog, context_.twin.view(), context_.inputs);
  for (std::size_t t = 0; t < first.size(); ++t) {
    if (!first.matches(t, filter)) continue;
    members[t] = first.watched(t);
    if (request.send_initial_state() && !send(v1::TwinChange::CHANGE_TYPE_INITIAL, t, first))
      return {grpc::StatusCode::CANCELLED, "the watcher went away"};
  }
  if (request.send_initial_state()) {
    v1::TwinChange end;
    end.set_type(v1::TwinChange::CHANGE_TYPE_INITIAL_STATE_END);
    if (!writer.Write(end)) return {grpc::StatusCode::CANCELLED, "the watcher went away"};
  }
  std::uint64_t version = first.traffic().version;
  auto last_round = std::chrono::steady_clock::now();
  while (!context.IsCancelled()) {
    auto next = context_.twin.wait_for_view_after(version, std::chrono::milliseconds(500));
    if (auto failure = context_.twin.failure()) return {grpc::StatusCode::UNAVAILABLE, "the live twin stopped: " + *failure};
    if (next->version == version) continue;
    // Views are whole states, so a watcher that skips some still ends up right; one that falls
    // far behind is dropped rather than buffered, so it can never hold back the twin or ingest.
    if (next->version - version > context_.watch_max_views_behind)
      return {grpc::StatusCode::RESOURCE_EXHAUSTED,
              fmt::format("the watcher fell {} state updates behind; reconnect with send_initial_state",
                          next->version - version)};
    const auto due = last_round + std::chrono::milliseconds(request.min_interval_ms());
    if (std::chrono::steady_clock::now() < due) {
      std::this_thread::sleep_until(due);
      next = context_.twin.view();
    }
    last_round = std::chrono::steady_clock::now();
    const twin_scan scan(context_.catalog, next, context_.inputs);
    for (std::size_t t = 0; t < scan.size(); ++t) {
      const bool matches = scan.matches(t, filter);
      const auto known = members.find(t);
      bool ok = true;
      if (matches && known == members.end()) {
        members[t] = scan.watched(t);
        ok = send(v1::TwinChange::CHANGE_TYPE_ENTERED, t, scan);
      } else if (!matches && known != members.end()) {
        members.erase(known);
        ok = send(v1::TwinChange::CHANGE_TYPE_LEFT, t, scan);
      } else if (matches && known->second != scan.watched(t)) {
        known->second = scan.watched(t);
        ok = send(v1::TwinChange::CHANGE_TYPE_UPDATED, t, scan);
      }
      if (!ok) return {grpc::StatusCode::CANCELLED, "the watcher went away"};
    }
    version = next->version;
  }
  return {grpc::StatusCode::CANCELLED, "the watcher cancelled"};
}

grpc::Status twin_query_service::GetHistory(grpc::ServerContext* context, const v1::GetHistoryRequest* request,
                                            v1::GetHistoryResponse* response) {
  caller who;
  const grpc::Status authorization = context_.access.authorize(*context, role::viewer, who);
  const grpc::Status outcome = authorization.ok() ? read_history(context_, *request, response) : authorization;
  context_.audit.record_read(grpc_audit_call(*context, authorization, who, method_name("GetHistory")),
                             audit_target(*request), response->entries_size(), outcome);
  return outcome;
}

grpc::Status twin_query_service::GetStats(grpc::ServerContext* context, const v1::GetStatsRequest*,
                                          v1::TwinStats* response) {
  caller who;
  if (auto s = context_.access.authorize(*context, role::viewer, who); !s.ok()) return s;
  read_stats(context_, response);
  return grpc::Status::OK;
}

}  // namespace citytwin

// /api/city, /api/state, /api/twins/KIND/ID[/history] and /api/stats: TwinService's reads over HTTP.
// Reads of twin data (state, a twin, its history) are audited as their gRPC twins are (serve --audit-reads).

#include <optional>

#include "engine/frontdoor/twin_queries.hpp"
#include "engine/http/city_json.hpp"
#include "engine/http/http_exchange.hpp"
#include "engine/http/http_routes.hpp"

namespace citytwin {

namespace {

std::optional<v1::TwinKind> kind_from_path(const std::string& text) {
  if (text == "segment" || text == "road_segment") return v1::TWIN_KIND_ROAD_SEGMENT;
  if (text == "building") return v1::TWIN_KIND_BUILDING;
  if (text == "node" || text == "utility_node") return v1::TWIN_KIND_UTILITY_NODE;
  return std::nullopt;
}

// The twin a /api/twins/KIND/ID path names.
grpc::Status twin_ref(const httplib::Request& request, v1::TwinRef& ref) {
  const auto kind = kind_from_path(request.matches[1].str());
  if (!kind)
    return {grpc::StatusCode::INVALID_ARGUMENT,
            "unknown twin kind '" + request.matches[1].str() + "': use segment, building or node"};
  ref.set_kind(*kind);
  ref.set_id(request.matches[2].str());
  return grpc::Status::OK;
}

// An optional non-negative integer query parameter.
grpc::Status integer_parameter(const httplib::Request& request, const char* name, std::int64_t& value) {
  if (!request.has_param(name)) return grpc::Status::OK;
  const auto parsed = parse_decimal_id(request.get_param_value(name));
  if (!parsed)
    return {grpc::StatusCode::INVALID_ARGUMENT, std::string("query parameter '") + name + "' must be a non-negative integer"};
  value = static_cast<std::int64_t>(*parsed);
  return grpc::Status::OK;
}

}  // namespace

void audited_read(gateway_parts& parts, const httplib::Request& request, httplib::Response& response,
                  const std::string& target, const std::function<grpc::Status(std::uint64_t& items)>& answer) {
  caller who;
  const grpc::Status authorization = authorize_request(parts.context.access, request, response, role::viewer, who);
  std::uint64_t items = 0;
  grpc::Status outcome = authorization;
  if (authorization.ok()) {
    outcome = answer(items);
    if (!outcome.ok()) send_error(response, outcome);
  }
  parts.context.audit.record_read(http_audit_call(request.remote_addr, authorization, who, "GET " + request.path),
                                  target, items, outcome);
}

void add_twin_routes(httplib::Server& server, gateway_parts& parts) {
  // The geometry never changes while serving: encode it once.
  auto geometry = std::make_shared<const std::string>(city_geometry_json(parts.context.catalog).dump());
  server.Get("/api/city", [&parts, geometry](const httplib::Request& request, httplib::Response& response) {
    if (!authorize_request(parts.context.access, request, response, role::viewer)) return;
    response.set_header("Cache-Control", "no-store");
    response.set_content(*geometry, "application/json");
  });
  server.Get("/api/state", [&parts](const httplib::Request& request, httplib::Response& response) {
    audited_read(parts, request, response, "state of every segment", [&](std::uint64_t& items) {
      const auto view = parts.context.twin.view();
      send_json(response, city_state_json(parts.context.catalog, *view));
      items = view->segments.size();
      return grpc::Status::OK;
    });
  });
  server.Get("/api/stats", [&parts](const httplib::Request& request, httplib::Response& response) {
    if (!authorize_request(parts.context.access, request, response, role::viewer)) return;
    send_json(response, parts.counters.sample());
  });
  server.Get(R"(/api/twins/([a-z_]+)/([^/]+))", [&parts](const httplib::Request& request, httplib::Response& response) {
    v1::TwinRef ref;
    const grpc::Status parsed = twin_ref(request, ref);
    audited_read(parts, request, response, parsed.ok() ? audit_target(ref) : request.path,
                 [&](std::uint64_t& items) {
                   v1::Twin twin;
                   const grpc::Status status = parsed.ok() ? find_twin(parts.context, ref, &twin) : parsed;
                   if (!status.ok()) return status;
                   send_message(response, twin);
                   items = 1;
                   return status;
                 });
  });
  server.Get(R"(/api/twins/([a-z_]+)/([^/]+)/history)", [&parts](const httplib::Request& request,
                                                                 httplib::Response& response) {
    v1::GetHistoryRequest query;
    std::int64_t start = 0, end = 0, page_size = 0;
    grpc::Status parsed;
    for (const grpc::Status& s :
         {twin_ref(request, *query.mutable_twin()), integer_parameter(request, "start_ms", start),
          integer_parameter(request, "end_ms", end), integer_parameter(request, "page_size", page_size)})
      if (parsed.ok() && !s.ok()) parsed = s;
    query.set_start_time_ms(start);
    query.set_end_time_ms(end);
    query.set_page_size(static_cast<std::int32_t>(std::min<std::int64_t>(page_size, INT32_MAX)));
    if (request.has_param("page_token")) query.set_page_token(request.get_param_value("page_token"));
    audited_read(parts, request, response, parsed.ok() ? audit_target(query) : request.path,
                 [&](std::uint64_t& items) {
                   if (!parsed.ok()) return parsed;
                   v1::GetHistoryResponse history;
                   const grpc::Status status = read_history(parts.context, query, &history);
                   if (!status.ok()) return status;
                   send_message(response, history);
                   items = static_cast<std::uint64_t>(history.entries_size());
                   return status;
                 });
  });
}

}  // namespace citytwin

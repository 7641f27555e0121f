// /api/city, /api/state, /api/twins/KIND/ID[/history] and /api/stats: TwinService's reads over HTTP.

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

// The twin a /api/twins/KIND/ID path names; on failure the response already carries the 400.
std::optional<v1::TwinRef> twin_ref(const httplib::Request& request, httplib::Response& response) {
  const auto kind = kind_from_path(request.matches[1].str());
  if (!kind) {
    send_error(response, {grpc::StatusCode::INVALID_ARGUMENT,
                          "unknown twin kind '" + request.matches[1].str() + "': use segment, building or node"});
    return std::nullopt;
  }
  v1::TwinRef ref;
  ref.set_kind(*kind);
  ref.set_id(request.matches[2].str());
  return ref;
}

// An optional non-negative integer query parameter; on failure the response already carries the 400.
bool integer_parameter(const httplib::Request& request, httplib::Response& response, const char* name,
                       std::int64_t& value) {
  if (!request.has_param(name)) return true;
  const auto parsed = parse_decimal_id(request.get_param_value(name));
  if (!parsed) {
    send_error(response, {grpc::StatusCode::INVALID_ARGUMENT,
                          std::string("query parameter '") + name + "' must be a non-negative integer"});
    return false;
  }
  value = static_cast<std::int64_t>(*parsed);
  return true;
}

}  // namespace

void add_twin_routes(httplib::Server& server, gateway_parts& parts) {
  // The geometry never changes while serving: encode it once.
  auto geometry = std::make_shared<const std::string>(city_geometry_json(parts.context.catalog).dump());
  server.Get("/api/city", [&parts, geometry](const httplib::Request& request, httplib::Response& response) {
    if (!authorize_request(parts.context.access, request, response, role::viewer)) return;
    response.set_header("Cache-Control", "no-store");
    response.set_content(*geometry, "application/json");
  });
  server.Get("/api/state", [&parts](const httplib::Request& request, httplib::Response& response) {
    if (!authorize_request(parts.context.access, request, response, role::viewer)) return;
    send_json(response, city_state_json(parts.context.catalog, *parts.context.twin.view()));
  });
  server.Get("/api/stats", [&parts](const httplib::Request& request, httplib::Response& response) {
    if (!authorize_request(parts.context.access, request, response, role::viewer)) return;
    send_json(response, parts.counters.sample());
  });
  server.Get(R"(/api/twins/([a-z_]+)/([^/]+))", [&parts](const httplib::Request& request, httplib::Response& response) {
    if (!authorize_request(parts.context.access, request, response, role::viewer)) return;
    const auto ref = twin_ref(request, response);
    if (!ref) return;
    v1::Twin twin;
    if (const auto status = find_twin(parts.context, *ref, &twin); !status.ok()) return send_error(response, status);
    send_message(response, twin);
  });
  server.Get(R"(/api/twins/([a-z_]+)/([^/]+)/history)", [&parts](const httplib::Request& request,
                                                                 httplib::Response& response) {
    if (!authorize_request(parts.context.access, request, response, role::viewer)) return;
    const auto ref = twin_ref(request, response);
    if (!ref) return;
    std::int64_t start = 0, end = 0, page_size = 0;
    if (!integer_parameter(request, response, "start_ms", start) || !integer_parameter(request, response, "end_ms", end) ||
        !integer_parameter(request, response, "page_size", page_size))
      return;
    v1::GetHistoryRequest query;
    *query.mutable_twin() = *ref;
    query.set_start_time_ms(start);
    query.set_end_time_ms(end);
    query.set_page_size(static_cast<std::int32_t>(std::min<std::int64_t>(page_size, INT32_MAX)));
    if (request.has_param("page_token")) query.set_page_token(request.get_param_value("page_token"));
    v1::GetHistoryResponse history;
    if (const auto status = read_history(parts.context, query, &history); !status.ok())
      return send_error(response, status);
    send_message(response, history);
  });
}

}  // namespace citytwin

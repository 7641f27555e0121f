// /api/scenarios/...: the example files, starting a run (planners; each attempt is audited), and polling it.

#include "engine/frontdoor/scenario_audit.hpp"
#include "engine/http/http_exchange.hpp"
#include "engine/http/http_routes.hpp"

namespace citytwin {

namespace {

// POST /api/scenarios/runs for an authorized caller: answers, and returns the status it answered with.
grpc::Status start_run(gateway_parts& parts, const httplib::Request& request, httplib::Response& response,
                       v1::ScenarioAudit& audit) {
  auto fail = [&](const grpc::Status& status) {
    send_error(response, status);
    return status;
  };
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(request.body);
  } catch (const nlohmann::json::parse_error& e) {
    return fail({grpc::StatusCode::INVALID_ARGUMENT, std::string("the body is not valid JSON: ") + e.what()});
  }
  try {
    const bool example = body.is_object() && body.size() == 1 && body.contains("example") && body["example"].is_string();
    const std::string label = example ? body["example"].get<std::string>() : "upload";
    if (example) audit.set_example_name(label);
    const std::string id = parts.runs.start(example ? parts.runs.example_document(label) : body, label, &audit);
    audit.set_scenario_id(id);
    audit.set_final_state("running");
    send_json(response, {{"id", id}, {"status", "/api/scenarios/runs/" + id}}, 202);
    return grpc::Status::OK;
  } catch (const scenario_error& e) {
    return fail({grpc::StatusCode::INVALID_ARGUMENT, e.what()});
  } catch (const std::logic_error& e) {
    return fail({grpc::StatusCode::FAILED_PRECONDITION, e.what()});
  }
}

}  // namespace

void add_scenario_routes(httplib::Server& server, gateway_parts& parts) {
  server.Get("/api/scenarios/examples", [&parts](const httplib::Request& request, httplib::Response& response) {
    if (!authorize_request(parts.context.access, request, response, role::viewer)) return;
    send_json(response, parts.runs.examples());
  });
  server.Get(R"(/api/scenarios/examples/([^/]+))", [&parts](const httplib::Request& request,
                                                            httplib::Response& response) {
    if (!authorize_request(parts.context.access, request, response, role::viewer)) return;
    const auto text = parts.runs.example_text(request.matches[1]);
    if (!text) return send_error(response, {grpc::StatusCode::NOT_FOUND, "no example '" + std::string(request.matches[1]) + "'"});
    response.set_content(*text, "application/json");
  });
  // The body is a scenario document (scenarios/README.md), or {"example": "FILE"} for a bundled one.
  server.Post("/api/scenarios/runs", [&parts](const httplib::Request& request, httplib::Response& response) {
    caller who;
    const grpc::Status authorization = authorize_request(parts.context.access, request, response, role::planner, who);
    auto record = parts.context.audit.describe(
        http_audit_call(request.remote_addr, authorization, who, "POST /api/scenarios/runs"), "");
    auto& details = *record.mutable_scenario();
    const grpc::Status outcome = authorization.ok() ? start_run(parts, request, response, details) : authorization;
    record.set_summary(scenario_summary("run", details));
    parts.context.audit.record(std::move(record), outcome);
  });
  server.Get(R"(/api/scenarios/runs/([0-9]+))", [&parts](const httplib::Request& request, httplib::Response& response) {
    if (!authorize_request(parts.context.access, request, response, role::viewer)) return;
    const auto run = parts.runs.status(request.matches[1]);
    if (!run) return send_error(response, {grpc::StatusCode::NOT_FOUND, "no scenario run " + std::string(request.matches[1])});
    send_json(response, *run);
  });
}

}  // namespace citytwin

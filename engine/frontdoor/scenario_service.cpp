#include "engine/frontdoor/scenario_service.hpp"

#include <fmt/format.h>

#include "engine/frontdoor/scenario_audit.hpp"
#include "engine/live/live_grid.hpp"

namespace citytwin {

namespace {

constexpr std::int64_t default_progress_interval_ms = 1000;
constexpr std::size_t max_spec_bytes = 1 << 20;

v1::ScenarioState to_proto(scenario_job_state s) {
  switch (s) {
    case scenario_job_state::queued: return v1::SCENARIO_STATE_QUEUED;
    case scenario_job_state::running: return v1::SCENARIO_STATE_RUNNING;
    case scenario_job_state::succeeded: return v1::SCENARIO_STATE_SUCCEEDED;
    case scenario_job_state::failed: return v1::SCENARIO_STATE_FAILED;
    case scenario_job_state::cancelled: return v1::SCENARIO_STATE_CANCELLED;
  }
  return v1::SCENARIO_STATE_UNSPECIFIED;
}

std::string method_name(const char* rpc) {
  return "/" + std::string(v1::ScenarioService::service_full_name()) + "/" + rpc;
}

grpc::Status invalid(const std::string& why) { return {grpc::StatusCode::INVALID_ARGUMENT, why}; }

// The request's scenario, parsed; or the status that refuses it.
grpc::Status read_scenario(const v1::RunScenarioRequest& request, scenario& out) {
  try {
    switch (request.scenario_case()) {
      case v1::RunScenarioRequest::kSpec: {
        if (request.spec().size() > max_spec_bytes) return invalid("spec: larger than 1 MiB");
        nlohmann::json doc;
        try {
          doc = nlohmann::json::parse(request.spec());
        } catch (const nlohmann::json::parse_error& e) {
          return invalid(std::string("spec: not valid JSON (this server reads JSON specs only): ") + e.what());
        }
        out = parse_scenario(doc, "spec");
        return grpc::Status::OK;
      }
      case v1::RunScenarioRequest::kExampleName: {
        const std::string path = find_scenario_example(request.example_name());
        if (path.empty())
          return {grpc::StatusCode::NOT_FOUND, "example_name: no bundled scenario is called '" + request.example_name() + "'"};
        out = load_scenario_file(path);
        return grpc::Status::OK;
      }
      default: return invalid("scenario: give either spec or example_name");
    }
  } catch (const scenario_error& e) {
    return invalid(e.what());
  }
}

void fill(const live_twin& twin, const scenario_job_status& st, double speed, v1::ScenarioProgress& m) {
  m.set_scenario_id(st.id);
  m.set_state(to_proto(st.state));
  if (st.state != scenario_job_state::queued) {
    m.set_start_time_ms(twin.to_epoch_ms(st.start_time));
    m.set_end_time_ms(st.end_time == 0 ? 0 : twin.to_epoch_ms(st.end_time));
    m.set_sim_time_ms(twin.to_epoch_ms(st.reached));
  }
  m.set_fraction_complete(st.fraction_complete);
  m.set_speed_factor(speed);
  m.set_vehicles_departed(st.departed);
  m.set_vehicles_arrived(st.arrived);
  m.set_vehicles_en_route(st.en_route);
  m.set_report_json(st.report_json);
  m.set_error_message(st.error);
}

}  // namespace

scenario_service::scenario_service(frontdoor_context& context)
    : context_(context),
      jobs_(context.twin, context.catalog.grid != nullptr ? &context.catalog.grid->grid() : nullptr,
            context.twin.options().threads, 4, context.scenario_runs) {}

grpc::Status scenario_service::RunScenario(grpc::ServerContext* context, const v1::RunScenarioRequest* request,
                                           grpc::ServerWriter<v1::ScenarioProgress>* writer) {
  caller who;
  const grpc::Status authorization = context_.access.authorize(*context, role::planner, who);
  auto record = context_.audit.describe(grpc_audit_call(*context, authorization, who, method_name("RunScenario")), "");
  auto& details = *record.mutable_scenario();
  if (request->scenario_case() == v1::RunScenarioRequest::kExampleName) details.set_example_name(request->example_name());
  const grpc::Status outcome = authorization.ok() ? run(*context, *request, *writer, who, details) : authorization;
  record.set_summary(scenario_summary("run", details));
  context_.audit.record(std::move(record), outcome);
  return outcome;
}

grpc::Status scenario_service::run(grpc::ServerContext& context, const v1::RunScenarioRequest& request,
                                   grpc::ServerWriter<v1::ScenarioProgress>& writer, const caller& who,
                                   v1::ScenarioAudit& audit) {
  std::int64_t interval = request.progress_interval_ms();
  if (interval == 0) interval = default_progress_interval_ms;
  if (interval < 100 || interval > 60'000)
    return invalid(fmt::format("progress_interval_ms: {} is out of range [100, 60000] (0 for the default)",
                               request.progress_interval_ms()));
  scenario s;
  if (auto status = read_scenario(request, s); !status.ok()) return status;
  describe_scenario(s, audit);
  std::string id;
  try {
    id = jobs_.start(std::move(s), who.identity);
  } catch (const scenario_error& e) {
    return {e.unknown_reference() ? grpc::StatusCode::NOT_FOUND : grpc::StatusCode::INVALID_ARGUMENT, e.what()};
  } catch (const std::length_error& e) {
    return {grpc::StatusCode::RESOURCE_EXHAUSTED, e.what()};
  }
  audit.set_scenario_id(id);
  auto last_wall = std::chrono::steady_clock::now();
  scenario_job_status st = jobs_.status(id);
  sim_time last_reached = st.reached;
  std::uint64_t version = 0;
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    const double wall_s = std::chrono::duration<double>(now - last_wall).count();
    const bool started = st.state != scenario_job_state::queued && last_reached != 0;
    const double speed = started && wall_s > 0 ? to_seconds(st.reached - last_reached) / wall_s : 0.0;
    v1::ScenarioProgress message;
    fill(context_.twin, st, speed, message);
    audit.set_final_state(scenario_job_state_name(st.state));
    if (context.IsCancelled() || !writer.Write(message)) {
      audit.set_final_state(scenario_job_state_name(jobs_.cancel(id)));  // the caller is gone: so is the run
      return {grpc::StatusCode::CANCELLED, "the caller cancelled the scenario"};
    }
    if (st.state == scenario_job_state::failed && st.retryable) return {grpc::StatusCode::UNAVAILABLE, st.error};
    if (is_terminal(st.state)) return grpc::Status::OK;
    last_wall = now;
    last_reached = st.state == scenario_job_state::queued ? 0 : st.reached;
    version = st.version;
    st = jobs_.wait(id, version, std::chrono::milliseconds(interval));
    if (context.IsCancelled()) {
      audit.set_final_state(scenario_job_state_name(jobs_.cancel(id)));
      return {grpc::StatusCode::CANCELLED, "the caller cancelled the scenario"};
    }
  }
}

grpc::Status scenario_service::CancelScenario(grpc::ServerContext* context, const v1::CancelScenarioRequest* request,
                                              v1::CancelScenarioResponse* response) {
  caller who;
  const grpc::Status authorization = context_.access.authorize(*context, role::planner, who);
  auto record = context_.audit.describe(grpc_audit_call(*context, authorization, who, method_name("CancelScenario")), "");
  auto& details = *record.mutable_scenario();
  details.set_scenario_id(request->scenario_id());
  const grpc::Status outcome = authorization.ok() ? cancel(*request, *response, who, details) : authorization;
  record.set_summary(scenario_summary("cancel", details));
  context_.audit.record(std::move(record), outcome);
  return outcome;
}

grpc::Status scenario_service::cancel(const v1::CancelScenarioRequest& request, v1::CancelScenarioResponse& response,
                                      const caller& who, v1::ScenarioAudit& audit) {
  if (request.scenario_id().empty()) return invalid("scenario_id: required");
  try {
    const auto st = jobs_.status(request.scenario_id());
    if (who.granted != role::admin && st.owner != who.identity)
      return {grpc::StatusCode::PERMISSION_DENIED,
              fmt::format("{} may not cancel a scenario started by {}", who.identity, st.owner)};
    const auto state = jobs_.cancel(request.scenario_id());
    audit.set_final_state(scenario_job_state_name(state));
    response.set_state(to_proto(state));
    return grpc::Status::OK;
  } catch (const std::out_of_range& e) {
    return {grpc::StatusCode::NOT_FOUND, std::string("scenario_id: ") + e.what()};
  }
}

}  // namespace citytwin

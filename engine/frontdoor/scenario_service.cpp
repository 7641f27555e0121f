#include "engine/frontdoor/scenario_service.hpp"

#include <fmt/format.h>

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
  if (auto s = context_.access.authorize(*context, role::planner, who); !s.ok()) return s;
  std::int64_t interval = request->progress_interval_ms();
  if (interval == 0) interval = default_progress_interval_ms;
  if (interval < 100 || interval > 60'000)
    return invalid(fmt::format("progress_interval_ms: {} is out of range [100, 60000] (0 for the default)",
                               request->progress_interval_ms()));
  scenario s;
  if (auto status = read_scenario(*request, s); !status.ok()) return status;
  std::string id;
  try {
    id = jobs_.start(std::move(s), who.identity);
  } catch (const scenario_error& e) {
    return {e.unknown_reference() ? grpc::StatusCode::NOT_FOUND : grpc::StatusCode::INVALID_ARGUMENT, e.what()};
  } catch (const std::length_error& e) {
    return {grpc::StatusCode::RESOURCE_EXHAUSTED, e.what()};
  }
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
    if (context->IsCancelled() || !writer->Write(message)) {
      jobs_.cancel(id);  // the caller is gone: so is the run
      return {grpc::StatusCode::CANCELLED, "the caller cancelled the scenario"};
    }
    if (is_terminal(st.state)) return grpc::Status::OK;
    last_wall = now;
    last_reached = st.state == scenario_job_state::queued ? 0 : st.reached;
    version = st.version;
    st = jobs_.wait(id, version, std::chrono::milliseconds(interval));
    if (context->IsCancelled()) {
      jobs_.cancel(id);
      return {grpc::StatusCode::CANCELLED, "the caller cancelled the scenario"};
    }
  }
}

grpc::Status scenario_service::CancelScenario(grpc::ServerContext* context, const v1::CancelScenarioRequest* request,
                                              v1::CancelScenarioResponse* response) {
  caller who;
  if (auto s = context_.access.authorize(*context, role::planner, who); !s.ok()) return s;
  if (request->scenario_id().empty()) return invalid("scenario_id: required");
  try {
    const auto st = jobs_.status(request->scenario_id());
    if (who.granted != role::admin && st.owner != who.identity)
      return {grpc::StatusCode::PERMISSION_DENIED,
              fmt::format("{} may not cancel a scenario started by {}", who.identity, st.owner)};
    response->set_state(to_proto(jobs_.cancel(request->scenario_id())));
    return grpc::Status::OK;
  } catch (const std::out_of_range& e) {
    return {grpc::StatusCode::NOT_FOUND, std::string("scenario_id: ") + e.what()};
  }
}

}  // namespace citytwin

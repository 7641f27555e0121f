// `citytwin scenario run|validate FILE`: what-if scenarios (schema: scenarios/README.md). `run` forks a twin
// (the live one behind --server, or the scenario's own city warmed up to its start), simulates a baseline
// plus every variant in parallel and reports them side by side; `validate` only checks the file (and its
// segments and city).

#include <cstdlib>
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "citytwin/v1/twin.grpc.pb.h"
#include "clients/cli/commands.hpp"
#include "engine/import/city_loader.hpp"
#include "scenarios/flow_change_map.hpp"
#include "scenarios/scenario.hpp"

namespace citytwin {

namespace {

struct scenario_arguments {
  std::string file;
  std::string report_path;
  std::string map_path;  // SVG of the flow change per variant
  unsigned parallel = 0;
  bool quiet = false;
  std::string server;  // HOST:PORT of `citytwin serve`; empty: run the scenario's city here
  std::string token;
  std::string tls_ca;
};

void write_report(const scenario_arguments& a, const nlohmann::ordered_json& report) {
  if (a.report_path.empty()) return;
  std::ofstream out(a.report_path);
  if (!out) throw std::runtime_error("cannot write the report to " + a.report_path);
  out << report.dump(2) << '\n';
  if (!out) throw std::runtime_error("cannot write the report to " + a.report_path);
  if (!a.quiet) fmt::print(stderr, "report written to {}\n", a.report_path);
}

// The map is drawn from the scenario's city; against a server that city must be the live twin's.
void write_map(const scenario_arguments& a, const nlohmann::ordered_json& report) {
  if (a.map_path.empty()) return;
  const loaded_city city = load_scenario_city(load_scenario_file(a.file));
  std::string svg;
  try {
    svg = render_flow_change_svg(city.graph, report);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("cannot draw --map from " + a.file + "'s city " + city.graph.name + ": " + e.what());
  }
  std::ofstream out(a.map_path);
  out << svg;
  if (!out) throw std::runtime_error("cannot write the map to " + a.map_path);
  if (!a.quiet) fmt::print(stderr, "map written to {}\n", a.map_path);
}

// RunScenario against a server: its live twin is forked; progress and the report stream back. Interrupting
// this command drops the call, which cancels the run on the server.
void run_scenario_on_server(const scenario_arguments& a) {
  std::ifstream in(a.file);
  if (!in) throw scenario_error(a.file, "", "cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  load_scenario_file(a.file);  // the same checks the server makes, with this file's name in the errors
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!a.tls_ca.empty()) {
    std::ifstream ca(a.tls_ca);
    std::stringstream pem;
    pem << ca.rdbuf();
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pem.str();
    credentials = grpc::SslCredentials(ssl);
  }
  auto stub = v1::ScenarioService::NewStub(grpc::CreateChannel(a.server, credentials));
  grpc::ClientContext context;
  std::string token = a.token;
  if (token.empty())
    if (const char* env = std::getenv("CITYTWIN_TOKEN")) token = env;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  v1::RunScenarioRequest request;
  request.set_spec(text.str());
  auto reader = stub->RunScenario(&context, request);
  v1::ScenarioProgress m, last;
  while (reader->Read(&m)) {
    last = m;
    if (!a.quiet && m.state() == v1::SCENARIO_STATE_RUNNING)
      fmt::print(stderr, "{}: {:.0f}% done, simulated {:.0f} s of {:.0f} s, {:.0f}x real time, {} en route\n",
                 m.scenario_id(), 100 * m.fraction_complete(), (m.sim_time_ms() - m.start_time_ms()) / 1000.0,
                 (m.end_time_ms() - m.start_time_ms()) / 1000.0, m.speed_factor(), m.vehicles_en_route());
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok())
    throw std::runtime_error(fmt::format("{} refused the scenario ({}): {}", a.server,
                                         static_cast<int>(status.error_code()), status.error_message()));
  if (last.state() == v1::SCENARIO_STATE_FAILED) throw std::runtime_error("the scenario failed: " + last.error_message());
  if (last.state() != v1::SCENARIO_STATE_SUCCEEDED) throw std::runtime_error("the scenario was cancelled");
  const auto report = nlohmann::ordered_json::parse(last.report_json());
  std::cout << render_scenario_table(report);
  write_report(a, report);
  write_map(a, report);
}

void run_scenario_file(const scenario_arguments& a) {
  if (!a.server.empty()) return run_scenario_on_server(a);
  scenario s = load_scenario_file(a.file);
  scenario_run_options o;
  o.parallel = a.parallel;
  if (!a.quiet) o.on_progress = [](const std::string& m) { fmt::print(stderr, "{}\n", m); };
  const scenario_outcome outcome = run_scenario(std::move(s), o);
  std::cout << render_scenario_table(outcome.report);
  fmt::print("  wall time {:.2f} s\n", outcome.wall_seconds);
  write_report(a, outcome.report);
  write_map(a, outcome.report);
}

void validate_scenario_file(const scenario_arguments& a) {
  scenario s = load_scenario_file(a.file);
  const loaded_city city = load_scenario_city(s);
  resolve_segments(s, city.graph);
  std::size_t interventions = 0;
  for (const auto& v : s.variants) interventions += v.interventions.size();
  fmt::print("{}: valid (schema version {}, '{}', {} variant(s), {} intervention(s), city {})\n", a.file,
             s.schema_version, s.name, s.variants.size(), interventions, city.graph.name);
}

}  // namespace

void add_scenario_command(CLI::App& app) {
  auto args = std::make_shared<scenario_arguments>();
  auto* cmd = app.add_subcommand("scenario", "Run or validate a what-if scenario file (scenarios/README.md)");
  cmd->require_subcommand(1);
  auto* run = cmd->add_subcommand("run", "Run the baseline and every variant in parallel; print a side-by-side table");
  run->add_option("file", args->file, "Scenario JSON file")->required();
  run->add_option("--report", args->report_path, "Write the JSON report here (bit-identical for the same scenario)");
  run->add_option("--map", args->map_path, "Write an SVG map of each variant's change in flow against the baseline");
  run->add_option("--parallel", args->parallel, "Branches run at once (0 = one per core; the server uses its --threads)")->capture_default_str();
  run->add_flag("--quiet", args->quiet, "No progress output");
  run->add_option("--server", args->server,
                  "HOST:PORT of a running `citytwin serve`: fork its live twin (default: run the file's city here, "
                  "warmed up to the scenario's start)");
  run->add_option("--token", args->token, "Bearer token with the planner role, for --server (default: $CITYTWIN_TOKEN)");
  run->add_option("--tls-ca", args->tls_ca, "PEM CA of the server's TLS certificate, for --server")->check(CLI::ExistingFile);
  run->callback([args] { run_reporting_errors([&] { run_scenario_file(*args); }); });
  auto* validate = cmd->add_subcommand("validate", "Check a scenario file: schema, durations, segments, city");
  validate->add_option("file", args->file, "Scenario JSON file")->required();
  validate->callback([args] { run_reporting_errors([&] { validate_scenario_file(*args); }); });
}

}  // namespace citytwin

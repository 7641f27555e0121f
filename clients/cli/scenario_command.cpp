// `citytwin scenario run|validate FILE`: what-if scenarios (schema: scenarios/README.md). `run` simulates a
// baseline plus every variant in parallel and reports them side by side; `validate` only checks the file
// (and its segments and city).

#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <memory>

#include "clients/cli/commands.hpp"
#include "engine/import/city_loader.hpp"
#include "scenarios/scenario.hpp"

namespace citytwin {

namespace {

struct scenario_arguments {
  std::string file;
  std::string report_path;
  unsigned parallel = 0;
  bool quiet = false;
};

void run_scenario_file(const scenario_arguments& a) {
  scenario s = load_scenario_file(a.file);
  scenario_run_options o;
  o.parallel = a.parallel;
  if (!a.quiet) o.on_progress = [](const std::string& m) { fmt::print(stderr, "{}\n", m); };
  const scenario_outcome outcome = run_scenario(std::move(s), o);
  std::cout << render_scenario_table(outcome.report);
  fmt::print("  wall time {:.2f} s\n", outcome.wall_seconds);
  if (!a.report_path.empty()) {
    std::ofstream out(a.report_path);
    if (!out) throw std::runtime_error("cannot write the report to " + a.report_path);
    out << outcome.report.dump(2) << '\n';
    if (!out) throw std::runtime_error("cannot write the report to " + a.report_path);
    if (!a.quiet) fmt::print(stderr, "report written to {}\n", a.report_path);
  }
}

void validate_scenario_file(const scenario_arguments& a) {
  scenario s = load_scenario_file(a.file);
  loaded_city city;
  try {
    city = load_city(s.city_path);
  } catch (const std::exception& e) {
    throw scenario_error(s.file, "city", std::string("cannot load the city: ") + e.what());
  }
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
  run->add_option("--parallel", args->parallel, "Branches run at once (0 = one per core)")->capture_default_str();
  run->add_flag("--quiet", args->quiet, "No progress output");
  run->callback([args] { run_reporting_errors([&] { run_scenario_file(*args); }); });
  auto* validate = cmd->add_subcommand("validate", "Check a scenario file: schema, durations, segments, city");
  validate->add_option("file", args->file, "Scenario JSON file")->required();
  validate->callback([args] { run_reporting_errors([&] { validate_scenario_file(*args); }); });
}

}  // namespace citytwin

#pragma once
// What-if scenarios: a versioned JSON file of timed interventions (close / reopen a segment, scale its
// capacity, change demand, open / close a grid breaker), a horizon and the KPIs to report. A scenario
// runs a baseline plus its variants, in parallel, and reports them side by side. The schema is
// documented field by field in scenarios/README.md.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/clock/sim_time.hpp"
#include "engine/power/grid_simulation.hpp"
#include "engine/runtime/simulation.hpp"

namespace citytwin {

inline constexpr int scenario_schema_version = 1;

// Every validation problem: "FILE: JSON.PATH: reason".
class scenario_error : public std::runtime_error {
 public:
  scenario_error(const std::string& file, const std::string& path, const std::string& reason);
  const std::string& path() const { return path_; }
 private:
  std::string path_;
};

enum class intervention_kind { close, reopen, capacity, demand_scale, breaker };

struct scenario_intervention {
  std::string path;          // e.g. variants[1].interventions[0], for errors
  sim_time at = 0;
  intervention_kind kind = intervention_kind::close;
  std::string segment;       // as written: "FROM-TO" or an id
  segment_id resolved = no_segment;
  double value = 1;          // capacity factor or demand scale
  std::int64_t bus = 0;      // breaker
  bool open = true;          // breaker: open (true) or close (false)
};

struct scenario_variant {
  std::string name;
  std::vector<scenario_intervention> interventions;
};

struct scenario {
  std::string file;          // where it was read from ("<memory>" for parse_scenario)
  int schema_version = scenario_schema_version;
  std::string name;
  std::string description;
  std::string city;          // as written
  std::string city_path;     // resolved: absolute, or relative to the repository / the file
  std::uint64_t seed = 1;
  sim_time horizon = ms_per_hour;
  bool clear = false;
  sim_time clear_limit = 2 * ms_per_hour;
  double demand_scale = 1;
  std::uint32_t threads = 1;         // worker threads inside each run (results never depend on it)
  sim_time grid_start = 7 * ms_per_hour;   // clock time at t = 0, for building load profiles
  sim_time grid_step = 5 * 60 * ms_per_second;
  bool utilities = false;            // run the grid for every branch (implied by any breaker intervention)
  std::vector<std::string> kpis;     // what to report; all when empty
  std::vector<scenario_variant> variants;
};

// All KPI names a scenario may ask for.
const std::vector<std::string>& scenario_kpi_names();

// Structural validation (types, fields, durations, ranges). `base_dir` resolves a relative city path
// when it is not found relative to the repository.
scenario parse_scenario(const nlohmann::json& document, const std::string& file, const std::string& base_dir = ".");
// Reads and parses a file; a JSON syntax error is a scenario_error too.
scenario load_scenario_file(const std::string& path);
// Names every segment against the city (an unknown segment is a scenario_error naming its path).
void resolve_segments(scenario& s, const city_graph& graph);

struct branch_outcome {
  std::string name;
  simulation_result traffic;
  bool has_grid = false;
  double unserved_kwh = 0;
  double building_hours_without_power = 0;
  std::size_t dark_signal_controls = 0;
  double wall_seconds = 0;
};

struct scenario_outcome {
  nlohmann::ordered_json report;       // deterministic: no wall-clock figures
  std::vector<branch_outcome> branches;  // baseline first, then the variants in file order
  double wall_seconds = 0;
};

struct scenario_run_options {
  unsigned parallel = 0;  // branches at once; 0 = one per core
  std::function<void(const std::string& message)> on_progress;
};

// Loads the city, validates the segments, runs baseline + variants and builds the report.
scenario_outcome run_scenario(scenario s, const scenario_run_options& options = {});

// The side-by-side table for people.
std::string render_scenario_table(const nlohmann::ordered_json& report);

}  // namespace citytwin

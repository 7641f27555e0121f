#pragma once
// What-if scenarios: a versioned JSON file of timed interventions (close / reopen a segment, scale its
// capacity, change demand, open / close a grid breaker), a horizon and the KPIs to report. A scenario
// runs a baseline plus its variants, in parallel, and reports them side by side. The schema is
// documented field by field in scenarios/README.md.

#include <atomic>
#include <cstdint>
#include <memory>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/clock/sim_time.hpp"
#include "engine/emergency/emergency_dispatch.hpp"
#include "engine/import/city_loader.hpp"
#include "engine/power/grid_simulation.hpp"
#include "engine/runtime/simulation.hpp"
#include "engine/runtime/simulation_state.hpp"

namespace citytwin {
struct city_grid;
}

namespace citytwin {

inline constexpr int scenario_schema_version = 1;

// Every validation problem: "FILE: JSON.PATH: reason".
class scenario_error : public std::runtime_error {
 public:
  // `unknown_reference`: the file is well formed but names a segment or bus the city lacks.
  scenario_error(const std::string& file, const std::string& path, const std::string& reason,
                 bool unknown_reference = false);
  const std::string& path() const { return path_; }
  bool unknown_reference() const { return unknown_reference_; }
 private:
  std::string path_;
  bool unknown_reference_ = false;
};

enum class intervention_kind { close, reopen, capacity, demand_scale, breaker, surge };

struct scenario_intervention {
  std::string path;          // e.g. variants[1].interventions[0], for errors
  sim_time at = 0;
  intervention_kind kind = intervention_kind::close;
  std::string segment;       // as written: "FROM-TO" or an id
  segment_id resolved = no_segment;
  double value = 1;          // capacity factor or demand scale
  std::int64_t bus = 0;      // breaker
  bool open = true;          // breaker: open (true) or close (false)
  std::int64_t node_number = 0;  // surge: where the crowd leaves from (the city's own node number)
  node_index node = 0;           // surge: resolved
  std::uint32_t vehicles = 0;    // surge
  sim_time over = 0;             // surge: departures spread over this long
};

struct scenario_variant {
  std::string name;
  std::vector<scenario_intervention> interventions;
};

// An emergency response plan, run in every branch: incidents at road nodes (the city's own node
// numbers), stations with units, the nearest free unit by the branch's current travel times goes.
struct scenario_emergency {
  struct station { std::string path, name; std::int64_t node_number = 0; node_index node = 0; std::uint32_t units = 1; };
  struct incident { std::string path, id, kind; std::int64_t node_number = 0; node_index node = 0; sim_time at = 0; };
  bool present = false;
  std::vector<station> stations;
  std::vector<incident> incidents;
  sim_time on_scene = 20 * 60 * ms_per_second;
  sim_time coverage_limit = 8 * 60 * ms_per_second;
};

// Emergency units get vehicle ids from here on, above any id demand uses.
inline constexpr std::uint32_t emergency_vehicle_ids = 1u << 31;

struct scenario {
  std::string file;          // where it was read from ("<memory>" for parse_scenario)
  int schema_version = scenario_schema_version;
  std::string name;
  std::string description;
  std::string city;          // as written
  std::string city_path;     // resolved: absolute, or relative to the repository / the file
  std::uint64_t seed = 1;
  sim_time start = 0;               // run alone: the bundled city's twin warms up this long before the fork
  sim_time horizon = ms_per_hour;
  bool clear = false;
  sim_time clear_limit = 2 * ms_per_hour;
  double demand_scale = 1;
  std::uint32_t threads = 1;         // worker threads inside each run (results never depend on it)
  sim_time grid_start = 7 * ms_per_hour;   // clock time at t = 0, for building load profiles
  sim_time grid_step = 5 * 60 * ms_per_second;
  bool utilities = false;            // run the grid for every branch (implied by any breaker intervention)
  std::uint32_t peaks = 1;           // run alone: the branches run on this many peaks (days), seeds seed, seed+1, ...
  std::vector<std::string> kpis;     // what to report; all when empty
  std::vector<scenario_variant> variants;
  scenario_emergency emergency;
};

// All KPI names a scenario may ask for.
const std::vector<std::string>& scenario_kpi_names();

// Structural validation (types, fields, durations, ranges). `base_dir` resolves a relative city path
// when it is not found relative to the repository.
scenario parse_scenario(const nlohmann::json& document, const std::string& file, const std::string& base_dir = ".");
// Reads and parses a file; a JSON syntax error is a scenario_error too.
scenario load_scenario_file(const std::string& path);
// resolve_segments, plus the grid checks: utilities need `grid`, breakers name buses it has.
void check_references(scenario& s, const city_graph& graph, const city_grid* grid);
// The bundled example `name` (scenarios/examples/NAME.json), or "" when there is none.
std::string find_scenario_example(const std::string& name);
// The scenario's city; a city that cannot be loaded is a scenario_error on the `city` field.
loaded_city load_scenario_city(const scenario& s);
// Names every segment against the city (an unknown segment is a scenario_error naming its path).
void resolve_segments(scenario& s, const city_graph& graph);

struct branch_outcome {
  std::string name;
  simulation_result traffic;
  bool has_grid = false;
  double unserved_kwh = 0;
  double building_hours_without_power = 0;
  std::size_t dark_signal_controls = 0;
  std::vector<incident_response> responses;  // with an emergency plan, by incident
  double coverage_share = 0;                 // of buildings (road nodes without a grid) within the limit
  double wall_seconds = 0;
};

struct scenario_outcome {
  nlohmann::ordered_json report;       // deterministic: no wall-clock figures
  std::vector<branch_outcome> branches;  // baseline first, then the variants in file order
  double wall_seconds = 0;
};

// Progress of one branch, after each of its windows.
struct branch_progress {
  std::size_t branch = 0;  // 0 = baseline, then the variants in file order
  sim_time reached = 0;    // simulated time, absolute (the fork is at the cut's time)
  sim_time end = 0;        // the run's end (with `clear`, the latest it may end)
  std::int64_t departed = 0, arrived = 0, en_route = 0;  // since the twin began
};

struct scenario_run_options {
  unsigned parallel = 0;  // branches at once; 0 = one per core
  std::function<void(const std::string& message)> on_progress;
  std::function<void(const branch_progress&)> on_branch_progress;  // from the branches' threads, often: keep it cheap
  const std::atomic<bool>* cancel = nullptr;  // set it to stop every branch (then simulation_cancelled is thrown)
};

// Runs the baseline and every variant from `base`, a cut of a twin of `graph` (live_twin::capture_state,
// or a batch run's result.state), each in an isolated simulation of its own, in parallel. Intervention
// times and the horizon count from the cut; the twin's seed and demand are the base's. The baseline is
// exactly the twin's own continuation. `grid` (may be null) is the city's grid, required for breaker
// interventions. Throws scenario_error for a bad scenario (unknown segment or bus), simulation_cancelled.
scenario_outcome run_scenario_from(const city_graph& graph, std::shared_ptr<const simulation_state> base, scenario s,
                                   const scenario_run_options& options = {}, const city_grid* grid = nullptr);

// The cut of the scenario's own city warmed up to s.start: a batch twin with the scenario's seed and
// demand (departures spread over start + horizon), run from time 0 and captured at s.start.
std::shared_ptr<const simulation_state> warm_up_twin(const city_graph& graph, const scenario& s);

// Standalone: loads the scenario's city (and grid), warms its twin up to s.start and runs every branch
// from that cut; with s.peaks > 1, once per peak (seed, seed + 1, ...), reported per peak and combined
// (scenario_peaks.hpp); the outcome's `branches` are then the first peak's.
scenario_outcome run_scenario(scenario s, const scenario_run_options& options = {});

// The side-by-side table for people.
std::string render_scenario_table(const nlohmann::ordered_json& report);

}  // namespace citytwin

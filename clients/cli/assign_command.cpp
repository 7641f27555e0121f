// `citytwin assign`: static user equilibrium of a city's trip table, optionally against a changed network.

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>

#include "clients/cli/commands.hpp"
#include "clients/cli/progress_bar.hpp"
#include "engine/assignment/user_equilibrium.hpp"
#include "engine/import/city_loader.hpp"

namespace citytwin {

namespace {

constexpr std::size_t changed_links_reported = 20;

struct assign_arguments {
  std::string city;
  double gap = 1e-6;
  std::string method = "gp";
  int max_iterations = 2'000;
  unsigned threads = 1;
  std::string flows_path, report_path;
  std::vector<std::string> closures, capacity_changes;
  bool quiet = false;
};

void write_flows(const std::string& path, const city_graph& g, const assignment_result& r) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write flows to " + path);
  out << "From \tTo \tVolume \tCost \n";
  for (const auto& s : g.segments)
    out << fmt::format("{} \t{} \t{:.10g} \t{:.10g} \n", g.nodes[s.from].external_id, g.nodes[s.to].external_id,
                       r.flows[s.id], r.costs[s.id] == std::numeric_limits<double>::infinity() ? 0.0 : r.costs[s.id]);
}

nlohmann::ordered_json summary(const assignment_result& r) {
  return {{"objective", r.objective},         {"total_system_travel_time", r.total_system_travel_time},
          {"relative_gap", r.relative_gap},   {"average_excess_cost", r.average_excess_cost},
          {"iterations", r.iterations},       {"converged", r.converged},
          {"unroutable_trips", r.unroutable_trips}};
}

int run_assign(const assign_arguments& a) {
  auto city = load_city(a.city);
  const auto& g = city.graph;
  if (g.demand.empty()) throw std::invalid_argument(a.city + ": the city has no trip table to assign");
  auto options = assignment_options_for(city);
  options.relative_gap = a.gap;
  options.method = a.method == "bfw" ? assignment_method::biconjugate_frank_wolfe : assignment_method::gradient_projection;
  options.max_iterations = a.max_iterations;
  options.threads = a.threads;
  std::vector<bool> closed(g.segments.size(), false);
  std::vector<double> factor(g.segments.size(), 1.0);
  for (const auto& ref : a.closures) closed[find_segment(g, ref)] = true;
  for (const auto& change : a.capacity_changes) {
    auto eq = change.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("capacity change '" + change + "': expected LINK=FACTOR");
    double f = std::strtod(change.c_str() + eq + 1, nullptr);
    if (!(f > 0)) throw std::invalid_argument("capacity change '" + change + "': factor must be > 0 (use --close to remove a link)");
    factor[find_segment(g, change.substr(0, eq))] = f;
  }
  const bool changed = !a.closures.empty() || !a.capacity_changes.empty();
  progress_bar bar("assigning", !a.quiet);
  auto log = [&](const assignment_iteration& i) {
    double progress = i.relative_gap > 0 ? std::log10(i.relative_gap) / std::log10(a.gap) : 1;
    bar.update(progress, fmt::format("iteration {} relative gap {:.2e} average excess cost {:.2e}", i.iteration,
                                     i.relative_gap, i.average_excess_cost));
  };
  auto base = solve_user_equilibrium(g, link_costs(g, options), options, log);
  bar.finish();
  nlohmann::ordered_json report;
  report["city"] = g.name;
  report["units"] = city.units_note;
  report["base"] = summary(base);
  const assignment_result* final_result = &base;
  assignment_result variant;
  if (changed) {
    // The changed network starts from the base equilibrium (warm start).
    variant = solve_user_equilibrium(g, link_costs(g, options, closed, factor), options, log, &base);
    bar.finish();
    report["changed"] = summary(variant);
    std::vector<segment_id> ids(g.segments.size());
    std::iota(ids.begin(), ids.end(), 0);
    std::stable_sort(ids.begin(), ids.end(), [&](segment_id x, segment_id y) {
      return std::abs(variant.flows[x] - base.flows[x]) > std::abs(variant.flows[y] - base.flows[y]);
    });
    auto links = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < std::min(changed_links_reported, ids.size()); ++i) {
      const auto& s = g.segments[ids[i]];
      links.push_back({{"from", g.nodes[s.from].external_id}, {"to", g.nodes[s.to].external_id},
                       {"base_flow", base.flows[s.id]}, {"changed_flow", variant.flows[s.id]},
                       {"difference", variant.flows[s.id] - base.flows[s.id]}});
    }
    report["links_changed_most"] = links;
    final_result = &variant;
  }
  if (!a.flows_path.empty()) write_flows(a.flows_path, g, *final_result);
  if (!a.report_path.empty()) {
    std::ofstream out(a.report_path);
    if (!out) throw std::runtime_error("cannot write the report to " + a.report_path);
    out << report.dump(2) << '\n';
  }
  fmt::print("{}: objective {:.10g}, total system travel time {:.10g}, relative gap {:.2e} after {} iterations{}\n",
             g.name, base.objective, base.total_system_travel_time, base.relative_gap, base.iterations,
             base.converged ? "" : " (not converged)");
  if (changed)
    fmt::print("changed network: total system travel time {:.10g} ({:+.2f}%), relative gap {:.2e}\n",
               variant.total_system_travel_time,
               100 * (variant.total_system_travel_time / base.total_system_travel_time - 1), variant.relative_gap);
  return EXIT_SUCCESS;
}

}  // namespace

assignment_options assignment_options_for(const loaded_city& city) {
  assignment_options options;
  options.time_unit_seconds = city.units.seconds_per_time_unit;
  options.metres_per_length_unit = city.units.metres_per_length_unit;
  options.toll_weight = city.weights.toll_per_unit;
  options.distance_weight = city.weights.distance_per_unit;
  return options;
}

std::shared_ptr<const route_table> equilibrium_routes(const loaded_city& city, double demand_scale, bool verbose) {
  constexpr double equilibrium_gap = 1e-6;  // ample for route shares: path flows settle long before
  if (city.graph.demand.empty()) throw std::invalid_argument("equilibrium routes need a trip table; this city has none");
  city_graph scaled = city.graph;
  for (auto& d : scaled.demand) d.vehicles_per_hour *= demand_scale;
  auto o = assignment_options_for(city);
  o.relative_gap = equilibrium_gap;
  auto result = solve_user_equilibrium(scaled, link_costs(scaled, o), o);
  if (verbose)
    fmt::print(stderr, "equilibrium routes: relative gap {:.1e} after {} iterations\n", result.relative_gap, result.iterations);
  return std::make_shared<route_table>(result.paths);
}

void add_assign_command(CLI::App& app) {
  auto args = std::make_shared<assign_arguments>();
  args->city = default_city_path();
  auto* cmd = app.add_subcommand("assign", "Static user equilibrium of the city's trip table (BPR link costs)");
  cmd->add_option("--city", args->city, "City directory (with city.json) or TNTP *_net.tntp file")->capture_default_str();
  cmd->add_option("--method", args->method, "gp: path-based gradient projection; bfw: bi-conjugate Frank-Wolfe")
      ->check(CLI::IsMember({"gp", "bfw"}))->capture_default_str();
  cmd->add_option("--gap", args->gap, "Stop at this relative gap")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--max-iterations", args->max_iterations, "Stop after this many iterations")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads for shortest paths (results identical for any count)")->check(CLI::Range(1, 256))->capture_default_str();
  cmd->add_option("--close", args->closures, "Remove a link (id or FROM-TO) and compare with the unchanged network");
  cmd->add_option("--capacity", args->capacity_changes, "Scale a link's capacity: LINK=FACTOR");
  cmd->add_option("--flows", args->flows_path, "Write link flows and costs in TNTP _flow.tntp format");
  cmd->add_option("--report", args->report_path, "Write a JSON report");
  cmd->add_flag("--quiet", args->quiet, "No progress output");
  cmd->callback([args] { run_reporting_errors([&] { run_assign(*args); }); });
}

}  // namespace citytwin

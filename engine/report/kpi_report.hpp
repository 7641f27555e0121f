#pragma once
// The run report: `kpi` holds only deterministic figures (two runs compare byte for byte),
// `segments` the per-segment flows, `run` the wall-clock figures.

#include <nlohmann/json.hpp>
#include <string>

#include "engine/city/city_graph.hpp"
#include "engine/runtime/simulation.hpp"

namespace citytwin {

struct run_info {
  std::string city_source;
  std::string units_note;
  std::uint32_t threads = 1;
  double wall_seconds = 0;
  double peak_rss_mb = 0;
};

nlohmann::ordered_json build_report(const city_graph& graph, const simulation_result& result,
                                    const simulation_options& options, const run_info& info);

// FNV-1a 64 of the kpi object's text, as 16 hex digits.
std::string kpi_digest(const nlohmann::ordered_json& report);

// The human-readable summary table.
std::string render_summary(const nlohmann::ordered_json& report);

double peak_rss_megabytes();

}  // namespace citytwin

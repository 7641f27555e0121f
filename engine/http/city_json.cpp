#include "engine/http/city_json.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace citytwin {

namespace {

constexpr double kmh_per_mps = 3.6;

double rounded(double value, double step) { return std::round(value / step) * step; }

}  // namespace

nlohmann::json city_geometry_json(const twin_catalog& catalog) {
  const city_graph& graph = catalog.graph;
  double min_x = std::numeric_limits<double>::max(), min_y = min_x;
  double max_x = std::numeric_limits<double>::lowest(), max_y = max_x;
  auto extend = [&](double x, double y) {
    min_x = std::min(min_x, x);
    min_y = std::min(min_y, y);
    max_x = std::max(max_x, x);
    max_y = std::max(max_y, y);
  };
  auto segments = nlohmann::json::array();
  for (segment_id s = 0; s < graph.segments.size(); ++s) {
    const road_segment_spec& spec = graph.segments[s];
    const road_node& from = graph.nodes[spec.from];
    const road_node& to = graph.nodes[spec.to];
    extend(from.x, from.y);
    extend(to.x, to.y);
    segments.push_back({{"id", catalog.directory.id_of(s)},
                        {"name", spec.name},
                        {"from", {from.x, from.y}},
                        {"to", {to.x, to.y}},
                        {"free_flow_kmh", rounded(spec.freeflow_speed_mps * kmh_per_mps, 0.1)},
                        {"lanes", spec.lanes},
                        {"length_m", rounded(spec.length_m, 0.1)}});
  }
  nlohmann::json city = {{"name", graph.name},
                         {"coordinate_system", catalog.wgs84 ? "wgs84" : "planar"},
                         {"segments", std::move(segments)},
                         {"buildings", nlohmann::json::array()},
                         {"utility_nodes", nlohmann::json::array()}};
  if (catalog.grid) {
    for (std::size_t b = 0; b < catalog.grid->grid().buildings.size(); ++b) {
      const building_spec& spec = catalog.grid->grid().buildings[b];
      extend(spec.x, spec.y);
      city["buildings"].push_back({{"id", std::to_string(b)},
                                   {"x", spec.x},
                                   {"y", spec.y},
                                   {"type", std::string(to_string(spec.type))},
                                   {"feeding_node_id", std::to_string(spec.feeder_bus)}});
    }
    const radial_network& network = catalog.grid->network();
    const auto& info = catalog.grid->node_info();
    for (std::size_t n = 0; n < network.nodes.size(); ++n) {
      const radial_node& node = network.nodes[n];
      nlohmann::json entry = {{"id", std::to_string(node.bus_number)},
                              {"substation", node.parent == no_parent},
                              {"parent_id", node.parent == no_parent
                                                ? nlohmann::json(nullptr)
                                                : nlohmann::json(std::to_string(network.nodes[node.parent].bus_number))}};
      entry["x"] = info[n].x;
      entry["y"] = info[n].y;
      city["utility_nodes"].push_back(std::move(entry));
    }
  }
  city["bounds"] = graph.segments.empty() && city["buildings"].empty() ? nlohmann::json({0, 0, 1, 1})
                                                                        : nlohmann::json({min_x, min_y, max_x, max_y});
  return city;
}

nlohmann::json city_state_json(const twin_catalog& catalog, const twin_view& view) {
  std::vector<double> speed;
  std::vector<int> closed;
  std::vector<double> capacity_factor;
  std::vector<std::int32_t> vehicles;
  for (const segment_snapshot& s : view.segments) {
    speed.push_back(rounded(s.mean_speed_mps * kmh_per_mps, 0.1));
    closed.push_back(s.closed ? 1 : 0);
    capacity_factor.push_back(rounded(s.capacity_factor, 0.001));
    vehicles.push_back(s.vehicles);
  }
  nlohmann::json state = {{"version", view.version},
                          {"epoch_ms", view.epoch_ms},
                          {"segments",
                           {{"speed_kmh", speed}, {"closed", closed}, {"capacity_factor", capacity_factor}, {"vehicles", vehicles}}}};
  if (catalog.grid) {
    const auto grid = catalog.grid->view();
    std::vector<int> supplied(catalog.grid->building_count(), 1);
    for (std::size_t b = 0; b < grid->buildings.size() && b < supplied.size(); ++b)
      supplied[b] = grid->buildings[b].supplied ? 1 : 0;
    const std::size_t nodes = catalog.grid->network().nodes.size();
    std::vector<int> energized(nodes, 1);
    std::vector<double> voltage(nodes, 1);
    for (std::size_t n = 0; n < grid->flow.buses.size() && n < nodes; ++n) {
      energized[n] = grid->flow.buses[n].energized ? 1 : 0;
      voltage[n] = rounded(grid->flow.buses[n].voltage_pu, 0.0001);
    }
    state["grid"] = {{"version", grid->version},
                     {"epoch_ms", grid->epoch_ms},
                     {"building_supplied", supplied},
                     {"node_energized", energized},
                     {"node_voltage_pu", voltage}};
  }
  return state;
}

}  // namespace citytwin

#include "engine/city/city_graph.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace citytwin {

double road_segment_spec::storage_capacity_veh() const {
  return std::max(1.0, length_m * lanes / vehicle_space_m);
}

namespace {

void build_csr(std::size_t node_count, const std::vector<road_segment_spec>& segments, bool by_from,
               std::vector<std::uint32_t>& begin, std::vector<std::uint32_t>& ids) {
  begin.assign(node_count + 1, 0);
  for (const auto& s : segments) ++begin[(by_from ? s.from : s.to) + 1];
  for (std::size_t n = 0; n < node_count; ++n) begin[n + 1] += begin[n];
  ids.assign(segments.size(), 0);
  std::vector<std::uint32_t> cursor(begin.begin(), begin.end() - 1);
  for (const auto& s : segments) ids[cursor[by_from ? s.from : s.to]++] = s.id;
}

[[noreturn]] void invalid(const std::string& what) { throw std::invalid_argument("city graph: " + what); }

}  // namespace

void city_graph::finalize() {
  for (std::size_t i = 0; i < segments.size(); ++i) {
    auto& s = segments[i];
    auto where = "segment " + std::to_string(i) + " (source " + std::to_string(s.source_id) + ")";
    if (s.id != i) invalid(where + ": id " + std::to_string(s.id) + " is not its index");
    if (s.from >= nodes.size() || s.to >= nodes.size()) invalid(where + ": endpoint is not a node");
    if (!std::isfinite(s.length_m) || s.length_m < 0) invalid(where + ": length must be finite and >= 0");
    if (!std::isfinite(s.freeflow_time_s) || s.freeflow_time_s < 0)
      invalid(where + ": free-flow time must be finite and >= 0");
    if (!s.unlimited && !(s.capacity_veh_per_h > 0)) invalid(where + ": capacity must be > 0");
    if (!(s.lanes > 0)) invalid(where + ": lanes must be > 0");
  }
  for (const auto& d : demand) {
    if (d.origin >= nodes.size() || d.destination >= nodes.size()) invalid("demand refers to a missing node");
    if (!std::isfinite(d.vehicles_per_hour) || d.vehicles_per_hour < 0) invalid("demand must be finite and >= 0");
  }
  build_csr(nodes.size(), segments, true, out_begin, out_ids);
  build_csr(nodes.size(), segments, false, in_begin, in_ids);
}

segment_id find_segment(const city_graph& graph, const std::string& reference) {
  auto number = [&](const std::string& text) -> long long {
    std::size_t used = 0;
    long long value = -1;
    try {
      value = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || text.empty())
      throw std::invalid_argument("segment '" + reference + "': '" + text + "' is not a number (use an id like 17 or end nodes like 3-11)");
    return value;
  };
  auto dash = reference.find('-', 1);
  if (dash == std::string::npos) {
    auto id = number(reference);
    if (id < 0 || static_cast<std::size_t>(id) >= graph.segments.size())
      throw std::invalid_argument("segment " + reference + " does not exist (ids run 0.." + std::to_string(graph.segments.size() - 1) + ")");
    return static_cast<segment_id>(id);
  }
  auto from = number(reference.substr(0, dash));
  auto to = number(reference.substr(dash + 1));
  for (const auto& s : graph.segments)
    if (graph.nodes[s.from].external_id == from && graph.nodes[s.to].external_id == to) return s.id;
  throw std::invalid_argument("no segment runs from node " + std::to_string(from) + " to node " + std::to_string(to));
}

}  // namespace citytwin

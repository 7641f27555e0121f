#include "engine/cluster/partition.hpp"

#include <metis.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace citytwin {

namespace {

constexpr double weight_scale = 1000;          // the busiest segment weighs this much
constexpr idx_t imbalance_permille = 30;       // METIS' k-way default: parts up to 3% above average

// Capacity in veh/h; unlimited links (zone connectors) count as the busiest road.
std::vector<double> segment_load(const city_graph& graph) {
  double busiest = 0;
  for (const auto& s : graph.segments)
    if (!s.unlimited && std::isfinite(s.capacity_veh_per_h)) busiest = std::max(busiest, s.capacity_veh_per_h);
  if (busiest <= 0) busiest = 1;
  std::vector<double> load;
  load.reserve(graph.segments.size());
  for (const auto& s : graph.segments) {
    const bool known = !s.unlimited && std::isfinite(s.capacity_veh_per_h) && s.capacity_veh_per_h > 0;
    load.push_back((known ? s.capacity_veh_per_h : busiest) / busiest);
  }
  return load;
}

std::int32_t to_weight(double relative_load) {
  return std::max<std::int32_t>(1, static_cast<std::int32_t>(std::lround(relative_load * weight_scale)));
}

}  // namespace

segment_adjacency build_segment_adjacency(const city_graph& graph) {
  const auto n = graph.segments.size();
  const auto load = segment_load(graph);
  std::vector<std::vector<std::pair<std::int32_t, std::int32_t>>> joins(n);  // (neighbour, weight)
  for (segment_id s = 0; s < n; ++s) {
    const node_index end = graph.segments[s].to;
    for (auto k = graph.out_begin[end]; k < graph.out_begin[end + 1]; ++k) {
      const segment_id t = graph.out_ids[k];
      if (t == s) continue;
      const auto w = to_weight(std::min(load[s], load[t]));
      joins[s].push_back({static_cast<std::int32_t>(t), w});
      joins[t].push_back({static_cast<std::int32_t>(s), w});
    }
  }
  segment_adjacency a;
  a.begin.reserve(n + 1);
  a.begin.push_back(0);
  for (segment_id s = 0; s < n; ++s) {
    auto& list = joins[s];
    std::sort(list.begin(), list.end());
    // A pair joined both ways (a U-turn) is one METIS edge carrying both weights.
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!a.neighbour.empty() && static_cast<std::size_t>(a.begin.back()) < a.neighbour.size() &&
          a.neighbour.back() == list[i].first) {
        a.edge_weight.back() += list[i].second;
        continue;
      }
      a.neighbour.push_back(list[i].first);
      a.edge_weight.push_back(list[i].second);
    }
    a.begin.push_back(static_cast<std::int32_t>(a.neighbour.size()));
    a.vertex_weight.push_back(to_weight(load[s]));
  }
  return a;
}

segment_partition partition_segments(const city_graph& graph, std::uint32_t parts, std::uint64_t seed) {
  const auto n = graph.segments.size();
  if (parts == 0) throw std::invalid_argument("a partition needs at least one part");
  if (parts > n)
    throw std::invalid_argument("cannot split " + std::to_string(n) + " segments into " + std::to_string(parts) + " parts");
  auto adjacency = build_segment_adjacency(graph);
  segment_partition p;
  p.part_of.assign(n, 0);
  p.imbalance_tolerance = 1 + static_cast<double>(imbalance_permille) / 1000;
  if (parts > 1) {
    idx_t vertices = static_cast<idx_t>(n), constraints = 1, nparts = static_cast<idx_t>(parts), cut = 0;
    idx_t options[METIS_NOPTIONS];
    METIS_SetDefaultOptions(options);
    options[METIS_OPTION_SEED] = static_cast<idx_t>(seed % 2147483647);
    options[METIS_OPTION_UFACTOR] = imbalance_permille;
    options[METIS_OPTION_NUMBERING] = 0;
    std::vector<idx_t> part(n, 0);
    const int status = METIS_PartGraphKway(&vertices, &constraints, adjacency.begin.data(), adjacency.neighbour.data(),
                                           adjacency.vertex_weight.data(), nullptr, adjacency.edge_weight.data(), &nparts,
                                           nullptr, nullptr, options, &cut, part.data());
    if (status != METIS_OK)
      throw std::runtime_error("METIS could not partition " + std::to_string(n) + " segments into " +
                               std::to_string(parts) + " parts (status " + std::to_string(status) + ")");
    for (std::size_t s = 0; s < n; ++s) p.part_of[s] = static_cast<std::uint32_t>(part[s]);
  }
  p.part_sizes.assign(parts, 0);
  p.part_weights.assign(parts, 0);
  for (std::size_t s = 0; s < n; ++s) {
    ++p.part_sizes[p.part_of[s]];
    p.part_weights[p.part_of[s]] += adjacency.vertex_weight[s];
    p.total_weight += adjacency.vertex_weight[s];
    for (auto k = adjacency.begin[s]; k < adjacency.begin[s + 1]; ++k) {
      const auto t = static_cast<std::size_t>(adjacency.neighbour[k]);
      if (t > s && p.part_of[t] != p.part_of[s]) {
        p.edge_cut += adjacency.edge_weight[k];
        ++p.cut_joins;
      }
    }
  }
  return p;
}

}  // namespace citytwin

#include "engine/demand/route_table.hpp"

#include <algorithm>

namespace citytwin {

route_table::route_table(const std::vector<od_paths>& paths) {
  for (const auto& od : paths) {
    double total = 0;
    for (const auto& [links, flow] : od.paths) total += flow;
    if (!(total > 0)) continue;
    choice c;
    double running = 0;
    for (const auto& [links, flow] : od.paths) {
      running += flow;
      c.cumulative_share.push_back(running / total);
      c.paths.push_back(links);
    }
    c.cumulative_share.back() = 1;
    table_.emplace(std::pair(od.origin, od.destination), std::move(c));
  }
}

const std::vector<segment_id>* route_table::pick(node_index origin, node_index destination, double u) const {
  auto it = table_.find({origin, destination});
  if (it == table_.end()) return nullptr;
  const auto& c = it->second;
  auto k = std::upper_bound(c.cumulative_share.begin(), c.cumulative_share.end(), u) - c.cumulative_share.begin();
  return &c.paths[std::min<std::size_t>(static_cast<std::size_t>(k), c.paths.size() - 1)];
}

void route_table::for_each_path(const std::function<void(node_index, node_index, double, const std::vector<segment_id>&)>& visit) const {
  for (const auto& [od, c] : table_)
    for (std::size_t i = 0; i < c.paths.size(); ++i) visit(od.first, od.second, c.cumulative_share[i], c.paths[i]);
}

}  // namespace citytwin

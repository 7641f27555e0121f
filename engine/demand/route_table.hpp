#pragma once
// Fixed route choices for departures, e.g. the paths of a user equilibrium: a vehicle picks one
// of its OD pair's paths with probability proportional to the path's flow.

#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "engine/assignment/user_equilibrium.hpp"
#include "engine/city/city_graph.hpp"

namespace citytwin {

class route_table {
 public:
  explicit route_table(const std::vector<od_paths>& paths);

  // The path for a draw u in [0, 1), or nullptr if the table has none for this OD pair.
  [[nodiscard]] const std::vector<segment_id>* pick(node_index origin, node_index destination, double u) const;

  [[nodiscard]] std::size_t od_pairs() const { return table_.size(); }
  // Every path in (origin, destination, path) order with its cumulative share, e.g. for a digest.
  void for_each_path(const std::function<void(node_index origin, node_index destination, double cumulative_share,
                                              const std::vector<segment_id>& path)>& visit) const;

 private:
  struct choice {
    std::vector<double> cumulative_share;  // ends at 1
    std::vector<std::vector<segment_id>> paths;
  };
  std::map<std::pair<node_index, node_index>, choice> table_;
};

}  // namespace citytwin

#pragma once
// Which road node is nearest a point: a bucket grid over the graph's nodes, in metres.

#include <cstdint>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/grid/footprint_geometry.hpp"

namespace citytwin {

class nearest_road_node_index {
 public:
  explicit nearest_road_node_index(const city_graph& graph);

  struct hit {
    node_index node = 0;
    double distance_m = 0;  // in the frame's unit: metres for longitude/latitude graphs
  };
  // Nearest node to a point in graph coordinates; ties go to the lower node index. The graph must have nodes.
  [[nodiscard]] hit nearest(double x, double y) const;
  [[nodiscard]] const graph_frame& frame() const { return frame_; }

 private:
  graph_frame frame_;
  std::vector<point_m> where_;  // per node, in the frame
  double min_x_ = 0, min_y_ = 0, cell_ = 1;
  std::int64_t columns_ = 1, rows_ = 1;
  std::vector<std::uint32_t>
      cell_begin_;  // CSR: nodes of cell c are ids_[cell_begin_[c] .. cell_begin_[c+1])
  std::vector<node_index> ids_;
};

}  // namespace citytwin

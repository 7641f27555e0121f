// Nearest-road-node lookups for tens of thousands of buildings, without scanning every node each time.
#include "engine/grid/nearest_road_node.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace citytwin {

nearest_road_node_index::nearest_road_node_index(const city_graph& graph) : frame_(graph) {
  if (graph.nodes.empty())
    throw std::invalid_argument(graph.name + ": the road graph has no nodes to attach to");
  where_.reserve(graph.nodes.size());
  for (const road_node& n : graph.nodes) where_.push_back(frame_.to_metres(n.x, n.y));
  double max_x = where_.front().x, max_y = where_.front().y;
  min_x_ = max_x;
  min_y_ = max_y;
  for (const point_m& p : where_) {
    min_x_ = std::min(min_x_, p.x);
    min_y_ = std::min(min_y_, p.y);
    max_x = std::max(max_x, p.x);
    max_y = std::max(max_y, p.y);
  }
  // About two nodes per cell on average.
  const double width = std::max(max_x - min_x_, 1e-9), height = std::max(max_y - min_y_, 1e-9);
  cell_ = std::max(std::sqrt(width * height * 2 / static_cast<double>(where_.size())), 1e-6);
  columns_ = std::min<std::int64_t>(static_cast<std::int64_t>(width / cell_) + 1, 4096);
  rows_ = std::min<std::int64_t>(static_cast<std::int64_t>(height / cell_) + 1, 4096);
  cell_ = std::max(width / static_cast<double>(columns_), height / static_cast<double>(rows_)) * (1 + 1e-9);
  auto cell_of = [&](const point_m& p) {
    auto cx = std::clamp<std::int64_t>(static_cast<std::int64_t>((p.x - min_x_) / cell_), 0, columns_ - 1);
    auto cy = std::clamp<std::int64_t>(static_cast<std::int64_t>((p.y - min_y_) / cell_), 0, rows_ - 1);
    return static_cast<std::size_t>(cy * columns_ + cx);
  };
  cell_begin_.assign(static_cast<std::size_t>(columns_ * rows_) + 1, 0);
  for (const point_m& p : where_) ++cell_begin_[cell_of(p) + 1];
  for (std::size_t c = 1; c < cell_begin_.size(); ++c) cell_begin_[c] += cell_begin_[c - 1];
  ids_.resize(where_.size());
  std::vector<std::uint32_t> fill(cell_begin_.begin(), cell_begin_.end() - 1);
  for (node_index n = 0; n < where_.size(); ++n) ids_[fill[cell_of(where_[n])]++] = n;  // ascending per cell
}

nearest_road_node_index::hit nearest_road_node_index::nearest(double x, double y) const {
  const point_m q = frame_.to_metres(x, y);
  const auto qx = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor((q.x - min_x_) / cell_)), 0,
                                           columns_ - 1);
  const auto qy =
      std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor((q.y - min_y_) / cell_)), 0, rows_ - 1);
  double best_squared = std::numeric_limits<double>::infinity();
  node_index best = 0;
  auto visit = [&](std::int64_t cx, std::int64_t cy) {
    if (cx < 0 || cy < 0 || cx >= columns_ || cy >= rows_) return;
    const auto c = static_cast<std::size_t>(cy * columns_ + cx);
    for (auto i = cell_begin_[c]; i < cell_begin_[c + 1]; ++i) {
      const node_index n = ids_[i];
      const double dx = where_[n].x - q.x, dy = where_[n].y - q.y, d = dx * dx + dy * dy;
      if (d < best_squared || (d == best_squared && n < best)) {
        best_squared = d;
        best = n;
      }
    }
  };
  const std::int64_t max_ring = std::max(columns_, rows_);
  for (std::int64_t r = 0; r <= max_ring; ++r) {
    if (r == 0) {
      visit(qx, qy);
    } else {
      for (std::int64_t dx = -r; dx <= r; ++dx) {
        visit(qx + dx, qy - r);
        visit(qx + dx, qy + r);
      }
      for (std::int64_t dy = -r + 1; dy <= r - 1; ++dy) {
        visit(qx - r, qy + dy);
        visit(qx + r, qy + dy);
      }
    }
    // Cells beyond ring r are at least r cells away from any point of the query's (clamped) cell.
    const double reach = static_cast<double>(r) * cell_;
    if (best_squared <= reach * reach) break;
  }
  return {best, std::sqrt(best_squared)};
}

}  // namespace citytwin

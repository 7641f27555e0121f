#include "engine/frontdoor/twin_scan.hpp"

#include <cmath>

namespace citytwin {

twin_scan::twin_scan(const twin_catalog& catalog, std::shared_ptr<const twin_view> traffic, const twin_inputs& inputs)
    : catalog_(catalog), traffic_(std::move(traffic)), inputs_(inputs) {
  segments_ = traffic_->segments.size();
  if (catalog_.grid) {
    grid_ = catalog_.grid->view();
    buildings_ = catalog_.grid->building_count();
    nodes_ = catalog_.grid->network().nodes.size();
  }
}

bool twin_scan::matches(std::size_t ordinal, const v1::TwinFilter& filter) const {
  if (ordinal < segments_) return segment_matches(catalog_, *traffic_, static_cast<segment_id>(ordinal), filter);
  ordinal -= segments_;
  if (ordinal < buildings_) return building_matches(catalog_, *grid_, ordinal, filter);
  return utility_node_matches(catalog_, *grid_, static_cast<std::uint32_t>(ordinal - buildings_), filter);
}

v1::Twin twin_scan::twin(std::size_t ordinal) const {
  if (ordinal < segments_) return segment_twin(catalog_, *traffic_, static_cast<segment_id>(ordinal));
  ordinal -= segments_;
  if (ordinal < buildings_) return building_twin(catalog_, *grid_, inputs_, ordinal);
  return utility_node_twin(catalog_, *grid_, inputs_, static_cast<std::uint32_t>(ordinal - buildings_));
}

twin_scan::fingerprint twin_scan::watched(std::size_t ordinal) const {
  if (ordinal < segments_) {
    const segment_snapshot& s = traffic_->segments[ordinal];
    return {s.closed, std::llround(s.capacity_factor * 1000), s.vehicles, s.queued, std::llround(s.mean_speed_mps * 3.6)};
  }
  ordinal -= segments_;
  if (ordinal < buildings_) {
    if (ordinal >= grid_->buildings.size()) return {};
    const building_snapshot& b = grid_->buildings[ordinal];
    return {b.supplied, std::llround(b.load_kw * 10), std::llround(b.load_kvar * 10), b.metered, 0};
  }
  ordinal -= buildings_;
  if (ordinal >= grid_->flow.buses.size()) return {};
  const bus_state& n = grid_->flow.buses[ordinal];
  return {n.energized, n.breaker_closed, std::llround(n.voltage_pu * 1e4), std::llround(n.loading * 100), 0};
}

}  // namespace citytwin

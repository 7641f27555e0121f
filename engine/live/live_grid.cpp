#include "engine/live/live_grid.hpp"

namespace citytwin {

namespace {

std::vector<grid_node_info> describe_nodes(const city_grid& grid, const radial_network& network,
                                           const std::map<std::int64_t, std::uint32_t>& node_of_bus,
                                           const city_graph& roads) {
  std::vector<grid_node_info> info(network.nodes.size());
  std::vector<bool> placed(info.size(), false);
  auto place = [&](std::int64_t bus, double x, double y) {
    const auto found = node_of_bus.find(bus);
    if (found == node_of_bus.end() || placed[found->second]) return;
    info[found->second].x = x;
    info[found->second].y = y;
    placed[found->second] = true;
  };
  for (std::size_t s = 0; s < grid.substations.size() && s < grid.substation_bus.size(); ++s)
    place(grid.substation_bus[s], grid.substations[s].x, grid.substations[s].y);
  for (std::size_t n = 0; n < grid.road_node_bus.size() && n < roads.nodes.size(); ++n)
    if (grid.road_node_bus[n] >= 0) place(grid.road_node_bus[n], roads.nodes[n].x, roads.nodes[n].y);
  std::vector<double> sum_x(info.size()), sum_y(info.size());
  std::vector<std::size_t> count(info.size());
  for (const building_spec& b : grid.buildings) {
    const auto found = node_of_bus.find(b.feeder_bus);
    if (found == node_of_bus.end()) continue;
    info[found->second].feeds_buildings = true;
    sum_x[found->second] += b.x;
    sum_y[found->second] += b.y;
    ++count[found->second];
  }
  for (const power_bus& b : grid.network.buses)
    if (const auto found = node_of_bus.find(b.number); found != node_of_bus.end()) info[found->second].nominal_kv = b.base_kv;
  // Parents precede children, so a node with nothing of its own can sit at its parent's place.
  for (std::uint32_t i = 0; i < info.size(); ++i) {
    if (placed[i]) continue;
    if (count[i] > 0) {
      info[i].x = sum_x[i] / static_cast<double>(count[i]);
      info[i].y = sum_y[i] / static_cast<double>(count[i]);
    } else if (network.nodes[i].parent != no_parent) {
      info[i].x = info[network.nodes[i].parent].x;
      info[i].y = info[network.nodes[i].parent].y;
    }
  }
  return info;
}

}  // namespace

live_grid::live_grid(const city_grid& grid, const live_twin& twin, sim_time step, sim_time start_time_of_day,
                     sim_time overload_tolerance)
    : grid_(grid),
      twin_(twin),
      step_(step),
      start_time_of_day_(start_time_of_day),
      overload_tolerance_(overload_tolerance),
      network_(build_radial_network(network_without_building_loads(grid))),
      config_(make_grid_config(1)) {
  if (step_ <= 0) throw std::invalid_argument("the grid step must be positive");
  for (std::uint32_t i = 0; i < network_.nodes.size(); ++i) node_of_bus_[network_.nodes[i].bus_number] = i;
  node_info_ = describe_nodes(grid_, network_, node_of_bus_, twin_.graph());
  system_ = std::make_unique<caf::actor_system>(config_);
  actors_ = std::make_unique<grid_actors>(*system_, network_, &grid_.buildings);
  view_ = std::make_shared<grid_view>();
}

live_grid::~live_grid() {
  stop();
  actors_.reset();
}

void live_grid::start() {
  thread_ = std::thread([this] { run(); });
}

void live_grid::stop() {
  stopping_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<std::uint32_t> live_grid::node_of_bus(std::int64_t bus) const {
  const auto found = node_of_bus_.find(bus);
  if (found == node_of_bus_.end()) return std::nullopt;
  return found->second;
}

void live_grid::set_meter(std::size_t building, double kw, double kvar) { actors_->send_meter(building, kw, kvar); }

void live_grid::set_breaker(std::uint32_t node, bool closed) { actors_->set_breaker(node, closed); }

void live_grid::set_measured_voltage(std::uint32_t node, double voltage_pu) {
  if (is_source(node)) actors_->set_source_voltage(node, voltage_pu);
}

std::shared_ptr<const grid_view> live_grid::view() const {
  std::lock_guard lock(mutex_);
  return view_;
}

std::optional<std::string> live_grid::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

void live_grid::run() {
  try {
    for (sim_time next = 0; !stopping_;) {
      // Steps follow the traffic twin's clock, so the grid runs at the same time scale.
      if (twin_.now() < next) {
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stopping_.load(); });
        continue;
      }
      actors_->collect_building_loads(start_time_of_day_ + next, step_);
      load_flow_result flow = actors_->solve({});
      for (bool advance = true;; advance = false) {
        if (actors_->protect(step_, overload_tolerance_, advance).empty()) break;
        flow = actors_->solve({});
      }
      actors_->publish_supply();
      auto view = std::make_shared<grid_view>();
      view->epoch_ms = twin_.to_epoch_ms(next);
      view->flow = std::move(flow);
      view->buildings = actors_->building_snapshots();
      {
        std::lock_guard lock(mutex_);
        view->version = view_->version + 1;
        view_ = std::move(view);
      }
      next += step_;
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    failure_ = e.what();
  }
}

}  // namespace citytwin

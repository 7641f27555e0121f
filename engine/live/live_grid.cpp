#include "engine/live/live_grid.hpp"

namespace citytwin {

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

#include "engine/live/live_twin.hpp"

#include <algorithm>
#include <unordered_map>

#include "engine/demand/trip_generator.hpp"

namespace citytwin {

std::int64_t wall_clock_epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Which of a segment's taken inputs a control is.
std::optional<taken_input> taken_inputs::*kind_of(const segment_control& c) {
  return c.kind == control_kind::capacity_factor ? &taken_inputs::capacity : &taken_inputs::status;
}

void take_newest(std::optional<taken_input>& slot, const taken_input& input) {
  if (!slot || *slot < input) slot = input;
}

taken_input order_of(const logged_observation& o) { return {o.observation.at, o.log_position}; }

// Of several observations of one segment in `observations`, only the newest (by time, then log
// position; the later one of equals): a window applies a segment's newest reading only.
void keep_newest_per_segment(std::vector<logged_observation>& observations) {
  std::unordered_map<segment_id, std::size_t> kept_at;
  std::vector<logged_observation> kept;
  for (auto& o : observations) {
    const auto [at, fresh] = kept_at.try_emplace(o.segment, kept.size());
    if (fresh) kept.push_back(std::move(o));
    else if (!(order_of(o) < order_of(kept[at->second]))) kept[at->second] = std::move(o);
  }
  observations = std::move(kept);
}

}  // namespace

live_twin::live_twin(const city_graph& graph, live_twin_options options) : graph_(graph), options_(options) {
  if (!(options_.time_scale > 0)) throw std::invalid_argument("time scale must be positive");
  // Fixed here, not at start(), so readings restored before the start map to the right times.
  epoch_at_start_ms_ = options_.epoch_at_start_ms != 0 ? options_.epoch_at_start_ms : wall_clock_epoch_ms();
  wall_start_ = std::chrono::steady_clock::now();
  journal_.attach_log(options_.durable_journal.get());
  if (const auto& resume = options_.resume) {
    const live_resume_point& point = resume->point;
    epoch_at_start_ms_ = point.epoch_at_start_ms;
    // Paced as if it had never stopped: behind the wall clock, it runs its windows at once until it catches up.
    wall_start_ -= std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double, std::milli>((wall_clock_epoch_ms() - epoch_at_start_ms_) / options_.time_scale));
    now_ = point.time;
    journal_.resume(point.time, resume->journal);
    taken_.insert(point.taken.begin(), point.taken.end());
    std::unordered_set<std::uint64_t> taken_again;  // pending at the checkpoint, taken by a journaled window
    for (const auto& [start, inputs] : journal_.kept()) {
      mark_taken(inputs);
      for (const auto& c : inputs.controls) taken_again.insert(c.log_position);
      for (const auto& o : inputs.observations) taken_again.insert(o.log_position);
    }
    resumed_ = taken_again;
    for (const auto& c : point.pending.controls)
      if (!taken_again.count(c.log_position)) pending_.controls.push_back(c), resumed_.insert(c.log_position);
    for (const auto& o : point.pending.observations)
      if (!taken_again.count(o.log_position)) pending_.observations.push_back(o), resumed_.insert(o.log_position);
    resumed_.erase(0);
  }
  auto empty = std::make_shared<twin_view>();
  empty->segments.resize(graph.segments.size());
  for (segment_id s = 0; s < graph.segments.size(); ++s) {
    empty->segments[s].segment = s;
    empty->segments[s].mean_speed_mps = graph.segments[s].freeflow_speed_mps;
  }
  view_ = std::move(empty);
}

live_twin::~live_twin() { stop(); }

simulation_options live_simulation_options(const live_twin_options& options) {
  simulation_options sim;
  sim.seed = options.seed;
  sim.threads = options.threads;
  sim.duration = options.demand_period;
  sim.demand_scale = options.demand_scale;
  sim.metrics = options.metrics;
  return sim;
}

trip_plan live_trip_plan(const city_graph& graph, const live_twin_options& options) {
  return generate_trips(graph, demand_options{options.seed, options.demand_scale, options.demand_period});
}

void live_twin::start() {
  thread_ = std::thread([this] {
    try {
      simulation_options sim = live_simulation_options(options_);
      sim.live = std::make_shared<live_hooks>();
      sim.live->publish_every = options_.publish_every;
      sim.live->epoch_at_start_ms = epoch_at_start_ms_;
      sim.live->keep_running = [this](sim_time start) { return pace(start); };
      sim.live->pull = [this](sim_time start, auto& controls, auto& observations) {
        pull(start, controls, observations);
      };
      sim.live->publish = [this](sim_time now, std::vector<segment_snapshot>&& segments) {
        publish(now, std::move(segments));
      };
      sim.live->resume_point = [this](sim_time time) { return resume_point(time); };
      sim.live->checkpointed = [this](sim_time time) {
        std::lock_guard lock(inbox_mutex_);
        journal_.keep_from(time);
      };
      sim.live->rolled_back = [this](sim_time to) { return roll_back(to); };
      sim.live->wants_state = [this] {
        std::lock_guard lock(state_mutex_);
        return state_requested_ > state_served_;
      };
      sim.live->take_state = [this](simulation_state&& state) { take_state(std::move(state)); };
      const trip_plan plan = live_trip_plan(graph_, options_);
      if (options_.runner) options_.runner(plan, sim);
      else run_simulation(graph_, plan, sim);
    } catch (...) {
      std::lock_guard lock(view_mutex_);
      failure_ = std::current_exception();
    }
    stopping_ = true;
    finished_ = true;
    view_changed_.notify_all();
    std::lock_guard lock(state_mutex_);
    state_taken_.notify_all();
  });
}

void live_twin::stop() {
  stopping_ = true;
  view_changed_.notify_all();
  {
    std::lock_guard lock(state_mutex_);
    state_taken_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void live_twin::take_state(simulation_state&& state) {
  state.demand = demand_options{options_.seed, options_.demand_scale, options_.demand_period};
  {
    std::lock_guard lock(inbox_mutex_);
    const sim_time w_len = state.window_length;
    for (const auto& [pending, log_position] : pending_.controls)
      if (segment_control c = pending; c.at > state.time) {
        c.at = (c.at + w_len - 1) / w_len * w_len;  // the first window starting at or after it, as pull() does
        state.scheduled.push_back(c);
      }
  }
  std::stable_sort(state.scheduled.begin(), state.scheduled.end(),
                   [](const segment_control& a, const segment_control& b) { return a.at < b.at; });
  auto shared = std::make_shared<const simulation_state>(std::move(state));
  std::lock_guard lock(state_mutex_);
  last_state_ = std::move(shared);
  state_served_ = state_requested_;
  state_taken_.notify_all();
}

std::shared_ptr<const simulation_state> live_twin::capture_state(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_mutex_);
  const std::uint64_t ticket = ++state_requested_;
  state_taken_.wait_for(lock, timeout, [&] { return state_served_ >= ticket || stopping_.load(); });
  if (state_served_ >= ticket) return last_state_;
  if (stopping_) throw twin_unavailable("the live twin stopped before its state could be captured");
  throw twin_unavailable("the live twin reached no window boundary in time to capture its state (are its windows paused?)");
}

bool live_twin::pace(sim_time start) {
  now_ = start;
  if (options_.stop_at > 0 && start >= options_.stop_at) return false;
  const auto due = wall_start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double, std::milli>(start / options_.time_scale));
  std::unique_lock lock(view_mutex_);
  view_changed_.wait_until(lock, due, [this] { return stopping_.load(); });
  return !stopping_;
}

sim_time live_twin::lag() const {
  const double wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_start_).count();
  return std::max<sim_time>(0, static_cast<sim_time>(wall_ms * options_.time_scale) - now_.load());
}

std::size_t live_twin::inbox_backlog() const {
  std::lock_guard lock(inbox_mutex_);
  return pending_.size();
}

std::size_t live_twin::inputs_kept_for_rollback() const {
  std::lock_guard lock(inbox_mutex_);
  return journal_.inputs_kept();
}

bool live_twin::holds_or_took(segment_id segment, std::optional<taken_input> taken_inputs::*kind, const taken_input& input) const {
  if (input.log_position == 0) return false;
  if (resumed_.count(input.log_position)) return true;
  const auto found = taken_.find(segment);
  return found != taken_.end() && found->second.*kind && !(*(found->second.*kind) < input);
}

void live_twin::submit_control(const segment_control& control, std::uint64_t log_position) {
  std::lock_guard lock(inbox_mutex_);
  if (holds_or_took(control.segment, kind_of(control), {control.at, log_position})) return;
  pending_.controls.push_back({control, log_position});
}

void live_twin::submit_observation(segment_id segment, const detector_observation& observation, std::uint64_t log_position) {
  std::lock_guard lock(inbox_mutex_);
  if (holds_or_took(segment, &taken_inputs::observation, {observation.at, log_position})) return;
  logged_observation o{segment, observation, log_position};
  if (observation.at > now_.load()) {  // ahead of the clock: it waits for its own window
    pending_.observations.push_back(o);
    return;
  }
  // Due in the next window, where only the segment's newest counts: at most one waits per segment.
  const auto [at, fresh] = due_observation_.try_emplace(segment, pending_.observations.size());
  if (fresh) pending_.observations.push_back(o);
  else if (!(order_of(o) < order_of(pending_.observations[at->second]))) pending_.observations[at->second] = o;
}

void live_twin::mark_taken(const window_inputs& inputs) {
  for (const auto& [c, log_position] : inputs.controls) take_newest(taken_[c.segment].*kind_of(c), {c.at, log_position});
  for (const auto& o : inputs.observations)
    take_newest(taken_[o.segment].observation, {o.observation.at, o.log_position});
}

void live_twin::pull(sim_time start, std::vector<segment_control>& controls,
                     std::vector<std::pair<segment_id, detector_observation>>& observations) {
  std::lock_guard lock(inbox_mutex_);
  window_inputs taken;
  if (journal_.ran_before(start)) {  // after a rollback or a resume: what this window took the first time
    taken = journal_.take(start);
  } else {  // inputs timed later stay in the inbox until their window comes
    window_inputs later;
    for (auto& c : pending_.controls) (c.control.at <= start ? taken.controls : later.controls).push_back(c);
    for (auto& o : pending_.observations) (o.observation.at <= start ? taken.observations : later.observations).push_back(o);
    pending_ = std::move(later);
    due_observation_.clear();
    keep_newest_per_segment(taken.observations);
    journal_.record(start, taken);
  }
  mark_taken(taken);
  for (const auto& c : taken.controls) controls.push_back(c.control);
  for (const auto& o : taken.observations) observations.emplace_back(o.segment, o.observation);
}

live_resume_point live_twin::resume_point(sim_time time) const {
  std::lock_guard lock(inbox_mutex_);
  return {epoch_at_start_ms_, time, pending_, {taken_.begin(), taken_.end()}};
}

std::size_t live_twin::roll_back(sim_time to) {
  std::lock_guard lock(inbox_mutex_);
  return journal_.windows_with_inputs_from(to);
}

void live_twin::publish(sim_time now, std::vector<segment_snapshot>&& segments) {
  auto view = std::make_shared<twin_view>();
  view->time = now;
  view->epoch_ms = to_epoch_ms(now);
  view->segments = std::move(segments);
  {
    std::lock_guard lock(view_mutex_);
    if (view_->version > 0 && now <= view_->time) return;  // a window run again after a rollback: readers saw it
    view->version = view_->version + 1;
    view_ = std::move(view);
  }
  view_changed_.notify_all();
}

std::shared_ptr<const twin_view> live_twin::view() const {
  std::lock_guard lock(view_mutex_);
  return view_;
}

std::shared_ptr<const twin_view> live_twin::wait_for_view_after(std::uint64_t version,
                                                                std::chrono::milliseconds timeout) const {
  std::unique_lock lock(view_mutex_);
  view_changed_.wait_for(lock, timeout, [&] { return view_->version > version || stopping_.load(); });
  return view_;
}

std::exception_ptr live_twin::failure_exception() const {
  std::lock_guard lock(view_mutex_);
  return failure_;
}

std::optional<std::string> live_twin::failure() const {
  std::lock_guard lock(view_mutex_);
  if (!failure_) return std::nullopt;
  try {
    std::rethrow_exception(failure_);
  } catch (const std::exception& e) {
    return std::string(e.what());
  } catch (...) {
    return std::string("unknown error");
  }
}

}  // namespace citytwin

#pragma once
// The live twin: the city's simulation paced to the wall clock (or a multiple of it), taking
// closures and detector readings as they arrive and publishing its state for readers. Readers
// never wait for the simulation and the simulation never waits for readers: they share only
// immutable published views and a small inbox.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/demand/trip_generator.hpp"
#include "engine/live/input_journal.hpp"
#include "engine/live/twin_view.hpp"
#include "engine/runtime/simulation.hpp"

namespace citytwin {

// Milliseconds since the Unix epoch by the wall clock: the time readings are stamped with.
std::int64_t wall_clock_epoch_ms();

// The live twin could not give a cut now (it stopped, or its windows are paused, say while a lost
// cluster node rejoins): a request that needs one may be retried.
struct twin_unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct live_twin_options {
  std::uint64_t seed = 1;
  double time_scale = 1;                      // simulated seconds per wall-clock second
  sim_time demand_period = 24 * ms_per_hour;  // the trip table's hourly rates are spread over this
  double demand_scale = 1;
  std::uint32_t threads = 1;
  sim_time publish_every = 5 * ms_per_second;
  std::int64_t epoch_at_start_ms = 0;  // the wall-clock time simulated time 0 stands for; 0 = now
  sim_time stop_at = 0;                // the twin stops when its clock reaches this; 0 = never
  runtime_metrics metrics;             // of its simulation run
  // A cluster's node 0: the checkpoint and journal a new process resumes from (null: start afresh),
  // and where the journal is kept on disk (null: in memory only).
  std::shared_ptr<const live_resume> resume;
  std::shared_ptr<journal_log> durable_journal;
  // Runs the twin's simulation to the end (the live hooks in `options` say when): null runs it in this
  // process (run_simulation); a cluster's node 0 runs it across the nodes (run_cluster_node).
  std::function<void(const trip_plan& plan, const simulation_options& options)> runner;
};

// The simulation a live twin runs (live hooks and runner aside) and its demand: every node of a
// live cluster builds the same from the same options.
simulation_options live_simulation_options(const live_twin_options& options);
trip_plan live_trip_plan(const city_graph& graph, const live_twin_options& options);

class live_twin final : public published_views {
 public:
  live_twin(const city_graph& graph, live_twin_options options);
  ~live_twin();
  live_twin(const live_twin&) = delete;
  live_twin& operator=(const live_twin&) = delete;

  void start();
  void stop();  // waits for the simulation thread

  // Each is applied in the first window that starts at or after its own time: at once when it is in
  // the twin's past, and not before its time when ahead of the twin's clock. Of a segment's detector
  // observations taken by one window only the newest (by time, then log position) is applied. `log_position` names
  // the stored reading it comes from (0: none); one the twin holds or took already, by that position
  // or by being no newer than what its segment took, is dropped (a resumed twin restoring its store).
  void submit_control(const segment_control& control, std::uint64_t log_position = 0);
  void submit_observation(segment_id segment, const detector_observation& observation, std::uint64_t log_position = 0);

  std::shared_ptr<const twin_view> view() const override;
  std::shared_ptr<const twin_view> wait_for_view_after(std::uint64_t version, std::chrono::milliseconds timeout) const override;

  const city_graph& graph() const { return graph_; }
  sim_time now() const { return now_.load(); }
  std::int64_t to_epoch_ms(sim_time t) const { return epoch_at_start_ms_ + t; }
  sim_time from_epoch_ms(std::int64_t epoch_ms) const { return epoch_ms - epoch_at_start_ms_; }
  // Simulated time the twin is behind where the wall clock says it should be (>= 0).
  sim_time lag() const;
  double time_scale() const { return options_.time_scale; }
  // Controls and observations submitted and not yet taken by a window.
  std::size_t inbox_backlog() const;
  // Controls and observations kept since a cluster's last complete checkpoint (input_journal.hpp).
  std::size_t inputs_kept_for_rollback() const;
  std::optional<std::string> failure() const override;
  // The simulation has ended (reached options().stop_at, was stopped, or failed).
  bool finished() const { return finished_.load(); }
  // The same error as thrown, of its own type (a lost cluster node is retryable); null if none.
  std::exception_ptr failure_exception() const;

  // A consistent cut of the twin at the next window boundary (simulation_state.hpp), for forking
  // scenarios. The simulation pauses only while the actors copy their state; ingest never waits.
  // Controls already scheduled for later are in it; inputs still in the inbox are not (they come after
  // the cut). On a cluster the cut gathers every node's segments. Throws twin_unavailable if the
  // twin stops or no boundary comes within `timeout`.
  std::shared_ptr<const simulation_state> capture_state(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  const live_twin_options& options() const { return options_; }

 private:
  bool pace(sim_time start);
  void pull(sim_time start, std::vector<segment_control>& controls, std::vector<std::pair<segment_id, detector_observation>>& observations);
  void mark_taken(const window_inputs& inputs);
  bool holds_or_took(segment_id segment, std::optional<taken_input> taken_inputs::*kind, const taken_input& input) const;
  live_resume_point resume_point(sim_time time) const;
  void publish(sim_time now, std::vector<segment_snapshot>&& segments);
  void take_state(simulation_state&& state);
  std::size_t roll_back(sim_time to);

  const city_graph& graph_;
  live_twin_options options_;
  std::int64_t epoch_at_start_ms_ = 0;
  std::chrono::steady_clock::time_point wall_start_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};
  std::atomic<sim_time> now_{0};

  mutable std::mutex inbox_mutex_;
  window_inputs pending_;                       // submitted, not yet taken by a window
  std::map<segment_id, taken_inputs> taken_;    // the newest input of each kind each segment took
  std::unordered_set<std::uint64_t> resumed_;   // log positions a resumed twin holds or took again
  std::unordered_map<segment_id, std::size_t> due_observation_;  // in pending_.observations, due next window
  input_journal journal_;  // with the inbox mutex

  mutable std::mutex view_mutex_;
  mutable std::condition_variable view_changed_;
  std::shared_ptr<const twin_view> view_;
  std::exception_ptr failure_;

  // Cut requests: tickets handed out and served, in order.
  mutable std::mutex state_mutex_;
  std::condition_variable state_taken_;
  std::uint64_t state_requested_ = 0, state_served_ = 0;
  std::shared_ptr<const simulation_state> last_state_;
};

}  // namespace citytwin

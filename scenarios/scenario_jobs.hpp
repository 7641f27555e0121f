#pragma once
// Scenarios run against the live twin: each job captures a cut of the twin, then runs the baseline and
// every variant from it on a thread of its own, never touching the live twin or its ingest. Jobs have
// ids, progress, a final report and can be cancelled. The gRPC ScenarioService and the HTTP dashboard
// both drive scenarios through this class.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/live/live_twin.hpp"
#include "engine/metrics/metric_handles.hpp"
#include "scenarios/scenario.hpp"

namespace citytwin {

// Forks the live twin now and runs the scenario to the end on the calling thread.
scenario_outcome run_scenario_on_twin(live_twin& twin, scenario s, const scenario_run_options& options = {},
                                      const city_grid* grid = nullptr);

enum class scenario_job_state { queued, running, succeeded, failed, cancelled };
const char* scenario_job_state_name(scenario_job_state s);
inline bool is_terminal(scenario_job_state s) { return s != scenario_job_state::queued && s != scenario_job_state::running; }

struct scenario_job_status {
  std::string id;
  std::string owner;
  scenario_job_state state = scenario_job_state::queued;
  std::uint64_t version = 0;     // grows with every change, for wait()
  sim_time start_time = 0;       // the cut, simulated ms
  sim_time end_time = 0;         // the end of the run (with `clear`, the latest it may end)
  sim_time reached = 0;          // the slowest branch's simulated time
  double fraction_complete = 0;  // over all branches
  std::int64_t departed = 0, arrived = 0, en_route = 0;  // of the baseline branch, since the twin began
  std::string report_json;       // when succeeded
  std::string error;             // when failed
  bool retryable = false;        // when failed: the live twin could not be cut (twin_unavailable)
};

class scenario_jobs {
 public:
  // `parallel` bounds the branches of one job run at once (0: one per core); at most `max_jobs` jobs
  // are unfinished at a time. `grid` may be null (then scenarios needing utilities are refused).
  // `metrics` counts finished runs by outcome and times them (inert by default).
  scenario_jobs(live_twin& twin, const city_grid* grid, unsigned parallel, std::size_t max_jobs = 4,
                scenario_metrics metrics = {});
  ~scenario_jobs();  // cancels every unfinished job and waits for it
  scenario_jobs(const scenario_jobs&) = delete;
  scenario_jobs& operator=(const scenario_jobs&) = delete;

  // Checks the scenario against the twin's city (throws scenario_error), throws std::length_error when
  // max_jobs are unfinished, then starts it and returns its id.
  std::string start(scenario s, const std::string& owner);
  // Throws std::out_of_range for an unknown id.
  scenario_job_status status(const std::string& id) const;
  // The status once its version passes `after_version`, or when `timeout` passes.
  scenario_job_status wait(const std::string& id, std::uint64_t after_version, std::chrono::milliseconds timeout) const;
  // Asks the job to stop; returns its state then (a finished job keeps its terminal state).
  scenario_job_state cancel(const std::string& id);

 private:
  struct job;
  std::shared_ptr<job> find(const std::string& id) const;
  void run(const std::shared_ptr<job>& j);

  live_twin& twin_;
  const city_grid* grid_;
  unsigned parallel_;
  std::size_t max_jobs_;
  scenario_metrics metrics_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<job>> jobs_;
  std::vector<std::thread> threads_;
  std::uint64_t next_id_ = 1;
};

}  // namespace citytwin

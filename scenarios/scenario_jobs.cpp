#include "scenarios/scenario_jobs.hpp"

#include <chrono>

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace citytwin {

scenario_outcome run_scenario_on_twin(live_twin& twin, scenario s, const scenario_run_options& options,
                                      const city_grid* grid) {
  check_references(s, twin.graph(), grid);
  return run_scenario_from(twin.graph(), twin.capture_state(), std::move(s), options, grid);
}

const char* scenario_job_state_name(scenario_job_state s) {
  switch (s) {
    case scenario_job_state::queued: return "queued";
    case scenario_job_state::running: return "running";
    case scenario_job_state::succeeded: return "succeeded";
    case scenario_job_state::failed: return "failed";
    case scenario_job_state::cancelled: return "cancelled";
  }
  return "?";
}

struct scenario_jobs::job {
  explicit job(std::size_t branches) : reached(branches) {}
  scenario spec;
  std::atomic<bool> cancel{false};
  // Written by the branches after every window; read when a status is asked for.
  std::vector<std::atomic<sim_time>> reached;
  std::atomic<std::int64_t> departed{0}, arrived{0}, en_route{0};
  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  scenario_job_status status;  // under mutex; progress fields filled in on reading
};

scenario_jobs::scenario_jobs(live_twin& twin, const city_grid* grid, unsigned parallel, std::size_t max_jobs,
                             scenario_metrics metrics)
    : twin_(twin), grid_(grid), parallel_(parallel), max_jobs_(std::max<std::size_t>(1, max_jobs)), metrics_(metrics) {}

scenario_jobs::~scenario_jobs() {
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, j] : jobs_) j->cancel = true;
  }
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

std::string scenario_jobs::start(scenario s, const std::string& owner) {
  check_references(s, twin_.graph(), grid_);
  auto j = std::make_shared<job>(s.variants.size() + 1);
  j->spec = std::move(s);
  std::lock_guard lock(mutex_);
  std::size_t unfinished = 0;
  for (const auto& [id, other] : jobs_) {
    std::lock_guard job_lock(other->mutex);
    if (!is_terminal(other->status.state)) ++unfinished;
  }
  if (unfinished >= max_jobs_)
    throw std::length_error(fmt::format("{} scenarios are already queued or running (the limit)", unfinished));
  j->status.id = fmt::format("scenario-{}", next_id_++);
  j->status.owner = owner;
  j->status.version = 1;
  jobs_[j->status.id] = j;
  threads_.emplace_back([this, j] { run(j); });
  return j->status.id;
}

void scenario_jobs::run(const std::shared_ptr<job>& j) {
  auto update = [&](auto&& change) {
    std::lock_guard lock(j->mutex);
    change(j->status);
    ++j->status.version;
    j->changed.notify_all();
  };
  const auto started = std::chrono::steady_clock::now();
  auto finished = [&](scenario_run_outcome outcome) {
    metrics_.record_run(outcome, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
  try {
    if (j->cancel) throw simulation_cancelled();
    auto base = twin_.capture_state();
    const scenario& s = j->spec;
    for (auto& r : j->reached) r = base->time;
    update([&](scenario_job_status& st) {
      st.state = scenario_job_state::running;
      st.start_time = base->time;
      st.end_time = s.clear ? 0 : base->time + s.horizon;
    });
    scenario_run_options o;
    o.parallel = parallel_;
    o.cancel = &j->cancel;
    o.on_branch_progress = [j](const branch_progress& p) {
      j->reached[p.branch] = p.reached;
      if (p.branch == 0) {
        j->departed = p.departed;
        j->arrived = p.arrived;
        j->en_route = p.en_route;
      }
    };
    auto outcome = run_scenario_from(twin_.graph(), std::move(base), s, o, grid_);
    update([&](scenario_job_status& st) {
      st.state = scenario_job_state::succeeded;
      st.report_json = outcome.report.dump();
    });
    finished(scenario_run_outcome::succeeded);
  } catch (const simulation_cancelled&) {
    update([](scenario_job_status& st) { st.state = scenario_job_state::cancelled; });
    finished(scenario_run_outcome::cancelled);
  } catch (const std::exception& e) {
    update([&](scenario_job_status& st) {
      st.state = scenario_job_state::failed;
      st.error = e.what();
      st.retryable = dynamic_cast<const twin_unavailable*>(&e) != nullptr;
    });
    finished(scenario_run_outcome::failed);
  }
}

std::shared_ptr<scenario_jobs::job> scenario_jobs::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto found = jobs_.find(id);
  if (found == jobs_.end()) throw std::out_of_range("no scenario has the id '" + id + "'");
  return found->second;
}

namespace {

// The status with the branches' progress filled in.
template <class Job>
scenario_job_status current(const Job& j) {
  scenario_job_status st = j.status;
  if (st.state == scenario_job_state::queued) return st;
  sim_time slowest = never;
  double done = 0;
  const sim_time end = j.spec.horizon + (j.spec.clear ? j.spec.clear_limit : 0);
  for (const auto& r : j.reached) {
    const sim_time t = r.load();
    slowest = std::min(slowest, t);
    done += std::clamp(static_cast<double>(t - st.start_time) / static_cast<double>(std::max<sim_time>(1, end)), 0.0, 1.0);
  }
  st.reached = slowest == never ? st.start_time : slowest;
  st.fraction_complete = st.state == scenario_job_state::succeeded ? 1.0 : done / static_cast<double>(j.reached.size());
  st.departed = j.departed;
  st.arrived = j.arrived;
  st.en_route = j.en_route;
  return st;
}

}  // namespace

scenario_job_status scenario_jobs::status(const std::string& id) const {
  auto j = find(id);
  std::lock_guard lock(j->mutex);
  return current(*j);
}

scenario_job_status scenario_jobs::wait(const std::string& id, std::uint64_t after_version,
                                        std::chrono::milliseconds timeout) const {
  auto j = find(id);
  std::unique_lock lock(j->mutex);
  j->changed.wait_for(lock, timeout, [&] { return j->status.version > after_version; });
  return current(*j);
}

scenario_job_state scenario_jobs::cancel(const std::string& id) {
  auto j = find(id);
  j->cancel = true;
  std::unique_lock lock(j->mutex);
  // A job cancelled before its branches start ends at once; a running one ends at its next window.
  j->changed.wait_for(lock, std::chrono::seconds(30), [&] { return is_terminal(j->status.state); });
  return j->status.state;
}

}  // namespace citytwin

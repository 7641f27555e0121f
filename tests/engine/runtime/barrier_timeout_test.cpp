// The barrier timeout: a window whose shards do not all report in time fails the run, naming the
// silent shards; a slow window that completes in time does not.

#include <gtest/gtest.h>

#include <chrono>

#include "engine/runtime/coordinator.hpp"
#include "engine/runtime/simulation.hpp"

#include "tests/support/bundled_city.hpp"

namespace citytwin {

namespace {

using testing::sioux_falls;

// A stand-in shard: reports every window after `delay` (never, when `silent`), with no work left.
caf::behavior fake_shard(caf::event_based_actor* self, std::uint32_t index, std::chrono::milliseconds delay, bool silent) {
  return {[=](window_order& order) {
    if (silent) return;
    shard_report report;
    report.shard = index;
    report.window = order.window;
    self->delayed_send(caf::actor_cast<caf::actor>(self->current_sender()), delay, std::move(report));
  }};
}

struct fake_run {
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> system;
  std::unique_ptr<simulation_context> context;
  simulation_options options;
  trip_plan plan;

  fake_run(std::chrono::milliseconds delay, bool silent) {
    config.set("logger.console", caf::atom("none"));
    config.add_message_types<caf::id_block::citytwin>();
    system = std::make_unique<caf::actor_system>(config);
    context = std::make_unique<simulation_context>(sioux_falls());
    options.duration = 10 * ms_per_second;
    options.barrier_timeout_s = 0.5;
    configure_context(*context, options);
    const auto n = sioux_falls().segments.size();
    for (segment_id s = 0; s < n; ++s) context->shard_of.push_back(s < n / 2 ? 0 : 1);
    context->shards = {system->spawn(fake_shard, 0u, std::chrono::milliseconds(0), false), system->spawn(fake_shard, 1u, delay, silent)};
    plan.trips = {{0, 1, 2, 3 * ms_per_second}, {1, 2, 3, 8 * ms_per_second}};
  }
  ~fake_run() {
    for (auto& shard : context->shards) caf::anon_send_exit(shard, caf::exit_reason::user_shutdown);
  }
};

}  // namespace

TEST(barrier_timeout, a_window_a_shard_never_reports_fails_naming_that_shard) {
  fake_run run(std::chrono::milliseconds(0), true);
  window_coordinator coordinator(*run.system, *run.context, run.options, run.plan);
  simulation_result result;
  const auto started = std::chrono::steady_clock::now();
  try {
    coordinator.run(result);
    ADD_FAILURE() << "the run must fail";
  } catch (const barrier_stalled& e) {
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_GE(waited, 0.45);  // timers may fire a little early
    EXPECT_LT(waited, 5.0);
    EXPECT_EQ(e.window, 3) << "the first window with a departure";
    EXPECT_EQ(e.silent_shards, std::vector<std::uint32_t>{1});
    EXPECT_NE(std::string(e.what()).find("window 3 (from 0:00:03) did not complete within 0.5 s (barrier timeout): no report from shard 1"),
              std::string::npos)
        << e.what();
  }
}

TEST(barrier_timeout, a_slow_window_that_completes_in_time_is_not_failed) {
  fake_run run(std::chrono::milliseconds(100), false);
  window_coordinator coordinator(*run.system, *run.context, run.options, run.plan);
  simulation_result result;
  EXPECT_NO_THROW(coordinator.run(result));
  EXPECT_EQ(result.windows, 2) << "windows 3 and 8, the departures' (the fake shards report no other work)";
}

}  // namespace citytwin

// What one window activation costs in CAF 0.17 alone, with no traffic model: a shard actor
// sends `advance_window` to each active segment actor and waits for every `segment_report`,
// as engine/runtime/shard_actor.cpp does, optionally with one vehicle handoff per activation.
// The floor these messages set is what the scenario benchmark cannot go below while every road
// segment stays an actor (bench/RESULTS.md, issue 5).

#include <benchmark/benchmark.h>

#include <caf/all.hpp>
#include <cstdint>
#include <vector>

#include "engine/runtime/simulation_context.hpp"
#include "engine/runtime/traffic_messages.hpp"

namespace citytwin {

namespace {

struct segment_stub_state {
  std::int64_t taken_in = 0;
};

// A segment that answers each activation with a report and hands one vehicle downstream.
caf::behavior segment_stub(caf::stateful_actor<segment_stub_state>* self, segment_id id,
                           const std::vector<caf::actor>* segments, bool handoffs) {
  return {
      [self](vehicle_handoff& h) { self->state.taken_in += static_cast<std::int64_t>(h.vehicles.size()); },
      [self, id, segments, handoffs](const advance_window& w) {
        segment_report report;
        report.window = w.window;
        report.segment = id;
        if (handoffs) {
          vehicle_handoff h{w.window, id, {}};
          h.vehicles.emplace_back();
          h.vehicles.back().id = id;
          self->send((*segments)[(id + 1) % segments->size()], std::move(h));
          report.bookings.push_back({static_cast<segment_id>((id + 1) % segments->size()), w.window + 1});
          report.handed_out = 1;
        }
        self->send(caf::actor_cast<caf::actor>(self->current_sender()), std::move(report));
      },
  };
}

struct shard_stub_state {
  std::size_t pending = 0;
  caf::response_promise done;
};

// Like shard_actor: wakes every segment for the window, answers once all have reported.
caf::behavior shard_stub(caf::stateful_actor<shard_stub_state>* self, const std::vector<caf::actor>* segments) {
  return {
      [self, segments](const advance_window& w) {
        self->state.pending = segments->size();
        self->state.done = self->make_response_promise();
        for (const auto& s : *segments) self->send(s, w);
        return self->state.done;
      },
      [self](segment_report&) {
        if (--self->state.pending == 0) self->state.done.deliver(caf::ok_atom_v);
      },
  };
}

void run_windows(benchmark::State& state, bool handoffs) {
  const auto segment_count = static_cast<std::size_t>(state.range(0));
  const auto threads = static_cast<std::size_t>(state.range(1));
  caf::actor_system_config config;
  config.set("scheduler.max-threads", threads);
  config.set("logger.console", caf::atom("none"));
  config.add_message_types<caf::id_block::citytwin>();
  caf::actor_system system{config};
  std::vector<caf::actor> segments;
  for (std::size_t i = 0; i < segment_count; ++i)
    segments.push_back(system.spawn(segment_stub, static_cast<segment_id>(i), &segments, handoffs));
  auto shard = system.spawn(shard_stub, &segments);
  caf::scoped_actor coordinator{system};
  window_index window = 0;
  for (auto _ : state) {
    coordinator->request(shard, caf::infinite, advance_window{window, window * 1000, (window + 1) * 1000})
        .receive([](caf::ok_atom) {}, [](caf::error&) {});
    ++window;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(segment_count));
  caf::anon_send_exit(shard, caf::exit_reason::user_shutdown);
  for (auto& s : segments) caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
}

void activation_only(benchmark::State& state) { run_windows(state, false); }
void activation_with_handoff(benchmark::State& state) { run_windows(state, true); }

// 28,370 segments is Berlin-Center; a window wakes about 1,300 of them on average at the peak.
BENCHMARK(activation_only)->Args({1300, 1})->Args({1300, 2})->Args({28370, 1})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(activation_with_handoff)->Args({1300, 1})->Args({1300, 2})->Args({28370, 1})->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

}  // namespace citytwin

BENCHMARK_MAIN();

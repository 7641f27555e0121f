#include "clients/cli/live_serving.hpp"

#include <csignal>
#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <mutex>
#include <pthread.h>

#include "clients/cli/commands.hpp"
#include "engine/analytics/feed_analytics.hpp"
#include "engine/cluster/loss_watchdog.hpp"
#include "engine/forecast/rolling_forecast.hpp"
#include "engine/frontdoor/reading_application.hpp"
#include "engine/frontdoor/twin_server.hpp"
#include "engine/grid/city_grid.hpp"
#include "engine/http/http_gateway.hpp"
#include "engine/live/live_grid.hpp"
#include "engine/metrics/live_sampler.hpp"
#include "engine/metrics/metrics_endpoint.hpp"
#include "engine/metrics/metrics_registry.hpp"
#include "engine/store/twin_store.hpp"

namespace citytwin {

namespace {

// The twin's own error, named as such; a lost cluster node stays retryable (its own exit code).
[[noreturn]] void rethrow_twin_failure(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const cluster_node_lost& e) {
    throw cluster_node_lost("the live twin stopped: " + std::string(e.what()));
  } catch (const std::exception& e) {
    throw std::runtime_error("the live twin stopped: " + std::string(e.what()));
  }
}

// The rolling forecast's settings from the flags (checked before anything starts).
rolling_forecast_options forecast_options(const serve_arguments& a, const metrics_registry& metrics) {
  rolling_forecast_options o;
  o.every = parse_duration(a.forecast_every);
  o.branch.horizon = parse_duration(a.forecast_horizon);
  o.branch.checkpoint_every = parse_duration(a.forecast_step);
  o.metrics = metrics.forecasts();
  if (o.every <= 0) throw std::invalid_argument("--forecast-every must be positive");
  if (o.branch.horizon <= 0) throw std::invalid_argument("--forecast-horizon must be positive");
  if (o.branch.checkpoint_every <= 0) throw std::invalid_argument("--forecast-step must be positive");
  return o;
}

sim_time parse_days_or_duration(const std::string& text) {
  if (!text.empty() && text.back() == 'd') return parse_duration(text.substr(0, text.size() - 1)) / 1000 * 24 * ms_per_hour;
  return parse_duration(text);
}

void take_snapshot(frontdoor_context& context) {
  std::unique_lock lock(context.snapshot_lock);
  const std::uint64_t position = context.store.last_log_position();
  context.store.put_snapshot(context.twin.to_epoch_ms(context.twin.now()), context.inputs.serialize(), position);
}

}  // namespace

live_twin_options live_options(const serve_arguments& a) {
  live_twin_options live;
  live.seed = a.seed;
  live.time_scale = a.time_scale;
  live.threads = a.threads;
  live.demand_scale = a.demand_scale;
  if (!a.until.empty()) {
    live.stop_at = parse_duration(a.until);
    if (live.stop_at <= 0) throw std::invalid_argument("--until must be a positive simulated time");
  }
  return live;
}

void serve_live_twin(const serve_arguments& a, const loaded_city& city, live_twin_options live,
                     const std::function<void(frontdoor_context*)>& front_door) {
  // Blocked before any thread starts (RocksDB's, CAF's, gRPC's), so only sigtimedwait below takes them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  store_options storage;
  storage.directory = a.data_dir;
  storage.sync_writes = !a.no_sync;
  storage.retention_ms = parse_days_or_duration(a.retention);
  storage.audit_retention_ms = parse_days_or_duration(a.audit_retention);
  auto store = twin_store::open(storage);

  metrics_registry metrics;
  live.metrics = metrics.runtime();
  live_twin twin(city.graph, live);
  const bool forecasting = a.forecast == "on";
  const rolling_forecast_options forecast_settings = forecasting ? forecast_options(a, metrics) : rolling_forecast_options{};
  twin_inputs inputs;
  twin_catalog catalog(city.graph);
  catalog.wgs84 = city.geographic;
  catalog.counters_since_ms = twin.to_epoch_ms(0);
  std::unique_ptr<city_grid> grid;
  std::unique_ptr<live_grid> power;
  if (a.grid) {
    std::string osm = a.grid_osm;
    if (osm.empty() && city.geographic) osm = city.source;
    grid = std::make_unique<city_grid>(build_city_grid(city, osm, a.seed));
    // The grid's day starts at the wall clock's UTC time of day.
    const sim_time time_of_day = twin.to_epoch_ms(0) % (24 * ms_per_hour);
    power = std::make_unique<live_grid>(*grid, twin, parse_duration(a.grid_step), time_of_day,
                                        parse_duration(a.overload_tolerance));
    catalog.grid = power.get();
  }
  const restore_summary restored = restore_twin(*store, catalog, inputs, twin);

  frontdoor_context context(twin, *store, inputs, std::move(catalog),
                            a.tokens.empty() ? access_control::open_access() : access_control::from_file(a.tokens));
  context.limits.lateness_window_ms = parse_duration(a.lateness);
  context.audit.set_reads_audited(a.audit_reads);
  context.metrics = metrics.ingest();
  context.scenario_runs = metrics.scenarios();
  auto forecasts = forecasting ? std::make_unique<rolling_forecast>(twin, power.get(), forecast_settings) : nullptr;
  context.forecast = forecasts.get();
  std::unique_ptr<feed_analytics> analytics;
  if (a.analytics == "on") {
    analytics_options options;
    if (!a.sensor_period.empty()) options.health.expected_period_ms = parse_duration(a.sensor_period);
    analytics = std::make_unique<feed_analytics>(options, metrics.analytics());
    context.analytics = analytics.get();
    metrics.on_collect([&analytics] { analytics->sample_metrics(wall_clock_epoch_ms()); });
  }
  live_sampler sampler(metrics.sampled(), twin, *store, power.get());
  metrics.on_collect([&sampler] { sampler.sample(); });
  // Declared after everything its scrapes read, so it stops first.
  auto metrics_http = a.metrics_address.empty() ? nullptr : std::make_unique<metrics_endpoint>(a.metrics_address, metrics);
  twin_server server(context, server_options{a.grpc_address, tls_files{a.tls_cert, a.tls_key, a.tls_client_ca}});

  std::unique_ptr<http_gateway> http;
  if (!a.http_address.empty())
    http = std::make_unique<http_gateway>(
        context, http_options{a.http_address, tls_files{a.tls_cert, a.tls_key, a.tls_client_ca}, a.scenario_examples});

  // Withdrawn on every way out, before the context goes.
  struct front_door_handed_out {
    const std::function<void(frontdoor_context*)>& hand;
    ~front_door_handed_out() {
      if (hand) hand(nullptr);
    }
  } handed_out{front_door};
  if (front_door) front_door(&context);
  twin.start();
  if (power) power->start();
  if (forecasts) forecasts->start();
  server.start();
  if (http) http->start();
  fmt::print("{}: {} segments; restored {} readings{}, {} segments with live inputs\n", city.graph.name,
             city.graph.segments.size(), restored.replayed, restored.from_snapshot ? " after the latest snapshot" : "",
             restored.segments_with_inputs);
  if (restored.grid_twins_with_inputs > 0)
    fmt::print("grid: {} buildings and utility nodes given their newest meter and SCADA readings again\n",
               restored.grid_twins_with_inputs);
  if (restored.grid_twins_without_grid > 0)
    fmt::print("warning: {} buildings and utility nodes have stored meter or SCADA readings, but this run has no "
               "grid (add --grid to apply them)\n", restored.grid_twins_without_grid);
  if (forecasts)
    fmt::print("forecast: every {} of simulated time, {} ahead, checkpoints every {}\n", a.forecast_every,
               a.forecast_horizon, a.forecast_step);
  if (grid)
    fmt::print("grid: {} buildings, {} buses, {} substations; load flow every {}\n", grid->buildings.size(),
               grid->network.buses.size(), grid->substations.size(), a.grid_step);
  fmt::print("serving citytwin.v1 on port {} ({}; {}), data in {}\n", server.port(),
             a.tls_cert.empty() ? "plaintext" : (a.tls_client_ca.empty() ? "TLS" : "mutual TLS"),
             context.access.is_open() ? "no tokens: loopback only" : "bearer tokens", a.data_dir);
  if (metrics_http)
    fmt::print("metrics on http://{}:{}/metrics\n", a.metrics_address.substr(0, a.metrics_address.rfind(':')),
               metrics_http->port());
  if (http)
    fmt::print("dashboard on {}://{}:{}/\n", a.tls_cert.empty() ? "http" : "https",
               split_listen_address(a.http_address).first, http->port());
  std::fflush(stdout);
  // Before --port-file, so a caller that waits for that file finds this one too.
  if (metrics_http && !a.metrics_port_file.empty()) std::ofstream(a.metrics_port_file) << metrics_http->port() << '\n';
  if (!a.port_file.empty()) std::ofstream(a.port_file) << server.port() << '\n';

  const auto started = std::chrono::steady_clock::now();
  const sim_time run_for = a.run_for.empty() ? 0 : parse_duration(a.run_for);
  const sim_time snapshot_every = parse_duration(a.snapshot_every);
  auto last_snapshot = started;
  while (true) {
    timespec tick{0, 200'000'000};
    if (sigtimedwait(&signals, nullptr, &tick) > 0) break;
    if (auto failure = twin.failure_exception()) {
      server.shutdown();
      rethrow_twin_failure(failure);
    }
    if (auto failure = power ? power->failure() : std::nullopt) {
      server.shutdown();
      throw std::runtime_error("the grid stopped: " + *failure);
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_snapshot >= std::chrono::milliseconds(snapshot_every)) {
      take_snapshot(context);
      store->purge_expired(twin.to_epoch_ms(twin.now()));
      store->purge_expired_audit(wall_clock_epoch_ms());  // audit records are stamped with the wall clock
      last_snapshot = now;
    }
    if (run_for > 0 && now - started >= std::chrono::milliseconds(run_for)) break;
    if (twin.finished()) {
      fmt::print("the twin's clock reached {} (--until)\n", format_clock(twin.now()));
      break;
    }
  }
  fmt::print("shutting down\n");
  if (http) http->shutdown();
  server.shutdown();
  take_snapshot(context);
  if (forecasts) forecasts->stop();
  if (power) power->stop();
  twin.stop();
}

void add_front_door_options(CLI::App& command, serve_arguments& a) {
  command.add_option("--grpc", a.grpc_address, "Address to serve gRPC on (port 0 picks a free one)")->capture_default_str();
  command.add_option("--tokens", a.tokens, "JSON file of bearer tokens and roles (feed, viewer, planner, admin); required off loopback")->check(CLI::ExistingFile);
  command.add_option("--tls-cert", a.tls_cert, "PEM certificate chain: serve TLS")->check(CLI::ExistingFile);
  command.add_option("--tls-key", a.tls_key, "PEM private key of --tls-cert")->check(CLI::ExistingFile);
  command.add_option("--tls-client-ca", a.tls_client_ca, "PEM CA: require client certificates (mutual TLS)")->check(CLI::ExistingFile);
  command.add_option("--time-scale", a.time_scale, "Simulated seconds per wall second")->check(CLI::PositiveNumber)->capture_default_str();
  command.add_option("--lateness", a.lateness, "Readings older than this are rejected")->capture_default_str();
  command.add_option("--retention", a.retention, "Readings older than this are deleted (e.g. 7d, 12h)")->capture_default_str();
  command.add_option("--audit-retention", a.audit_retention,
                     "Audit records (who changed what) older than this are deleted (e.g. 90d, 12h)")->capture_default_str();
  command.add_flag("--audit-reads", a.audit_reads,
                   "Also record reads of twin data (GetTwin, QueryTwins, GetHistory, WatchTwins, ReadAudit, and the dashboard's "
                   "/api/state, /api/twins/... and /api/events) in the audit trail");
  command.add_option("--snapshot-every", a.snapshot_every, "How often the twin's inputs are snapshotted")->capture_default_str();
  command.add_option("--run-for", a.run_for, "Stop after this much wall time (default: until SIGINT/SIGTERM)");
  command.add_option("--forecast", a.forecast, "Rolling forecast of the live twin: on or off")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  command.add_option("--forecast-every", a.forecast_every, "Fork the live twin for a forecast every (simulated time)")
      ->capture_default_str();
  command.add_option("--forecast-horizon", a.forecast_horizon, "How far ahead each forecast runs (simulated time)")
      ->capture_default_str();
  command.add_option("--forecast-step", a.forecast_step, "Forecast checkpoints at multiples of this (simulated time)")
      ->capture_default_str();
  command.add_option("--until", a.until, "Stop when the twin's simulated clock reaches this (e.g. 6h, 90m; default: never)");
  command.add_option("--port-file", a.port_file, "Write the bound port to this file once serving");
  command.add_flag("--no-sync", a.no_sync, "Do not fsync each ack (faster; a power cut may lose the last acks)");
  command.add_option("--http", a.http_address, "Also serve the dashboard and its HTTP/JSON API on HOST:PORT (port 0 picks a free one; same tokens and TLS as gRPC)");
  command.add_option("--scenario-examples", a.scenario_examples, "Directory of scenario files the dashboard offers")->capture_default_str();
  command.add_option("--analytics", a.analytics,
                     "Anomaly detection and sensor health on the ingest feed (AnalyticsService; unhealthy sensors' "
                     "readings are down-weighted): on or off")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  command.add_option("--sensor-period", a.sensor_period,
                     "Expected reading period of every sensor, for staleness (e.g. 1m); default: learned per sensor");
}

}  // namespace citytwin

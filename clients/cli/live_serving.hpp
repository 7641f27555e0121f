#pragma once
// The live twin behind its front door, as `citytwin serve` runs it in one process and
// `citytwin node --serve` runs it as node 0 of a cluster: one setup for both.

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "engine/frontdoor/frontdoor_context.hpp"
#include "engine/import/city_loader.hpp"
#include "engine/live/live_twin.hpp"

namespace citytwin {

struct serve_arguments {
  std::string grpc_address = "127.0.0.1:50051";
  std::string data_dir = "citytwin-data";
  std::string tokens;
  std::string tls_cert, tls_key, tls_client_ca;
  double time_scale = 1;
  std::uint64_t seed = 1;
  unsigned threads = 1;
  double demand_scale = 1;
  std::string lateness = "15m";
  std::string retention = "7d";
  std::string audit_retention = "90d";
  bool audit_reads = false;
  std::string snapshot_every = "1m";
  std::string run_for;  // empty: until a signal
  std::string until;    // simulated time at which the twin stops; empty: never
  std::string port_file;
  std::string metrics_address;  // empty: no /metrics endpoint
  std::string metrics_port_file;
  bool no_sync = false;
  bool grid = false;
  std::string grid_osm;
  std::string grid_step = "1m";
  std::string overload_tolerance = "20m";
  std::string http_address;  // empty: no HTTP gateway / dashboard
  std::string scenario_examples = std::string(CITYTWIN_SOURCE_DIR) + "/scenarios/examples";
  std::string forecast = "on";
  std::string forecast_every = "5m";
  std::string forecast_horizon = "30m";
  std::string forecast_step = "5m";
  std::string analytics = "on";
  std::string sensor_period;  // empty: learned per sensor
};

// The flags of the front door itself (address, tokens, TLS, pacing, ingest limits, retention, audit,
// snapshots, HTTP, analytics), shared by `serve` and `node --serve`. Each command adds the rest.
void add_front_door_options(CLI::App& command, serve_arguments& arguments);

// The live twin's options from the flags; `runner` is the caller's to set.
live_twin_options live_options(const serve_arguments& arguments);

// Serves until SIGINT / SIGTERM (or --run-for). `live` comes from live_options, possibly with a
// cluster runner. `front_door` (may be empty) is given the front door's context before the twin
// starts, and null before the context goes. Throws cluster_node_lost (retryable) when the twin's
// cluster lost a node.
void serve_live_twin(const serve_arguments& arguments, const loaded_city& city, live_twin_options live,
                     const std::function<void(frontdoor_context*)>& front_door = {});

}  // namespace citytwin

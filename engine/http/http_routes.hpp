#pragma once
// The gateway's routes by topic, registered on one server; each checks the caller's role first.

#include <atomic>
#include <httplib.h>

#include "engine/frontdoor/frontdoor_context.hpp"
#include "engine/http/live_counters.hpp"
#include "engine/http/scenario_runs.hpp"

namespace citytwin {

struct gateway_parts {
  frontdoor_context& context;
  live_counters& counters;
  scenario_runs& runs;
  const std::atomic<bool>& stopping;
};

// /api/city, /api/state, /api/twins/KIND/ID[/history], /api/stats
void add_twin_routes(httplib::Server& server, gateway_parts& parts);
// /api/events: server-sent "state" and "stats" events
void add_event_routes(httplib::Server& server, gateway_parts& parts);
// /api/scenarios/examples[/FILE], /api/scenarios/runs[/ID]
void add_scenario_routes(httplib::Server& server, gateway_parts& parts);
// / and /assets/NAME from the files built into the binary
void add_asset_routes(httplib::Server& server);

}  // namespace citytwin

#pragma once
// The gateway's routes by topic, registered on one server; each checks the caller's role first.

#include <atomic>
#include <functional>
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

// A viewer's read of twin data: authorizes, lets `answer` fill the response (it returns its status and
// sets how many items it sent; a failure is answered here), and leaves a read record when reads are audited.
void audited_read(gateway_parts& parts, const httplib::Request& request, httplib::Response& response,
                  const std::string& target, const std::function<grpc::Status(std::uint64_t& items)>& answer);

// /api/city, /api/state, /api/twins/KIND/ID[/history], /api/stats
void add_twin_routes(httplib::Server& server, gateway_parts& parts);
// /api/events: server-sent "state" and "stats" events
void add_event_routes(httplib::Server& server, gateway_parts& parts);
// /api/scenarios/examples[/FILE], /api/scenarios/runs[/ID]
void add_scenario_routes(httplib::Server& server, gateway_parts& parts);
// / and /assets/NAME from the files built into the binary
void add_asset_routes(httplib::Server& server);

}  // namespace citytwin

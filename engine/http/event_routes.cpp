// /api/events: server-sent events for the page. "state" carries the whole compact state whenever the
// twin (or its grid) publishes a new one, at most every state_interval; "stats" the live counters
// about once a second. Views are whole states, so a slow reader only ever skips to the latest.

#include <chrono>
#include <thread>

#include "engine/http/city_json.hpp"
#include "engine/http/http_exchange.hpp"
#include "engine/http/http_routes.hpp"

namespace citytwin {

namespace {

constexpr auto state_interval = std::chrono::milliseconds(250);
constexpr auto stats_interval = std::chrono::seconds(1);
constexpr auto poll = std::chrono::milliseconds(500);  // how soon a stream notices shutdown

struct stream_position {
  std::uint64_t twin_version = 0;
  std::uint64_t grid_version = 0;
  std::chrono::steady_clock::time_point last_state{};
  std::chrono::steady_clock::time_point last_stats{};
  bool greeted = false;
};

std::string event(const char* name, const std::string& data) {
  return std::string("event: ") + name + "\ndata: " + data + "\n\n";
}

}  // namespace

void add_event_routes(httplib::Server& server, gateway_parts& parts) {
  server.Get("/api/events", [&parts](const httplib::Request& request, httplib::Response& response) {
    // Audited when it opens, as a read of every segment's state from then on.
    bool authorized = false;
    audited_read(parts, request, response, "state stream of every segment", [&](std::uint64_t&) {
      authorized = true;
      return grpc::Status::OK;
    });
    if (!authorized) return;
    response.set_header("Cache-Control", "no-store");
    response.set_header("X-Accel-Buffering", "no");
    auto position = std::make_shared<stream_position>();
    response.set_chunked_content_provider(
        "text/event-stream", [&parts, position](std::size_t, httplib::DataSink& sink) {
          if (parts.stopping) {
            sink.done();
            return true;
          }
          std::string out;
          if (!position->greeted) {
            out += "retry: 2000\n\n";
            position->greeted = true;
          }
          const auto since_state = std::chrono::steady_clock::now() - position->last_state;
          if (since_state < state_interval) std::this_thread::sleep_for(state_interval - since_state);
          auto view = parts.context.twin.wait_for_view_after(position->twin_version, poll);
          const std::uint64_t grid_version = parts.context.catalog.grid ? parts.context.catalog.grid->view()->version : 0;
          const auto now = std::chrono::steady_clock::now();
          if (view->version != position->twin_version || grid_version != position->grid_version) {
            out += event("state", city_state_json(parts.context.catalog, *view).dump());
            position->twin_version = view->version;
            position->grid_version = grid_version;
            position->last_state = now;
          }
          if (now - position->last_stats >= stats_interval) {
            out += event("stats", parts.counters.sample().dump());
            position->last_stats = now;
          }
          if (out.empty()) return true;
          return sink.write(out.data(), out.size());
        });
  });
}

}  // namespace citytwin

#include "engine/frontdoor/twin_watch.hpp"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <stdexcept>
#include <thread>

#include "engine/frontdoor/twin_scan.hpp"

namespace citytwin {

namespace {

grpc::Status invalid(const std::string& why) { return {grpc::StatusCode::INVALID_ARGUMENT, why}; }

grpc::Status watch_views(const watch_source& source, grpc::ServerContext& context, const v1::WatchTwinsRequest& request,
                         grpc::ServerWriter<v1::TwinChange>& writer, std::uint64_t& sent) {
  const v1::TwinFilter& filter = request.filter();
  std::map<std::size_t, twin_scan::fingerprint> members;  // matching twins and what the watcher last saw
  auto send = [&](v1::TwinChange::ChangeType type, std::size_t t, const twin_scan& scan) {
    v1::TwinChange change;
    change.set_type(type);
    *change.mutable_twin() = scan.twin(t);
    ++sent;
    return writer.Write(change);
  };
  const twin_scan first(source.catalog, source.views.view(), source.inputs);
  for (std::size_t t = 0; t < first.size(); ++t) {
    if (!first.matches(t, filter)) continue;
    members[t] = first.watched(t);
    if (request.send_initial_state() && !send(v1::TwinChange::CHANGE_TYPE_INITIAL, t, first))
      return {grpc::StatusCode::CANCELLED, "the watcher went away"};
  }
  if (request.send_initial_state()) {
    v1::TwinChange end;
    end.set_type(v1::TwinChange::CHANGE_TYPE_INITIAL_STATE_END);
    if (!writer.Write(end)) return {grpc::StatusCode::CANCELLED, "the watcher went away"};
  }
  std::uint64_t version = first.traffic().version;
  auto last_round = std::chrono::steady_clock::now();
  while (!context.IsCancelled()) {
    auto next = source.views.wait_for_view_after(version, std::chrono::milliseconds(500));
    if (auto failure = source.views.failure()) return {grpc::StatusCode::UNAVAILABLE, "the live twin stopped: " + *failure};
    if (next->version == version) continue;
    // Views are whole states, so a watcher that skips some still ends up right; one that falls
    // far behind is dropped rather than buffered, so it can never hold back the twin or ingest.
    if (next->version - version > source.max_views_behind)
      return {grpc::StatusCode::RESOURCE_EXHAUSTED,
              fmt::format("the watcher fell {} state updates behind; reconnect with send_initial_state",
                          next->version - version)};
    const auto due = last_round + std::chrono::milliseconds(request.min_interval_ms());
    if (std::chrono::steady_clock::now() < due) {
      std::this_thread::sleep_until(due);
      next = source.views.view();
    }
    last_round = std::chrono::steady_clock::now();
    const twin_scan scan(source.catalog, next, source.inputs);
    for (std::size_t t = 0; t < scan.size(); ++t) {
      const bool matches = scan.matches(t, filter);
      const auto known = members.find(t);
      bool ok = true;
      if (matches && known == members.end()) {
        members[t] = scan.watched(t);
        ok = send(v1::TwinChange::CHANGE_TYPE_ENTERED, t, scan);
      } else if (!matches && known != members.end()) {
        members.erase(known);
        ok = send(v1::TwinChange::CHANGE_TYPE_LEFT, t, scan);
      } else if (matches && known->second != scan.watched(t)) {
        known->second = scan.watched(t);
        ok = send(v1::TwinChange::CHANGE_TYPE_UPDATED, t, scan);
      }
      if (!ok) return {grpc::StatusCode::CANCELLED, "the watcher went away"};
    }
    version = next->version;
  }
  return {grpc::StatusCode::CANCELLED, "the watcher cancelled"};
}

}  // namespace

grpc::Status watch_twins(const watch_source& source, grpc::ServerContext& context, const v1::WatchTwinsRequest& request,
                         grpc::ServerWriter<v1::TwinChange>& writer, std::uint64_t& sent) {
  if (auto problem = filter_problem(source.catalog, request.filter()); !problem.empty()) return invalid(problem);
  if (request.min_interval_ms() < 0) return invalid("min_interval_ms must not be negative");
  try {
    return watch_views(source, context, request, writer, sent);
  } catch (const std::runtime_error& e) {  // views from another node that cannot be reached
    return {grpc::StatusCode::UNAVAILABLE, e.what()};
  }
}

}  // namespace citytwin

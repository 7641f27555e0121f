#include "engine/frontdoor/analytics_service.hpp"

#include <chrono>
#include <fmt/format.h>

#include "engine/analytics/feed_analytics.hpp"
#include "engine/frontdoor/twin_queries.hpp"

namespace citytwin {

namespace {

constexpr int default_page_size = 100;
constexpr int max_page_size = 1000;

grpc::Status invalid(const std::string& why) { return {grpc::StatusCode::INVALID_ARGUMENT, why}; }

v1::TwinRef twin_ref_of(const std::string& twin_id) {
  v1::TwinRef ref;
  const auto slash = twin_id.find('/');
  const std::string kind = twin_id.substr(0, slash);
  ref.set_kind(kind == "segment"    ? v1::TWIN_KIND_ROAD_SEGMENT
               : kind == "building" ? v1::TWIN_KIND_BUILDING
                                    : v1::TWIN_KIND_UTILITY_NODE);
  ref.set_id(slash == std::string::npos ? twin_id : twin_id.substr(slash + 1));
  return ref;
}

v1::Anomaly to_proto(const anomaly& a) {
  v1::Anomaly out;
  out.set_sequence(a.sequence);
  *out.mutable_twin() = twin_ref_of(a.twin_id);
  out.set_kind(static_cast<v1::AnomalyKind>(static_cast<int>(a.kind) + 1));
  out.set_time_ms(a.time_ms);
  out.set_score(a.score);
  out.set_reason(a.reason);
  out.set_source(a.source);
  out.set_observed(a.observed);
  out.set_expected(a.expected);
  out.set_baseline_spread(a.spread);
  return out;
}

// An optional twin of a request: unset, or complete and existing.
grpc::Status optional_twin_id(frontdoor_context& context, const v1::TwinRef& ref, std::string* twin_id) {
  if (ref.kind() == v1::TWIN_KIND_UNSPECIFIED && ref.id().empty()) return grpc::Status::OK;
  if (ref.kind() == v1::TWIN_KIND_UNSPECIFIED || ref.id().empty())
    return invalid("twin needs both kind and id (or neither, for every twin)");
  return stored_twin_id(context, ref, twin_id);
}

grpc::Status read_filter(frontdoor_context& context, const v1::AnomalyFilter& in, anomaly_filter* out) {
  if (in.start_time_ms() != 0 && in.end_time_ms() != 0 && in.end_time_ms() <= in.start_time_ms())
    return invalid("filter.end_time_ms must be after filter.start_time_ms");
  out->start_time_ms = in.start_time_ms();
  out->end_time_ms = in.end_time_ms();
  if (in.kind() != v1::ANOMALY_KIND_UNSPECIFIED) {
    const int k = static_cast<int>(in.kind()) - 1;
    if (k < 0 || k >= static_cast<int>(anomaly_kind::count))
      return invalid(fmt::format("filter.kind {} is not an anomaly kind this server knows", static_cast<int>(in.kind())));
    out->kind = static_cast<anomaly_kind>(k);
  }
  return optional_twin_id(context, in.twin(), &out->twin_id);
}

}  // namespace

grpc::Status analytics_service::admit(grpc::ServerContext& context) const {
  caller who;
  if (auto s = context_.access.authorize(context, role::viewer, who); !s.ok()) return s;
  if (context_.analytics == nullptr)
    return {grpc::StatusCode::FAILED_PRECONDITION, "analytics are off on this server (serve --analytics off)"};
  return grpc::Status::OK;
}

grpc::Status analytics_service::ListAnomalies(grpc::ServerContext* context, const v1::ListAnomaliesRequest* request,
                                              v1::ListAnomaliesResponse* response) {
  if (auto s = admit(*context); !s.ok()) return s;
  anomaly_filter filter;
  if (auto s = read_filter(context_, request->filter(), &filter); !s.ok()) return s;
  if (request->page_size() < 0) return invalid("page_size must not be negative");
  const std::size_t page_size =
      request->page_size() == 0 ? default_page_size : std::min(request->page_size(), max_page_size);
  std::uint64_t after = 0;
  if (!request->page_token().empty()) {
    char* end = nullptr;
    after = std::strtoull(request->page_token().c_str(), &end, 10);
    if (*end != '\0') return invalid("page_token is not one this server issued");
  }
  const anomaly_log& log = context_.analytics->anomalies();
  const anomaly_page page = log.read(filter, after, page_size);
  for (const anomaly& a : page.anomalies) *response->add_anomalies() = to_proto(a);
  // A full page may have more after it; a short one looked at everything up to the newest.
  if (page.anomalies.size() == page_size && page.last_sequence < log.last_sequence())
    response->set_next_page_token(std::to_string(page.last_sequence));
  return grpc::Status::OK;
}

grpc::Status analytics_service::WatchAnomalies(grpc::ServerContext* context, const v1::WatchAnomaliesRequest* request,
                                               grpc::ServerWriter<v1::Anomaly>* writer) {
  if (auto s = admit(*context); !s.ok()) return s;
  anomaly_filter filter;
  if (auto s = read_filter(context_, request->filter(), &filter); !s.ok()) return s;
  const anomaly_log& log = context_.analytics->anomalies();
  std::uint64_t after = request->send_existing() ? 0 : log.last_sequence();
  bool first = true;
  while (!context->IsCancelled()) {
    const anomaly_page page = first && request->send_existing()
                                  ? log.read(filter, after, max_page_size)
                                  : log.wait_and_read(filter, after, max_page_size, std::chrono::milliseconds(200));
    if (page.lost && !(first && request->send_existing()))
      return {grpc::StatusCode::RESOURCE_EXHAUSTED, "the watcher fell behind and anomalies were dropped; reconnect"};
    first = false;
    for (const anomaly& a : page.anomalies)
      if (!writer->Write(to_proto(a))) return {grpc::StatusCode::CANCELLED, "the watcher went away"};
    after = page.last_sequence;
  }
  return grpc::Status::OK;
}

grpc::Status analytics_service::GetSensorHealth(grpc::ServerContext* context, const v1::GetSensorHealthRequest* request,
                                                v1::GetSensorHealthResponse* response) {
  if (auto s = admit(*context); !s.ok()) return s;
  std::string twin_id;
  if (auto s = optional_twin_id(context_, request->twin(), &twin_id); !s.ok()) return s;
  for (const sensor_entry& e : context_.analytics->sensors(request->source(), twin_id, wall_clock_epoch_ms())) {
    auto* out = response->add_sensors();
    out->set_source(e.source);
    *out->mutable_twin() = twin_ref_of(e.twin_id);
    const sensor_flags& f = e.report.flags;
    for (const auto& [on, flag] : {std::pair{f.stale, v1::SENSOR_FLAG_STALE}, std::pair{f.stuck, v1::SENSOR_FLAG_STUCK},
                                   std::pair{f.drifting, v1::SENSOR_FLAG_DRIFTING},
                                   std::pair{f.out_of_order, v1::SENSOR_FLAG_OUT_OF_ORDER},
                                   std::pair{f.duplicate_timestamps, v1::SENSOR_FLAG_DUPLICATE_TIMESTAMPS}})
      if (on) out->add_flags(flag);
    out->set_readings(e.report.readings);
    out->set_last_time_ms(e.report.last_time_ms);
    out->set_expected_period_ms(e.report.expected_period_ms);
    out->set_repeats(e.report.repeats);
    out->set_relative_bias(e.report.relative_bias);
    out->set_out_of_order_total(e.report.out_of_order_total);
    out->set_duplicate_timestamps_total(e.report.duplicate_total);
    out->set_trust(e.report.trust);
  }
  return grpc::Status::OK;
}

grpc::Status analytics_service::GetFeedHealth(grpc::ServerContext* context, const v1::GetFeedHealthRequest*,
                                              v1::FeedHealth* response) {
  if (auto s = admit(*context); !s.ok()) return s;
  const feed_summary s = context_.analytics->summary(wall_clock_epoch_ms());
  const auto count = [&](sensor_state state) { return s.sensors_by_state[static_cast<std::size_t>(state)]; };
  response->set_sensors(s.sensors);
  response->set_healthy(count(sensor_state::healthy));
  response->set_stale(count(sensor_state::stale));
  response->set_stuck(count(sensor_state::stuck));
  response->set_drifting(count(sensor_state::drifting));
  response->set_out_of_order(count(sensor_state::out_of_order));
  response->set_duplicate_timestamps(count(sensor_state::duplicate_timestamps));
  response->set_anomalies(s.anomalies);
  response->set_untracked_readings(s.untracked_readings);
  return grpc::Status::OK;
}

}  // namespace citytwin

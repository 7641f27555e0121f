#include "engine/frontdoor/forecast_service.hpp"

#include <fmt/format.h>

#include "engine/frontdoor/forecast_conversion.hpp"

namespace citytwin {

namespace {

grpc::Status invalid(const std::string& why) { return {grpc::StatusCode::INVALID_ARGUMENT, why}; }

}  // namespace

forecast_service::forecast_service(frontdoor_context& context) : context_(context) {}

grpc::Status forecast_service::latest(std::shared_ptr<const forecast>& out) const {
  if (context_.forecast == nullptr)
    return {grpc::StatusCode::FAILED_PRECONDITION, "the forecast is off on this server (serve --forecast off)"};
  out = context_.forecast->latest();
  if (!out) return {grpc::StatusCode::UNAVAILABLE, "no forecast is ready yet; retry shortly"};
  return grpc::Status::OK;
}

grpc::Status forecast_service::GetForecast(grpc::ServerContext* context, const v1::GetForecastRequest* request,
                                           v1::GetForecastResponse* response) {
  caller who;
  if (auto s = context_.access.authorize(*context, role::viewer, who); !s.ok()) return s;
  std::shared_ptr<const forecast> f;
  if (auto s = latest(f); !s.ok()) return s;
  const live_twin& twin = context_.twin;
  sim_time at = twin.now();
  if (request->when_case() == v1::GetForecastRequest::kAtTimeMs) {
    at = twin.from_epoch_ms(request->at_time_ms());
  } else {
    if (request->offset_ms() < 0) return invalid(fmt::format("offset_ms: {} is negative", request->offset_ms()));
    at += request->offset_ms();
  }
  const forecast_checkpoint* c = f->at_or_before(at);
  const sim_time end = f->checkpoints.back().time;
  if (c == nullptr || at > end)
    return {grpc::StatusCode::OUT_OF_RANGE,
            fmt::format("{} ms is outside the latest forecast, which covers {} to {} ms", twin.to_epoch_ms(at),
                        twin.to_epoch_ms(f->base_time), twin.to_epoch_ms(end))};
  const live_grid* grid = context_.forecast->grid();
  std::vector<v1::PredictedTwinState> states;
  for (int i = 0; i < request->twins_size(); ++i) {
    const v1::TwinRef& ref = request->twins(i);
    const std::string field = fmt::format("twins[{}]", i);
    if (ref.kind() == v1::TWIN_KIND_ROAD_SEGMENT) {
      const auto segment = context_.catalog.directory.resolve(ref.id());
      if (const auto* why = std::get_if<std::string>(&segment))
        return {grpc::StatusCode::NOT_FOUND, field + ".id: " + *why};
      states.push_back(predicted_segment(context_.catalog, *c, std::get<segment_id>(segment)));
    } else if (ref.kind() == v1::TWIN_KIND_UTILITY_NODE) {
      const auto node = resolve_utility_node(context_.catalog, ref.id());
      if (const auto* why = std::get_if<std::string>(&node)) return {grpc::StatusCode::NOT_FOUND, field + ".id: " + *why};
      if (grid == nullptr || c->nodes.size() <= std::get<std::uint32_t>(node))
        return {grpc::StatusCode::NOT_FOUND, field + ": this forecast has no grid"};
      states.push_back(predicted_utility_node(*grid, *c, std::get<std::uint32_t>(node)));
    } else {
      return invalid(field + ".kind: forecasts cover ROAD_SEGMENT and UTILITY_NODE twins");
    }
  }
  if (request->twins_size() == 0) {
    for (segment_id s = 0; s < c->segments.size(); ++s) states.push_back(predicted_segment(context_.catalog, *c, s));
    if (grid != nullptr)
      for (std::uint32_t n = 0; n < c->nodes.size(); ++n) states.push_back(predicted_utility_node(*grid, *c, n));
  }
  *response->mutable_forecast() = forecast_info(twin, *f);
  response->set_requested_time_ms(twin.to_epoch_ms(at));
  response->set_checkpoint_time_ms(twin.to_epoch_ms(c->time));
  for (auto& s : states) *response->add_twins() = std::move(s);
  return grpc::Status::OK;
}

grpc::Status forecast_service::ListPredictedTrouble(grpc::ServerContext* context, const v1::ListPredictedTroubleRequest*,
                                                    v1::PredictedTroubleList* response) {
  caller who;
  if (auto s = context_.access.authorize(*context, role::viewer, who); !s.ok()) return s;
  std::shared_ptr<const forecast> f;
  if (auto s = latest(f); !s.ok()) return s;
  *response = trouble_list(context_.catalog, context_.twin, context_.forecast->grid(), *f);
  return grpc::Status::OK;
}

grpc::Status forecast_service::WatchPredictedTrouble(grpc::ServerContext* context,
                                                     const v1::WatchPredictedTroubleRequest*,
                                                     grpc::ServerWriter<v1::PredictedTroubleList>* writer) {
  caller who;
  if (auto s = context_.access.authorize(*context, role::viewer, who); !s.ok()) return s;
  if (context_.forecast == nullptr)
    return {grpc::StatusCode::FAILED_PRECONDITION, "the forecast is off on this server (serve --forecast off)"};
  std::uint64_t sent = 0;
  while (!context->IsCancelled()) {
    const auto f = context_.forecast->wait_for_forecast_after(sent, std::chrono::milliseconds(500));
    if (context_.forecast->stopped()) return {grpc::StatusCode::UNAVAILABLE, "the server is shutting down"};
    if (!f || f->number <= sent) continue;
    if (!writer->Write(trouble_list(context_.catalog, context_.twin, context_.forecast->grid(), *f)))
      return {grpc::StatusCode::CANCELLED, "the watcher went away"};
    sent = f->number;
  }
  return {grpc::StatusCode::CANCELLED, "the watcher went away"};
}

grpc::Status forecast_service::GetForecastStatus(grpc::ServerContext* context, const v1::GetForecastStatusRequest*,
                                                 v1::ForecastStatus* response) {
  caller who;
  if (auto s = context_.access.authorize(*context, role::viewer, who); !s.ok()) return s;
  *response = forecast_status_message(context_.twin, context_.forecast);
  return grpc::Status::OK;
}

}  // namespace citytwin

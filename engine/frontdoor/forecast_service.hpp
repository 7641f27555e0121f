#pragma once
// ForecastService: the rolling forecast's predicted states, predicted trouble (listed and streamed) and
// status, read from the latest published forecast (engine/forecast/rolling_forecast.hpp).

#include "citytwin/v1/forecast.grpc.pb.h"
#include "engine/forecast/forecast.hpp"
#include "engine/frontdoor/frontdoor_context.hpp"

namespace citytwin {

class forecast_service final : public v1::ForecastService::Service {
 public:
  explicit forecast_service(frontdoor_context& context);

  grpc::Status GetForecast(grpc::ServerContext* context, const v1::GetForecastRequest* request,
                           v1::GetForecastResponse* response) override;
  grpc::Status ListPredictedTrouble(grpc::ServerContext* context, const v1::ListPredictedTroubleRequest* request,
                                    v1::PredictedTroubleList* response) override;
  grpc::Status WatchPredictedTrouble(grpc::ServerContext* context, const v1::WatchPredictedTroubleRequest* request,
                                     grpc::ServerWriter<v1::PredictedTroubleList>* writer) override;
  grpc::Status GetForecastStatus(grpc::ServerContext* context, const v1::GetForecastStatusRequest* request,
                                 v1::ForecastStatus* response) override;

 private:
  // The latest forecast, or the status saying why there is none.
  grpc::Status latest(std::shared_ptr<const forecast>& out) const;

  frontdoor_context& context_;
};

}  // namespace citytwin

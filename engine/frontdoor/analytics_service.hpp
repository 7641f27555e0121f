#pragma once
// AnalyticsService: anomalies (list, watch) and sensor health (per sensor, whole feed) from the
// server's feed_analytics; FAILED_PRECONDITION when the server runs with --analytics off.

#include "citytwin/v1/analytics.grpc.pb.h"
#include "engine/frontdoor/frontdoor_context.hpp"

namespace citytwin {

class analytics_service final : public v1::AnalyticsService::Service {
 public:
  explicit analytics_service(frontdoor_context& context) : context_(context) {}

  grpc::Status ListAnomalies(grpc::ServerContext* context, const v1::ListAnomaliesRequest* request,
                             v1::ListAnomaliesResponse* response) override;
  grpc::Status WatchAnomalies(grpc::ServerContext* context, const v1::WatchAnomaliesRequest* request,
                              grpc::ServerWriter<v1::Anomaly>* writer) override;
  grpc::Status GetSensorHealth(grpc::ServerContext* context, const v1::GetSensorHealthRequest* request,
                               v1::GetSensorHealthResponse* response) override;
  grpc::Status GetFeedHealth(grpc::ServerContext* context, const v1::GetFeedHealthRequest* request,
                             v1::FeedHealth* response) override;

 private:
  // Checks the caller and that analytics run.
  grpc::Status admit(grpc::ServerContext& context) const;

  frontdoor_context& context_;
};

}  // namespace citytwin

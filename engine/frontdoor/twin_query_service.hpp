#pragma once
// TwinService: GetTwin, QueryTwins, WatchTwins and GetHistory over the live twin's published
// views and the durable store. Reads never block the simulation. With serve --audit-reads, GetTwin,
// QueryTwins, WatchTwins and GetHistory each leave one audit record when they end.

#include "citytwin/v1/twin.grpc.pb.h"
#include "engine/frontdoor/frontdoor_context.hpp"

namespace citytwin {

class twin_query_service final : public v1::TwinService::Service {
 public:
  explicit twin_query_service(frontdoor_context& context) : context_(context) {}

  grpc::Status GetTwin(grpc::ServerContext* context, const v1::GetTwinRequest* request, v1::Twin* response) override;
  grpc::Status QueryTwins(grpc::ServerContext* context, const v1::QueryTwinsRequest* request,
                          v1::QueryTwinsResponse* response) override;
  grpc::Status WatchTwins(grpc::ServerContext* context, const v1::WatchTwinsRequest* request,
                          grpc::ServerWriter<v1::TwinChange>* writer) override;
  grpc::Status GetHistory(grpc::ServerContext* context, const v1::GetHistoryRequest* request,
                          v1::GetHistoryResponse* response) override;
  grpc::Status GetStats(grpc::ServerContext* context, const v1::GetStatsRequest* request,
                        v1::TwinStats* response) override;

 private:
  // The read once the caller is authorized.
  grpc::Status query(const v1::QueryTwinsRequest& request, v1::QueryTwinsResponse& response);

  frontdoor_context& context_;
};

}  // namespace citytwin

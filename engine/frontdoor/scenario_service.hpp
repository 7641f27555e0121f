#pragma once
// ScenarioService: RunScenario forks the live twin and streams the branches' progress and the final
// report; CancelScenario stops a run. Each call leaves one audit record when it ends. The runs themselves are scenario_jobs (scenarios/scenario_jobs.hpp).

#include "citytwin/v1/twin.grpc.pb.h"
#include "engine/frontdoor/frontdoor_context.hpp"
#include "scenarios/scenario_jobs.hpp"

namespace citytwin {

class scenario_service final : public v1::ScenarioService::Service {
 public:
  explicit scenario_service(frontdoor_context& context);

  grpc::Status RunScenario(grpc::ServerContext* context, const v1::RunScenarioRequest* request,
                           grpc::ServerWriter<v1::ScenarioProgress>* writer) override;
  grpc::Status CancelScenario(grpc::ServerContext* context, const v1::CancelScenarioRequest* request,
                              v1::CancelScenarioResponse* response) override;

 private:
  // RunScenario once the caller is authorized; fills what the audit record tells of the run.
  grpc::Status run(grpc::ServerContext& context, const v1::RunScenarioRequest& request,
                   grpc::ServerWriter<v1::ScenarioProgress>& writer, const caller& who, v1::ScenarioAudit& audit);
  grpc::Status cancel(const v1::CancelScenarioRequest& request, v1::CancelScenarioResponse& response,
                      const caller& who, v1::ScenarioAudit& audit);

  frontdoor_context& context_;
  scenario_jobs jobs_;
};

}  // namespace citytwin

#pragma once
// AuditService: ReadAudit pages through the audit trail for admins. A refused caller is recorded
// always; a successful read only with serve --audit-reads, like the other reads.

#include "citytwin/v1/audit.grpc.pb.h"
#include "engine/frontdoor/frontdoor_context.hpp"

namespace citytwin {

class audit_service final : public v1::AuditService::Service {
 public:
  explicit audit_service(frontdoor_context& context) : context_(context) {}

  grpc::Status ReadAudit(grpc::ServerContext* context, const v1::ReadAuditRequest* request,
                         v1::ReadAuditResponse* response) override;

 private:
  grpc::Status read(const v1::ReadAuditRequest& request, v1::ReadAuditResponse& response) const;

  frontdoor_context& context_;
};

}  // namespace citytwin

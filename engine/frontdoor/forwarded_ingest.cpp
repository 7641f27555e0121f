#include "engine/frontdoor/forwarded_ingest.hpp"

#include <stdexcept>

#include "engine/frontdoor/ingest_service.hpp"

namespace citytwin {

std::string ingest_forwarded_batch(frontdoor_context& context, const std::string& batch, const forwarded_caller& who) {
  v1::IngestBatch parsed;
  if (!parsed.ParseFromString(batch)) throw std::invalid_argument("a forwarded batch is not an IngestBatch");
  const audit_call call{who.identity, who.role, "grpc", who.peer,
                        "/" + std::string(v1::IngestService::service_full_name()) + "/Ingest"};
  return ingest_service(context).handle_batch(parsed, call).SerializeAsString();
}

}  // namespace citytwin

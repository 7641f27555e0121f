#include "engine/frontdoor/forwarded_ingest.hpp"

#include <stdexcept>

#include "engine/frontdoor/ingest_service.hpp"
#include "engine/frontdoor/reading_application.hpp"

namespace citytwin {

std::string ingest_forwarded_batch(frontdoor_context& context, const std::string& batch, const forwarded_caller& who) {
  v1::IngestBatch parsed;
  if (!parsed.ParseFromString(batch)) throw std::invalid_argument("a forwarded batch is not an IngestBatch");
  const audit_call call{who.identity, who.role, "grpc", who.peer,
                        "/" + std::string(v1::IngestService::service_full_name()) + "/Ingest"};
  return ingest_service(context).handle_batch(parsed, call).SerializeAsString();
}

void forwarded_ingest_target::serve_with(frontdoor_context* context) {
  std::unique_lock lock(mutex_);
  context_ = context;
}

std::string forwarded_ingest_target::ingest(const std::string& batch, const forwarded_caller& who) {
  std::shared_lock lock(mutex_);
  if (context_ == nullptr) throw std::runtime_error("node 0's front door is not serving");
  return ingest_forwarded_batch(*context_, batch, who);
}

void forwarded_ingest_target::resubmit_inputs() {
  std::shared_lock lock(mutex_);
  if (context_ == nullptr) return;
  for (const auto& [segment, state] : context_->inputs.segments()) send_to_simulation(segment, state, context_->twin);
}

}  // namespace citytwin

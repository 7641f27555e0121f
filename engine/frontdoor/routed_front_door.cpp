#include "engine/frontdoor/routed_front_door.hpp"

#include "citytwin/v1/twin.grpc.pb.h"
#include "engine/frontdoor/twin_queries.hpp"
#include "engine/frontdoor/twin_scan.hpp"

namespace citytwin {

namespace {

constexpr const char* ask_node_0 = "this node of the cluster keeps no store; ask node 0's front door";

grpc::Status unavailable(const cluster_unreachable& e) { return {grpc::StatusCode::UNAVAILABLE, e.what()}; }

class routed_twin_service final : public v1::TwinService::Service {
 public:
  routed_twin_service(const twin_catalog& catalog, const access_control& access, cluster_access& cluster,
                      std::chrono::milliseconds timeout)
      : catalog_(catalog), access_(access), cluster_(cluster), timeout_(timeout) {}

  grpc::Status GetTwin(grpc::ServerContext* context, const v1::GetTwinRequest* request, v1::Twin* response) override {
    caller who;
    if (auto s = access_.authorize(*context, role::viewer, who); !s.ok()) return s;
    const auto& ref = request->twin();
    if (ref.kind() == v1::TWIN_KIND_BUILDING || ref.kind() == v1::TWIN_KIND_UTILITY_NODE)
      return {grpc::StatusCode::NOT_FOUND, "a live cluster runs no grid: there are no buildings or utility nodes"};
    const auto resolved = catalog_.directory.resolve(ref.id());
    if (const auto* why = std::get_if<std::string>(&resolved)) return {grpc::StatusCode::NOT_FOUND, *why};
    const segment_id segment = std::get<segment_id>(resolved);
    try {
      const auto state = cluster_.segment(segment, timeout_);
      *response = segment_twin(catalog_, state.segments.front(), catalog_.counters_since_ms + state.time, segment);
      return grpc::Status::OK;
    } catch (const cluster_unreachable& e) {
      return unavailable(e);
    }
  }

  grpc::Status QueryTwins(grpc::ServerContext* context, const v1::QueryTwinsRequest* request,
                          v1::QueryTwinsResponse* response) override {
    caller who;
    if (auto s = access_.authorize(*context, role::viewer, who); !s.ok()) return s;
    auto view = std::make_shared<twin_view>();
    try {
      auto gathered = cluster_.all_segments(timeout_);
      view->time = gathered.time;
      view->epoch_ms = catalog_.counters_since_ms + gathered.time;
      view->segments = std::move(gathered.segments);
    } catch (const cluster_unreachable& e) {
      return unavailable(e);
    }
    return query_page(catalog_, twin_scan(catalog_, view, no_inputs_), *request, *response);
  }

  grpc::Status WatchTwins(grpc::ServerContext*, const v1::WatchTwinsRequest*, grpc::ServerWriter<v1::TwinChange>*) override {
    return {grpc::StatusCode::UNIMPLEMENTED, ask_node_0};
  }
  grpc::Status GetHistory(grpc::ServerContext*, const v1::GetHistoryRequest*, v1::GetHistoryResponse*) override {
    return {grpc::StatusCode::UNIMPLEMENTED, ask_node_0};
  }
  grpc::Status GetStats(grpc::ServerContext*, const v1::GetStatsRequest*, v1::TwinStats*) override {
    return {grpc::StatusCode::UNIMPLEMENTED, ask_node_0};
  }

 private:
  const twin_catalog& catalog_;
  const access_control& access_;
  cluster_access& cluster_;
  std::chrono::milliseconds timeout_;
  const twin_inputs no_inputs_;  // grid readings only; a live cluster runs no grid
};

class routed_ingest_service final : public v1::IngestService::Service {
 public:
  routed_ingest_service(const access_control& access, cluster_access& cluster, std::string node_name,
                        std::chrono::milliseconds timeout)
      : access_(access), cluster_(cluster), node_name_(std::move(node_name)), timeout_(timeout) {}

  grpc::Status Ingest(grpc::ServerContext* context, grpc::ServerReaderWriter<v1::IngestAck, v1::IngestBatch>* stream) override {
    caller who;
    if (auto s = access_.authorize(*context, role::feed, who); !s.ok()) return s;
    const forwarded_caller from{who.identity, role_name(who.granted), context->peer() + " via " + node_name_};
    v1::IngestBatch batch;
    while (stream->Read(&batch)) {
      v1::IngestAck ack;
      try {
        // The ack is node 0's, sent once node 0 stored the batch; a batch it may or may not have
        // stored gets no ack here, and the client's resend is deduplicated by (source, sequence).
        if (!ack.ParseFromString(cluster_.forward_ingest(batch.SerializeAsString(), from, timeout_)))
          return {grpc::StatusCode::INTERNAL, "node 0's acknowledgement could not be decoded"};
      } catch (const cluster_unreachable& e) {
        return unavailable(e);
      }
      if (!stream->Write(ack)) return {grpc::StatusCode::CANCELLED, "the feed went away"};
    }
    return grpc::Status::OK;
  }

 private:
  const access_control& access_;
  cluster_access& cluster_;
  std::string node_name_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

routed_front_door::routed_front_door(const twin_catalog& catalog, access_control access, cluster_access& cluster,
                                     routed_front_door_options options)
    : catalog_(catalog), access_(std::move(access)), cluster_(cluster), options_(std::move(options)) {}

routed_front_door::~routed_front_door() { shutdown(); }

void routed_front_door::start() {
  refuse_unsafe_listening(options_.server, access_);
  grpc::EnableDefaultHealthCheckService(true);
  twins_ = std::make_unique<routed_twin_service>(catalog_, access_, cluster_, options_.timeout);
  ingest_ = std::make_unique<routed_ingest_service>(access_, cluster_, options_.node_name, options_.timeout);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.server.address, server_credentials(options_.server.tls), &port_);
  builder.RegisterService(twins_.get());
  builder.RegisterService(ingest_.get());
  builder.SetMaxReceiveMessageSize(16 * 1024 * 1024);  // as node 0's front door
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) throw std::runtime_error("cannot listen on " + options_.server.address + " (address in use?)");
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus(true);
  for (const char* service : {"citytwin.v1.IngestService", "citytwin.v1.TwinService"}) health->SetServingStatus(service, true);
}

void routed_front_door::shutdown() {
  if (!server_) return;
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server_->Wait();
  server_.reset();
}

}  // namespace citytwin

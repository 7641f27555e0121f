#include "engine/frontdoor/routed_front_door.hpp"

#include "citytwin/v1/twin.grpc.pb.h"
#include "engine/frontdoor/twin_queries.hpp"
#include "engine/frontdoor/twin_scan.hpp"
#include "engine/frontdoor/twin_watch.hpp"
#include "engine/cluster/view_mirror.hpp"

namespace citytwin {

namespace {

grpc::Status unavailable(const cluster_unreachable& e) { return {grpc::StatusCode::UNAVAILABLE, e.what()}; }

std::string twin_method(const char* rpc) { return "/" + std::string(v1::TwinService::service_full_name()) + "/" + rpc; }

// Who called this node's front door, as node 0 audits calls forwarded from here.
forwarded_caller forwarded_from(const grpc::ServerContext& context, const caller& who, const std::string& node_name) {
  return {who.identity, role_name(who.granted), context.peer() + " via " + node_name};
}

class routed_twin_service final : public v1::TwinService::Service {
 public:
  routed_twin_service(const twin_catalog& catalog, const access_control& access, cluster_access& cluster,
                      const routed_front_door_options& options)
      : catalog_(catalog),
        access_(access),
        cluster_(cluster),
        node_name_(options.node_name),
        timeout_(options.timeout),
        watch_max_views_behind_(options.watch_max_views_behind),
        node_0_views_(cluster, options.timeout) {}

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

  grpc::Status WatchTwins(grpc::ServerContext* context, const v1::WatchTwinsRequest* request,
                          grpc::ServerWriter<v1::TwinChange>* writer) override {
    caller who;
    if (auto s = access_.authorize(*context, role::viewer, who); !s.ok()) return s;
    std::uint64_t sent = 0;
    return watch_twins({catalog_, no_inputs_, node_0_views_, watch_max_views_behind_}, *context, *request, *writer, sent);
  }
  grpc::Status GetHistory(grpc::ServerContext* context, const v1::GetHistoryRequest* request, v1::GetHistoryResponse* response) override {
    return ask_node_0(*context, "GetHistory", *request, *response);
  }
  grpc::Status GetStats(grpc::ServerContext* context, const v1::GetStatsRequest* request, v1::TwinStats* response) override {
    return ask_node_0(*context, "GetStats", *request, *response);
  }

 private:
  // A read of node 0's store: the caller's role is checked here, the answer (status included) is node 0's.
  grpc::Status ask_node_0(grpc::ServerContext& context, const char* rpc, const google::protobuf::Message& request,
                          google::protobuf::Message& response) {
    caller who;
    if (auto s = access_.authorize(context, role::viewer, who); !s.ok()) return s;
    forwarded_answer answer;
    try {
      answer = cluster_.forward_read(twin_method(rpc), request.SerializeAsString(), forwarded_from(context, who, node_name_), timeout_);
    } catch (const cluster_unreachable& e) {
      return unavailable(e);
    }
    if (answer.code != grpc::StatusCode::OK) return {static_cast<grpc::StatusCode>(answer.code), answer.message};
    if (!response.ParseFromString(answer.response)) return {grpc::StatusCode::INTERNAL, "node 0's answer could not be decoded"};
    return grpc::Status::OK;
  }

  const twin_catalog& catalog_;
  const access_control& access_;
  cluster_access& cluster_;
  std::string node_name_;
  std::chrono::milliseconds timeout_;
  std::size_t watch_max_views_behind_;
  const twin_inputs no_inputs_;  // grid readings only; a live cluster runs no grid
  view_mirror node_0_views_;     // what watchers here see
};

class routed_ingest_service final : public v1::IngestService::Service {
 public:
  routed_ingest_service(const access_control& access, cluster_access& cluster, std::string node_name,
                        std::chrono::milliseconds timeout)
      : access_(access), cluster_(cluster), node_name_(std::move(node_name)), timeout_(timeout) {}

  grpc::Status Ingest(grpc::ServerContext* context, grpc::ServerReaderWriter<v1::IngestAck, v1::IngestBatch>* stream) override {
    caller who;
    if (auto s = access_.authorize(*context, role::feed, who); !s.ok()) return s;
    const forwarded_caller from = forwarded_from(*context, who, node_name_);
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
  twins_ = std::make_unique<routed_twin_service>(catalog_, access_, cluster_, options_);
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

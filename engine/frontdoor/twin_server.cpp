#include "engine/frontdoor/twin_server.hpp"

#include <fstream>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <sstream>
#include <stdexcept>

#include "engine/frontdoor/audit_service.hpp"
#include "engine/frontdoor/forecast_service.hpp"
#include "engine/frontdoor/analytics_service.hpp"
#include "engine/frontdoor/ingest_service.hpp"
#include "engine/frontdoor/scenario_service.hpp"
#include "engine/frontdoor/twin_query_service.hpp"

namespace citytwin {

namespace {

std::string read_pem(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(std::string("cannot read the ") + what + " file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::shared_ptr<grpc::ServerCredentials> server_credentials(const tls_files& tls) {
  if (tls.certificate_chain.empty() && tls.private_key.empty()) return grpc::InsecureServerCredentials();
  if (tls.certificate_chain.empty() || tls.private_key.empty())
    throw std::runtime_error("TLS needs both a certificate chain and its private key");
  grpc::SslServerCredentialsOptions ssl(tls.client_ca.empty()
                                            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!tls.client_ca.empty()) ssl.pem_root_certs = read_pem(tls.client_ca, "client CA");
  ssl.pem_key_cert_pairs.push_back(
      {read_pem(tls.private_key, "TLS private key"), read_pem(tls.certificate_chain, "TLS certificate")});
  return grpc::SslServerCredentials(ssl);
}

void refuse_unsafe_listening(const server_options& options, const access_control& access) {
  const bool plaintext = options.tls.certificate_chain.empty();
  if (plaintext && !is_loopback_address(options.address))
    throw std::runtime_error("refusing to serve plaintext on " + options.address +
                             ": give --tls-cert and --tls-key, or listen on 127.0.0.1");
  if (access.is_open() && !is_loopback_address(options.address))
    throw std::runtime_error("refusing to serve without --tokens on " + options.address +
                             ": every caller would be an admin");
}

bool is_loopback_address(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address.rfind("localhost:", 0) == 0 || address.rfind("[::1]:", 0) == 0 ||
         address.rfind("unix:", 0) == 0;
}

twin_server::twin_server(frontdoor_context& context, server_options options)
    : context_(context), options_(std::move(options)) {}

twin_server::~twin_server() { shutdown(); }

void twin_server::start() {
  refuse_unsafe_listening(options_, context_.access);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  ingest_ = std::make_unique<ingest_service>(context_);
  query_ = std::make_unique<twin_query_service>(context_);
  scenarios_ = std::make_unique<scenario_service>(context_);
  audit_ = std::make_unique<audit_service>(context_);
  forecasts_ = std::make_unique<forecast_service>(context_);
  analytics_ = std::make_unique<analytics_service>(context_);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.address, server_credentials(options_.tls), &port_);
  builder.RegisterService(ingest_.get());
  builder.RegisterService(query_.get());
  builder.RegisterService(scenarios_.get());
  builder.RegisterService(audit_.get());
  builder.RegisterService(forecasts_.get());
  builder.RegisterService(analytics_.get());
  builder.SetMaxReceiveMessageSize(16 * 1024 * 1024);  // larger messages are refused with RESOURCE_EXHAUSTED
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) throw std::runtime_error("cannot listen on " + options_.address + " (address in use?)");
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus(true);
  for (const char* service : {"citytwin.v1.IngestService", "citytwin.v1.TwinService", "citytwin.v1.ScenarioService",
                              "citytwin.v1.AuditService", "citytwin.v1.ForecastService",
                              "citytwin.v1.AnalyticsService"})
    health->SetServingStatus(service, true);
}

void twin_server::shutdown() {
  if (!server_) return;
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server_->Wait();
  context_.assimilation.drain();  // every acknowledged reading reaches the twin before it stops
  server_.reset();
  scenarios_.reset();  // cancels and joins the scenario runs
}

void twin_server::wait() {
  if (server_) server_->Wait();
}

}  // namespace citytwin

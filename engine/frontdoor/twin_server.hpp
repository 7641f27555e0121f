#pragma once
// The gRPC front door: binds the address (TLS, optionally mutual, or plaintext on loopback),
// serves the citytwin.v1 services plus grpc.health.v1 and server reflection.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "engine/frontdoor/frontdoor_context.hpp"

namespace citytwin {

struct tls_files {
  std::string certificate_chain;  // PEM
  std::string private_key;        // PEM
  std::string client_ca;          // PEM; set it to require client certificates (mutual TLS)
};

struct server_options {
  std::string address = "127.0.0.1:50051";
  tls_files tls;  // empty: plaintext, allowed only on loopback
};

class twin_server {
 public:
  twin_server(frontdoor_context& context, server_options options);
  ~twin_server();

  // Throws std::runtime_error when the address cannot be bound or TLS files are unreadable.
  void start();
  int port() const { return port_; }
  void shutdown();
  void wait();

 private:
  frontdoor_context& context_;
  server_options options_;
  std::unique_ptr<grpc::Service> ingest_;
  std::unique_ptr<grpc::Service> query_;
  std::unique_ptr<grpc::Service> scenarios_;
  std::unique_ptr<grpc::Service> audit_;
  std::unique_ptr<grpc::Service> forecasts_;
  std::unique_ptr<grpc::Service> analytics_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// Whether a listen address only reaches this machine.
bool is_loopback_address(const std::string& address);
// TLS (optionally mutual) from the files, or plaintext when none are given.
std::shared_ptr<grpc::ServerCredentials> server_credentials(const tls_files& tls);
// Throws unless the server is safe to start: plaintext and open access only on loopback.
void refuse_unsafe_listening(const server_options& options, const access_control& access);

}  // namespace citytwin

#pragma once
// The HTTP/JSON gateway beside the gRPC front door: the dashboard's page and its API (city geometry,
// twin states, one twin and its history, live counters, server-sent events, scenario runs). Every call
// goes through the same twin queries, conversions and bearer-token roles as the gRPC services, and the
// same rules bind it: plaintext only on loopback, and no tokens only on loopback.

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "engine/frontdoor/frontdoor_context.hpp"
#include "engine/frontdoor/twin_server.hpp"

namespace httplib {
class Server;
}

namespace citytwin {

class live_counters;
class scenario_runs;
struct gateway_parts;

struct http_options {
  std::string address = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free one
  tls_files tls;                            // empty: plaintext, allowed only on loopback
  std::string scenario_examples_dir;        // the scenario files the page offers
};

class http_gateway {
 public:
  http_gateway(frontdoor_context& context, http_options options);
  ~http_gateway();

  // Throws std::runtime_error when the address cannot be bound, the TLS files are unusable, or the
  // address is off loopback without TLS or without tokens.
  void start();
  int port() const { return port_; }
  // Ends event streams, waits for the requests in flight and for a running scenario.
  void shutdown();

 private:
  frontdoor_context& context_;
  http_options options_;
  std::unique_ptr<live_counters> counters_;
  std::unique_ptr<scenario_runs> runs_;
  std::unique_ptr<gateway_parts> parts_;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  std::atomic<bool> stopping_{false};
  int port_ = 0;
};

// "HOST:PORT" (or "[V6]:PORT") split; throws std::invalid_argument naming the address.
std::pair<std::string, int> split_listen_address(const std::string& address);

}  // namespace citytwin

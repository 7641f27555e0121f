#pragma once
// Serves a metrics_registry as Prometheus text on http://ADDRESS/metrics (its own small HTTP server).

#include <memory>
#include <string>

namespace prometheus {
class Exposer;
}

namespace citytwin {

class metrics_registry;

// Why `address` is not a usable HOST:PORT, or "" when it is (for checking a flag before starting).
std::string metrics_address_error(const std::string& address);

class metrics_endpoint {
 public:
  // address: HOST:PORT, e.g. 127.0.0.1:9464 (port 0 picks a free one). Throws std::runtime_error
  // naming the address when it is malformed or cannot be bound. Stop the endpoint (destroy it)
  // before whatever the registry's samplers read.
  metrics_endpoint(const std::string& address, const metrics_registry& registry);
  ~metrics_endpoint();
  metrics_endpoint(const metrics_endpoint&) = delete;
  metrics_endpoint& operator=(const metrics_endpoint&) = delete;

  int port() const { return port_; }

 private:
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace citytwin

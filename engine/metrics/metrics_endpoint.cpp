#include "engine/metrics/metrics_endpoint.hpp"

#include <prometheus/exposer.h>

#include <charconv>
#include <stdexcept>

#include "engine/metrics/metrics_registry.hpp"

namespace citytwin {

std::string metrics_address_error(const std::string& address) {
  const auto colon = address.rfind(':');
  int port = -1;
  const char* end = address.data() + address.size();
  if (colon == std::string::npos || colon == 0 ||
      std::from_chars(address.data() + colon + 1, end, port).ptr != end || port < 0 || port > 65535)
    return "'" + address + "': expected HOST:PORT, e.g. 127.0.0.1:9464 (port 0 picks a free one)";
  return "";
}

metrics_endpoint::metrics_endpoint(const std::string& address, const metrics_registry& registry) {
  if (auto error = metrics_address_error(address); !error.empty()) throw std::runtime_error("--metrics " + error);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot serve metrics on " + address + " (in use, or not an address of this machine): " +
                             e.what());
  }
  exposer_->RegisterCollectable(registry.collectable());
  const auto ports = exposer_->GetListeningPorts();
  if (ports.empty()) throw std::runtime_error("cannot serve metrics on " + address + ": no listening port");
  port_ = ports.front();
}

metrics_endpoint::~metrics_endpoint() = default;

}  // namespace citytwin

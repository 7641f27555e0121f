#include "engine/http/http_gateway.hpp"

#include <chrono>
#include <thread>

#include <httplib.h>

#include <stdexcept>

#include "engine/http/http_exchange.hpp"
#include "engine/http/http_routes.hpp"

namespace citytwin {

namespace {

constexpr std::size_t max_request_body = 4 * 1024 * 1024;  // scenario uploads
constexpr std::size_t worker_threads = 32;                 // each open event stream holds one

}  // namespace

std::pair<std::string, int> split_listen_address(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size())
    throw std::invalid_argument("HTTP address '" + address + "' must be HOST:PORT, e.g. 127.0.0.1:8080");
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = address.substr(colon + 1);
  const auto port = parse_decimal_id(port_text);
  if (host.empty() || !port || *port > 65535)
    throw std::invalid_argument("HTTP address '" + address + "': the port must be a number from 0 to 65535");
  return {host, static_cast<int>(*port)};
}

http_gateway::http_gateway(frontdoor_context& context, http_options options)
    : context_(context), options_(std::move(options)) {}

http_gateway::~http_gateway() { shutdown(); }

void http_gateway::start() {
  const auto [host, port] = split_listen_address(options_.address);
  const bool plaintext = options_.tls.certificate_chain.empty();
  if (plaintext && !is_loopback_address(options_.address))
    throw std::runtime_error("refusing to serve HTTP in plaintext on " + options_.address +
                             ": give --tls-cert and --tls-key, or listen on 127.0.0.1");
  if (context_.access.is_open() && !is_loopback_address(options_.address))
    throw std::runtime_error("refusing to serve HTTP without --tokens on " + options_.address +
                             ": every caller would be an admin");
  if (plaintext) {
    server_ = std::make_unique<httplib::Server>();
  } else {
    if (options_.tls.private_key.empty()) throw std::runtime_error("TLS needs both a certificate chain and its private key");
    auto tls = std::make_unique<httplib::SSLServer>(
        options_.tls.certificate_chain.c_str(), options_.tls.private_key.c_str(),
        options_.tls.client_ca.empty() ? nullptr : options_.tls.client_ca.c_str());
    if (!tls->is_valid())
      throw std::runtime_error("cannot use the TLS files " + options_.tls.certificate_chain + " / " +
                               options_.tls.private_key + " for HTTPS");
    server_ = std::move(tls);
  }
  counters_ = std::make_unique<live_counters>(context_);
  runs_ = std::make_unique<scenario_runs>(context_, options_.scenario_examples_dir);
  parts_ = std::make_unique<gateway_parts>(gateway_parts{context_, *counters_, *runs_, stopping_});
  server_->new_task_queue = [] { return new httplib::ThreadPool(worker_threads); };
  server_->set_payload_max_length(max_request_body);
  // httplib's default adds SO_REUSEPORT, which would let a second server share the port unnoticed.
  server_->set_socket_options([](socket_t socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  add_twin_routes(*server_, *parts_);
  add_event_routes(*server_, *parts_);
  add_scenario_routes(*server_, *parts_);
  add_asset_routes(*server_);
  server_->set_exception_handler([](const httplib::Request&, httplib::Response& response, std::exception_ptr failure) {
    std::string why = "unknown error";
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      why = e.what();
    } catch (...) {
    }
    send_json(response, {{"error", why}, {"code", "INTERNAL"}}, 500);
  });
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, port) ? port : -1;
  }
  if (port_ <= 0) {
    port_ = 0;
    throw std::runtime_error("cannot listen for HTTP on " + options_.address + " (address in use?)");
  }
  listener_ = std::thread([this] { server_->listen_after_bind(); });
  // A stop() before the listener runs is ignored by httplib, and then join() would wait forever.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_->is_running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void http_gateway::shutdown() {
  if (!server_) return;
  stopping_ = true;
  server_->stop();
  if (listener_.joinable()) listener_.join();
  server_.reset();
  runs_.reset();
}

}  // namespace citytwin

// / and /assets/NAME: the page needs no token (it holds no data); its API calls do.

#include "engine/http/http_exchange.hpp"
#include "engine/http/http_routes.hpp"
#include "engine/http/static_assets.hpp"

namespace citytwin {

namespace {

void send_asset(const std::string& name, httplib::Response& response) {
  const static_asset* asset = find_static_asset(name);
  if (!asset) return send_error(response, {grpc::StatusCode::NOT_FOUND, "no asset '" + name + "'"});
  response.set_header("Cache-Control", "no-cache");
  response.set_content(asset->body.data(), asset->body.size(), std::string(asset->content_type));
}

}  // namespace

void add_asset_routes(httplib::Server& server) {
  server.Get("/", [](const httplib::Request&, httplib::Response& response) { send_asset("index.html", response); });
  server.Get(R"(/assets/([A-Za-z0-9_.-]+))", [](const httplib::Request& request, httplib::Response& response) {
    send_asset(request.matches[1], response);
  });
}

}  // namespace citytwin

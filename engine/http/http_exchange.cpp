#include "engine/http/http_exchange.hpp"

#include <google/protobuf/util/json_util.h>

#include "engine/frontdoor/audit_trail.hpp"

namespace citytwin {

grpc::Status authorize_request(const access_control& access, const httplib::Request& request,
                               httplib::Response& response, role needed, caller& who) {
  std::string value;
  if (request.has_header("Authorization")) value = request.get_header_value("Authorization");
  else if (request.has_param("access_token")) value = "Bearer " + request.get_param_value("access_token");
  const grpc::Status status = access.authorize_header(value.empty() ? nullptr : &value, needed, who);
  if (status.ok()) return status;
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED)
    response.set_header("WWW-Authenticate", "Bearer realm=\"citytwin\"");
  send_error(response, status);
  return status;
}

bool authorize_request(const access_control& access, const httplib::Request& request, httplib::Response& response,
                       role needed) {
  caller who;
  return authorize_request(access, request, response, needed, who).ok();
}

int http_status_of(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return 200;
    case grpc::StatusCode::INVALID_ARGUMENT: return 400;
    case grpc::StatusCode::UNAUTHENTICATED: return 401;
    case grpc::StatusCode::PERMISSION_DENIED: return 403;
    case grpc::StatusCode::NOT_FOUND: return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION: return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return 429;
    case grpc::StatusCode::UNIMPLEMENTED: return 501;
    case grpc::StatusCode::UNAVAILABLE: return 503;
    default: return 500;
  }
}

void send_error(httplib::Response& response, const grpc::Status& status) {
  send_json(response, {{"error", status.error_message()}, {"code", status_code_name(status.error_code())}},
            http_status_of(status.error_code()));
}

void send_json(httplib::Response& response, const nlohmann::json& body, int status) {
  response.status = status;
  response.set_header("Cache-Control", "no-store");
  response.set_content(body.dump(), "application/json");
}

std::string message_json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;  // a zero count is a figure too
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(message, &text, options).ok())
    throw std::runtime_error("cannot encode a " + message.GetTypeName() + " as JSON");
  return text;
}

void send_message(httplib::Response& response, const google::protobuf::Message& message) {
  response.status = 200;
  response.set_header("Cache-Control", "no-store");
  response.set_content(message_json(message), "application/json");
}

}  // namespace citytwin

#pragma once
// What every route of the HTTP gateway does the same way: check the caller's bearer token against the
// front door's roles, answer JSON, and turn a gRPC status into the matching HTTP status.

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "engine/frontdoor/access_control.hpp"

namespace citytwin {

// From "Authorization: Bearer <token>", or from ?access_token= (browsers cannot set headers on an
// EventSource). On failure the response already carries the 401 / 403.
bool authorize_request(const access_control& access, const httplib::Request& request, httplib::Response& response,
                       role needed);
// The same, returning the check's status and the caller as authorize_header leaves it (for the audit trail).
grpc::Status authorize_request(const access_control& access, const httplib::Request& request,
                               httplib::Response& response, role needed, caller& who);

int http_status_of(grpc::StatusCode code);
// {"error": message, "code": "NOT_FOUND"} with the mapped HTTP status.
void send_error(httplib::Response& response, const grpc::Status& status);
void send_json(httplib::Response& response, const nlohmann::json& body, int status = 200);
// A protobuf message in the proto3 JSON mapping with the .proto's own field names and zero values included.
void send_message(httplib::Response& response, const google::protobuf::Message& message);
std::string message_json(const google::protobuf::Message& message);

}  // namespace citytwin

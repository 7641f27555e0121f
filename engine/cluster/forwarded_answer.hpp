#pragma once
// Node 0's answer to a read that another node's front door forwarded (GetHistory, GetStats): the
// gRPC status exactly as node 0's front door gave it and, when OK, the serialized response. Kept
// apart from cluster_messages.hpp (which registers it with CAF) so front-door code can name it.

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>

namespace citytwin {

struct forwarded_answer {
  std::int32_t code = 0;  // a grpc::StatusCode
  std::string message;
  std::string response;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forwarded_answer& x) {
  return f(caf::meta::type_name("forwarded_answer"), x.code, x.message, x.response);
}

}  // namespace citytwin

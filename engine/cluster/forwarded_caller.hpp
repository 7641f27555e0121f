#pragma once
// Who sent a batch of readings to another node's front door, for node 0's audit trail. Kept apart
// from cluster_messages.hpp (which registers it with CAF) so front-door code can name it.

#include <caf/meta/type_name.hpp>

#include <string>

namespace citytwin {

struct forwarded_caller {
  std::string identity;
  std::string role;
  std::string peer;  // the client as the other node saw it, and that node: "ipv4:10.0.0.7:51234 via node 2 (host:port)"
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forwarded_caller& x) {
  return f(caf::meta::type_name("forwarded_caller"), x.identity, x.role, x.peer);
}

}  // namespace citytwin

#pragma once
// Who may call what: bearer tokens map to an identity and a role. Feeds only ingest; viewers
// read, watch and fetch history; planners are viewers who also run scenarios; admins do everything. Tokens come from a JSON file
// ({"tokens": [{"token": "...", "identity": "scada-gw", "role": "feed"}]}).

#include <grpcpp/grpcpp.h>

#include <map>
#include <optional>
#include <string>

namespace citytwin {

enum class role { feed, viewer, planner, admin };

std::optional<role> parse_role(const std::string& name);
const char* role_name(role r);
// Whether a caller holding `held` may do what needs `needed`.
bool role_allows(role held, role needed);

struct caller {
  std::string identity;
  role granted = role::viewer;
};

class access_control {
 public:
  // Everyone is an anonymous admin: for a server that only listens on loopback.
  static access_control open_access();
  // Throws std::invalid_argument naming the file and the entry at fault.
  static access_control from_file(const std::string& path);

  // The caller, or UNAUTHENTICATED / PERMISSION_DENIED. On PERMISSION_DENIED `who` still names the
  // caller (for the audit trail); on UNAUTHENTICATED it is left as it was.
  grpc::Status authorize(const grpc::ServerContext& context, role needed, caller& who) const;
  // The same check from an 'authorization' header's value (nullptr: no header), for the HTTP gateway.
  grpc::Status authorize_header(const std::string* authorization, role needed, caller& who) const;
  bool is_open() const { return open_; }

 private:
  bool open_ = false;
  std::map<std::string, caller> by_token_;
};

}  // namespace citytwin

#include "engine/frontdoor/access_control.hpp"

#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace citytwin {

std::optional<role> parse_role(const std::string& name) {
  if (name == "viewer") return role::viewer;
  if (name == "feed") return role::feed;
  if (name == "planner") return role::planner;
  if (name == "admin") return role::admin;
  return std::nullopt;
}

const char* role_name(role r) {
  switch (r) {
    case role::viewer: return "viewer";
    case role::feed: return "feed";
    case role::planner: return "planner";
    case role::admin: return "admin";
  }
  return "?";
}

bool role_allows(role held, role needed) {
  if (held == role::admin || held == needed) return true;
  return held == role::planner && needed == role::viewer;
}

access_control access_control::open_access() {
  access_control a;
  a.open_ = true;
  return a;
}

access_control access_control::from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(path + ": cannot open the tokens file");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
  if (!doc.is_object() || !doc.contains("tokens") || !doc["tokens"].is_array())
    throw std::invalid_argument(path + ": expected {\"tokens\": [{\"token\", \"identity\", \"role\"}, ...]}");
  access_control a;
  std::size_t i = 0;
  for (const auto& entry : doc["tokens"]) {
    auto field = [&](const char* name) {
      if (!entry.is_object() || !entry.contains(name) || !entry[name].is_string() || entry[name].get<std::string>().empty())
        throw std::invalid_argument(fmt::format("{}: tokens[{}]: field '{}' is missing or not a string", path, i, name));
      return entry[name].get<std::string>();
    };
    const std::string token = field("token");
    const std::string role_text = field("role");
    const auto granted = parse_role(role_text);
    if (!granted)
      throw std::invalid_argument(fmt::format("{}: tokens[{}]: role '{}' is not one of feed, viewer, planner, admin",
                                              path, i, role_text));
    if (token.size() < 16)
      throw std::invalid_argument(fmt::format("{}: tokens[{}]: a token needs at least 16 characters", path, i));
    if (!a.by_token_.emplace(token, caller{field("identity"), *granted}).second)
      throw std::invalid_argument(fmt::format("{}: tokens[{}]: the same token is listed twice", path, i));
    ++i;
  }
  return a;
}

grpc::Status access_control::authorize(const grpc::ServerContext& context, role needed, caller& who) const {
  if (open_) {
    who = caller{"anonymous", role::admin};
    return grpc::Status::OK;
  }
  const auto& metadata = context.client_metadata();
  const auto header = metadata.find("authorization");
  if (header == metadata.end()) return authorize_header(nullptr, needed, who);
  const std::string value(header->second.data(), header->second.size());
  return authorize_header(&value, needed, who);
}

grpc::Status access_control::authorize_header(const std::string* authorization, role needed, caller& who) const {
  if (open_) {
    who = caller{"anonymous", role::admin};
    return grpc::Status::OK;
  }
  if (!authorization) return {grpc::StatusCode::UNAUTHENTICATED, "missing 'authorization: Bearer <token>' metadata"};
  const std::string& value = *authorization;
  const std::string prefix = "Bearer ";
  if (value.rfind(prefix, 0) != 0)
    return {grpc::StatusCode::UNAUTHENTICATED, "the authorization metadata must be 'Bearer <token>'"};
  const auto found = by_token_.find(value.substr(prefix.size()));
  if (found == by_token_.end()) return {grpc::StatusCode::UNAUTHENTICATED, "unknown token"};
  who = found->second;  // also when denied: the audit trail names who was refused
  if (!role_allows(found->second.granted, needed))
    return {grpc::StatusCode::PERMISSION_DENIED,
            fmt::format("{} has role {}; this call needs {}", found->second.identity,
                        role_name(found->second.granted), role_name(needed))};
  return grpc::Status::OK;
}

}  // namespace citytwin

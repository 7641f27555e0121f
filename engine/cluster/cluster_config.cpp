#include "engine/cluster/cluster_config.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

namespace citytwin {

namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& field, const std::string& why) {
  throw std::invalid_argument("cluster config " + path + ": " + field + ": " + why);
}

void reject_unknown(const std::string& path, const std::string& where, const json& object, const std::set<std::string>& known) {
  for (const auto& [key, value] : object.items())
    if (!known.count(key)) fail(path, where + key, "unknown field");
}

template <class T>
T read(const std::string& path, const json& object, const std::string& where, const std::string& key, T fallback) {
  if (!object.contains(key)) return fallback;
  try {
    return object.at(key).get<T>();
  } catch (const json::exception&) {
    fail(path, where + key, "has the wrong type");
  }
}

sim_time read_duration(const std::string& path, const json& object, const std::string& key, sim_time fallback) {
  if (!object.contains(key)) return fallback;
  const auto text = read<std::string>(path, object, "scenario.", key, "");
  try {
    return parse_duration(text);
  } catch (const std::exception& e) {
    fail(path, "scenario." + key, e.what());
  }
}

void read_scenario(const std::string& path, const json& s, cluster_config& c) {
  if (!s.is_object()) fail(path, "scenario", "must be an object");
  reject_unknown(path, "scenario.", s,
                 {"seed", "duration", "demand_scale", "trips_per_hour", "window", "reroute_interval", "stuck_time",
                  "hole_speed_kmh", "clear", "clear_limit", "threads", "check_invariants", "routes"});
  const auto routes = read<std::string>(path, s, "scenario.", "routes", "dynamic");
  if (routes != "dynamic" && routes != "equilibrium") fail(path, "scenario.routes", "must be \"dynamic\" or \"equilibrium\"");
  c.equilibrium_routes = routes == "equilibrium";
  auto& o = c.scenario;
  o.seed = read<std::uint64_t>(path, s, "scenario.", "seed", o.seed);
  o.duration = read_duration(path, s, "duration", o.duration);
  o.demand_scale = read<double>(path, s, "scenario.", "demand_scale", o.demand_scale);
  o.synthetic_trips_per_hour = read<double>(path, s, "scenario.", "trips_per_hour", o.synthetic_trips_per_hour);
  o.window_length = read_duration(path, s, "window", o.window_length);
  o.reroute_interval = read_duration(path, s, "reroute_interval", o.reroute_interval);
  o.model.stuck_time = read_duration(path, s, "stuck_time", o.model.stuck_time);
  o.model.hole_speed_kmh = read<double>(path, s, "scenario.", "hole_speed_kmh", o.model.hole_speed_kmh);
  o.clear = read<bool>(path, s, "scenario.", "clear", o.clear);
  o.clear_limit = read_duration(path, s, "clear_limit", o.clear_limit);
  o.threads = read<std::uint32_t>(path, s, "scenario.", "threads", o.threads);
  o.check_invariants = read<bool>(path, s, "scenario.", "check_invariants", o.check_invariants);
  if (o.duration <= 0) fail(path, "scenario.duration", "must be positive");
  if (o.window_length <= 0) fail(path, "scenario.window", "must be positive");
  if (o.reroute_interval <= 0) fail(path, "scenario.reroute_interval", "must be positive");
  if (!(o.demand_scale >= 0)) fail(path, "scenario.demand_scale", "must be >= 0");
  if (!(o.synthetic_trips_per_hour >= 0)) fail(path, "scenario.trips_per_hour", "must be >= 0");
  if (o.threads < 1 || o.threads > 256) fail(path, "scenario.threads", "must be 1..256");
}

}  // namespace

cluster_config load_cluster_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cluster config " + path + ": cannot open the file");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw std::invalid_argument("cluster config " + path + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) fail(path, "(top level)", "must be an object");
  reject_unknown(path, "", j, {"city", "nodes", "partition_seed", "connect_timeout_s", "heartbeat_interval_s", "heartbeat_timeout_s", "scenario"});
  cluster_config c;
  c.path = path;
  c.city = read<std::string>(path, j, "", "city", "");
  if (c.city.empty()) fail(path, "city", "is required (a city directory, TNTP network or OSM extract)");
  if (std::filesystem::path(c.city).is_relative())
    c.city = (std::filesystem::path(path).parent_path() / c.city).lexically_normal().string();
  c.partition_seed = read<std::uint64_t>(path, j, "", "partition_seed", c.partition_seed);
  c.connect_timeout_s = read<double>(path, j, "", "connect_timeout_s", c.connect_timeout_s);
  if (!(c.connect_timeout_s > 0)) fail(path, "connect_timeout_s", "must be positive");
  c.heartbeat_interval_s = read<double>(path, j, "", "heartbeat_interval_s", c.heartbeat_interval_s);
  c.heartbeat_timeout_s = read<double>(path, j, "", "heartbeat_timeout_s", c.heartbeat_timeout_s);
  if (!(c.heartbeat_interval_s >= 0.01)) fail(path, "heartbeat_interval_s", "must be at least 0.01");
  if (!(c.heartbeat_timeout_s >= 2 * c.heartbeat_interval_s))
    fail(path, "heartbeat_timeout_s", "must be at least twice heartbeat_interval_s (a late heartbeat is not a lost node)");
  if (!j.contains("nodes") || !j["nodes"].is_array() || j["nodes"].empty())
    fail(path, "nodes", "must be a non-empty list of {id, host, port}");
  const auto& nodes = j["nodes"];
  c.nodes.resize(nodes.size());
  std::vector<bool> seen(nodes.size(), false);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string where = "nodes[" + std::to_string(i) + "].";
    if (!nodes[i].is_object()) fail(path, "nodes[" + std::to_string(i) + "]", "must be an object");
    reject_unknown(path, where, nodes[i], {"id", "host", "port"});
    const auto id = read<std::int64_t>(path, nodes[i], where, "id", -1);
    if (id < 0 || id >= static_cast<std::int64_t>(nodes.size()))
      fail(path, where + "id", "must be 0.." + std::to_string(nodes.size() - 1) + " (ids number the nodes from 0)");
    if (seen[id]) fail(path, where + "id", "node " + std::to_string(id) + " is listed twice");
    seen[id] = true;
    cluster_node& n = c.nodes[id];
    n.id = static_cast<std::uint32_t>(id);
    n.host = read<std::string>(path, nodes[i], where, "host", "");
    if (n.host.empty()) fail(path, where + "host", "is required");
    const auto port = read<std::int64_t>(path, nodes[i], where, "port", 0);
    if (port < 1 || port > 65535) fail(path, where + "port", "must be 1..65535");
    n.port = static_cast<std::uint16_t>(port);
  }
  if (j.contains("scenario")) read_scenario(path, j["scenario"], c);
  return c;
}

void check_node_id(const cluster_config& config, std::uint32_t node) {
  if (node >= config.nodes.size())
    throw std::invalid_argument("node " + std::to_string(node) + " is not in " + config.path + " (it lists " +
                                std::to_string(config.nodes.size()) + " nodes)");
}

}  // namespace citytwin

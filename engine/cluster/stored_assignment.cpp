#include "engine/cluster/stored_assignment.hpp"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "engine/cluster/fnv1a.hpp"

namespace citytwin {

namespace {

using json = nlohmann::json;

constexpr int format_version = 1;

std::string hex(std::uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
  return text;
}

std::uint64_t from_hex(const std::string& text) {
  std::size_t used = 0;
  const auto value = std::stoull(text, &used, 16);
  if (used != text.size() || text.size() != 16) throw std::invalid_argument("not 16 hex digits");
  return value;
}

}  // namespace

std::uint64_t city_fingerprint(const city_graph& graph) {
  fnv1a h;
  h.add(static_cast<std::uint64_t>(graph.nodes.size()));
  h.add(static_cast<std::uint64_t>(graph.segments.size()));
  for (const auto& s : graph.segments) {
    h.add((static_cast<std::uint64_t>(s.from) << 32) | s.to);
    h.add(s.length_m);
    h.add(s.capacity_veh_per_h);
    h.add(s.freeflow_time_s);
  }
  return h.value();
}

node_assignment make_assignment(const cluster_config& config, std::uint32_t node, const city_graph& graph,
                                std::vector<std::uint32_t> part_of, std::int64_t edge_cut) {
  node_assignment a;
  a.node = node;
  for (const auto& n : config.nodes) a.nodes.push_back(n.host + ":" + std::to_string(n.port));
  a.city = config.city;
  a.city_fingerprint = city_fingerprint(graph);
  a.partition_seed = config.partition_seed;
  a.part_of = std::move(part_of);
  a.edge_cut = edge_cut;
  return a;
}

std::filesystem::path assignment_path(const std::filesystem::path& data_dir) { return data_dir / "cluster_assignment.json"; }

std::optional<node_assignment> load_assignment(const std::filesystem::path& data_dir) {
  const auto path = assignment_path(data_dir);
  if (!std::filesystem::exists(path)) return std::nullopt;
  const auto fail = [&](const std::string& why) -> std::invalid_argument {
    return std::invalid_argument("stored assignment " + path.string() + ": " + why + " (remove the file or start with --repartition)");
  };
  std::ifstream in(path);
  if (!in) throw fail("cannot open the file");
  node_assignment a;
  std::string field;
  try {
    const auto j = json::parse(in);
    field = "format";
    if (j.at("format").get<int>() != format_version) throw fail("format must be " + std::to_string(format_version));
    field = "node";
    a.node = j.at("node").get<std::uint32_t>();
    field = "nodes";
    a.nodes = j.at("nodes").get<std::vector<std::string>>();
    field = "city";
    a.city = j.at("city").get<std::string>();
    field = "city_fingerprint";
    a.city_fingerprint = from_hex(j.at("city_fingerprint").get<std::string>());
    field = "partition_seed";
    a.partition_seed = j.at("partition_seed").get<std::uint64_t>();
    field = "edge_cut";
    a.edge_cut = j.at("edge_cut").get<std::int64_t>();
    field = "part_of";
    a.part_of = j.at("part_of").get<std::vector<std::uint32_t>>();
  } catch (const std::invalid_argument& e) {
    if (field.empty() || std::string(e.what()).rfind("stored assignment", 0) == 0) throw;
    throw fail(field + ": " + e.what());
  } catch (const std::exception& e) {
    throw fail(field.empty() ? std::string("not valid JSON: ") + e.what() : field + ": missing or of the wrong type");
  }
  for (auto n : a.part_of)
    if (n >= a.nodes.size()) throw fail("part_of names node " + std::to_string(n) + " of " + std::to_string(a.nodes.size()));
  if (a.node >= a.nodes.size()) throw fail("node must be below the node count " + std::to_string(a.nodes.size()));
  return a;
}

void save_assignment(const std::filesystem::path& data_dir, const node_assignment& a) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) throw std::runtime_error("cannot create data directory " + data_dir.string() + ": " + error.message());
  const json j{{"format", format_version},        {"node", a.node},
               {"nodes", a.nodes},                {"city", a.city},
               {"city_fingerprint", hex(a.city_fingerprint)}, {"partition_seed", a.partition_seed},
               {"edge_cut", a.edge_cut},          {"part_of", a.part_of}};
  const auto path = assignment_path(data_dir);
  auto temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary);
    out << j.dump() << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + temporary.string());
  }
  std::filesystem::rename(temporary, path, error);
  if (error) throw std::runtime_error("cannot replace " + path.string() + ": " + error.message());
}

std::vector<std::string> assignment_changes(const node_assignment& stored, const node_assignment& current) {
  std::vector<std::string> changes;
  if (stored.node != current.node)
    changes.push_back("node id " + std::to_string(stored.node) + " -> " + std::to_string(current.node));
  if (stored.nodes.size() != current.nodes.size())
    changes.push_back("node count " + std::to_string(stored.nodes.size()) + " -> " + std::to_string(current.nodes.size()));
  if (stored.city_fingerprint != current.city_fingerprint)
    changes.push_back("city (" + stored.city + " fingerprint " + hex(stored.city_fingerprint) + " -> " + current.city +
                      " fingerprint " + hex(current.city_fingerprint) + ")");
  if (stored.partition_seed != current.partition_seed)
    changes.push_back("partition_seed " + std::to_string(stored.partition_seed) + " -> " + std::to_string(current.partition_seed));
  return changes;
}

}  // namespace citytwin

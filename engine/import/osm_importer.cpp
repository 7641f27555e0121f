#include "engine/import/osm_importer.hpp"

#include <osmium/handler.hpp>
#include <osmium/io/any_input.hpp>
#include <osmium/osm/location.hpp>
#include <osmium/visitor.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/import/import_error.hpp"
#include "engine/import/osm_highway_defaults.hpp"

namespace citytwin {

namespace {

using osm_id = osmium::object_id_type;

enum class travel { forward_only, backward_only, both };

struct drivable_way {
  osm_id id = 0;
  std::vector<osm_id> refs;
  highway_defaults defaults{};
  double speed_kmh = 0;
  double lanes_forward = 1, lanes_backward = 1;
  travel direction = travel::both;
  bool roundabout = false;
  std::string name;
};

bool tag_is(const char* value, std::initializer_list<const char*> options) {
  if (value == nullptr) return false;
  for (const char* o : options)
    if (std::string_view(value) == o) return true;
  return false;
}

std::optional<double> parse_lanes(const char* text) {
  if (text == nullptr) return std::nullopt;
  int value = 0;
  std::string_view s(text);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value < 1 || value > 16) return std::nullopt;
  return value;
}

// Cars may use it: a drivable class, not an area, not closed to motor traffic.
bool open_to_cars(const osmium::TagList& tags) {
  if (tag_is(tags["area"], {"yes"})) return false;
  const char* motor = tags["motor_vehicle"] ? tags["motor_vehicle"] : tags["motorcar"];
  if (tag_is(motor, {"no", "private"})) return false;
  if (tag_is(tags["access"], {"no", "private"}) &&
      !tag_is(motor, {"yes", "designated", "destination", "permissive"}))
    return false;
  return true;
}

travel direction_of(const osmium::TagList& tags, const highway_defaults& d) {
  const char* oneway = tags["oneway"];
  if (tag_is(oneway, {"yes", "true", "1"})) return travel::forward_only;
  if (tag_is(oneway, {"-1", "reverse"})) return travel::backward_only;
  if (tag_is(oneway, {"no", "false", "0"})) return travel::both;
  if (tag_is(tags["junction"], {"roundabout", "circular"}) || d.oneway_by_default) return travel::forward_only;
  return travel::both;
}

class way_collector : public osmium::handler::Handler {
 public:
  way_collector(std::vector<drivable_way>& ways, osm_import_stats& stats) : ways_(ways), stats_(stats) {}

  void way(const osmium::Way& way) {
    const auto& tags = way.tags();
    const char* highway = tags["highway"];
    if (highway == nullptr) return;
    auto defaults = defaults_for_highway(highway);
    if (!defaults || !open_to_cars(tags) || way.nodes().size() < 2) return;
    drivable_way w;
    w.id = way.id();
    w.defaults = *defaults;
    w.direction = direction_of(tags, *defaults);
    w.roundabout = tag_is(tags["junction"], {"roundabout"});
    w.speed_kmh = defaults->speed_kmh;
    if (const char* maxspeed = tags["maxspeed"]) {
      if (auto kmh = parse_maxspeed(maxspeed, defaults->speed_kmh)) w.speed_kmh = *kmh;
      else ++stats_.unreadable_maxspeed;
    }
    double lanes_total = w.direction == travel::both ? 2 * defaults->lanes_each_way : defaults->lanes_each_way;
    if (const char* lanes = tags["lanes"]) {
      if (auto n = parse_lanes(lanes)) lanes_total = *n;
      else ++stats_.unreadable_lanes;
    }
    if (w.direction == travel::both) {
      w.lanes_forward = std::max(1.0, std::ceil(lanes_total / 2));
      w.lanes_backward = std::max(1.0, lanes_total - w.lanes_forward);
      if (auto f = parse_lanes(tags["lanes:forward"])) w.lanes_forward = *f;
      if (auto b = parse_lanes(tags["lanes:backward"])) w.lanes_backward = *b;
    } else {
      w.lanes_forward = w.lanes_backward = lanes_total;
    }
    if (const char* name = tags["name"]) w.name = name;
    for (const auto& ref : way.nodes()) w.refs.push_back(ref.ref());
    ways_.push_back(std::move(w));
  }

 private:
  std::vector<drivable_way>& ways_;
  osm_import_stats& stats_;
};

class node_locator : public osmium::handler::Handler {
 public:
  node_locator(std::unordered_map<osm_id, osmium::Location>& wanted, std::unordered_set<osm_id>& signals)
      : wanted_(wanted), signals_(signals) {}
  void node(const osmium::Node& node) {
    auto it = wanted_.find(node.id());
    if (it == wanted_.end()) return;
    if (node.location().valid()) it->second = node.location();
    if (tag_is(node.tags()["highway"], {"traffic_signals"})) signals_.insert(node.id());
  }

 private:
  std::unordered_map<osm_id, osmium::Location>& wanted_;
  std::unordered_set<osm_id>& signals_;
};

double haversine_m(const osmium::Location& a, const osmium::Location& b) {
  constexpr double earth_radius_m = 6'371'008.8;
  constexpr double rad = M_PI / 180;
  double dlat = (b.lat() - a.lat()) * rad, dlon = (b.lon() - a.lon()) * rad;
  double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
             std::cos(a.lat() * rad) * std::cos(b.lat() * rad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * earth_radius_m * std::asin(std::min(1.0, std::sqrt(h)));
}

// Builds graph nodes on demand, in the order they are first met.
struct node_table {
  std::unordered_map<osm_id, node_index> index;
  std::vector<road_node> nodes;
  node_index get(osm_id id, const osmium::Location& at) {
    auto [it, inserted] = index.emplace(id, static_cast<node_index>(nodes.size()));
    if (inserted) nodes.push_back({id, at.lon(), at.lat(), false, true, false});
    return it->second;
  }
};

void add_piece(const drivable_way& w, node_index from, node_index to, double length, city_graph& g) {
  auto make = [&](node_index a, node_index b, double lanes) {
    road_segment_spec s;
    s.id = static_cast<segment_id>(g.segments.size());
    s.from = a;
    s.to = b;
    s.length_m = length;
    s.lanes = lanes;
    s.freeflow_speed_mps = w.speed_kmh / 3.6;
    s.freeflow_time_s = length / s.freeflow_speed_mps;
    s.capacity_veh_per_h = lanes * w.defaults.capacity_per_lane_veh_h;
    s.source_id = w.id;
    s.name = w.name;
    s.on_roundabout = w.roundabout;
    g.segments.push_back(std::move(s));
  };
  if (w.direction != travel::backward_only) make(from, to, w.lanes_forward);
  if (w.direction != travel::forward_only) make(to, from, w.lanes_backward);
}

// Splits each way at intersections (nodes used twice or more) and where the extract lacks a node.
// A traffic signal mapped on a way between intersections controls the nearer end of its piece.
void split_ways(const std::vector<drivable_way>& ways, const std::unordered_map<osm_id, std::uint32_t>& uses,
                const std::unordered_map<osm_id, osmium::Location>& where, const std::unordered_set<osm_id>& signals,
                city_graph& g, osm_import_stats& stats) {
  node_table table;
  for (const auto& w : ways) {
    constexpr node_index no_piece = UINT32_MAX;
    node_index piece_start = no_piece;
    double length = 0;
    double signal_at = -1;  // distance along the current piece of a signal between its ends
    osmium::Location previous;
    for (std::size_t i = 0; i < w.refs.size(); ++i) {
      auto loc = where.at(w.refs[i]);
      if (!loc.valid()) {
        ++stats.missing_node_refs;
        piece_start = no_piece;  // the part before the gap ended at the last present node (see below)
        continue;
      }
      const bool signal = signals.count(w.refs[i]) > 0;
      bool next_missing = i + 1 < w.refs.size() && !where.at(w.refs[i + 1]).valid();
      bool boundary = i == 0 || i + 1 == w.refs.size() || uses.at(w.refs[i]) >= 2 || next_missing;
      if (piece_start == no_piece) {
        piece_start = table.get(w.refs[i], loc);
        if (signal) table.nodes[piece_start].signalized = true;
        length = 0;
        signal_at = -1;
        previous = loc;
        continue;
      }
      length += haversine_m(previous, loc);
      previous = loc;
      if (!boundary) {
        if (signal) signal_at = length;
        continue;
      }
      node_index end = table.get(w.refs[i], loc);
      if (signal) table.nodes[end].signalized = true;
      if (signal_at >= 0) table.nodes[length - signal_at < signal_at ? end : piece_start].signalized = true;
      signal_at = -1;
      if (length > 0 && end != piece_start) add_piece(w, piece_start, end, length, g);
      else ++stats.zero_length_pieces;
      piece_start = end;
      length = 0;
    }
  }
  g.nodes = std::move(table.nodes);
}

// Keeps the largest strongly connected component, so every trip can reach its destination.
void keep_largest_component(city_graph& g, osm_import_stats& stats) {
  const auto n = g.nodes.size();
  g.finalize();
  // Kosaraju, iterative: finish order on the graph, then components on the reverse graph.
  std::vector<node_index> order;
  std::vector<std::uint8_t> seen(n, 0);
  std::vector<std::pair<node_index, std::uint32_t>> stack;
  for (node_index root = 0; root < n; ++root) {
    if (seen[root]) continue;
    seen[root] = 1;
    stack.push_back({root, g.out_begin[root]});
    while (!stack.empty()) {
      auto& [u, next] = stack.back();
      if (next < g.out_begin[u + 1]) {
        node_index v = g.segments[g.out_ids[next++]].to;
        if (!seen[v]) {
          seen[v] = 1;
          stack.push_back({v, g.out_begin[v]});
        }
      } else {
        order.push_back(u);
        stack.pop_back();
      }
    }
  }
  constexpr std::uint32_t unassigned = UINT32_MAX;
  std::vector<std::uint32_t> component(n, unassigned);
  std::vector<std::size_t> sizes;
  std::vector<node_index> todo;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (component[*it] != unassigned) continue;
    auto c = static_cast<std::uint32_t>(sizes.size());
    sizes.push_back(0);
    component[*it] = c;
    todo.push_back(*it);
    while (!todo.empty()) {
      node_index u = todo.back();
      todo.pop_back();
      ++sizes[c];
      for (auto i = g.in_begin[u]; i < g.in_begin[u + 1]; ++i) {
        node_index v = g.segments[g.in_ids[i]].from;
        if (component[v] == unassigned) {
          component[v] = c;
          todo.push_back(v);
        }
      }
    }
  }
  auto largest = static_cast<std::uint32_t>(std::max_element(sizes.begin(), sizes.end()) - sizes.begin());
  std::vector<node_index> renumber(n, UINT32_MAX);
  std::vector<road_node> nodes;
  for (node_index u = 0; u < n; ++u)
    if (component[u] == largest) {
      renumber[u] = static_cast<node_index>(nodes.size());
      nodes.push_back(g.nodes[u]);
    }
  std::vector<road_segment_spec> segments;
  for (auto& s : g.segments) {
    if (component[s.from] != largest || component[s.to] != largest) {
      ++stats.segments_outside_largest_component;
      continue;
    }
    s.from = renumber[s.from];
    s.to = renumber[s.to];
    s.id = static_cast<segment_id>(segments.size());
    segments.push_back(std::move(s));
  }
  g.nodes = std::move(nodes);
  g.segments = std::move(segments);
}

}  // namespace

city_graph import_osm(const std::string& path, const osm_import_options& options, osm_import_stats* stats_out) {
  osm_import_stats stats;
  if (!std::filesystem::exists(path)) throw import_error(path, "", "", "no such file");
  std::vector<drivable_way> ways;
  std::unordered_map<osm_id, osmium::Location> where;
  std::unordered_set<osm_id> signals;
  try {
    way_collector collector(ways, stats);
    osmium::io::Reader way_reader{path, osmium::osm_entity_bits::way};
    osmium::apply(way_reader, collector);
    way_reader.close();
    for (const auto& w : ways)
      for (auto ref : w.refs) where.emplace(ref, osmium::Location{});
    node_locator locator(where, signals);
    osmium::io::Reader node_reader{path, osmium::osm_entity_bits::node};
    osmium::apply(node_reader, locator);
    node_reader.close();
  } catch (const std::exception& e) {
    throw import_error(path, "", "", std::string("not a readable OpenStreetMap file: ") + e.what());
  }
  if (ways.empty()) throw import_error(path, "", "highway", "no drivable roads (highway=primary, residential, ...) in the file");
  std::sort(ways.begin(), ways.end(), [](const drivable_way& a, const drivable_way& b) { return a.id < b.id; });
  stats.drivable_ways = ways.size();
  std::unordered_map<osm_id, std::uint32_t> uses;
  for (const auto& w : ways)
    for (auto ref : w.refs) ++uses[ref];

  city_graph g;
  g.name = std::filesystem::path(path).filename().string();
  split_ways(ways, uses, where, signals, g, stats);
  if (g.segments.empty()) throw import_error(path, "", "nd", "no drivable way has two nodes present in the extract");
  keep_largest_component(g, stats);
  g.finalize();
  for (node_index u = 0; u < g.nodes.size(); ++u) {
    auto degree = (g.out_begin[u + 1] - g.out_begin[u]) + (g.in_begin[u + 1] - g.in_begin[u]);
    g.nodes[u].is_zone = static_cast<int>(degree) >= options.zone_min_degree;
  }
  if (stats_out != nullptr) *stats_out = stats;
  return g;
}

}  // namespace citytwin

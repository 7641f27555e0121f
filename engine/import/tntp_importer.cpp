#include "engine/import/tntp_importer.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <string_view>
#include <vector>

#include "engine/import/import_error.hpp"

namespace citytwin {

namespace {

// A capacity this large marks a zone connector in TNTP files (999999 by convention).
constexpr double connector_capacity_threshold = 99999;
// Lanes are not in TNTP; one lane per this many veh/h of capacity (a typical urban lane).
constexpr double capacity_per_lane_veh_h = 1800;

struct line_source {
  std::string path;
  std::ifstream in;
  int line_number = 0;
  std::string line;

  explicit line_source(const std::string& p) : path(p), in(p) {
    if (!in) throw import_error(path, "", "", "cannot open file");
  }
  bool next() {
    if (!std::getline(in, line)) return false;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }
  [[noreturn]] void fail(const std::string& field, const std::string& reason) const {
    throw import_error(path, "line " + std::to_string(line_number), field, reason);
  }
};

std::string_view trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Splits on whitespace and ';' (TNTP rows end with ';', sometimes glued to the last value).
std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  auto is_sep = [](char c) { return c == ' ' || c == '\t' || c == ';' || c == '\r'; };
  while (i < s.size()) {
    while (i < s.size() && is_sep(s[i])) ++i;
    std::size_t start = i;
    while (i < s.size() && !is_sep(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

double parse_number(const line_source& src, std::string_view text, const std::string& field) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    src.fail(field, "'" + std::string(text) + "' is not a number");
  if (!std::isfinite(value)) src.fail(field, "value must be finite");
  return value;
}

long long parse_integer(const line_source& src, std::string_view text, const std::string& field) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    src.fail(field, "'" + std::string(text) + "' is not an integer");
  return value;
}

bool is_comment_or_blank(std::string_view line) {
  auto t = trim(line);
  return t.empty() || t.front() == '~';
}

// Reads "<KEY> value" lines up to <END OF METADATA>.
std::map<std::string, std::string> read_metadata(line_source& src) {
  std::map<std::string, std::string> meta;
  while (src.next()) {
    auto t = trim(src.line);
    if (t.empty() || t.front() == '~') continue;
    if (t.front() != '<') src.fail("metadata", "expected '<KEY> value' or <END OF METADATA>");
    auto close = t.find('>');
    if (close == std::string_view::npos) src.fail("metadata", "missing '>' in metadata key");
    std::string key(t.substr(1, close - 1));
    if (key == "END OF METADATA") return meta;
    meta[key] = std::string(trim(t.substr(close + 1)));
  }
  src.fail("metadata", "file ended before <END OF METADATA>");
}

long long required_count(line_source& src, const std::map<std::string, std::string>& meta,
                         const std::string& key) {
  auto it = meta.find(key);
  if (it == meta.end()) throw import_error(src.path, "header", key, "required metadata is missing");
  long long value = 0;
  auto& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0)
    throw import_error(src.path, "header", key, "'" + text + "' is not a non-negative integer");
  return value;
}

struct network_header {
  long long zones = 0, nodes = 0, links = 0, first_thru_node = 1;
};

node_index node_of(const line_source& src, std::string_view text, const std::string& field,
                   long long node_count) {
  auto n = parse_integer(src, text, field);
  if (n < 1 || n > node_count)
    src.fail(field, "node " + std::string(text) + " is outside 1.." + std::to_string(node_count));
  return static_cast<node_index>(n - 1);
}

void read_links(line_source& src, const network_header& h, const tntp_units& units, city_graph& g) {
  static const char* columns[] = {"init_node", "term_node", "capacity", "length", "free_flow_time",
                                  "b", "power", "speed", "toll", "link_type"};
  std::set<std::pair<node_index, node_index>> seen;
  long long rows = 0;
  while (src.next()) {
    if (is_comment_or_blank(src.line)) continue;
    auto cols = tokens(src.line);
    if (cols.size() < 5)
      src.fail(columns[cols.size()], "link row has " + std::to_string(cols.size()) +
                                         " values; at least 5 are required (init, term, capacity, length, "
                                         "free-flow time)");
    ++rows;
    road_segment_spec s;
    s.from = node_of(src, cols[0], columns[0], h.nodes);
    s.to = node_of(src, cols[1], columns[1], h.nodes);
    if (s.from == s.to) src.fail(columns[1], "link starts and ends at the same node");
    double capacity = parse_number(src, cols[2], columns[2]);
    double length = parse_number(src, cols[3], columns[3]);
    double fft = parse_number(src, cols[4], columns[4]);
    if (capacity <= 0) src.fail(columns[2], "capacity must be > 0");
    if (length < 0) src.fail(columns[3], "length must be >= 0");
    if (fft < 0) src.fail(columns[4], "free-flow time must be >= 0");
    if (cols.size() > 5) s.bpr_b = parse_number(src, cols[5], columns[5]);
    if (cols.size() > 6) s.bpr_power = parse_number(src, cols[6], columns[6]);
    if (cols.size() > 8) s.toll = parse_number(src, cols[8], columns[8]);
    if (cols.size() > 9) s.link_type = static_cast<int>(parse_integer(src, cols[9], columns[9]));
    if (s.bpr_b < 0) src.fail(columns[5], "B must be >= 0");
    if (s.bpr_power < 0) src.fail(columns[6], "power must be >= 0");
    // Duplicate links (Berlin-Center's README lists some): the first of each pair is kept.
    if (!seen.insert({s.from, s.to}).second) continue;
    s.id = static_cast<segment_id>(g.segments.size());
    s.source_id = rows;
    s.length_m = length * units.metres_per_length_unit;
    s.freeflow_time_s = fft * units.seconds_per_time_unit;
    s.capacity_veh_per_h = capacity * units.capacity_per_hour_factor;
    s.unlimited = capacity >= connector_capacity_threshold;
    s.lanes = s.unlimited ? 1 : std::max(1.0, std::round(s.capacity_veh_per_h / capacity_per_lane_veh_h));
    s.freeflow_speed_mps = s.freeflow_time_s > 0 ? s.length_m / s.freeflow_time_s : 0;
    g.segments.push_back(s);
  }
  if (rows != h.links)
    throw import_error(src.path, "end of file", "NUMBER OF LINKS",
                       "header promises " + std::to_string(h.links) + " links but the file has " +
                           std::to_string(rows) + " (truncated or edited file?)");
}

void read_trips(const std::string& path, const network_header& net, const tntp_units& units, city_graph& g) {
  line_source src(path);
  auto meta = read_metadata(src);
  auto zones = required_count(src, meta, "NUMBER OF ZONES");
  if (zones != net.zones)
    throw import_error(path, "header", "NUMBER OF ZONES",
                       "trip table has " + std::to_string(zones) + " zones but the network has " +
                           std::to_string(net.zones));
  double declared_total = -1;
  if (auto it = meta.find("TOTAL OD FLOW"); it != meta.end()) {
    declared_total = std::atof(it->second.c_str());
  }
  long long origin = -1;
  double total = 0;
  while (src.next()) {
    auto t = trim(src.line);
    if (t.empty() || t.front() == '~') continue;
    if (t.rfind("Origin", 0) == 0) {
      auto cols = tokens(t.substr(6));
      if (cols.size() != 1) src.fail("Origin", "expected 'Origin <zone>'");
      origin = parse_integer(src, cols[0], "Origin");
      if (origin < 1 || origin > zones) src.fail("Origin", "zone " + std::string(cols[0]) + " is outside 1.." + std::to_string(zones));
      continue;
    }
    if (origin < 0) src.fail("Origin", "destination entries before the first 'Origin' line");
    // Entries look like "dest : flow;" and several share a line.
    std::string_view rest = t;
    while (!trim(rest).empty()) {
      auto colon = rest.find(':');
      if (colon == std::string_view::npos) src.fail("destination", "expected 'destination : flow;'");
      auto semi = rest.find(';', colon);
      auto dest_text = trim(rest.substr(0, colon));
      auto flow_text = trim(rest.substr(colon + 1, semi == std::string_view::npos ? std::string_view::npos : semi - colon - 1));
      auto dest = parse_integer(src, dest_text, "destination");
      if (dest < 1 || dest > zones) src.fail("destination", "zone " + std::string(dest_text) + " is outside 1.." + std::to_string(zones));
      auto flow = parse_number(src, flow_text, "flow");
      if (flow < 0) src.fail("flow", "trips must be >= 0");
      total += flow;
      if (flow > 0)
        g.demand.push_back({static_cast<node_index>(origin - 1), static_cast<node_index>(dest - 1),
                            flow * units.trips_per_hour_factor});
      if (semi == std::string_view::npos) break;
      rest = rest.substr(semi + 1);
    }
  }
  if (declared_total >= 0 && std::abs(total - declared_total) > 1e-6 * std::max(1.0, declared_total) + 0.5)
    throw import_error(path, "end of file", "TOTAL OD FLOW",
                       "header declares " + std::to_string(declared_total) + " trips but entries sum to " +
                           std::to_string(total) + " (truncated or edited file?)");
}

void read_coordinates(const std::string& path, city_graph& g) {
  line_source src(path);
  while (src.next()) {
    auto t = trim(src.line);
    if (t.empty() || t.front() == '~') continue;
    auto cols = tokens(t);
    if (!cols.empty() && (cols[0] == "Node" || cols[0] == "node")) continue;  // column header
    if (cols.size() < 3) src.fail("X", "expected 'node x y'");
    auto n = node_of(src, cols[0], "Node", static_cast<long long>(g.nodes.size()));
    g.nodes[n].x = parse_number(src, cols[1], "X");
    g.nodes[n].y = parse_number(src, cols[2], "Y");
  }
}

}  // namespace

city_graph import_tntp(const tntp_files& files, const tntp_units& units, std::string name) {
  if (!(units.seconds_per_time_unit > 0) || !(units.metres_per_length_unit > 0) ||
      !(units.capacity_per_hour_factor > 0) || !(units.trips_per_hour_factor >= 0))
    throw import_error(files.network, "", "units", "unit factors must be positive");
  city_graph g;
  g.name = std::move(name);
  network_header h;
  {
    line_source src(files.network);
    auto meta = read_metadata(src);
    h.zones = required_count(src, meta, "NUMBER OF ZONES");
    h.nodes = required_count(src, meta, "NUMBER OF NODES");
    h.links = required_count(src, meta, "NUMBER OF LINKS");
    h.first_thru_node = meta.count("FIRST THRU NODE") ? required_count(src, meta, "FIRST THRU NODE") : 1;
    if (h.zones > h.nodes)
      throw import_error(files.network, "header", "NUMBER OF ZONES", "more zones than nodes");
    g.nodes.resize(h.nodes);
    for (long long i = 0; i < h.nodes; ++i) {
      g.nodes[i].external_id = i + 1;
      g.nodes[i].is_zone = i < h.zones;
      g.nodes[i].through_allowed = i + 1 >= h.first_thru_node;
    }
    read_links(src, h, units, g);
  }
  if (files.trips) read_trips(*files.trips, h, units, g);
  if (files.nodes) read_coordinates(*files.nodes, g);
  g.finalize();
  return g;
}

}  // namespace citytwin

// Lays out radial MV feeders along the roads as a per-unit power_case (the design is in feeder_builder.hpp).
#include "engine/grid/feeder_builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/grid/feeder_equipment.hpp"
#include "engine/grid/load_profile.hpp"
#include "engine/grid/road_forest.hpp"

namespace citytwin {

namespace {

const double mv_base_ohm = medium_voltage_kv * medium_voltage_kv / grid_base_mva;
const double feeder_limit_kva = mv_feeder_cable.rating_mva * 1000 * feeder_planning_utilisation;

struct node_load {
  double p_mw = 0;
  double q_mvar = 0;
  double kva = 0;             // arithmetic sum of the buildings' apparent powers: what equipment is sized on
  std::size_t buildings = 0;  // even a building that draws nothing gets a transformer to hang from
};

struct transformer_choice {
  transformer_type type;
  int units = 1;
};

transformer_choice choose_transformer(double kva) {
  for (const transformer_type& t : distribution_transformers)
    if (kva <= t.rating_kva * transformer_planning_utilisation) return {t, 1};
  const transformer_type& largest = distribution_transformers.back();
  return {largest,
          static_cast<int>(std::ceil(kva / (largest.rating_kva * transformer_planning_utilisation)))};
}

// The case being written, with what the linearised voltage estimate needs per bus.
class case_writer {
 public:
  explicit case_writer(const std::string& city) {
    pc_.name = city + " grid";
    pc_.file = city + " (grid built from its roads and buildings)";
    pc_.base_mva = grid_base_mva;
  }

  std::size_t add_source() {
    const std::size_t i = add_bus(bus_kind::slack, medium_voltage_kv, 0, 0, SIZE_MAX, 0, 0);
    pc_.buses[i].voltage_pu = source_voltage_pu;
    power_generator gen;
    gen.bus = pc_.buses[i].number;
    gen.voltage_setpoint_pu = source_voltage_pu;
    pc_.generators.push_back(gen);
    return i;
  }

  // A feeder bus at `length_m` of cable (n circuits in parallel) from `upstream`.
  std::size_t add_cable_to_new_bus(std::size_t upstream, double length_m, int circuits) {
    const double km = std::max(length_m, shortest_cable_m) / 1000;
    const double r = mv_feeder_cable.r_ohm_per_km * km / mv_base_ohm / circuits;
    const double x = mv_feeder_cable.x_ohm_per_km * km / mv_base_ohm / circuits;
    const std::size_t i = add_bus(bus_kind::load, medium_voltage_kv, 0, 0, upstream, r, x);
    add_branch(upstream, i, r, x, mv_feeder_cable.rating_mva * circuits);
    return i;
  }

  // A transformer from `mv_bus` to a new low-voltage bus carrying `load`.
  std::size_t add_transformer(std::size_t mv_bus, const node_load& load) {
    const transformer_choice t = choose_transformer(load.kva);
    const double rating_mva = t.type.rating_kva * t.units / 1000;
    const double r_own = t.type.load_losses_w / (t.type.rating_kva * 1000);
    const double z_own = t.type.impedance_percent / 100;
    const double x_own = std::sqrt(z_own * z_own - r_own * r_own);
    const double to_system = grid_base_mva / rating_mva;
    const std::size_t i = add_bus(bus_kind::load, low_voltage_kv, load.p_mw / grid_base_mva,
                                  load.q_mvar / grid_base_mva, mv_bus, r_own * to_system, x_own * to_system);
    add_branch(mv_bus, i, r_own * to_system, x_own * to_system, rating_mva);
    return i;
  }

  [[nodiscard]] std::int64_t number(std::size_t bus) const { return pc_.buses[bus].number; }

  // Linearised drop: each bus sits below its parent by R P + X Q of everything downstream (losses ignored).
  [[nodiscard]] std::vector<double> estimated_voltages() const {
    const std::size_t n = pc_.buses.size();
    std::vector<double> p(n), q(n), v(n, source_voltage_pu);
    for (std::size_t i = 0; i < n; ++i) {
      p[i] = pc_.buses[i].load_mw;  // the case holds per-unit values in its MW fields
      q[i] = pc_.buses[i].load_mvar;
    }
    for (std::size_t i = n; i-- > 0;)
      if (parent_[i] != SIZE_MAX) {
        p[parent_[i]] += p[i];
        q[parent_[i]] += q[i];
      }
    for (std::size_t i = 0; i < n; ++i)
      if (parent_[i] != SIZE_MAX) v[i] = v[parent_[i]] - (r_[i] * p[i] + x_[i] * q[i]);
    return v;
  }

  power_case take() { return std::move(pc_); }

 private:
  // Loads in p.u. on grid_base_mva: power_case holds per-unit values in its load_mw/load_mvar fields.
  std::size_t add_bus(bus_kind kind, double base_kv, double p_pu, double q_pu, std::size_t parent, double r,
                      double x) {
    power_bus b;
    b.number = static_cast<std::int64_t>(pc_.buses.size()) + 1;
    b.kind = kind;
    b.load_mw = p_pu;
    b.load_mvar = q_pu;
    b.base_kv = base_kv;
    pc_.buses.push_back(b);
    parent_.push_back(parent);
    r_.push_back(r);
    x_.push_back(x);
    return pc_.buses.size() - 1;
  }

  void add_branch(std::size_t from, std::size_t to, double r, double x, double rating_mva) {
    power_branch br;
    br.from_bus = pc_.buses[from].number;
    br.to_bus = pc_.buses[to].number;
    br.r_pu = r;
    br.x_pu = x;
    br.rating_mva = rating_mva;
    pc_.branches.push_back(br);
  }

  power_case pc_;
  std::vector<std::size_t> parent_;  // bus index of the parent; SIZE_MAX at sources
  std::vector<double> r_, x_;        // of the branch from the parent, p.u.
};

struct layout {
  feeder_design design;                   // building_bus left empty: build_feeders fills it from node_lv_bus
  std::vector<std::int64_t> node_lv_bus;  // per road node: its transformer's LV bus, or -1
  std::vector<node_index> weak_nodes;  // per tree below the design voltage: the road node of its weakest bus
};

layout lay_out(const city_graph& graph, const undirected_roads& roads, const std::vector<node_load>& load,
               const std::vector<substation_site>& sites) {
  const std::size_t n = graph.nodes.size();
  std::vector<node_index> sources;
  for (const substation_site& s : sites) sources.push_back(s.road_node);
  const road_forest forest = grow_road_forest(roads, sources);

  // Reached nodes in settling order: parents precede children, so the reverse is bottom-up.
  const std::vector<node_index>& order = forest.settled;
  std::vector<std::size_t> buildings_below(n, 0);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    buildings_below[*it] += load[*it].buildings;
    if (forest.parent[*it] != no_road_parent) buildings_below[forest.parent[*it]] += buildings_below[*it];
  }
  std::vector<std::vector<node_index>> children(n);  // only those leading to buildings, in settling order
  for (node_index v : order)
    if (forest.parent[v] != no_road_parent && buildings_below[v] > 0) children[forest.parent[v]].push_back(v);

  // From the leaves up: cut off the heaviest branches while a subtree exceeds the feeder limit.
  std::vector<double> carried(n, 0);
  std::vector<bool> feeder_head(n, false);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const node_index v = *it;
    if (buildings_below[v] == 0) continue;
    carried[v] = load[v].kva;
    for (node_index c : children[v]) carried[v] += carried[c];
    if (forest.parent[v] == no_road_parent) {  // a substation: every branch leaving it is a feeder
      for (node_index c : children[v]) feeder_head[c] = true;
      continue;
    }
    if (carried[v] <= feeder_limit_kva) continue;
    std::vector<node_index> heaviest = children[v];
    std::stable_sort(heaviest.begin(), heaviest.end(),
                     [&](node_index a, node_index b) { return carried[a] > carried[b]; });
    for (node_index c : heaviest) {
      if (carried[v] <= feeder_limit_kva) break;
      feeder_head[c] = true;
      carried[v] -= carried[c];
    }
  }

  layout out;
  feeder_design& d = out.design;
  case_writer writer(graph.name);
  std::vector<std::int64_t> lv_bus(n, -1);
  std::vector<std::size_t> bus_tree;  // per bus index: the site it belongs to
  std::vector<node_index> bus_node;   // per bus index: its road node
  std::vector<bool> bus_is_lv;
  auto record = [&](std::size_t bus, std::size_t site, node_index node, bool is_lv) {
    bus_tree.resize(bus + 1);
    bus_node.resize(bus + 1);
    bus_is_lv.resize(bus + 1);
    bus_tree[bus] = site;
    bus_node[bus] = node;
    bus_is_lv[bus] = is_lv;
  };
  auto transformer_at = [&](std::size_t mv_bus, node_index v, std::size_t site) {
    const std::size_t lv = writer.add_transformer(mv_bus, load[v]);
    record(lv, site, v, true);
    lv_bus[v] = writer.number(lv);
    ++d.transformers;
  };
  std::vector<std::size_t> source_bus;
  for (std::size_t s = 0; s < sites.size(); ++s) {
    source_bus.push_back(writer.add_source());
    record(source_bus.back(), s, sites[s].road_node, false);
    d.substation_bus.push_back(writer.number(source_bus.back()));
  }
  auto attached = [&](node_index v) {
    std::vector<node_index> kept;
    for (node_index c : children[v])
      if (!feeder_head[c]) kept.push_back(c);
    return kept;
  };
  std::vector<std::vector<node_index>> heads(sites.size());  // per site, in settling order
  for (node_index v : order)
    if (feeder_head[v]) heads[forest.source[v]].push_back(v);
  for (std::size_t s = 0; s < sites.size(); ++s) {
    const node_index root = sites[s].road_node;
    if (forest.source[root] != s) continue;  // shares its node with an earlier site, which serves it
    if (load[root].buildings > 0) transformer_at(source_bus[s], root, s);
    for (node_index h : heads[s]) {
      const int circuits = std::max(1, static_cast<int>(std::ceil(carried[h] / feeder_limit_kva - 1e-12)));
      const std::size_t head_bus = writer.add_cable_to_new_bus(source_bus[s], forest.distance_m[h], circuits);
      record(head_bus, s, h, false);
      ++d.feeders;
      if (load[h].buildings > 0) transformer_at(head_bus, h, s);
      struct pending {
        node_index node;
        std::size_t upstream_bus;
        double upstream_distance_m;
      };
      std::vector<pending> stack;
      auto push_children = [&](node_index v, std::size_t bus, double distance) {
        const std::vector<node_index> next = attached(v);
        for (auto it = next.rbegin(); it != next.rend(); ++it) stack.push_back({*it, bus, distance});
      };
      push_children(h, head_bus, forest.distance_m[h]);
      while (!stack.empty()) {
        const pending p = stack.back();
        stack.pop_back();
        const bool needs_bus = load[p.node].buildings > 0 || attached(p.node).size() >= 2;
        std::size_t bus = p.upstream_bus;
        double distance = p.upstream_distance_m;
        if (needs_bus) {
          bus = writer.add_cable_to_new_bus(p.upstream_bus, forest.distance_m[p.node] - p.upstream_distance_m,
                                            1);
          record(bus, s, p.node, false);
          distance = forest.distance_m[p.node];
          if (load[p.node].buildings > 0) transformer_at(bus, p.node, s);
        }
        push_children(p.node, bus, distance);
      }
    }
  }

  // The design rule for voltage, per tree.
  const std::vector<double> v = writer.estimated_voltages();
  std::vector<std::size_t> weakest(sites.size(), SIZE_MAX);
  d.estimated_min_voltage_pu = source_voltage_pu;
  for (std::size_t b = 0; b < v.size(); ++b) {
    if (!bus_is_lv[b]) continue;
    d.estimated_min_voltage_pu = std::min(d.estimated_min_voltage_pu, v[b]);
    std::size_t& w = weakest[bus_tree[b]];
    if (w == SIZE_MAX || v[b] < v[w]) w = b;
  }
  for (std::size_t s = 0; s < sites.size(); ++s)
    if (weakest[s] != SIZE_MAX && v[weakest[s]] < design_min_voltage_pu)
      out.weak_nodes.push_back(bus_node[weakest[s]]);

  // Traffic signals and other street loads: the nearest transformer along the roads, within LV reach.
  std::vector<node_index> transformer_nodes;
  for (node_index u = 0; u < n; ++u)
    if (lv_bus[u] >= 0) transformer_nodes.push_back(u);
  d.road_node_bus.assign(n, -1);
  if (!transformer_nodes.empty()) {
    const road_forest reach = grow_road_forest(roads, transformer_nodes, lv_supply_reach_m);
    for (node_index u = 0; u < n; ++u)
      if (reach.source[u] != no_source) d.road_node_bus[u] = lv_bus[transformer_nodes[reach.source[u]]];
  }
  d.network = writer.take();
  d.substations = sites;
  out.node_lv_bus = std::move(lv_bus);
  return out;
}

}  // namespace

feeder_design build_feeders(const city_graph& graph, const std::vector<building_spec>& buildings,
                            std::vector<substation_site> sites) {
  const std::size_t n = graph.nodes.size();
  if (sites.empty()) throw std::invalid_argument(graph.name + ": no substation site to build feeders from");
  for (const substation_site& s : sites)
    if (s.road_node >= n)
      throw std::invalid_argument(
          fmt::format("{}: substation '{}' is at road node {}, beyond the graph's {} nodes", graph.name,
                      s.name, s.road_node, n));
  std::vector<node_load> load(n);
  for (const building_spec& b : buildings) {
    if (b.nearest_road_node >= n)
      throw std::invalid_argument(
          fmt::format("{}: building {} (OSM {}) is attached to road node {}, beyond the "
                      "graph's {} nodes",
                      graph.name, b.id, b.osm_id, b.nearest_road_node, n));
    if (!(b.peak_kw >= 0 && std::isfinite(b.peak_kw)) || !(b.power_factor > 0 && b.power_factor <= 1))
      throw std::invalid_argument(
          fmt::format("{}: building {} (OSM {}) has peak_kw {} and power_factor {}; need "
                      "peak_kw >= 0 and 0 < power_factor <= 1",
                      graph.name, b.id, b.osm_id, b.peak_kw, b.power_factor));
    node_load& l = load[b.nearest_road_node];
    l.p_mw += b.peak_kw / 1000;
    l.q_mvar += reactive_kvar(b.peak_kw, b.power_factor) / 1000;
    l.kva += b.peak_kw / b.power_factor;
    ++l.buildings;
  }
  const undirected_roads roads(graph);
  std::vector<std::string> notes;
  const std::size_t given = sites.size();

  // Load the roads cannot reach from any site (a separate road component) gets a substation of its own.
  for (;;) {
    std::vector<node_index> sources;
    for (const substation_site& s : sites) sources.push_back(s.road_node);
    const road_forest forest = grow_road_forest(roads, sources);
    node_index stranded = no_road_parent;
    for (node_index u = 0; u < n && stranded == no_road_parent; ++u)
      if (load[u].buildings > 0 && forest.source[u] == no_source) stranded = u;
    if (stranded == no_road_parent) break;
    substation_site s;
    s.road_node = stranded;
    s.x = graph.nodes[stranded].x;
    s.y = graph.nodes[stranded].y;
    s.origin = substation_origin::placed;
    s.name = fmt::format("placed for unconnected roads {}", sites.size() + 1);
    notes.push_back(fmt::format("road node {} has load but no road path to a substation; placed one there",
                                graph.nodes[stranded].external_id));
    sites.push_back(std::move(s));
  }

  std::size_t added = 0;
  layout result = lay_out(graph, roads, load, sites);
  while (!result.weak_nodes.empty()) {
    std::size_t added_now = 0;
    for (node_index weak : result.weak_nodes) {
      if (added >= static_cast<std::size_t>(max_added_substations)) break;
      if (std::any_of(sites.begin(), sites.end(),
                      [&](const substation_site& s) { return s.road_node == weak; }))
        continue;  // a transformer at a substation already below the limit: another site would not help
      substation_site s;
      s.road_node = weak;
      s.x = graph.nodes[weak].x;
      s.y = graph.nodes[weak].y;
      s.origin = substation_origin::added_for_voltage;
      s.name = fmt::format("added for voltage {}", added + 1);
      sites.push_back(std::move(s));
      ++added;
      ++added_now;
    }
    if (added_now == 0) break;
    result = lay_out(graph, roads, load, sites);
  }
  if (added > 0)
    notes.push_back(
        fmt::format("{} substation(s) added where feeders from the {} given could not hold {:.2f} p.u.",
                    added, given, design_min_voltage_pu));
  if (!result.weak_nodes.empty())
    notes.push_back(
        fmt::format("the design rule still puts a bus at {:.3f} p.u. (limit {:.2f}) after adding {} "
                    "substations",
                    result.design.estimated_min_voltage_pu, design_min_voltage_pu, added));

  feeder_design design = std::move(result.design);
  for (const building_spec& b : buildings)
    design.building_bus.push_back(result.node_lv_bus[b.nearest_road_node]);
  design.notes.insert(design.notes.begin(), notes.begin(), notes.end());
  design.notes.push_back(
      fmt::format("{} substations, {} feeders, {} transformers, {} buses; design minimum "
                  "voltage {:.3f} p.u.",
                  design.substations.size(), design.feeders, design.transformers, design.network.buses.size(),
                  design.estimated_min_voltage_pu));
  return design;
}

}  // namespace citytwin

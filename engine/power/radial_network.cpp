#include "engine/power/radial_network.hpp"

#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>
#include <stdexcept>

namespace citytwin {

namespace {

[[noreturn]] void fail(const power_case& pc, std::size_t line, const std::string& reason) {
  throw std::invalid_argument(line ? fmt::format("{}, line {}: {}", pc.file, line, reason)
                                   : fmt::format("{}: {}", pc.file, reason));
}

std::vector<std::size_t> find_sources(const power_case& pc) {
  std::vector<std::size_t> sources;
  for (std::size_t i = 0; i < pc.buses.size(); ++i)
    if (pc.buses[i].kind == bus_kind::slack) sources.push_back(i);
  if (sources.empty()) fail(pc, 0, "no reference bus (type 3) in mpc.bus");
  return sources;
}

// The buses on the tree path between two nodes, for a loop message.
std::string describe_loop(const radial_network& net, std::uint32_t a, std::uint32_t b) {
  std::vector<std::int64_t> up_a, up_b;
  // Nodes are numbered parents first, so the larger index climbs until both meet.
  while (a != b) {
    if (a > b) {
      up_a.push_back(net.nodes[a].bus_number);
      a = net.nodes[a].parent;
    } else {
      up_b.push_back(net.nodes[b].bus_number);
      b = net.nodes[b].parent;
    }
    if (a == no_parent || b == no_parent) return "through two sources";
  }
  up_a.push_back(net.nodes[a].bus_number);
  up_a.insert(up_a.end(), up_b.rbegin(), up_b.rend());
  return fmt::format("{}", fmt::join(up_a, "-"));
}

}  // namespace

radial_network build_radial_network(const power_case& pc) {
  radial_network net;
  net.name = pc.name;
  net.base_mva = pc.base_mva;
  std::map<std::int64_t, std::size_t> bus_index;
  for (std::size_t i = 0; i < pc.buses.size(); ++i) bus_index[pc.buses[i].number] = i;
  const std::vector<std::size_t> sources = find_sources(pc);

  std::vector<complex_pu> generation(pc.buses.size());
  std::vector<double> setpoint(pc.buses.size());
  for (std::size_t b = 0; b < pc.buses.size(); ++b) setpoint[b] = pc.buses[b].voltage_pu;
  for (const power_generator& g : pc.generators) {
    if (!g.in_service) continue;
    const std::size_t b = bus_index.at(g.bus);
    if (pc.buses[b].kind == bus_kind::slack) {
      setpoint[b] = g.voltage_setpoint_pu;
      continue;
    }
    generation[b] += complex_pu(g.p_mw, g.q_mvar);
    if (pc.buses[b].kind == bus_kind::voltage_controlled)
      net.warnings.push_back(fmt::format(
          "bus {} is voltage-controlled (PV); the sweep holds its generator at its scheduled Qg as a PQ injection",
          g.bus));
  }

  // Adjacency of in-service branches, in file order.
  std::vector<std::vector<std::size_t>> incident(pc.buses.size());
  for (std::size_t k = 0; k < pc.branches.size(); ++k) {
    const power_branch& br = pc.branches[k];
    if (!br.in_service) continue;
    incident[bus_index.at(br.from_bus)].push_back(k);
    incident[bus_index.at(br.to_bus)].push_back(k);
  }

  std::vector<std::uint32_t> node_of(pc.buses.size(), no_parent);
  std::vector<bool> branch_used(pc.branches.size(), false);
  auto add_node = [&](std::size_t bus, std::uint32_t parent) {
    radial_node n;
    n.bus_number = pc.buses[bus].number;
    n.parent = parent;
    const power_bus& b = pc.buses[bus];
    n.load = complex_pu(b.load_mw, b.load_mvar) - generation[bus];
    n.shunt_admittance = complex_pu(b.shunt_mw, b.shunt_mvar);
    node_of[bus] = static_cast<std::uint32_t>(net.nodes.size());
    net.nodes.push_back(n);
    return node_of[bus];
  };
  // Breadth-first from each source in turn: parents always precede their children.
  for (std::size_t source : sources) {
    if (node_of[source] != no_parent)
      fail(pc, pc.buses[source].line,
           fmt::format("reference bus {} is connected to another reference bus by in-service branches; a radial "
                       "sweep needs each source to feed its own tree",
                       pc.buses[source].number));
    const std::uint32_t root = add_node(source, no_parent);
    net.nodes[root].source_voltage =
        std::polar(setpoint[source], pc.buses[source].angle_degrees * M_PI / 180.0);
    net.roots.push_back(root);
  }
  for (std::size_t head = 0; head < net.nodes.size(); ++head) {
    const std::size_t bus = bus_index.at(net.nodes[head].bus_number);
    for (std::size_t k : incident[bus]) {
      if (branch_used[k]) continue;
      branch_used[k] = true;
      const power_branch& br = pc.branches[k];
      const bool from_here = bus_index.at(br.from_bus) == bus;
      const std::size_t other = bus_index.at(from_here ? br.to_bus : br.from_bus);
      if (pc.buses[other].kind == bus_kind::isolated)
        fail(pc, br.line, fmt::format("in-service branch {}-{} reaches bus {}, which is marked isolated (type 4)",
                                      br.from_bus, br.to_bus, pc.buses[other].number));
      if (node_of[other] != no_parent)
        fail(pc, br.line,
             fmt::format("branch {}-{} closes the loop {}; the sweep needs a radial network (set one of its "
                         "branches out of service: status 0)",
                         br.from_bus, br.to_bus, describe_loop(net, static_cast<std::uint32_t>(head), node_of[other])));
      const std::uint32_t child = add_node(other, static_cast<std::uint32_t>(head));
      radial_node& n = net.nodes[child];
      n.impedance = complex_pu(br.r_pu, br.x_pu);
      n.tap = br.tap_ratio == 0 && br.shift_degrees == 0
                  ? complex_pu(1, 0)
                  : std::polar(br.tap_ratio == 0 ? 1.0 : br.tap_ratio, br.shift_degrees * M_PI / 180.0);
      n.tap_at_parent = from_here;
      n.charging_half = br.b_pu / 2;
      n.rating_pu = br.rating_mva / pc.base_mva;
      n.branch = k;
      net.nodes[head].children.push_back(child);
    }
  }
  for (std::size_t b = 0; b < pc.buses.size(); ++b)
    if (node_of[b] == no_parent) net.isolated_buses.push_back(pc.buses[b].number);
  return net;
}

}  // namespace citytwin

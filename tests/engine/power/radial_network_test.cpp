// Building the feeder trees: radial checks, sources, and what each node needs for the sweep.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "engine/power/matpower_importer.hpp"
#include "engine/power/radial_network.hpp"

namespace citytwin {

namespace {

const std::string power_dir = std::string(CITYTWIN_SOURCE_DIR) + "/data/power/";

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string error_of(const power_case& pc) {
  try {
    build_radial_network(pc);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(radial_network, case33bw_is_one_tree_with_parents_before_children) {
  const radial_network net = build_radial_network(load_matpower_case(power_dir + "case33bw.m"));
  ASSERT_EQ(net.nodes.size(), 33u);
  ASSERT_EQ(net.roots.size(), 1u);
  EXPECT_EQ(net.nodes[net.roots[0]].bus_number, 1);
  EXPECT_TRUE(net.isolated_buses.empty());
  std::size_t edges = 0;
  for (std::uint32_t i = 0; i < net.nodes.size(); ++i) {
    const radial_node& n = net.nodes[i];
    if (n.parent == no_parent) continue;
    ++edges;
    EXPECT_LT(n.parent, i) << "bus " << n.bus_number;
    EXPECT_GT(n.impedance.real(), 0);
  }
  EXPECT_EQ(edges, 32u);  // the five ties are open
}

TEST(radial_network, closing_a_tie_makes_a_loop_and_names_the_branch) {
  std::string text = read(power_dir + "case33bw.m");
  const std::string tie = "\t21\t8\t2.0000\t2.0000\t0\t0\t0\t0\t0\t0\t0";
  const auto at = text.find(tie);
  ASSERT_NE(at, std::string::npos);
  text[at + tie.size() - 1] = '1';
  const std::string message = error_of(parse_matpower_case(text, "case33bw-meshed.m"));
  // Breadth-first from bus 1, the loop 8-9-...-21 is closed where its two halves meet.
  EXPECT_NE(message.find("case33bw-meshed.m, line 72: branch 7-8 closes the loop "
                         "8-21-20-19-2-3-4-5-6-7"), std::string::npos) << message;
}

TEST(radial_network, two_sources_feed_two_trees) {
  const radial_network net = build_radial_network(load_matpower_case(power_dir + "case70da.m"));
  ASSERT_EQ(net.roots.size(), 2u);
  EXPECT_EQ(net.nodes.size(), 70u);
}

TEST(radial_network, transformer_taps_and_shunts_are_carried_over) {
  const power_case pc = load_matpower_case(power_dir + "case18.m");
  const radial_network net = build_radial_network(pc);
  int charged = 0, shunts = 0;
  for (const radial_node& n : net.nodes) {
    if (n.charging_half > 0) ++charged;
    if (n.shunt_admittance.imag() != 0) ++shunts;
  }
  EXPECT_EQ(charged, 15);
  EXPECT_EQ(shunts, 10);  // buses 2, 3, 4, 5, 7, 20, 21, 24, 25, 50
  EXPECT_NEAR(std::abs(net.nodes[net.roots[0]].source_voltage), 1.05, 1e-12);
}

TEST(radial_network, a_case_without_a_reference_bus_is_rejected) {
  power_case pc = load_matpower_case(power_dir + "case33bw.m");
  pc.buses[0].kind = bus_kind::load;
  EXPECT_NE(error_of(pc).find("no reference bus"), std::string::npos);
}

TEST(radial_network, buses_cut_off_by_open_branches_are_listed_as_isolated) {
  power_case pc = load_matpower_case(power_dir + "case33bw.m");
  for (power_branch& b : pc.branches)
    if (b.from_bus == 32 && b.to_bus == 33) b.in_service = false;
  const radial_network net = build_radial_network(pc);
  ASSERT_EQ(net.isolated_buses.size(), 1u);
  EXPECT_EQ(net.isolated_buses[0], 33);
}

}  // namespace citytwin

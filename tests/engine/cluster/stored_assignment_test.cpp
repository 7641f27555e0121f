// The assignment a node keeps in its data directory: it reads back as written, and a start with a
// different node id, node count, city or partition seed is told exactly what changed.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/cluster/partition.hpp"
#include "engine/cluster/stored_assignment.hpp"
#include "tests/support/bundled_city.hpp"
#include "tests/support/temp_dir.hpp"

namespace citytwin {

namespace {

cluster_config three_nodes() {
  cluster_config config;
  config.city = "data/tntp/SiouxFalls";
  config.nodes = {{0, "10.0.0.10", 4710}, {1, "10.0.0.11", 4710}, {2, "10.0.0.12", 4710}};
  config.partition_seed = 1;
  return config;
}

node_assignment assignment_of(const cluster_config& config, std::uint32_t node, const city_graph& graph) {
  auto partition = partition_segments(graph, static_cast<std::uint32_t>(config.nodes.size()), config.partition_seed);
  return make_assignment(config, node, graph, std::move(partition.part_of), partition.edge_cut);
}

}  // namespace

TEST(stored_assignment, reads_back_what_was_saved) {
  const auto dir = testing::test_temp_dir() / "node1";
  const auto& graph = testing::sioux_falls();
  const auto saved = assignment_of(three_nodes(), 1, graph);
  EXPECT_FALSE(load_assignment(dir).has_value()) << "a fresh data directory holds none";
  save_assignment(dir, saved);
  const auto loaded = load_assignment(dir);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->node, 1u);
  EXPECT_EQ(loaded->nodes, (std::vector<std::string>{"10.0.0.10:4710", "10.0.0.11:4710", "10.0.0.12:4710"}));
  EXPECT_EQ(loaded->city_fingerprint, city_fingerprint(graph));
  EXPECT_EQ(loaded->part_of, saved.part_of);
  EXPECT_EQ(loaded->edge_cut, saved.edge_cut);
  EXPECT_GT(loaded->edge_cut, 0);
  EXPECT_TRUE(assignment_changes(*loaded, make_assignment(three_nodes(), 1, graph, {}, 0)).empty());
}

TEST(stored_assignment, a_moved_node_is_the_same_assignment) {
  const auto& graph = testing::sioux_falls();
  auto moved = three_nodes();
  moved.nodes[2].host = "10.0.0.99";
  EXPECT_TRUE(assignment_changes(assignment_of(three_nodes(), 2, graph), make_assignment(moved, 2, graph, {}, 0)).empty());
}

TEST(stored_assignment, names_every_change_that_decides_the_split) {
  const auto& graph = testing::sioux_falls();
  const auto stored = assignment_of(three_nodes(), 1, graph);

  auto two_nodes = three_nodes();
  two_nodes.nodes.pop_back();
  EXPECT_EQ(assignment_changes(stored, make_assignment(two_nodes, 1, graph, {}, 0)), std::vector<std::string>{"node count 3 -> 2"});
  EXPECT_EQ(assignment_changes(stored, make_assignment(three_nodes(), 2, graph, {}, 0)), std::vector<std::string>{"node id 1 -> 2"});

  auto reseeded = three_nodes();
  reseeded.partition_seed = 5;
  EXPECT_EQ(assignment_changes(stored, make_assignment(reseeded, 1, graph, {}, 0)), std::vector<std::string>{"partition_seed 1 -> 5"});

  auto widened = graph;
  widened.segments[3].capacity_veh_per_h += 100;
  auto other_city = three_nodes();
  other_city.city = "data/tntp/SiouxFalls-widened";
  const auto changes = assignment_changes(stored, make_assignment(other_city, 1, widened, {}, 0));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].rfind("city (data/tntp/SiouxFalls fingerprint ", 0), 0u) << changes[0];
  EXPECT_NE(changes[0].find("-> data/tntp/SiouxFalls-widened fingerprint "), std::string::npos) << changes[0];
}

TEST(stored_assignment, an_unreadable_file_names_the_file_and_field) {
  const auto dir = testing::test_temp_dir();
  const auto& graph = testing::sioux_falls();
  save_assignment(dir, assignment_of(three_nodes(), 0, graph));
  std::ifstream in(assignment_path(dir));
  auto j = nlohmann::json::parse(in);
  in.close();
  j["part_of"][0] = 7;  // a node the cluster does not have
  std::ofstream(assignment_path(dir)) << j.dump();
  try {
    (void)load_assignment(dir);
    FAIL() << "a split naming node 7 of 3 must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(assignment_path(dir).string() + ": part_of names node 7 of 3"), std::string::npos) << e.what();
  }
  j.erase("city_fingerprint");
  std::ofstream(assignment_path(dir)) << j.dump();
  EXPECT_THROW(
      {
        try {
          (void)load_assignment(dir);
        } catch (const std::invalid_argument& e) {
          EXPECT_NE(std::string(e.what()).find("city_fingerprint: missing or of the wrong type"), std::string::npos) << e.what();
          throw;
        }
      },
      std::invalid_argument);
}

}  // namespace citytwin

#include "engine/routing/router.hpp"

#include <gtest/gtest.h>

#include "tests/support/bundled_city.hpp"
#include "tests/support/toy_city.hpp"

namespace citytwin {

namespace {
// 0 -> 1 -> 3 is short; 0 -> 2 -> 3 is long.
city_graph diamond() {
  return testing::make_city(4,
                            {{0, 1, 100, 10, 1000}, {1, 3, 100, 10, 1000}, {0, 2, 300, 10, 1000}, {2, 3, 300, 10, 1000}},
                            {});
}
}  // namespace

TEST(router, takes_the_least_travel_time_route) {
  auto g = diamond();
  router r(g);
  auto times = freeflow_times(g);
  auto route = r.route(0, 3, times);
  ASSERT_TRUE(route);
  EXPECT_EQ(*route, (std::vector<segment_id>{0, 1}));
}

TEST(router, avoids_closed_segments_and_slow_ones) {
  auto g = diamond();
  router r(g);
  auto times = freeflow_times(g);
  times.ms[1] = never;
  EXPECT_EQ(*r.route(0, 3, times), (std::vector<segment_id>{2, 3}));
  times = freeflow_times(g);
  times.ms[0] = 100'000;
  EXPECT_EQ(*r.route(0, 3, times), (std::vector<segment_id>{2, 3}));
}

TEST(router, reports_unreachable_destinations) {
  auto g = diamond();
  router r(g);
  auto times = freeflow_times(g);
  times.ms[1] = times.ms[3] = never;
  EXPECT_FALSE(r.route(0, 3, times));
  shortest_path_tree tree;
  r.build_tree(0, times, tree);
  EXPECT_TRUE(r.path(tree, 3).empty());
}

TEST(router, never_passes_through_a_zone_that_forbids_it) {
  auto g = diamond();
  g.nodes[1].through_allowed = false;
  router r(g);
  auto times = freeflow_times(g);
  EXPECT_EQ(*r.route(0, 3, times), (std::vector<segment_id>{2, 3}));
  EXPECT_EQ(*r.route(0, 1, times), (std::vector<segment_id>{0}));  // it may still be the destination
}

TEST(router, tree_paths_match_single_routes) {
  auto g = diamond();
  router r(g);
  auto times = freeflow_times(g);
  shortest_path_tree tree;
  r.build_tree(0, times, tree);
  for (node_index d = 1; d < 4; ++d) EXPECT_EQ(r.path(tree, d), *r.route(0, d, times));
}

TEST(router, a_search_stopped_at_its_targets_gives_the_full_trees_paths) {
  const auto& g = testing::sioux_falls();
  router r(g);
  auto times = freeflow_times(g);
  for (segment_id s = 0; s < times.ms.size(); s += 7) times.ms[s] = 60'000;  // equal-cost ties too
  times.ms[3] = never;
  shortest_path_tree full, partial;
  // One search after another: a search that stopped early must leave nothing behind for the next.
  for (node_index origin = 0; origin < g.nodes.size(); ++origin) {
    r.build_tree(origin, times, full);
    const std::vector<node_index> targets{static_cast<node_index>((origin + 3) % g.nodes.size()),
                                          static_cast<node_index>((origin * 5 + 1) % g.nodes.size()), origin};
    r.build_tree(origin, times, partial, targets);
    for (node_index d : targets) EXPECT_EQ(r.path(partial, d), r.path(full, d)) << origin << " -> " << d;
  }
}

}  // namespace citytwin

#include "engine/city/roundabouts.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/import/city_loader.hpp"

namespace citytwin {

namespace {

struct city_builder {
  city_graph g;
  node_index node(double x, double y) {
    road_node n;
    n.external_id = static_cast<std::int64_t>(g.nodes.size() + 1);
    n.x = x;
    n.y = y;
    g.nodes.push_back(n);
    return static_cast<node_index>(g.nodes.size() - 1);
  }
  segment_id road(node_index a, node_index b) {
    road_segment_spec s;
    s.id = static_cast<segment_id>(g.segments.size());
    s.from = a;
    s.to = b;
    s.length_m = std::hypot(g.nodes[b].x - g.nodes[a].x, g.nodes[b].y - g.nodes[a].y);
    s.freeflow_speed_mps = 10;
    s.freeflow_time_s = s.length_m / 10;
    s.capacity_veh_per_h = 1'800;
    g.segments.push_back(s);
    return s.id;
  }
  void two_way(node_index a, node_index b) {
    road(a, b);
    road(b, a);
  }
  // `n` nodes on a circle, joined one way counter-clockwise, each with a two-way approach road.
  std::vector<segment_id> ring(double cx, double cy, double radius, int n) {
    std::vector<node_index> at;
    for (int i = 0; i < n; ++i) {
      const double a = 2 * M_PI * i / n;
      at.push_back(node(cx + radius * std::cos(a), cy + radius * std::sin(a)));
    }
    std::vector<segment_id> ring;
    for (int i = 0; i < n; ++i) ring.push_back(road(at[i], at[(i + 1) % n]));
    for (int i = 0; i < n; ++i) {
      const double a = 2 * M_PI * i / n;
      two_way(at[i], node(cx + 3 * radius * std::cos(a), cy + 3 * radius * std::sin(a)));
    }
    return ring;
  }
  city_graph done() {
    g.finalize();
    return g;
  }
};

std::size_t marked(const city_graph& g) {
  std::size_t n = 0;
  for (const auto& s : g.segments) n += s.on_roundabout;
  return n;
}

}  // namespace

TEST(roundabouts, finds_a_round_one_way_ring_and_not_its_approaches) {
  city_builder b;
  auto ring = b.ring(0, 0, 20, 6);
  auto g = b.done();
  EXPECT_EQ(guess_roundabouts(g), 1u);
  for (segment_id s : ring) EXPECT_TRUE(g.segments[s].on_roundabout) << "ring segment " << s;
  EXPECT_EQ(marked(g), ring.size()) << "approach roads are not part of the ring";
}

TEST(roundabouts, the_square_where_two_divided_roads_cross_is_not_one) {
  // Two divided roads (one-way carriageways 20 m apart) crossing: the four corners form a one-way
  // counter-clockwise square, shaped like a ring but not round.
  city_builder b;
  node_index sw = b.node(0, 0), se = b.node(20, 0), ne = b.node(20, 20), nw = b.node(0, 20);
  b.road(b.node(20, -200), se);
  b.road(se, ne);
  b.road(ne, b.node(20, 220));  // northbound, east carriageway
  b.road(b.node(0, 220), nw);
  b.road(nw, sw);
  b.road(sw, b.node(0, -200));  // southbound, west carriageway
  b.road(b.node(220, 20), ne);
  b.road(ne, nw);
  b.road(nw, b.node(-200, 20));  // westbound, north carriageway
  b.road(b.node(-200, 0), sw);
  b.road(sw, se);
  b.road(se, b.node(220, 0));  // eastbound, south carriageway
  auto g = b.done();
  EXPECT_EQ(guess_roundabouts(g), 0u);
  EXPECT_EQ(marked(g), 0u);
}

TEST(roundabouts, a_long_one_way_loop_or_a_two_way_circle_is_not_one) {
  city_builder big;
  big.ring(0, 0, 250, 8);  // 1.5 km around: a one-way loop of streets, not a roundabout
  auto loop = big.done();
  EXPECT_EQ(guess_roundabouts(loop), 0u);

  city_builder both;
  auto ring = both.ring(0, 0, 20, 6);
  for (segment_id s : std::vector<segment_id>(ring)) both.road(both.g.segments[s].to, both.g.segments[s].from);
  auto circle = both.done();
  EXPECT_EQ(guess_roundabouts(circle), 0u) << "traffic on a two-way circle has no ring to circulate on";
}

TEST(roundabouts, finds_the_rings_netconvert_finds_in_berlin_center) {
  // SUMO's netconvert, guessing roundabouts from the same network's shape, finds seven
  // (bench/sumo: net.net.xml's <roundabout> elements), of 7 to 10 nodes each.
  auto city = load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/Berlin-Center");
  const auto found_on_load = marked(city.graph);
  EXPECT_EQ(found_on_load, 59u);
  for (auto& s : city.graph.segments) s.on_roundabout = false;
  EXPECT_EQ(guess_roundabouts(city.graph), 7u);
  EXPECT_EQ(marked(city.graph), found_on_load);
}

}  // namespace citytwin

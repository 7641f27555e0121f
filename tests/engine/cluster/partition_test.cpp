#include "engine/cluster/partition.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "engine/import/city_loader.hpp"
#include "tests/support/toy_city.hpp"

#include "tests/support/bundled_city.hpp"

namespace citytwin {

namespace {

using testing::sioux_falls;

const city_graph& friedrichshain() {
  static const auto city = load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/Berlin-Friedrichshain");
  return city.graph;
}

// The weighted cut of any assignment, counted from the adjacency METIS saw.
std::int64_t cut_of(const segment_adjacency& a, const std::vector<std::uint32_t>& part_of) {
  std::int64_t cut = 0;
  for (std::size_t s = 0; s + 1 < a.begin.size(); ++s)
    for (auto k = a.begin[s]; k < a.begin[s + 1]; ++k)
      if (static_cast<std::size_t>(a.neighbour[k]) > s && part_of[a.neighbour[k]] != part_of[s]) cut += a.edge_weight[k];
  return cut;
}

}  // namespace

TEST(segment_adjacency, is_symmetric_and_joins_segments_that_meet_head_to_tail) {
  const auto& g = sioux_falls();
  auto a = build_segment_adjacency(g);
  ASSERT_EQ(a.begin.size(), g.segments.size() + 1);
  for (std::size_t s = 0; s < g.segments.size(); ++s) {
    EXPECT_GT(a.vertex_weight[s], 0);
    for (auto k = a.begin[s]; k < a.begin[s + 1]; ++k) {
      const auto t = static_cast<std::size_t>(a.neighbour[k]);
      EXPECT_NE(t, s);
      EXPECT_TRUE(g.segments[s].to == g.segments[t].from || g.segments[t].to == g.segments[s].from) << s << " " << t;
      auto back = std::find(a.neighbour.begin() + a.begin[t], a.neighbour.begin() + a.begin[t + 1], static_cast<std::int32_t>(s));
      ASSERT_NE(back, a.neighbour.begin() + a.begin[t + 1]) << "join " << s << "-" << t << " is one-sided";
      EXPECT_EQ(a.edge_weight[back - a.neighbour.begin()], a.edge_weight[k]);
    }
  }
}

TEST(partition, puts_every_segment_in_exactly_one_part) {
  const auto& g = sioux_falls();
  auto p = partition_segments(g, 3, 1);
  ASSERT_EQ(p.part_of.size(), g.segments.size());
  std::vector<std::size_t> counted(3, 0);
  for (auto part : p.part_of) {
    ASSERT_LT(part, 3u);
    ++counted[part];
  }
  EXPECT_EQ(counted, p.part_sizes);
  EXPECT_EQ(std::accumulate(p.part_sizes.begin(), p.part_sizes.end(), std::size_t{0}), g.segments.size());
  for (auto size : p.part_sizes) EXPECT_GT(size, 0u);
}

TEST(partition, parts_weigh_within_the_metis_tolerance) {
  for (const city_graph* g : {&sioux_falls(), &friedrichshain()}) {
    for (std::uint32_t parts : {2u, 3u, 4u}) {
      auto p = partition_segments(*g, parts, 1);
      auto a = build_segment_adjacency(*g);
      const auto heaviest_segment = *std::max_element(a.vertex_weight.begin(), a.vertex_weight.end());
      const double average = static_cast<double>(p.total_weight) / parts;
      const auto heaviest_part = *std::max_element(p.part_weights.begin(), p.part_weights.end());
      // Parts are made of whole segments, so the bound may be overshot by at most one segment.
      EXPECT_LE(heaviest_part, p.imbalance_tolerance * average + heaviest_segment) << g->name << " in " << parts;
      EXPECT_EQ(std::accumulate(p.part_weights.begin(), p.part_weights.end(), std::int64_t{0}), p.total_weight);
    }
  }
}

TEST(partition, is_deterministic_for_a_seed) {
  const auto& g = friedrichshain();
  auto first = partition_segments(g, 3, 42);
  auto again = partition_segments(g, 3, 42);
  EXPECT_EQ(first.part_of, again.part_of);
  EXPECT_EQ(first.edge_cut, again.edge_cut);
}

TEST(partition, reports_the_cut_of_its_assignment_and_beats_splitting_by_id) {
  const auto& g = friedrichshain();
  auto a = build_segment_adjacency(g);
  auto p = partition_segments(g, 3, 1);
  EXPECT_EQ(p.edge_cut, cut_of(a, p.part_of));
  EXPECT_GT(p.cut_joins, 0);
  std::vector<std::uint32_t> by_id(g.segments.size());
  for (std::size_t s = 0; s < by_id.size(); ++s) by_id[s] = static_cast<std::uint32_t>(s * 3 / by_id.size());
  EXPECT_LT(p.edge_cut, cut_of(a, by_id));
}

TEST(partition, one_part_has_no_cut) {
  auto p = partition_segments(sioux_falls(), 1, 1);
  EXPECT_EQ(p.edge_cut, 0);
  EXPECT_EQ(p.part_sizes, std::vector<std::size_t>{sioux_falls().segments.size()});
}

TEST(partition, refuses_zero_parts_and_more_parts_than_segments) {
  auto g = testing::make_city(3, {{0, 1, 100, 10, 1000}, {1, 2, 100, 10, 1000}}, {});
  EXPECT_THROW(partition_segments(g, 0, 1), std::invalid_argument);
  EXPECT_THROW(partition_segments(g, 3, 1), std::invalid_argument);
  auto p = partition_segments(g, 2, 1);  // METIS may leave a part of a tiny graph empty
  EXPECT_EQ(p.part_sizes[0] + p.part_sizes[1], 2u);
}

}  // namespace citytwin

// The twin's inputs keep the newest reading of each kind per twin, whatever order they arrive in,
// and a snapshot brings back exactly what was kept, grid readings included.

#include <gtest/gtest.h>

#include "engine/live/twin_inputs.hpp"

namespace citytwin::testing {

TEST(twin_inputs, keep_the_newest_meter_reading_by_time_then_log_position) {
  twin_inputs inputs;
  EXPECT_TRUE(inputs.record_meter(4, {1000, 1, 10, 1}));
  EXPECT_FALSE(inputs.record_meter(4, {900, 2, 20, 2}));   // older by time: history only
  EXPECT_TRUE(inputs.record_meter(4, {1000, 3, 30, 3}));   // same time, later in the log
  EXPECT_DOUBLE_EQ(inputs.meter(4)->kw, 30);
  EXPECT_FALSE(inputs.meter(5).has_value());
}

TEST(twin_inputs, keep_breaker_and_voltage_of_a_node_apart) {
  twin_inputs inputs;
  EXPECT_TRUE(inputs.record_breaker(17, {2000, 1, 0}));
  EXPECT_TRUE(inputs.record_voltage(17, {1000, 2, 0.97}));  // older than the breaker state, but the first voltage
  EXPECT_FALSE(inputs.record_voltage(17, {500, 3, 0.99}));
  const node_inputs node = inputs.node(17);
  EXPECT_TRUE(node.has_breaker);
  EXPECT_DOUBLE_EQ(node.breaker.value, 0);
  EXPECT_DOUBLE_EQ(node.voltage.value, 0.97);
}

TEST(twin_inputs, a_snapshot_brings_back_segments_meters_and_nodes) {
  twin_inputs inputs;
  inputs.record_event(3, {1000, 1, control_kind::close, 1});
  inputs.record_observation(3, {1100, 2, 42.5, 900});
  inputs.record_meter(9, {1200, 3, 12.25, -3.5});
  inputs.record_breaker(-7, {1300, 4, 1});
  inputs.record_voltage(11, {1400, 5, 1.031});
  const inputs_state restored = twin_inputs::parse(inputs.serialize());
  EXPECT_EQ(restored, inputs.state());
  EXPECT_EQ(restored.meters.size(), 1u);
  EXPECT_EQ(restored.nodes.size(), 2u);
}

TEST(twin_inputs, a_snapshot_of_the_previous_format_still_loads) {
  const auto state = twin_inputs::parse(R"({"format":2,"segments":[{"segment":5,"status":[10,1,0,1.0]}]})");
  ASSERT_EQ(state.segments.size(), 1u);
  EXPECT_TRUE(state.segments.at(5).has_status);
  EXPECT_TRUE(state.meters.empty());
}

TEST(twin_inputs, a_damaged_snapshot_is_refused) {
  EXPECT_THROW(twin_inputs::parse(R"({"format":3,"segments":[],"meters":[[1,2]]})"), std::invalid_argument);
  EXPECT_THROW(twin_inputs::parse(R"({"format":9,"segments":[]})"), std::invalid_argument);
}

}  // namespace citytwin::testing

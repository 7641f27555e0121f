// Buildings and utility nodes behind the front door: meter readings set a building's load, SCADA
// breaker states cut and restore supply, and both kinds answer GetTwin and GetHistory.

#include <gtest/gtest.h>

#include <thread>

#include "tests/engine/frontdoor/frontdoor_fixture.hpp"

namespace citytwin::testing {

namespace {

class grid_frontdoor : public frontdoor_fixture {
 protected:
  bool with_grid() const override { return true; }

  v1::Twin get(v1::TwinKind kind, const std::string& id) {
    auto stub = v1::TwinService::NewStub(channel_);
    v1::GetTwinRequest request;
    request.mutable_twin()->set_kind(kind);
    request.mutable_twin()->set_id(id);
    v1::Twin twin;
    const auto status = stub->GetTwin(call(viewer_token).get(), request, &twin);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return twin;
  }

  // Waits for two more grid steps, so readings sent before are in a published load flow.
  void wait_for_grid_steps() {
    const auto start = power_->view()->version;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (power_->view()->version < start + 2 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  static v1::IngestBatch batch_of(std::uint64_t sequence, std::vector<v1::Reading> readings) {
    v1::IngestBatch b;
    b.set_source("scada");
    b.set_sequence(sequence);
    for (auto& r : readings) *b.add_readings() = std::move(r);
    return b;
  }

  static v1::Reading meter(const std::string& building, double kw) {
    v1::Reading r;
    auto* m = r.mutable_meter();
    m->set_building_id(building);
    m->set_observe_time_ms(epoch_ms_now());
    m->set_active_power_kw(kw);
    m->set_reactive_power_kvar(kw / 3);
    return r;
  }

  static v1::Reading breaker(const std::string& node, v1::BreakerState state) {
    v1::Reading r;
    auto* s = r.mutable_scada();
    s->set_node_id(node);
    s->set_observe_time_ms(epoch_ms_now());
    s->set_breaker_state(state);
    return r;
  }
};

}  // namespace

TEST_F(grid_frontdoor, a_meter_reading_sets_the_buildings_load) {
  wait_for_grid_steps();
  const v1::Twin before = get(v1::TWIN_KIND_BUILDING, "0");
  EXPECT_TRUE(before.building().supplied());
  EXPECT_GT(before.building().load_kw(), 0);
  const auto acks = ingest({batch_of(1, {meter("0", 1234.5)})});
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].accepted(), 1u);
  wait_for_grid_steps();
  const v1::Twin after = get(v1::TWIN_KIND_BUILDING, "0");
  EXPECT_DOUBLE_EQ(after.building().load_kw(), 1234.5);
  EXPECT_EQ(after.building().feeding_node_id(), std::to_string(grid_->buildings[0].feeder_bus));

  auto stub = v1::TwinService::NewStub(channel_);
  v1::GetHistoryRequest history;
  history.mutable_twin()->set_kind(v1::TWIN_KIND_BUILDING);
  history.mutable_twin()->set_id("0");
  v1::GetHistoryResponse entries;
  ASSERT_TRUE(stub->GetHistory(call(viewer_token).get(), history, &entries).ok());
  ASSERT_EQ(entries.entries_size(), 1);
  EXPECT_DOUBLE_EQ(entries.entries(0).reading().meter().active_power_kw(), 1234.5);
}

TEST_F(grid_frontdoor, a_scada_breaker_opening_cuts_the_buildings_below_and_closing_restores_them) {
  const std::string bus = std::to_string(grid_->buildings[0].feeder_bus);
  ASSERT_EQ(ingest({batch_of(1, {breaker(bus, v1::BREAKER_STATE_OPEN)})})[0].accepted(), 1u);
  wait_for_grid_steps();
  const v1::Twin node = get(v1::TWIN_KIND_UTILITY_NODE, bus);
  EXPECT_FALSE(node.utility_node().breaker_closed());
  EXPECT_FALSE(node.utility_node().energized());
  EXPECT_FALSE(get(v1::TWIN_KIND_BUILDING, "0").building().supplied());
  ASSERT_EQ(ingest({batch_of(2, {breaker(bus, v1::BREAKER_STATE_CLOSED)})})[0].accepted(), 1u);
  wait_for_grid_steps();
  EXPECT_TRUE(get(v1::TWIN_KIND_UTILITY_NODE, bus).utility_node().energized());
  const v1::Twin restored = get(v1::TWIN_KIND_BUILDING, "0");
  EXPECT_TRUE(restored.building().supplied());
  EXPECT_GT(restored.building().unserved_energy_kwh(), 0);
}

TEST_F(grid_frontdoor, bad_grid_readings_are_refused_with_their_reason) {
  const std::string substation = std::to_string(grid_->substation_bus[0]);
  v1::Reading no_state;
  no_state.mutable_scada()->set_node_id(substation);
  no_state.mutable_scada()->set_observe_time_ms(epoch_ms_now());
  const auto acks = ingest({batch_of(1, {meter("99999999", 10), meter("0", std::nan("")), breaker("77777", v1::BREAKER_STATE_OPEN),
                                         breaker(substation, v1::BREAKER_STATE_OPEN), no_state})});
  ASSERT_EQ(acks.size(), 1u);
  ASSERT_EQ(acks[0].rejected_size(), 5);
  const char* reasons[] = {"no building '99999999'", "active_power_kw is not a finite number",
                           "no utility node '77777'", "is a substation", "neither breaker_state nor voltage_pu"};
  for (int i = 0; i < 5; ++i) EXPECT_NE(acks[0].rejected(i).reason().find(reasons[i]), std::string::npos) << acks[0].rejected(i).reason();
  EXPECT_EQ(acks[0].rejected(0).code(), v1::REJECTION_CODE_NOT_FOUND);
  EXPECT_EQ(acks[0].rejected(2).code(), v1::REJECTION_CODE_NOT_FOUND);
  EXPECT_EQ(acks[0].rejected(3).code(), v1::REJECTION_CODE_INVALID_ARGUMENT);
}

}  // namespace citytwin::testing

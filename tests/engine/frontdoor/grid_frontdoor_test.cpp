// Buildings and utility nodes behind the front door: meter readings set a building's load, SCADA
// breaker states cut and restore supply, a substation's measured voltage is solved from, both kinds
// answer GetTwin, QueryTwins, WatchTwins and GetHistory, and a restart gives the grid its readings back.

#include <gtest/gtest.h>

#include <set>
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

  static v1::Reading voltage(const std::string& node, double pu, std::int64_t time_ms = epoch_ms_now()) {
    v1::Reading r;
    auto* s = r.mutable_scada();
    s->set_node_id(node);
    s->set_observe_time_ms(time_ms);
    s->mutable_voltage_pu()->set_value(pu);
    return r;
  }

  // Every twin of one kind matching a predicate, over all pages.
  std::set<std::string> query_ids(v1::TwinKind kind, const v1::TwinPredicate& predicate) {
    auto stub = v1::TwinService::NewStub(channel_);
    std::set<std::string> ids;
    v1::QueryTwinsRequest request;
    request.mutable_filter()->add_kinds(kind);
    *request.mutable_filter()->mutable_predicate() = predicate;
    request.set_page_size(7);
    do {
      v1::QueryTwinsResponse page;
      const auto status = stub->QueryTwins(call(viewer_token).get(), request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      for (const auto& t : page.twins()) {
        EXPECT_EQ(t.kind(), kind);
        ids.insert(t.id());
      }
      request.set_page_token(page.next_page_token());
    } while (!request.page_token().empty());
    return ids;
  }

  // The buildings whose feeder bus hangs below `bus` (inclusive) in the radial network.
  std::set<std::string> buildings_below(std::int64_t bus) {
    const radial_network& net = power_->network();
    std::vector<bool> below(net.nodes.size(), false);
    for (std::uint32_t i = 0; i < net.nodes.size(); ++i)
      below[i] = net.nodes[i].bus_number == bus || (net.nodes[i].parent != no_parent && below[net.nodes[i].parent]);
    std::set<std::string> ids;
    for (const building_spec& b : grid_->buildings)
      if (const auto node = power_->node_of_bus(b.feeder_bus); node && below[*node]) ids.insert(std::to_string(b.id));
    return ids;
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

TEST_F(grid_frontdoor, queries_find_exactly_the_buildings_and_nodes_an_open_breaker_cuts_off) {
  const std::int64_t feeder = grid_->buildings[0].feeder_bus;
  // Open the breaker one level above the building's transformer, so more than one node goes dark.
  const auto node = power_->node_of_bus(feeder);
  ASSERT_TRUE(node.has_value());
  const std::uint32_t parent = power_->network().nodes[*node].parent;
  ASSERT_NE(parent, no_parent);
  const std::int64_t cut = power_->is_source(parent) ? feeder : power_->network().nodes[parent].bus_number;
  ASSERT_EQ(ingest({batch_of(1, {breaker(std::to_string(cut), v1::BREAKER_STATE_OPEN)})})[0].accepted(), 1u);
  wait_for_grid_steps();

  v1::TwinPredicate unsupplied;
  unsupplied.mutable_supplied()->set_value(false);
  const std::set<std::string> dark = query_ids(v1::TWIN_KIND_BUILDING, unsupplied);
  EXPECT_EQ(dark, buildings_below(cut));
  EXPECT_TRUE(dark.contains("0"));

  v1::TwinPredicate de_energized;
  de_energized.mutable_energized()->set_value(false);
  const std::set<std::string> dead = query_ids(v1::TWIN_KIND_UTILITY_NODE, de_energized);
  EXPECT_TRUE(dead.contains(std::to_string(cut)));
  EXPECT_TRUE(dead.contains(std::to_string(feeder)));
  for (const std::string& bus : dead) EXPECT_FALSE(get(v1::TWIN_KIND_UTILITY_NODE, bus).utility_node().energized());

  // A road-segment condition never selects a grid twin.
  v1::TwinPredicate slow;
  slow.mutable_speed_below_kmh()->set_value(1000);
  EXPECT_TRUE(query_ids(v1::TWIN_KIND_BUILDING, slow).empty());
}

TEST_F(grid_frontdoor, a_watcher_of_a_building_sees_it_lose_power) {
  const std::string bus = std::to_string(grid_->buildings[0].feeder_bus);
  auto stub = v1::TwinService::NewStub(channel_);
  auto context = call(viewer_token);
  v1::WatchTwinsRequest request;
  auto* ref = request.mutable_filter()->add_twins();
  ref->set_kind(v1::TWIN_KIND_BUILDING);
  ref->set_id("0");
  request.set_send_initial_state(true);
  auto reader = stub->WatchTwins(context.get(), request);
  v1::TwinChange change;
  ASSERT_TRUE(reader->Read(&change));
  EXPECT_EQ(change.type(), v1::TwinChange::CHANGE_TYPE_INITIAL);
  EXPECT_EQ(change.twin().kind(), v1::TWIN_KIND_BUILDING);
  ASSERT_TRUE(reader->Read(&change));
  EXPECT_EQ(change.type(), v1::TwinChange::CHANGE_TYPE_INITIAL_STATE_END);

  ASSERT_EQ(ingest({batch_of(1, {breaker(bus, v1::BREAKER_STATE_OPEN)})})[0].accepted(), 1u);
  bool saw_dark = false;
  while (!saw_dark && reader->Read(&change)) {
    EXPECT_EQ(change.type(), v1::TwinChange::CHANGE_TYPE_UPDATED);
    EXPECT_EQ(change.twin().id(), "0");
    saw_dark = !change.twin().building().supplied();
  }
  EXPECT_TRUE(saw_dark);
  context->TryCancel();
}

TEST_F(grid_frontdoor, a_substations_measured_voltage_is_what_its_feeders_are_solved_from) {
  const std::string substation = std::to_string(grid_->substation_bus[0]);
  ASSERT_EQ(ingest({batch_of(1, {voltage(substation, 1.043)})})[0].accepted(), 1u);
  wait_for_grid_steps();
  const v1::Twin twin = get(v1::TWIN_KIND_UTILITY_NODE, substation);
  EXPECT_NEAR(twin.utility_node().voltage_pu(), 1.043, 1e-12);
  EXPECT_DOUBLE_EQ(twin.utility_node().last_scada_reading().voltage_pu().value(), 1.043);

  // A dead bus at the substation: everything it feeds loses power.
  ASSERT_EQ(ingest({batch_of(2, {voltage(substation, 0.0)})})[0].accepted(), 1u);
  wait_for_grid_steps();
  EXPECT_FALSE(get(v1::TWIN_KIND_UTILITY_NODE, substation).utility_node().energized());
  const auto dead_root = power_->node_of_bus(grid_->substation_bus[0]);
  ASSERT_TRUE(dead_root.has_value());
  for (const building_spec& b : grid_->buildings) {
    auto node = power_->node_of_bus(b.feeder_bus);
    while (node && !power_->is_source(*node)) node = power_->network().nodes[*node].parent;
    if (node == dead_root) {
      EXPECT_FALSE(get(v1::TWIN_KIND_BUILDING, std::to_string(b.id)).building().supplied()) << b.id;
      break;
    }
  }
}

TEST_F(grid_frontdoor, an_older_meter_reading_arriving_late_does_not_replace_a_newer_one) {
  const std::int64_t now = epoch_ms_now();
  auto newer = meter("0", 500);
  newer.mutable_meter()->set_observe_time_ms(now);
  auto older = meter("0", 100);
  older.mutable_meter()->set_observe_time_ms(now - 60'000);
  ASSERT_EQ(ingest({batch_of(1, {newer}), batch_of(2, {older})})[1].accepted(), 1u);
  wait_for_grid_steps();
  const v1::Twin twin = get(v1::TWIN_KIND_BUILDING, "0");
  EXPECT_DOUBLE_EQ(twin.building().load_kw(), 500);
  EXPECT_EQ(twin.building().last_meter_reading().observe_time_ms(), now);
}

TEST_F(grid_frontdoor, a_restart_gives_the_grid_its_newest_meter_and_scada_readings_back) {
  const std::string bus = std::to_string(grid_->buildings[0].feeder_bus);
  ASSERT_EQ(ingest({batch_of(1, {meter("0", 777), breaker(bus, v1::BREAKER_STATE_OPEN)})})[0].accepted(), 2u);

  // A second twin and grid over the same store, as a restarted server would build them.
  live_twin_options live;
  live.time_scale = 60;
  live.demand_scale = 0.1;
  live_twin restarted(city_->graph, live);
  live_grid power(*grid_, restarted, 60 * ms_per_second, 12 * ms_per_hour, 20 * 60 * ms_per_second);
  twin_catalog catalog(city_->graph);
  catalog.grid = &power;
  twin_inputs inputs;
  const restore_summary summary = restore_twin(*store_, catalog, inputs, restarted);
  EXPECT_EQ(summary.grid_twins_with_inputs, 2u);
  EXPECT_EQ(inputs.state().meters, inputs_.state().meters);
  EXPECT_EQ(inputs.state().nodes, inputs_.state().nodes);
  restarted.start();
  power.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (power.view()->version < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto view = power.view();
  ASSERT_GE(view->version, 2u);
  EXPECT_DOUBLE_EQ(view->buildings[0].load_kw, 777);
  EXPECT_FALSE(view->buildings[0].supplied);
  power.stop();
  restarted.stop();
}

}  // namespace citytwin::testing

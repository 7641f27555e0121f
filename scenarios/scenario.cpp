#include "scenarios/scenario.hpp"
#include "scenarios/scenario_peaks.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <sstream>
#include <thread>

#include "engine/demand/demand_surge.hpp"
#include "engine/demand/trip_generator.hpp"
#include "engine/grid/city_grid.hpp"
#include "engine/import/city_loader.hpp"
#include "engine/power/signal_coupling.hpp"
#include "engine/report/kpi_report.hpp"

#ifndef CITYTWIN_SOURCE_DIR
#define CITYTWIN_SOURCE_DIR "."
#endif

namespace citytwin {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

constexpr std::size_t changed_segment_count = 20;
constexpr std::size_t worst_queue_count = 5;
constexpr std::size_t over_capacity_listed = 20;
constexpr double over_capacity_ratio = 0.95;

const char* type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    default: return "an unsupported value";
  }
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Validation with the file name and the JSON path in every error.
struct checker {
  std::string file;

  [[noreturn]] void fail(const std::string& path, const std::string& reason) const { throw scenario_error(file, path, reason); }

  void only_fields(const json& obj, const std::string& path, const std::vector<std::string>& allowed) const {
    for (auto it = obj.begin(); it != obj.end(); ++it)
      if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
        fail(child(path, it.key()), "unknown field (expected one of: " + join(allowed) + ")");
  }
  static std::string child(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

  const json* find(const json& obj, const std::string& key) const {
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }
  const json& require(const json& obj, const std::string& path, const std::string& key) const {
    const json* v = find(obj, key);
    if (!v) fail(child(path, key), "missing field");
    return *v;
  }
  void expect_object(const json& v, const std::string& path) const {
    if (!v.is_object()) fail(path, std::string("wrong type: expected an object, got ") + type_name(v));
  }
  std::string string(const json& v, const std::string& path) const {
    if (!v.is_string()) fail(path, std::string("wrong type: expected a string, got ") + type_name(v));
    return v.get<std::string>();
  }
  std::string nonempty_string(const json& v, const std::string& path) const {
    auto s = string(v, path);
    if (s.empty()) fail(path, "must not be empty");
    return s;
  }
  bool boolean(const json& v, const std::string& path) const {
    if (!v.is_boolean()) fail(path, std::string("wrong type: expected true or false, got ") + type_name(v));
    return v.get<bool>();
  }
  double number(const json& v, const std::string& path, double min, double max) const {
    if (!v.is_number()) fail(path, std::string("wrong type: expected a number, got ") + type_name(v));
    double x = v.get<double>();
    if (!std::isfinite(x) || x < min || x > max) fail(path, fmt::format("{} is out of range [{}, {}]", x, min, max));
    return x;
  }
  std::int64_t integer(const json& v, const std::string& path, std::int64_t min, std::int64_t max) const {
    if (v.is_number_unsigned()) {
      auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(max)) fail(path, fmt::format("{} is out of range [{}, {}]", u, min, max));
      return static_cast<std::int64_t>(u);
    }
    if (!v.is_number_integer()) fail(path, std::string("wrong type: expected an integer, got ") + type_name(v));
    auto x = v.get<std::int64_t>();
    if (x < min || x > max) fail(path, fmt::format("{} is out of range [{}, {}]", x, min, max));
    return x;
  }
  sim_time duration(const json& v, const std::string& path) const {
    if (!v.is_string())
      fail(path, std::string("wrong type: expected a duration string such as \"10m\" or \"1h30m\", got ") + type_name(v));
    try {
      sim_time t = parse_duration(v.get<std::string>());
      if (t < 0) fail(path, "bad duration: must not be negative");
      return t;
    } catch (const scenario_error&) {
      throw;
    } catch (const std::exception& e) {
      fail(path, std::string("bad duration: ") + e.what());
    }
  }
};

std::string describe(const scenario_intervention& i) {
  switch (i.kind) {
    case intervention_kind::close: return "close " + i.segment;
    case intervention_kind::reopen: return "reopen " + i.segment;
    case intervention_kind::capacity: return fmt::format("capacity {} x{}", i.segment, i.value);
    case intervention_kind::demand_scale: return fmt::format("demand x{}", i.value);
    case intervention_kind::breaker: return fmt::format("breaker bus {} {}", i.bus, i.open ? "open" : "close");
    case intervention_kind::surge:
      return fmt::format("surge {} vehicles from node {} over {:g} min", i.vehicles, i.node_number, to_seconds(i.over) / 60);
  }
  return "?";
}

scenario_intervention parse_intervention(const checker& c, const json& v, const std::string& path) {
  c.expect_object(v, path);
  static const std::vector<std::string> actions{"close", "reopen", "capacity", "demand_scale", "breaker", "surge"};
  c.only_fields(v, path, {"at", "close", "reopen", "capacity", "demand_scale", "breaker", "surge", "note"});
  scenario_intervention i;
  i.path = path;
  i.at = c.duration(c.require(v, path, "at"), path + ".at");
  if (const json* n = c.find(v, "note")) c.string(*n, path + ".note");
  std::vector<std::string> present;
  for (const auto& a : actions)
    if (v.contains(a)) present.push_back(a);
  if (present.empty()) c.fail(path, "missing field: one of " + join(actions));
  if (present.size() > 1) c.fail(path, "more than one action (" + join(present) + "): give one per intervention");
  const std::string& action = present.front();
  const std::string apath = path + "." + action;
  const json& a = v.at(action);
  auto segment_ref = [&](const json& s, const std::string& p) {
    if (s.is_number_integer() || s.is_number_unsigned()) return std::to_string(c.integer(s, p, 0, INT32_MAX));
    return c.nonempty_string(s, p);
  };
  if (action == "close" || action == "reopen") {
    i.kind = action == "close" ? intervention_kind::close : intervention_kind::reopen;
    i.segment = segment_ref(a, apath);
  } else if (action == "capacity") {
    c.expect_object(a, apath);
    c.only_fields(a, apath, {"segment", "factor"});
    i.kind = intervention_kind::capacity;
    i.segment = segment_ref(c.require(a, apath, "segment"), apath + ".segment");
    i.value = c.number(c.require(a, apath, "factor"), apath + ".factor", 0, 100);
  } else if (action == "demand_scale") {
    i.kind = intervention_kind::demand_scale;
    i.value = c.number(a, apath, 0, 100);
  } else if (action == "surge") {
    c.expect_object(a, apath);
    c.only_fields(a, apath, {"node", "people", "occupancy", "vehicles", "over"});
    i.kind = intervention_kind::surge;
    i.node_number = c.integer(c.require(a, apath, "node"), apath + ".node", INT64_MIN, INT64_MAX);
    const json* people = c.find(a, "people");
    const json* vehicles = c.find(a, "vehicles");
    if ((people != nullptr) == (vehicles != nullptr)) c.fail(apath, "give either people (with occupancy) or vehicles");
    if (vehicles) {
      if (c.find(a, "occupancy")) c.fail(apath + ".occupancy", "only with people");
      i.vehicles = static_cast<std::uint32_t>(c.integer(*vehicles, apath + ".vehicles", 1, 1'000'000));
    } else {
      const double count = static_cast<double>(c.integer(*people, apath + ".people", 1, 10'000'000));
      const json* occupancy = c.find(a, "occupancy");
      const double per_vehicle = occupancy ? c.number(*occupancy, apath + ".occupancy", 1, 100) : 1.0;
      i.vehicles = static_cast<std::uint32_t>(std::max(1.0, std::round(count / per_vehicle)));
      if (i.vehicles > 1'000'000) c.fail(apath + ".people", "more than 1,000,000 vehicles");
    }
    i.over = c.duration(c.require(a, apath, "over"), apath + ".over");
    if (i.over <= 0) c.fail(apath + ".over", "must be longer than 0s");
  } else {
    c.expect_object(a, apath);
    c.only_fields(a, apath, {"bus", "open"});
    i.kind = intervention_kind::breaker;
    i.bus = c.integer(c.require(a, apath, "bus"), apath + ".bus", 0, INT64_MAX);
    i.open = c.boolean(c.require(a, apath, "open"), apath + ".open");
  }
  return i;
}

scenario_emergency parse_emergency(const checker& c, const json& v) {
  scenario_emergency e;
  e.present = true;
  c.expect_object(v, "emergency");
  c.only_fields(v, "emergency", {"stations", "incidents", "on_scene", "coverage_limit"});
  if (const json* d = c.find(v, "on_scene")) e.on_scene = c.duration(*d, "emergency.on_scene");
  if (const json* d = c.find(v, "coverage_limit")) e.coverage_limit = c.duration(*d, "emergency.coverage_limit");
  const json& stations = c.require(v, "emergency", "stations");
  if (!stations.is_array() || stations.empty()) c.fail("emergency.stations", "expected a non-empty array of stations");
  for (std::size_t k = 0; k < stations.size(); ++k) {
    scenario_emergency::station st;
    st.path = fmt::format("emergency.stations[{}]", k);
    c.expect_object(stations[k], st.path);
    c.only_fields(stations[k], st.path, {"name", "node", "units"});
    st.name = c.nonempty_string(c.require(stations[k], st.path, "name"), st.path + ".name");
    st.node_number = c.integer(c.require(stations[k], st.path, "node"), st.path + ".node", INT64_MIN, INT64_MAX);
    if (const json* u = c.find(stations[k], "units"))
      st.units = static_cast<std::uint32_t>(c.integer(*u, st.path + ".units", 1, 1000));
    e.stations.push_back(std::move(st));
  }
  const json& incidents = c.require(v, "emergency", "incidents");
  if (!incidents.is_array()) c.fail("emergency.incidents", "expected an array of incidents");
  for (std::size_t k = 0; k < incidents.size(); ++k) {
    scenario_emergency::incident in;
    in.path = fmt::format("emergency.incidents[{}]", k);
    c.expect_object(incidents[k], in.path);
    c.only_fields(incidents[k], in.path, {"id", "kind", "node", "at"});
    in.id = c.nonempty_string(c.require(incidents[k], in.path, "id"), in.path + ".id");
    in.kind = c.nonempty_string(c.require(incidents[k], in.path, "kind"), in.path + ".kind");
    in.node_number = c.integer(c.require(incidents[k], in.path, "node"), in.path + ".node", INT64_MIN, INT64_MAX);
    in.at = c.duration(c.require(incidents[k], in.path, "at"), in.path + ".at");
    for (const auto& earlier : e.incidents)
      if (earlier.id == in.id) c.fail(in.path + ".id", "duplicate incident id '" + in.id + "'");
    e.incidents.push_back(std::move(in));
  }
  return e;
}

std::string resolve_city_path(const std::string& city, const std::string& base_dir) {
  namespace fs = std::filesystem;
  fs::path p(city);
  if (p.is_absolute()) return city;
  std::error_code ec;
  for (const fs::path& root : {fs::path(CITYTWIN_SOURCE_DIR), fs::current_path(ec), fs::path(base_dir)})
    if (fs::exists(root / p, ec)) return (root / p).string();
  return (fs::path(CITYTWIN_SOURCE_DIR) / p).string();
}

// ---- running ----

double hours(sim_time t) { return static_cast<double>(t) / ms_per_hour; }

std::string segment_label(const city_graph& g, segment_id s) {
  const auto& seg = g.segments[s];
  auto label = fmt::format("{}-{}", g.nodes[seg.from].external_id, g.nodes[seg.to].external_id);
  if (!seg.name.empty()) label += " " + seg.name;
  return label;
}

// Departures after the cut, piecewise by the demand scale in force at each departure time. Where the
// scale is the twin's own, the twin's pending departures are kept as they are (ids included); elsewhere
// the trip table at the new scale is drawn from the same seed and its vehicles get fresh ids, above
// every id the twin used, in (departure, origin, destination) order.
// Departures at or after `until` (the run's end) are left out: they could never leave.
trip_plan fork_departures(const city_graph& graph, const simulation_state& base,
                          const std::vector<scenario_intervention>& interventions, sim_time until,
                          std::map<double, trip_plan>& cache) {
  const double twin_scale = base.demand.scale;
  std::vector<std::pair<sim_time, double>> changes{{base.time, twin_scale}};
  std::vector<const scenario_intervention*> demand;
  for (const auto& i : interventions)
    if (i.kind == intervention_kind::demand_scale) demand.push_back(&i);
  std::stable_sort(demand.begin(), demand.end(), [](auto* a, auto* b) { return a->at < b->at; });
  for (auto* i : demand) {
    const sim_time at = base.time + i->at;
    if (at == changes.back().first) changes.back().second = twin_scale * i->value;
    else changes.push_back({at, twin_scale * i->value});
  }
  trip_plan out;
  std::uint32_t next_id = base.next_vehicle_id;
  for (std::size_t k = 0; k < changes.size(); ++k) {
    const sim_time from = changes[k].first;
    const sim_time to = k + 1 < changes.size() ? changes[k + 1].first : until;
    const double scale = changes[k].second;
    if (scale == twin_scale) {
      for (const trip& t : base.departures)
        if (t.departure >= from && t.departure < to) out.trips.push_back(t);
      continue;
    }
    auto it = cache.find(scale);
    if (it == cache.end()) {
      demand_options d = base.demand;
      d.scale = scale;
      it = cache.emplace(scale, generate_trips(graph, d)).first;
    }
    for (trip t : it->second.trips)
      if (t.departure >= from && t.departure < to) {
        t.vehicle_id = next_id++;
        out.trips.push_back(t);
      }
  }
  bool surged = false;
  for (const auto& i : interventions) {  // in file order, each above every id before it
    if (i.kind != intervention_kind::surge) continue;
    for (const trip& t : surge_trips(graph, {i.node, i.vehicles, base.time + i.at, i.over}, base.seed, next_id))
      if (t.departure < until) out.trips.push_back(t);
    next_id += i.vehicles;
    surged = true;
  }
  if (surged)
    std::sort(out.trips.begin(), out.trips.end(), [](const trip& a, const trip& b) {
      return a.departure != b.departure ? a.departure < b.departure : a.vehicle_id < b.vehicle_id;
    });
  return out;
}

std::vector<breaker_action> breaker_actions(const std::vector<scenario_intervention>& interventions) {
  std::vector<breaker_action> out;
  for (const auto& i : interventions)
    if (i.kind == intervention_kind::breaker) out.push_back({i.at, i.bus, !i.open});
  return out;
}

struct branch_task {
  std::string name;
  const std::vector<scenario_intervention>* interventions = nullptr;
};

bool wants(const scenario& s, const std::string& kpi) {
  return s.kpis.empty() || std::find(s.kpis.begin(), s.kpis.end(), kpi) != s.kpis.end();
}

ojson branch_kpis(const city_graph& g, const scenario& s, const branch_outcome& b, const branch_outcome* baseline) {
  const simulation_result& r = b.traffic;
  ojson k;
  sim_time trip_sum = 0, delay_sum = 0;
  std::vector<sim_time> durations;
  durations.reserve(r.trips.size());
  sim_time time_in_branch = 0;  // vehicle time since the branch began (trips may have started before the cut)
  for (const auto& t : r.trips) {
    if (t.vehicle >= emergency_vehicle_ids) continue;  // reported per incident below
    const sim_time d = t.arrival - t.departure;
    trip_sum += d;
    time_in_branch += t.arrival - std::max(t.departure, r.start_time);
    delay_sum += std::max<sim_time>(0, d - t.freeflow);
    durations.push_back(d);
  }
  std::sort(durations.begin(), durations.end());
  const double n = static_cast<double>(std::max<std::size_t>(1, durations.size()));
  k["trips_planned"] = r.planned_trips;
  k["departed"] = r.departed;
  if (wants(s, "trips_completed")) k["trips_completed"] = r.arrived;
  k["carried_over"] = r.carried_over;
  k["en_route_at_end"] = r.en_route;
  k["trips_unroutable"] = r.unroutable;
  k["simulated_seconds"] = to_seconds(r.end_time - r.start_time);
  if (wants(s, "vehicle_hours_travelled")) k["vehicle_hours_travelled"] = hours(time_in_branch + r.en_route_time);
  if (wants(s, "total_delay")) {
    k["total_delay_vehicle_hours"] = hours(delay_sum);
    k["mean_delay_s"] = to_seconds(delay_sum) / n;
  }
  if (wants(s, "mean_trip_time")) k["mean_trip_time_s"] = to_seconds(trip_sum) / n;
  if (wants(s, "p95_trip_time")) {
    std::size_t at = std::min(durations.size() * 95 / 100, durations.empty() ? 0 : durations.size() - 1);
    k["p95_trip_time_s"] = durations.empty() ? 0.0 : to_seconds(durations[at]);
  }
  if (wants(s, "worst_queues")) {
    std::vector<std::size_t> order(r.segments.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t c) { return r.segments[a].max_queue > r.segments[c].max_queue; });
    auto worst = ojson::array();
    for (std::size_t i = 0; i < std::min(worst_queue_count, order.size()); ++i) {
      const auto& sn = r.segments[order[i]];
      if (sn.max_queue == 0) break;
      worst.push_back({{"segment", segment_label(g, sn.segment)}, {"id", sn.segment},
                       {"max_queue_vehicles", sn.max_queue}, {"at_s", to_seconds(sn.max_queue_at)}});
    }
    k["worst_queues"] = worst;
  }
  if (wants(s, "segments_over_capacity")) {
    // Mean outflow over the simulated time against the capacity in force at the end, or a queue left at the end.
    struct over { segment_id id; double ratio; std::int32_t queued; };
    std::vector<over> list;
    const double run_hours = std::max(1e-9, hours(r.end_time - r.start_time));
    for (const auto& sn : r.segments) {
      const auto& spec = g.segments[sn.segment];
      if (spec.unlimited) continue;
      const double cap = spec.capacity_veh_per_h;
      const double ratio = cap > 0 ? static_cast<double>(sn.outflow) / run_hours / cap : 0.0;
      if (ratio >= over_capacity_ratio || sn.queued > 0) list.push_back({sn.segment, ratio, sn.queued});
    }
    std::stable_sort(list.begin(), list.end(), [](const over& a, const over& c) {
      return std::tie(a.queued, a.ratio) > std::tie(c.queued, c.ratio);
    });
    auto segs = ojson::array();
    for (std::size_t i = 0; i < std::min(over_capacity_listed, list.size()); ++i)
      segs.push_back({{"segment", segment_label(g, list[i].id)}, {"id", list[i].id},
                      {"flow_to_capacity", list[i].ratio}, {"queued_at_end", list[i].queued}});
    k["segments_over_capacity"] = {{"count", list.size()}, {"top", segs}};
  }
  if (b.has_grid) {
    if (wants(s, "unserved_energy")) k["unserved_energy_kwh"] = b.unserved_kwh;
    if (wants(s, "building_hours_without_power")) k["building_hours_without_power"] = b.building_hours_without_power;
    k["dark_signal_controls"] = b.dark_signal_controls;
  }
  if (s.emergency.present) {
    auto incidents = ojson::array();
    double response_sum = 0;
    std::size_t responded = 0;
    for (const incident_response& ir : b.responses) {
      ojson j{{"incident", ir.incident}, {"kind", ir.kind}, {"at_s", to_seconds(ir.incident_at - r.start_time)},
              {"dispatched", ir.dispatched}};
      if (ir.dispatched) {
        j["station"] = ir.station;
        j["unit"] = ir.unit;
        j["dispatched_at_s"] = to_seconds(ir.dispatched_at - r.start_time);
        j["expected_travel_s"] = to_seconds(ir.expected_travel);
        auto route = ojson::array();
        for (segment_id seg : ir.route) route.push_back(segment_label(g, seg));
        j["route"] = route;
      }
      if (const auto rt = ir.response_time()) {
        j["response_time_s"] = to_seconds(*rt);
        response_sum += to_seconds(*rt);
        ++responded;
      } else {
        j["response_time_s"] = nullptr;  // not dispatched, or still driving at the end
      }
      incidents.push_back(std::move(j));
    }
    k["emergency"] = {{"incidents", incidents},
                      {"mean_response_time_s", responded ? ojson(response_sum / static_cast<double>(responded)) : ojson(nullptr)},
                      {"coverage_share", b.coverage_share},
                      {"coverage_limit_s", to_seconds(s.emergency.coverage_limit)}};
  }
  if (baseline && wants(s, "changed_segments")) {
    const auto& base = baseline->traffic.segments;
    std::vector<std::pair<std::int64_t, segment_id>> diffs;
    for (std::size_t i = 0; i < r.segments.size() && i < base.size(); ++i) {
      const std::int64_t d = r.segments[i].outflow - base[i].outflow;
      if (d != 0) diffs.push_back({std::llabs(d), static_cast<segment_id>(i)});
    }
    std::stable_sort(diffs.begin(), diffs.end(), [](const auto& a, const auto& c) {
      return a.first != c.first ? a.first > c.first : a.second < c.second;
    });
    auto changed = ojson::array();
    auto mean_tt = [](const segment_snapshot& sn) {
      return sn.outflow > 0 ? to_seconds(sn.travel_time_sum) / static_cast<double>(sn.outflow) : 0.0;
    };
    for (std::size_t i = 0; i < std::min(changed_segment_count, diffs.size()); ++i) {
      const segment_id id = diffs[i].second;
      changed.push_back({{"segment", segment_label(g, id)}, {"id", id},
                         {"baseline_flow", base[id].outflow}, {"flow", r.segments[id].outflow},
                         {"flow_change", r.segments[id].outflow - base[id].outflow},
                         {"baseline_mean_travel_time_s", mean_tt(base[id])}, {"mean_travel_time_s", mean_tt(r.segments[id])}});
    }
    k["changed_segments"] = changed;
  }
  return k;
}

// [segment id, vehicles out of it minus the baseline's] for every segment whose flow changed.
ojson flow_changes(const simulation_result& baseline, const simulation_result& variant) {
  auto changes = ojson::array();
  for (std::size_t i = 0; i < variant.segments.size(); ++i)
    if (const std::int64_t d = variant.segments[i].outflow - baseline.segments[i].outflow; d != 0)
      changes.push_back(ojson::array({variant.segments[i].segment, d}));
  return changes;
}

ojson intervention_json(const scenario_intervention& i) {
  ojson j;
  j["at_s"] = to_seconds(i.at);
  j["action"] = describe(i);
  if (i.resolved != no_segment) j["segment_id"] = i.resolved;
  if (i.kind == intervention_kind::close) j["closes"] = true;
  return j;
}

}  // namespace

scenario_error::scenario_error(const std::string& file, const std::string& path, const std::string& reason,
                               bool unknown_reference)
    : std::runtime_error(file + ": " + (path.empty() ? std::string("(document)") : path) + ": " + reason),
      path_(path),
      unknown_reference_(unknown_reference) {}

std::string find_scenario_example(const std::string& name) {
  // Plain names only: never a path out of the examples directory.
  if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos)
    return "";
  const auto path = std::filesystem::path(CITYTWIN_SOURCE_DIR) / "scenarios" / "examples" / (name + ".json");
  std::error_code ec;
  return std::filesystem::exists(path, ec) ? path.string() : "";
}

const std::vector<std::string>& scenario_kpi_names() {
  static const std::vector<std::string> names{"vehicle_hours_travelled", "total_delay", "trips_completed",
                                              "mean_trip_time", "p95_trip_time", "worst_queues",
                                              "segments_over_capacity", "unserved_energy",
                                              "building_hours_without_power", "changed_segments"};
  return names;
}

scenario parse_scenario(const nlohmann::json& doc, const std::string& file, const std::string& base_dir) {
  checker c{file};
  scenario s;
  s.file = file;
  c.expect_object(doc, "");
  c.only_fields(doc, "", {"schema_version", "name", "description", "city", "seed", "start", "horizon", "clear", "clear_limit",
                          "demand_scale", "threads", "utilities", "grid_start", "grid_step", "kpis", "variants",
                          "emergency", "peaks"});
  const json& version = c.require(doc, "", "schema_version");
  s.schema_version = static_cast<int>(c.integer(version, "schema_version", 0, INT32_MAX));
  if (s.schema_version != scenario_schema_version)
    c.fail("schema_version", fmt::format("unsupported version {} (this build reads version {})", s.schema_version,
                                         scenario_schema_version));
  s.name = c.nonempty_string(c.require(doc, "", "name"), "name");
  if (const json* v = c.find(doc, "description")) s.description = c.string(*v, "description");
  s.city = c.nonempty_string(c.require(doc, "", "city"), "city");
  s.city_path = resolve_city_path(s.city, base_dir);
  if (const json* v = c.find(doc, "seed")) s.seed = static_cast<std::uint64_t>(c.integer(*v, "seed", 0, INT64_MAX));
  if (const json* v = c.find(doc, "start")) s.start = c.duration(*v, "start");
  s.horizon = c.duration(c.require(doc, "", "horizon"), "horizon");
  if (s.horizon <= 0) c.fail("horizon", "must be longer than 0");
  if (const json* v = c.find(doc, "clear")) s.clear = c.boolean(*v, "clear");
  if (const json* v = c.find(doc, "clear_limit")) s.clear_limit = c.duration(*v, "clear_limit");
  if (const json* v = c.find(doc, "demand_scale")) s.demand_scale = c.number(*v, "demand_scale", 0, 100);
  if (const json* v = c.find(doc, "threads")) s.threads = static_cast<std::uint32_t>(c.integer(*v, "threads", 1, 256));
  if (const json* v = c.find(doc, "utilities")) s.utilities = c.boolean(*v, "utilities");
  if (const json* v = c.find(doc, "peaks")) s.peaks = static_cast<std::uint32_t>(c.integer(*v, "peaks", 1, 31));
  if (const json* v = c.find(doc, "grid_start")) s.grid_start = c.duration(*v, "grid_start");
  if (const json* v = c.find(doc, "grid_step")) {
    s.grid_step = c.duration(*v, "grid_step");
    if (s.grid_step <= 0) c.fail("grid_step", "must be longer than 0");
  }
  if (const json* v = c.find(doc, "kpis")) {
    if (!v->is_array()) c.fail("kpis", std::string("wrong type: expected an array of KPI names, got ") + type_name(*v));
    for (std::size_t k = 0; k < v->size(); ++k) {
      const std::string p = fmt::format("kpis[{}]", k);
      auto name = c.string((*v)[k], p);
      const auto& all = scenario_kpi_names();
      if (std::find(all.begin(), all.end(), name) == all.end())
        c.fail(p, "unknown KPI '" + name + "' (expected one of: " + join(all) + ")");
      s.kpis.push_back(name);
    }
  }
  if (const json* v = c.find(doc, "emergency")) s.emergency = parse_emergency(c, *v);
  const json& variants = c.require(doc, "", "variants");
  if (!variants.is_array()) c.fail("variants", std::string("wrong type: expected an array, got ") + type_name(variants));
  const sim_time last = s.horizon + (s.clear ? s.clear_limit : 0);
  std::set<std::string> names{"baseline"};
  for (std::size_t k = 0; k < variants.size(); ++k) {
    const std::string vp = fmt::format("variants[{}]", k);
    const json& v = variants[k];
    c.expect_object(v, vp);
    c.only_fields(v, vp, {"name", "description", "interventions"});
    scenario_variant var;
    var.name = c.nonempty_string(c.require(v, vp, "name"), vp + ".name");
    if (!names.insert(var.name).second)
      c.fail(vp + ".name", "'" + var.name + "' is already taken (names must be unique; 'baseline' is reserved)");
    if (const json* d = c.find(v, "description")) c.string(*d, vp + ".description");
    const json& list = c.require(v, vp, "interventions");
    if (!list.is_array()) c.fail(vp + ".interventions", std::string("wrong type: expected an array, got ") + type_name(list));
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto iv = parse_intervention(c, list[i], fmt::format("{}.interventions[{}]", vp, i));
      if (iv.at >= last)
        c.fail(iv.path + ".at", fmt::format("{} is not before the end of the run ({})", format_clock(iv.at), format_clock(last)));
      if (iv.kind == intervention_kind::breaker) s.utilities = true;
      var.interventions.push_back(std::move(iv));
    }
    s.variants.push_back(std::move(var));
  }
  return s;
}

scenario load_scenario_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw scenario_error(path, "", "cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  json doc;
  try {
    doc = json::parse(text.str());
  } catch (const json::parse_error& e) {
    throw scenario_error(path, "", std::string("not valid JSON: ") + e.what());
  }
  const auto dir = std::filesystem::path(path).parent_path().string();
  return parse_scenario(doc, path, dir.empty() ? "." : dir);
}

void resolve_segments(scenario& s, const city_graph& graph) {
  if (s.emergency.present) {
    std::map<std::int64_t, node_index> by_number;
    for (node_index n = 0; n < graph.nodes.size(); ++n) by_number.emplace(graph.nodes[n].external_id, n);
    auto resolve = [&](std::int64_t number, const std::string& path) {
      const auto found = by_number.find(number);
      if (found == by_number.end())
        throw scenario_error(s.file, path, fmt::format("unknown node {} in {}", number, graph.name), true);
      return found->second;
    };
    for (auto& st : s.emergency.stations) st.node = resolve(st.node_number, st.path + ".node");
    for (auto& in : s.emergency.incidents) in.node = resolve(in.node_number, in.path + ".node");
  }
  for (auto& v : s.variants)
    for (auto& i : v.interventions) {
      if (i.kind == intervention_kind::surge) {
        const auto found = std::find_if(graph.nodes.begin(), graph.nodes.end(),
                                        [&](const road_node& n) { return n.external_id == i.node_number; });
        if (found == graph.nodes.end())
          throw scenario_error(s.file, i.path + ".surge.node", fmt::format("unknown node {} in {}", i.node_number, graph.name), true);
        i.node = static_cast<node_index>(found - graph.nodes.begin());
        if (graph.out_degree(i.node) == 0)
          throw scenario_error(s.file, i.path + ".surge.node", fmt::format("node {} has no road leaving it", i.node_number), true);
        continue;
      }
      if (i.kind != intervention_kind::close && i.kind != intervention_kind::reopen && i.kind != intervention_kind::capacity)
        continue;
      const std::string p = i.path + (i.kind == intervention_kind::close    ? ".close"
                                      : i.kind == intervention_kind::reopen ? ".reopen"
                                                                            : ".capacity.segment");
      try {
        i.resolved = find_segment(graph, i.segment);
      } catch (const std::exception& e) {
        throw scenario_error(s.file, p, "unknown segment '" + i.segment + "' in " + graph.name + " (" + e.what() + ")",
                             true);
      }
    }
}

std::shared_ptr<const simulation_state> warm_up_twin(const city_graph& graph, const scenario& s) {
  demand_options d;
  d.seed = s.seed;
  d.scale = s.demand_scale;
  d.period = s.start + s.horizon;
  const trip_plan plan = generate_trips(graph, d);
  simulation_options o;
  o.seed = s.seed;
  o.duration = s.start;
  o.threads = s.threads;
  o.demand_scale = s.demand_scale;
  o.capture_state = true;
  auto warm = run_simulation(graph, plan, o);
  warm.state->demand = d;
  return warm.state;
}

loaded_city load_scenario_city(const scenario& s) {
  try {
    return load_city(s.city_path);
  } catch (const std::exception& e) {
    throw scenario_error(s.file, "city", std::string("cannot load the city: ") + e.what());
  }
}

namespace {

// One report for a run over several peaks: each branch's KPIs over all peaks (merge_peaks), and each
// peak's own branches under `peaks`.
scenario_outcome combine_peaks(const city_graph& graph, const scenario& s, std::vector<scenario_outcome> peaks) {
  scenario_outcome out;
  out.report = peaks.front().report;
  out.report["scenario"]["seed"] = s.seed;
  out.report["scenario"]["peaks"] = s.peaks;
  auto per_peak = ojson::array();
  for (std::size_t p = 0; p < peaks.size(); ++p)
    per_peak.push_back({{"peak", p + 1}, {"seed", s.seed + p}, {"fork", peaks[p].report["fork"]},
                        {"branches", peaks[p].report["branches"]}});
  const std::size_t branch_count = peaks.front().branches.size();
  std::vector<branch_outcome> weeks;
  for (std::size_t k = 0; k < branch_count; ++k) {
    std::vector<const branch_outcome*> days;
    for (const auto& p : peaks) days.push_back(&p.branches[k]);
    weeks.push_back(merge_peaks(days));
  }
  auto& branches = out.report["branches"];
  for (std::size_t k = 0; k < branch_count; ++k) {
    auto& b = branches[k];
    b.erase("flow_change");
    b["kpi"] = branch_kpis(graph, s, weeks[k], k == 0 ? nullptr : &weeks[0]);
    b["kpi_digest"] = kpi_digest(b);
    if (k > 0) b["flow_change"] = flow_changes(weeks[0].traffic, weeks[k].traffic);
  }
  out.report["peaks"] = std::move(per_peak);
  for (const auto& p : peaks) out.wall_seconds += p.wall_seconds;
  out.branches = std::move(peaks.front().branches);
  return out;
}

}  // namespace

scenario_outcome run_scenario(scenario s, const scenario_run_options& run_options) {
  auto say = [&](const std::string& m) {
    if (run_options.on_progress) run_options.on_progress(m);
  };
  say("loading city " + s.city_path);
  const loaded_city city = load_scenario_city(s);
  resolve_segments(s, city.graph);
  std::unique_ptr<city_grid> grid;
  if (s.utilities) {
    say("building the city grid");
    std::string osm = city.geographic ? city.source : std::string();
    grid = std::make_unique<city_grid>(build_city_grid(city, osm, s.seed));
  }
  std::vector<scenario_outcome> peaks;
  for (std::uint32_t k = 0; k < s.peaks; ++k) {
    scenario day = s;
    day.peaks = 1;
    day.seed = s.seed + k;
    if (s.peaks > 1) say(fmt::format("peak {} of {} (seed {})", k + 1, s.peaks, day.seed));
    say(s.start > 0 ? "warming the twin up to " + format_clock(s.start) : "taking the twin's initial state");
    const auto started = std::chrono::steady_clock::now();
    auto base = warm_up_twin(city.graph, day);
    say(fmt::format("forking at {} with {} vehicles on the network ({:.2f} s)", format_clock(base->time),
                    base->vehicles_on_network(),
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()));
    peaks.push_back(run_scenario_from(city.graph, std::move(base), std::move(day), run_options, grid.get()));
  }
  if (s.peaks == 1) return std::move(peaks.front());
  return combine_peaks(city.graph, s, std::move(peaks));
}

void check_references(scenario& s, const city_graph& graph, const city_grid* grid) {
  resolve_segments(s, graph);
  if (s.utilities && grid == nullptr)
    throw scenario_error(s.file, "utilities", "this twin runs without its grid (start the server with --grid)");
  if (grid) {
    std::set<std::int64_t> buses;
    for (const auto& b : grid->network.buses) buses.insert(b.number);
    for (const auto& v : s.variants)
      for (const auto& i : v.interventions)
        if (i.kind == intervention_kind::breaker && !buses.count(i.bus))
          throw scenario_error(s.file, i.path + ".breaker.bus",
                               fmt::format("unknown bus {} (the grid of {} has {} buses)", i.bus, graph.name, buses.size()),
                               true);
  }
}

scenario_outcome run_scenario_from(const city_graph& graph, std::shared_ptr<const simulation_state> base, scenario s,
                                   const scenario_run_options& run_options, const city_grid* grid) {
  const auto started = std::chrono::steady_clock::now();
  auto say = [&](const std::string& m) {
    if (run_options.on_progress) run_options.on_progress(m);
  };
  if (!base) throw std::invalid_argument("run_scenario_from needs a state to fork from");
  if (s.peaks > 1)
    throw scenario_error(s.file, "peaks",
                         "several peaks run only alone (citytwin scenario run without --server): each peak is a fresh day "
                         "of the scenario's own city, not a fork of this twin");
  check_references(s, graph, grid);
  const sim_time fork = base->time;
  {
    // Worst queues count from the cut, like every other branch figure.
    auto restarted = std::make_shared<simulation_state>(*base);
    for (auto& sn : restarted->segments) sn.model.restart_queue_record(fork);
    base = std::move(restarted);
  }

  std::vector<branch_task> tasks;
  static const std::vector<scenario_intervention> none;
  tasks.push_back({"baseline", &none});
  for (const auto& v : s.variants) tasks.push_back({v.name, &v.interventions});

  // Departures are made up front, in order (cheap and deterministic).
  std::map<double, trip_plan> plan_cache;
  std::vector<trip_plan> plans;
  const sim_time until = fork + s.horizon + (s.clear ? s.clear_limit : 0);
  for (const auto& t : tasks) plans.push_back(fork_departures(graph, *base, *t.interventions, until, plan_cache));
  plan_cache.clear();

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const unsigned parallel = std::min<unsigned>(run_options.parallel ? run_options.parallel : cores,
                                               static_cast<unsigned>(tasks.size()));
  std::vector<branch_outcome> outcomes(tasks.size());
  std::vector<std::exception_ptr> errors(tasks.size());
  std::atomic<std::size_t> next{0};
  std::mutex say_mutex;
  auto work = [&] {
    for (std::size_t k = next++; k < tasks.size(); k = next++) {
      try {
        const auto t0 = std::chrono::steady_clock::now();
        branch_outcome& out = outcomes[k];
        out.name = tasks[k].name;
        simulation_options o;
        o.seed = base->seed;
        o.window_length = base->window_length;
        o.reroute_interval = base->reroute_interval;
        o.model = base->model;
        o.duration = fork + s.horizon;
        o.clear = s.clear;
        o.clear_limit = s.clear_limit;
        o.threads = s.threads;
        o.demand_scale = base->demand.scale;
        o.resume_from = base;
        o.cancel = run_options.cancel;
        if (run_options.on_branch_progress)
          o.on_progress = [&, k](const simulation_progress& p) {
            run_options.on_branch_progress({k, p.now, p.horizon, p.departed, p.arrived, p.en_route});
          };
        for (const auto& i : *tasks[k].interventions) {
          switch (i.kind) {
            case intervention_kind::close: o.controls.push_back({i.at, i.resolved, control_kind::close, 0}); break;
            case intervention_kind::reopen: o.controls.push_back({i.at, i.resolved, control_kind::reopen, 0}); break;
            case intervention_kind::capacity:
              o.controls.push_back({i.at, i.resolved, control_kind::capacity_factor, i.value});
              break;
            default: break;
          }
        }
        if (grid) {
          grid_simulation_options go;
          go.start_time_of_day = s.grid_start;
          go.duration = s.horizon + (s.clear ? s.clear_limit : 0);
          go.step = s.grid_step;
          go.actions = breaker_actions(*tasks[k].interventions);
          go.threads = 1;
          const grid_simulation_result gr = run_grid_simulation(*grid, go);
          auto dark = dark_signal_controls(graph, *grid, gr.outages);
          out.has_grid = true;
          out.unserved_kwh = gr.unserved_kwh;
          out.building_hours_without_power = gr.building_hours_without_power;
          out.dark_signal_controls = dark.size();
          // Dark signals first, so an explicit capacity intervention at the same time wins.
          dark.insert(dark.end(), o.controls.begin(), o.controls.end());
          o.controls = std::move(dark);
        }
        for (auto& c : o.controls) c.at += fork;  // scenario times count from the cut
        std::stable_sort(o.controls.begin(), o.controls.end(),
                         [](const segment_control& a, const segment_control& b) { return a.at < b.at; });
        std::unique_ptr<emergency_dispatcher> dispatcher;
        if (s.emergency.present) {
          emergency_plan plan;
          plan.on_scene = s.emergency.on_scene;
          plan.coverage_limit = s.emergency.coverage_limit;
          for (const auto& st : s.emergency.stations) plan.stations.push_back({st.name, st.node, st.units});
          for (const auto& in : s.emergency.incidents) plan.incidents.push_back({in.id, in.kind, in.node, fork + in.at});
          dispatcher = std::make_unique<emergency_dispatcher>(graph, std::move(plan), emergency_vehicle_ids);
          o.dispatch = dispatcher->hooks();
        }
        out.traffic = run_simulation(graph, plans[k], o);
        if (dispatcher) {
          out.responses = dispatcher->responses(out.traffic);
          std::vector<node_index> targets;
          if (grid)
            for (const auto& b : grid->buildings) targets.push_back(b.nearest_road_node);
          else
            for (node_index n = 0; n < graph.nodes.size(); ++n) targets.push_back(n);
          out.coverage_share = dispatcher->coverage_share(targets);
        }
        // Segment counters in the report count from the cut.
        for (auto& sn : out.traffic.segments) {
          const segment_snapshot at_cut = base->segments[sn.segment].model.snapshot(fork);
          sn.inflow -= at_cut.inflow;
          sn.outflow -= at_cut.outflow;
          sn.travel_time_sum -= at_cut.travel_time_sum;
        }
        out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::lock_guard lock(say_mutex);
        say(fmt::format("branch '{}' done in {:.2f} s", out.name, out.wall_seconds));
      } catch (...) {
        errors[k] = std::current_exception();
      }
    }
  };
  say(fmt::format("running {} branches from the cut at {}, {} at a time", tasks.size(), format_clock(fork), parallel));
  if (parallel <= 1) {
    work();
  } else {
    std::vector<std::thread> workers;
    for (unsigned w = 0; w < parallel; ++w) workers.emplace_back(work);
    for (auto& w : workers) w.join();
  }
  for (std::size_t k = 0; k < errors.size(); ++k)
    if (errors[k]) {
      try {
        std::rethrow_exception(errors[k]);
      } catch (const simulation_cancelled&) {
        throw;
      } catch (const std::exception& e) {
        throw std::runtime_error("branch '" + tasks[k].name + "' failed: " + e.what());
      }
    }

  ojson report;
  report["schema_version"] = s.schema_version;
  report["scenario"] = {{"name", s.name}, {"description", s.description}, {"city", s.city}, {"seed", base->seed},
                        {"horizon_s", to_seconds(s.horizon)}, {"clear", s.clear},
                        {"demand_scale", base->demand.scale}, {"utilities", s.utilities}};
  report["fork"] = {{"time_s", to_seconds(fork)},
                    {"vehicles_on_network", base->vehicles_on_network()},
                    {"departures_pending", base->departures.size()},
                    {"closed_segments", std::count(base->closed.begin(), base->closed.end(), true)}};
  report["city"] = {{"name", graph.name}, {"nodes", graph.nodes.size()}, {"segments", graph.segments.size()}};
  auto kpis = ojson::array();
  for (const auto& k : s.kpis.empty() ? scenario_kpi_names() : s.kpis) kpis.push_back(k);
  report["kpis"] = kpis;
  auto branches = ojson::array();
  for (std::size_t k = 0; k < outcomes.size(); ++k) {
    ojson b;
    b["name"] = outcomes[k].name;
    auto iv = ojson::array();
    for (const auto& i : *tasks[k].interventions) iv.push_back(intervention_json(i));
    b["interventions"] = iv;
    b["kpi"] = branch_kpis(graph, s, outcomes[k], k == 0 ? nullptr : &outcomes[0]);
    b["kpi_digest"] = kpi_digest(b);
    if (k > 0) b["flow_change"] = flow_changes(outcomes[0].traffic, outcomes[k].traffic);
    branches.push_back(b);
  }
  report["branches"] = branches;

  scenario_outcome result;
  result.report = std::move(report);
  result.branches = std::move(outcomes);
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

std::string render_scenario_table(const nlohmann::ordered_json& report) {
  std::string out;
  const auto& branches = report.at("branches");
  out += fmt::format("Scenario: {} ({}, {} segments)\n", report["scenario"]["name"].get<std::string>(),
                     report["city"]["name"].get<std::string>(), report["city"]["segments"].get<std::size_t>());
  if (report["scenario"].contains("peaks"))
    out += fmt::format("  over {} peaks (seeds {} to {}): every figure below covers all of them; per peak in the report\n",
                       report["scenario"]["peaks"].get<std::uint32_t>(), report["scenario"]["seed"].get<std::uint64_t>(),
                       report["scenario"]["seed"].get<std::uint64_t>() + report["scenario"]["peaks"].get<std::uint64_t>() - 1);
  auto cell = [](std::string s) {
    if (s.size() > 20) s = s.substr(0, 19) + "~";
    return fmt::format(" {:>20}", s);
  };
  out += fmt::format("  {:<32}", "");
  for (const auto& b : branches) out += cell(b["name"].get<std::string>());
  out += "\n";
  struct row_spec { const char* key; const char* label; const char* format; };
  const row_spec rows[] = {
      {"departed", "vehicles departed", "{:.0f}"},
      {"trips_completed", "trips completed", "{:.0f}"},
      {"en_route_at_end", "still en route at the end", "{:.0f}"},
      {"vehicle_hours_travelled", "vehicle-hours travelled", "{:.1f}"},
      {"total_delay_vehicle_hours", "total delay (veh-h)", "{:.1f}"},
      {"mean_delay_s", "mean delay (s)", "{:.1f}"},
      {"mean_trip_time_s", "mean trip time (s)", "{:.1f}"},
      {"p95_trip_time_s", "95th pct trip time (s)", "{:.1f}"},
      {"unserved_energy_kwh", "unserved energy (kWh)", "{:.1f}"},
      {"building_hours_without_power", "building-hours without power", "{:.1f}"},
  };
  for (const auto& r : rows) {
    bool any = false;
    for (const auto& b : branches) any = any || b["kpi"].contains(r.key);
    if (!any) continue;
    out += fmt::format("  {:<32}", r.label);
    for (const auto& b : branches)
      out += cell(b["kpi"].contains(r.key) ? fmt::format(fmt::runtime(r.format), b["kpi"][r.key].get<double>()) : "-");
    out += "\n";
  }
  if (!branches.empty() && branches[0]["kpi"].contains("emergency")) {
    const auto& first = branches[0]["kpi"]["emergency"];
    out += fmt::format("  {:<32}", "mean response time (s)");
    for (const auto& b : branches) {
      const auto& m = b["kpi"]["emergency"]["mean_response_time_s"];
      out += cell(m.is_null() ? "-" : fmt::format("{:.0f}", m.get<double>()));
    }
    out += fmt::format("\n  {:<32}", fmt::format("covered within {:.0f} min", first["coverage_limit_s"].get<double>() / 60));
    for (const auto& b : branches)
      out += cell(fmt::format("{:.1f} %", 100 * b["kpi"]["emergency"]["coverage_share"].get<double>()));
    out += "\n";
    for (std::size_t i = 0; i < first["incidents"].size(); ++i) {
      out += fmt::format("  {:<32}", fmt::format("response to {} (s)", first["incidents"][i]["incident"].get<std::string>()));
      for (const auto& b : branches) {
        const auto& in = b["kpi"]["emergency"]["incidents"][i];
        out += cell(in["response_time_s"].is_null() ? "-"
                                                    : fmt::format("{:.0f} from {}", in["response_time_s"].get<double>(),
                                                                  in["station"].get<std::string>()));
      }
      out += "\n";
    }
  }
  bool has_over = false;
  for (const auto& b : branches) has_over = has_over || b["kpi"].contains("segments_over_capacity");
  if (has_over) {
    out += fmt::format("  {:<32}", "segments over capacity");
    for (const auto& b : branches)
      out += cell(b["kpi"].contains("segments_over_capacity")
                      ? fmt::format("{}", b["kpi"]["segments_over_capacity"]["count"].get<std::size_t>())
                      : "-");
    out += "\n";
  }
  for (const auto& b : branches) {
    const auto& k = b["kpi"];
    if (k.contains("worst_queues") && !k["worst_queues"].empty()) {
      out += fmt::format("  worst queues, {}:\n", b["name"].get<std::string>());
      for (const auto& q : k["worst_queues"])
        out += fmt::format("    {:<28} {:>6} veh at {:.0f} s\n", q["segment"].get<std::string>(),
                           q["max_queue_vehicles"].get<std::int64_t>(), q["at_s"].get<double>());
    }
    if (k.contains("changed_segments") && !k["changed_segments"].empty()) {
      out += fmt::format("  segments that changed most vs baseline, {}:\n", b["name"].get<std::string>());
      out += fmt::format("    {:<28} {:>9} {:>9} {:>9}\n", "segment", "baseline", "variant", "change");
      for (const auto& c : k["changed_segments"])
        out += fmt::format("    {:<28} {:>9} {:>9} {:>+9}\n", c["segment"].get<std::string>(),
                           c["baseline_flow"].get<std::int64_t>(), c["flow"].get<std::int64_t>(),
                           c["flow_change"].get<std::int64_t>());
    }
  }
  for (const auto& b : branches)
    out += fmt::format("  kpi digest {:<20} {}\n", b["name"].get<std::string>(), b["kpi_digest"].get<std::string>());
  return out;
}

}  // namespace citytwin

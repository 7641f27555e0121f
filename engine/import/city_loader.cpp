#include "engine/import/city_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "engine/city/roundabouts.hpp"
#include "engine/import/import_error.hpp"

namespace citytwin {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_osm_file(const std::string& p) {
  for (const char* ext : {".osm", ".osm.pbf", ".pbf", ".osm.gz", ".osm.bz2"})
    if (ends_with(p, ext)) return true;
  return false;
}

void apply(const unit_overrides& o, tntp_units& u) {
  if (o.seconds_per_time_unit) u.seconds_per_time_unit = *o.seconds_per_time_unit;
  if (o.metres_per_length_unit) u.metres_per_length_unit = *o.metres_per_length_unit;
  if (o.capacity_per_hour_factor) u.capacity_per_hour_factor = *o.capacity_per_hour_factor;
  if (o.trips_per_hour_factor) u.trips_per_hour_factor = *o.trips_per_hour_factor;
}

std::string describe(const tntp_units& u) {
  return "free-flow time unit " + std::to_string(u.seconds_per_time_unit) + " s, length unit " +
         std::to_string(u.metres_per_length_unit) + " m, capacity x" + std::to_string(u.capacity_per_hour_factor) +
         " veh/h, trips x" + std::to_string(u.trips_per_hour_factor) + " veh/h";
}

loaded_city load_manifest(const fs::path& dir, const unit_overrides& overrides) {
  auto manifest_path = (dir / "city.json").string();
  std::ifstream in(manifest_path);
  if (!in) throw import_error(manifest_path, "", "", "cannot open the city manifest (a city directory needs city.json)");
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw import_error(manifest_path, "byte " + std::to_string(e.byte), "", e.what());
  }
  auto field = [&](const char* key) -> std::string {
    if (!m.contains(key) || !m[key].is_string()) throw import_error(manifest_path, "", key, "required text field is missing");
    return m[key].get<std::string>();
  };
  auto format = field("format");
  loaded_city city;
  if (format == "osm") {
    auto file = (dir / field("file")).string();
    city.graph = import_osm(file);
    city.geographic = true;
    city.source = file;
    city.units_note = "OpenStreetMap: metres and km/h; per-class defaults where tags are missing";
    if (m.contains("name") && m["name"].is_string()) city.graph.name = m["name"].get<std::string>();
    return city;
  }
  if (format != "tntp") throw import_error(manifest_path, "", "format", "must be 'tntp' or 'osm', not '" + format + "'");
  bool guess_rings = true;  // TNTP marks no roundabouts
  if (m.contains("roundabouts")) {
    const auto& r = m["roundabouts"];
    if (!r.is_string() || (r != "guess" && r != "none"))
      throw import_error(manifest_path, "", "roundabouts",
                         "must be \"guess\" (from the network's shape) or \"none\", not " + r.dump());
    guess_rings = r == "guess";
  }
  tntp_files files{(dir / field("network")).string(), std::nullopt, std::nullopt};
  if (m.contains("trips")) files.trips = (dir / field("trips")).string();
  if (m.contains("nodes")) files.nodes = (dir / field("nodes")).string();
  tntp_units units;
  if (m.contains("units")) {
    const auto& u = m["units"];
    auto number = [&](const char* key, double& target) {
      if (!u.contains(key)) return;
      if (!u[key].is_number() || !(u[key].get<double>() > 0))
        throw import_error(manifest_path, "units", key, "must be a positive number");
      target = u[key].get<double>();
    };
    number("seconds_per_time_unit", units.seconds_per_time_unit);
    number("metres_per_length_unit", units.metres_per_length_unit);
    number("capacity_per_hour_factor", units.capacity_per_hour_factor);
    number("trips_per_hour_factor", units.trips_per_hour_factor);
  }
  apply(overrides, units);
  if (m.contains("cost_weights")) {
    const auto& w = m["cost_weights"];
    auto weight = [&](const char* key, double& target) {
      if (!w.contains(key)) return;
      if (!w[key].is_number() || w[key].get<double>() < 0)
        throw import_error(manifest_path, "cost_weights", key, "must be a number >= 0");
      target = w[key].get<double>();
    };
    weight("toll_per_unit", city.weights.toll_per_unit);
    weight("distance_per_unit", city.weights.distance_per_unit);
  }
  city.units = units;
  city.graph = import_tntp(files, units, m.value("name", dir.filename().string()));
  if (guess_rings) guess_roundabouts(city.graph);
  city.source = files.network;
  city.units_note = describe(units);
  if (m.contains("units_note") && m["units_note"].is_string()) city.units_note += ". " + m["units_note"].get<std::string>();
  return city;
}

loaded_city load_file(const std::string& path, const unit_overrides& overrides);

// A directory without city.json (a TNTP network folder as published, say): its one network file or
// OSM extract, loaded as if named on its own.
loaded_city load_directory(const fs::path& dir, const unit_overrides& overrides) {
  std::error_code ec;
  if (fs::exists(dir / "city.json", ec)) return load_manifest(dir, overrides);
  std::vector<std::string> cities;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto name = entry.path().string();
    if (entry.is_regular_file(ec) && (ends_with(name, "_net.tntp") || is_osm_file(name))) cities.push_back(name);
  }
  std::sort(cities.begin(), cities.end());
  if (cities.size() == 1) return load_file(cities.front(), overrides);
  std::string found;
  for (const auto& c : cities) found += (found.empty() ? "" : ", ") + fs::path(c).filename().string();
  throw import_error((dir / "city.json").string(), "", "",
                     "cannot open the city manifest (a city directory needs city.json, or exactly one *_net.tntp file or OSM "
                     "extract; found " + (cities.empty() ? std::string("none") : found) + ")");
}

loaded_city load_file(const std::string& path, const unit_overrides& overrides) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw import_error(path, "", "", "no such file or directory");
  loaded_city city;
  city.source = path;
  if (is_osm_file(path)) {
    city.graph = import_osm(path);
    city.geographic = true;
    city.units_note = "OpenStreetMap: metres and km/h; per-class defaults where tags are missing";
    return city;
  }
  if (ends_with(path, "_net.tntp")) {
    auto stem = path.substr(0, path.size() - std::string("_net.tntp").size());
    tntp_files files{path, std::nullopt, std::nullopt};
    if (fs::exists(stem + "_trips.tntp")) files.trips = stem + "_trips.tntp";
    if (fs::exists(stem + "_node.tntp")) files.nodes = stem + "_node.tntp";
    tntp_units units;
    apply(overrides, units);
    city.units = units;
    city.graph = import_tntp(files, units, fs::path(stem).filename().string());
    guess_roundabouts(city.graph);
    city.units_note = describe(units) + " (TNTP defaults or --time-unit/--length-unit; the file states none)";
    return city;
  }
  throw import_error(path, "", "", "unknown city format: give a directory with city.json, a *_net.tntp file, or an OSM extract (.osm, .osm.pbf, .osm.gz, .osm.bz2)");
}

}  // namespace

loaded_city load_city(const std::string& path, const unit_overrides& overrides) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return load_directory(path, overrides);
  return load_file(path, overrides);
}

}  // namespace citytwin

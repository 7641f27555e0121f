#include "clients/twinctl/detector_csv.hpp"

#include <charconv>
#include <fmt/format.h>
#include <fstream>
#include <stdexcept>

namespace citytwin {

namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    std::string field = line.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!field.empty() && (field.back() == ' ' || field.back() == '\r')) field.pop_back();
    while (!field.empty() && field.front() == ' ') field.erase(field.begin());
    fields.push_back(std::move(field));
    if (comma == std::string::npos) return fields;
    start = comma + 1;
  }
}

}  // namespace

std::vector<v1::Reading> read_detector_csv(const std::string& path, std::int64_t start_ms, std::int64_t interval_ms) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the file");
  const char* const columns[] = {"segment_id", "time_s", "count", "speed_kmh", "occupancy"};
  std::vector<v1::Reading> readings;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line == "\r" || line[0] == '#') continue;
    const auto fields = split(line);
    if (number == 1 && fields[0] == "segment_id") continue;  // the header
    if (fields.size() != 5)
      throw std::runtime_error(fmt::format("{}, line {}: expected 5 columns ({}), found {}", path, number,
                                           "segment_id,time_s,count,speed_kmh,occupancy", fields.size()));
    auto number_at = [&](std::size_t column) {
      double value = 0;
      const std::string& text = fields[column];
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (text.empty() || error != std::errc() || end != text.data() + text.size())
        throw std::runtime_error(fmt::format("{}, line {}, column '{}': '{}' is not a number", path, number,
                                             columns[column], text));
      return value;
    };
    if (fields[0].empty()) throw std::runtime_error(fmt::format("{}, line {}, column 'segment_id': empty", path, number));
    const double time_s = number_at(1);
    const double count = number_at(2);
    if (count < 0 || count != static_cast<double>(static_cast<std::uint64_t>(count)))
      throw std::runtime_error(fmt::format("{}, line {}, column 'count': '{}' is not a whole number of vehicles", path,
                                           number, fields[2]));
    v1::Reading reading;
    auto* d = reading.mutable_traffic_detector();
    d->set_segment_id(fields[0]);
    d->set_observe_time_ms(time_s > 1e9 ? static_cast<std::int64_t>(time_s * 1000)
                                        : start_ms + static_cast<std::int64_t>(time_s * 1000));
    d->set_interval_ms(interval_ms);
    d->set_vehicle_count(static_cast<std::uint32_t>(count));
    // Range checks are the server's: it answers with the reason, per reading.
    d->set_mean_speed_kmh(number_at(3));
    d->set_occupancy(number_at(4));
    readings.push_back(std::move(reading));
  }
  return readings;
}

}  // namespace citytwin

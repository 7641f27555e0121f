#include "engine/clock/sim_time.hpp"

#include <cctype>
#include <fmt/format.h>
#include <stdexcept>

namespace citytwin {

sim_time parse_duration(std::string_view text) {
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument("invalid duration '" + std::string(text) + "': " + why +
                                " (examples: 3600, 90s, 15m, 1h30m, 1500ms)");
  };
  if (text.empty()) fail("empty");
  sim_time total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) fail("expected a number");
    std::int64_t value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      value = value * 10 + (text[i] - '0');
      if (value > 1'000'000'000) fail("too large");
      ++i;
    }
    std::string_view unit;
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    unit = text.substr(unit_start, i - unit_start);
    if (unit.empty() || unit == "s") total += value * ms_per_second;
    else if (unit == "ms") total += value;
    else if (unit == "m" || unit == "min") total += value * 60 * ms_per_second;
    else if (unit == "h") total += value * ms_per_hour;
    else if (unit == "d") total += value * 24 * ms_per_hour;
    else fail("unknown unit '" + std::string(unit) + "'");
  }
  return total;
}

std::string format_clock(sim_time t) {
  auto s = t / ms_per_second;
  return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

}  // namespace citytwin

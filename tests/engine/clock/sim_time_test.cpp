#include "engine/clock/sim_time.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace citytwin {

TEST(sim_time, parses_durations_in_every_unit) {
  EXPECT_EQ(parse_duration("90"), 90'000);
  EXPECT_EQ(parse_duration("90s"), 90'000);
  EXPECT_EQ(parse_duration("15m"), 900'000);
  EXPECT_EQ(parse_duration("1h30m"), 5'400'000);
  EXPECT_EQ(parse_duration("1500ms"), 1'500);
  EXPECT_EQ(parse_duration("1d"), 86'400'000);
}

TEST(sim_time, rejects_malformed_durations_with_the_text) {
  for (const char* bad : {"", "h", "1x", "-5", "1.5h", "99999999999s"}) {
    try {
      parse_duration(bad);
      FAIL() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(sim_time, formats_clock_time) {
  EXPECT_EQ(format_clock(3'723'000), "1:02:03");
  EXPECT_EQ(format_clock(0), "0:00:00");
}

}  // namespace citytwin

// Black-box runs of the citytwin executable: what a user types, what they read back.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace citytwin {

namespace {

struct command_result {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

command_result run(const std::string& arguments) {
  std::string command = std::string(CITYTWIN_BINARY) + " " + arguments + " 2>&1";
  command_result result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (auto n = fread(buffer.data(), 1, buffer.size(), pipe)) result.output.append(buffer.data(), n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

const std::string sioux = std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls";

}  // namespace

TEST(cli, simulate_prints_a_summary_and_writes_a_report) {
  auto dir = testing::test_temp_dir();
  auto report = (dir / "report.json").string();
  auto r = run("simulate --city " + sioux + " --duration 10m --demand-scale 0.05 --threads 2 --report " + report);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* line : {"vehicles departed", "vehicles arrived", "still en route", "vehicle-hours travelled",
                           "mean trip time", "mean delay", "simulated seconds per wall second", "kpi digest"})
    EXPECT_NE(r.output.find(line), std::string::npos) << line;
  std::ifstream in(report);
  auto json = nlohmann::json::parse(in);
  EXPECT_GT(json["kpi"]["departed"].get<int>(), 0);
  EXPECT_EQ(json["kpi"]["departed"].get<int>(), json["kpi"]["arrived"].get<int>() + json["kpi"]["en_route"].get<int>());
  EXPECT_FALSE(json["segments"].empty());
  EXPECT_TRUE(json["run"].contains("wall_time_s"));
  EXPECT_FALSE(json["kpi"].contains("wall_time_s")) << "kpi must hold only deterministic figures";
}

TEST(cli, the_same_seed_gives_the_same_digest_on_any_thread_count) {
  auto a = run("simulate --quiet --city " + sioux + " --duration 10m --demand-scale 0.05 --seed 5 --threads 1");
  auto b = run("simulate --quiet --city " + sioux + " --duration 10m --demand-scale 0.05 --seed 5 --threads 3");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(b.exit_code, 0) << b.output;
  auto digest = [](const std::string& out) { return out.substr(out.find("kpi digest")); };
  EXPECT_EQ(digest(a.output), digest(b.output));
}

TEST(cli, bad_input_gets_a_clear_error_and_a_failing_exit_code) {
  struct bad_case {
    std::string arguments;
    std::string expected;
  };
  for (const auto& c : std::vector<bad_case>{
           {"simulate --city /no/such/city", "/no/such/city: no such file"},
           {"simulate --city " + sioux + " --duration 1x", "invalid duration '1x'"},
           {"simulate --city " + sioux + " --close 999@10m", "segment 999 does not exist"},
           {"simulate --city " + sioux + " --close 1-24@10m", "no segment runs from node 1 to node 24"},
           {"simulate --city " + sioux + " --capacity 3@10m", "expected SEGMENT=FACTOR@TIME"},
           {"simulate --city " + sioux + " --threads 0", "threads"},
           {"simulate --bogus", "bogus"},
       }) {
    auto r = run(c.arguments);
    EXPECT_NE(r.exit_code, 0) << c.arguments;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << c.arguments << "\n" << r.output;
  }
}

TEST(cli, help_lists_every_option) {
  auto r = run("simulate --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* option : {"--city", "--duration", "--seed", "--threads", "--report", "--clear", "--close"})
    EXPECT_NE(r.output.find(option), std::string::npos) << option;
}

TEST(cli, loadflow_prints_losses_and_the_weakest_bus_as_json) {
  auto r = run("loadflow --json --buses --case " + std::string(CITYTWIN_SOURCE_DIR) + "/data/power/case33bw.m");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto json = nlohmann::json::parse(r.output);
  EXPECT_TRUE(json["converged"].get<bool>());
  EXPECT_NEAR(json["losses_kw"].get<double>(), 202.67, 0.5);
  EXPECT_NEAR(json["losses_kvar"].get<double>(), 135.14, 0.5);
  EXPECT_NEAR(json["min_voltage_pu"].get<double>(), 0.9131, 1e-4);
  EXPECT_EQ(json["min_voltage_bus"].get<int>(), 18);
  EXPECT_GT(json["iterations"].get<int>(), 0);
  EXPECT_EQ(json["buses"].size(), 33u);
}

TEST(cli, loadflow_with_an_open_breaker_reports_the_dark_buses) {
  auto r = run("loadflow --json --open 6 --case " + std::string(CITYTWIN_SOURCE_DIR) + "/data/power/case33bw.m");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto json = nlohmann::json::parse(r.output);
  EXPECT_EQ(json["de_energized_buses"].get<int>(), 21);
}

TEST(cli, loadflow_errors_name_the_file_and_line) {
  auto dir = testing::test_temp_dir();
  auto bad = testing::write_file(dir / "bad.m", "mpc.baseMVA = 10;\nmpc.bus = [\n1 3 0 0 0 0 1 1 0 12 1 1 x;\n];\n");
  auto r = run("loadflow --case " + bad);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("bad.m, line 3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("'x' is not a number"), std::string::npos) << r.output;
  auto missing = run("loadflow --json");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("--case"), std::string::npos) << missing.output;
}

}  // namespace citytwin

// Black-box runs of a cluster: three `citytwin node` processes on loopback ports must report
// exactly what a single-process `citytwin simulate` reports for the same city, demand and seed.

#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.hpp"

extern char** environ;

#include "tests/support/free_port.hpp"

namespace citytwin {

namespace {

const std::string sioux = std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls";
constexpr auto process_timeout = std::chrono::seconds(240);

using testing::free_port;

// The citytwin binary with `arguments`, output to `log`, in the background.
pid_t start(const std::string& arguments, const std::string& log) {
  std::string command = "exec " + std::string(CITYTWIN_BINARY) + " " + arguments + " > " + log + " 2>&1";
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = -1;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) return -1;
  return pid;
}

// The exit code, or -1 after killing a process that ran past the timeout.
int wait_for(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + process_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::ordered_json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::ordered_json::parse(in);
}

std::string cluster_config(const std::vector<std::uint16_t>& ports, const std::string& scenario) {
  std::string nodes;
  for (std::size_t i = 0; i < ports.size(); ++i)
    nodes += (i ? ", " : "") + std::string("{\"id\": ") + std::to_string(i) + ", \"host\": \"127.0.0.1\", \"port\": " +
             std::to_string(ports[i]) + "}";
  return "{\"city\": \"" + sioux + "\", \"connect_timeout_s\": 60, \"nodes\": [" + nodes + "], \"scenario\": " + scenario + "}";
}

struct cluster_outcome {
  std::vector<int> exit_codes;
  std::vector<std::string> logs;
};

// Starts nodes 1.. first (they wait for their peers), then node 0 with `extra0` arguments.
cluster_outcome run_cluster(const std::filesystem::path& dir, const std::vector<std::string>& configs, const std::string& extra0) {
  cluster_outcome outcome;
  std::vector<pid_t> pids(configs.size());
  for (std::size_t i = configs.size(); i-- > 0;) {
    const auto log = (dir / ("node" + std::to_string(i) + ".log")).string();
    outcome.logs.push_back(log);
    pids[i] = start("node --quiet --cluster " + configs[i] + " --id " + std::to_string(i) + (i == 0 ? " " + extra0 : ""), log);
  }
  std::reverse(outcome.logs.begin(), outcome.logs.end());
  for (pid_t pid : pids) outcome.exit_codes.push_back(pid > 0 ? wait_for(pid) : -1);
  return outcome;
}

}  // namespace

TEST(cluster, three_processes_report_exactly_what_one_process_reports_on_sioux_falls) {
  auto dir = testing::test_temp_dir();
  const std::string scenario = R"({"seed": 7, "duration": "20m", "demand_scale": 0.1, "clear": true})";
  const auto config = testing::write_file(dir / "cluster.json", cluster_config({free_port(), free_port(), free_port()}, scenario));
  const auto cluster_report = (dir / "cluster_report.json").string();
  auto outcome = run_cluster(dir, {config, config, config}, "--report " + cluster_report);
  for (std::size_t i = 0; i < outcome.exit_codes.size(); ++i)
    ASSERT_EQ(outcome.exit_codes[i], 0) << "node " << i << ":\n" << read_text(outcome.logs[i]);

  const auto single_report = (dir / "single_report.json").string();
  const auto single_log = (dir / "single.log").string();
  ASSERT_EQ(wait_for(start("simulate --quiet --city " + sioux + " --seed 7 --duration 20m --demand-scale 0.1 --clear --report " +
                               single_report, single_log)), 0)
      << read_text(single_log);

  auto one = read_json(single_report);
  auto three = read_json(cluster_report);
  EXPECT_GT(one["kpi"]["departed"].get<int>(), 500);
  EXPECT_EQ(one["kpi"]["en_route"].get<int>(), 0) << "--clear: every vehicle arrives";
  EXPECT_EQ(three["kpi"].dump(), one["kpi"].dump());
  EXPECT_EQ(three["segments"].dump(), one["segments"].dump());
  EXPECT_EQ(three["city"].dump(), one["city"].dump());
  EXPECT_EQ(three["kpi_digest"], one["kpi_digest"]);
  EXPECT_EQ(three["run"]["windows"], one["run"]["windows"]);
  EXPECT_EQ(three["run"]["segment_activations"], one["run"]["segment_activations"]);
  EXPECT_EQ(three["run"]["processes"].get<int>(), 3);
  EXPECT_GT(three["run"]["cross_node_messages"].get<std::int64_t>(), 0) << "the parts must exchange vehicles";
  EXPECT_GT(three["run"]["cross_node_batches"].get<std::int64_t>(), 0);
}

TEST(cluster, node_0_refuses_a_node_that_prepared_a_different_run) {
  auto dir = testing::test_temp_dir();
  const std::vector<std::uint16_t> ports{free_port(), free_port()};
  const auto good = testing::write_file(dir / "good.json", cluster_config(ports, R"({"seed": 7, "duration": "5m", "demand_scale": 0.05})"));
  const auto other = testing::write_file(dir / "other.json", cluster_config(ports, R"({"seed": 8, "duration": "5m", "demand_scale": 0.05})"));
  auto outcome = run_cluster(dir, {good, other}, "");
  EXPECT_NE(outcome.exit_codes[0], 0);
  const auto log = read_text(outcome.logs[0]);
  EXPECT_NE(log.find("node 1 (127.0.0.1:" + std::to_string(ports[1]) + ") prepared a different run"), std::string::npos) << log;
  EXPECT_NE(outcome.exit_codes[1], 0) << "node 1 must leave when node 0 gives up";
}

TEST(cluster, a_config_error_names_the_file_and_field) {
  auto dir = testing::test_temp_dir();
  const auto config = testing::write_file(
      dir / "bad.json", R"({"city": "x", "nodes": [{"id": 0, "host": "127.0.0.1", "port": 70000}]})");
  const auto log = (dir / "node.log").string();
  EXPECT_EQ(wait_for(start("node --cluster " + config + " --id 0", log)), 1);
  EXPECT_NE(read_text(log).find("cluster config " + config + ": nodes[0].port: must be 1..65535"), std::string::npos)
      << read_text(log);
}

}  // namespace citytwin

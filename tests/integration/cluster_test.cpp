// Black-box runs of a cluster: three `citytwin node` processes on loopback ports must report
// exactly what a single-process `citytwin simulate` reports for the same city, demand and seed.

#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/log_text.hpp"
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

using testing::read_text;
using testing::wait_for_text;

nlohmann::ordered_json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::ordered_json::parse(in);
}

// `extra` adds top-level fields, e.g. "\"heartbeat_timeout_s\": 2, ".
std::string cluster_config(const std::vector<std::uint16_t>& ports, const std::string& scenario, const std::string& extra = "") {
  std::string nodes;
  for (std::size_t i = 0; i < ports.size(); ++i)
    nodes += (i ? ", " : "") + std::string("{\"id\": ") + std::to_string(i) + ", \"host\": \"127.0.0.1\", \"port\": " +
             std::to_string(ports[i]) + "}";
  return "{\"city\": \"" + sioux + "\", \"connect_timeout_s\": 60, " + extra + "\"nodes\": [" + nodes + "], \"scenario\": " +
         scenario + "}";
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

// Three nodes on a run long enough to be still going when a test interferes with node 2.
struct running_cluster {
  std::filesystem::path dir;
  std::vector<std::uint16_t> ports{free_port(), free_port(), free_port()};
  std::vector<pid_t> pids;
  std::vector<std::string> logs;
  std::string report;

  explicit running_cluster(const std::string& extra_config) : dir(testing::test_temp_dir()) {
    const std::string scenario = R"({"seed": 7, "duration": "3h", "demand_scale": 0.5})";
    const auto config = testing::write_file(dir / "cluster.json", cluster_config(ports, scenario, extra_config));
    report = (dir / "report.json").string();
    pids.resize(3);
    logs.resize(3);
    for (std::size_t i = 3; i-- > 0;) {
      logs[i] = (dir / ("node" + std::to_string(i) + ".log")).string();
      pids[i] = start("node --cluster " + config + " --id " + std::to_string(i) + (i == 0 ? " --report " + report : ""), logs[i]);
    }
  }
  ~running_cluster() {  // whatever a failed assertion left running
    for (pid_t pid : pids)
      if (pid > 0 && kill(pid, SIGKILL) == 0) waitpid(pid, nullptr, 0);
  }
  std::string node_name(std::size_t i) const { return "node " + std::to_string(i) + " (127.0.0.1:" + std::to_string(ports[i]) + ")"; }
  // Node 0 prints its first progress line once the windows run.
  bool windows_running() const { return wait_for_text(logs[0], "simulating", std::chrono::seconds(120)); }
  int wait(std::size_t i) {
    const int code = wait_for(pids[i]);
    pids[i] = -1;
    return code;
  }
};

// The cluster's `report` equals a single `simulate --city <Sioux Falls> <arguments>` bit for bit.
void expect_same_as_simulate(const std::filesystem::path& dir, const std::string& report, const std::string& arguments) {
  const auto single_report = (dir / "single_report.json").string();
  const auto single_log = (dir / "single.log").string();
  ASSERT_EQ(wait_for(start("simulate --quiet --city " + sioux + " " + arguments + " --report " + single_report, single_log)), 0)
      << read_text(single_log);
  const auto one = read_json(single_report);
  const auto cluster = read_json(report);
  EXPECT_EQ(cluster["kpi"].dump(), one["kpi"].dump());
  EXPECT_EQ(cluster["segments"].dump(), one["segments"].dump());
  EXPECT_EQ(cluster["kpi_digest"], one["kpi_digest"]);
  EXPECT_EQ(cluster["run"]["windows"], one["run"]["windows"]);
  EXPECT_EQ(cluster["run"]["segment_activations"], one["run"]["segment_activations"]);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

constexpr int retryable_exit = 75;
// A lost node is noticed at once (connection drop) or after heartbeat_timeout_s (a hang); the run
// then unwinds, or the watchdog ends it 5 s later. Loaded test machines get some slack on top.
constexpr double unwind_bound_s = 5 + 5;

}  // namespace

TEST(cluster, node_0_fails_the_run_retryably_when_node_2_is_killed_mid_run) {
  running_cluster cluster("");
  ASSERT_TRUE(cluster.windows_running()) << read_text(cluster.logs[0]);
  ASSERT_EQ(kill(cluster.pids[2], SIGKILL), 0);
  const auto killed = std::chrono::steady_clock::now();
  cluster.wait(2);
  EXPECT_EQ(cluster.wait(0), retryable_exit) << read_text(cluster.logs[0]);
  EXPECT_LT(seconds_since(killed), unwind_bound_s) << "node 0 must notice the dropped connection at once";
  const auto log0 = read_text(cluster.logs[0]);
  EXPECT_NE(log0.find("error: " + cluster.node_name(2) + " was lost: its connection dropped"), std::string::npos) << log0;
  EXPECT_NE(log0.find("can be retried"), std::string::npos) << log0;
  EXPECT_FALSE(std::filesystem::exists(cluster.report)) << "no report from a partial run";
  EXPECT_EQ(cluster.wait(1), retryable_exit) << read_text(cluster.logs[1]);
  const auto log1 = read_text(cluster.logs[1]);
  EXPECT_NE(log1.find("node 0"), std::string::npos) << "node 1 must say node 0 ended the run:\n" << log1;
}

TEST(cluster, a_node_that_hangs_is_lost_after_the_heartbeat_timeout) {
  running_cluster cluster(R"("heartbeat_interval_s": 0.2, "heartbeat_timeout_s": 2, )");
  ASSERT_TRUE(cluster.windows_running()) << read_text(cluster.logs[0]);
  ASSERT_EQ(kill(cluster.pids[2], SIGSTOP), 0);  // its connection stays up: only the heartbeat notices
  const auto stopped = std::chrono::steady_clock::now();
  EXPECT_EQ(cluster.wait(0), retryable_exit) << read_text(cluster.logs[0]);
  EXPECT_LT(seconds_since(stopped), 2 + unwind_bound_s);
  // Silence is counted from node 2's last answer, up to one interval (0.2 s) before the stop.
  EXPECT_GE(seconds_since(stopped), 2.0 - 0.2 - 0.05) << "not before the heartbeat timeout";
  const auto log0 = read_text(cluster.logs[0]);
  EXPECT_NE(log0.find("error: " + cluster.node_name(2) + " was lost: no heartbeat for 2 s"), std::string::npos) << log0;
  EXPECT_FALSE(std::filesystem::exists(cluster.report));
  EXPECT_EQ(cluster.wait(1), retryable_exit) << read_text(cluster.logs[1]);
}

TEST(cluster, the_other_nodes_leave_naming_node_0_when_it_is_killed) {
  running_cluster cluster("");
  ASSERT_TRUE(cluster.windows_running()) << read_text(cluster.logs[0]);
  ASSERT_EQ(kill(cluster.pids[0], SIGKILL), 0);
  cluster.wait(0);
  for (std::size_t i : {1, 2}) {
    EXPECT_EQ(cluster.wait(i), retryable_exit) << read_text(cluster.logs[i]);
    const auto log = read_text(cluster.logs[i]);
    EXPECT_NE(log.find("error: " + cluster.node_name(0) + " was lost"), std::string::npos) << log;
  }
  EXPECT_FALSE(std::filesystem::exists(cluster.report));
}

TEST(cluster, three_processes_report_exactly_what_one_process_reports_on_sioux_falls) {
  auto dir = testing::test_temp_dir();
  const std::string scenario = R"({"seed": 7, "duration": "20m", "demand_scale": 0.1, "clear": true})";
  const auto config = testing::write_file(dir / "cluster.json", cluster_config({free_port(), free_port(), free_port()}, scenario));
  const auto cluster_report = (dir / "cluster_report.json").string();
  auto outcome = run_cluster(dir, {config, config, config}, "--report " + cluster_report);
  for (std::size_t i = 0; i < outcome.exit_codes.size(); ++i)
    ASSERT_EQ(outcome.exit_codes[i], 0) << "node " << i << ":\n" << read_text(outcome.logs[i]);

  expect_same_as_simulate(dir, cluster_report, "--seed 7 --duration 20m --demand-scale 0.1 --clear");
  const auto one = read_json((dir / "single_report.json").string());
  const auto three = read_json(cluster_report);
  EXPECT_GT(one["kpi"]["departed"].get<int>(), 500);
  EXPECT_EQ(one["kpi"]["en_route"].get<int>(), 0) << "--clear: every vehicle arrives";
  EXPECT_EQ(three["city"].dump(), one["city"].dump());
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

namespace citytwin {

TEST(cluster, a_restarted_node_takes_back_its_stored_assignment_and_refuses_a_changed_one) {
  auto dir = testing::test_temp_dir();
  const std::vector<std::uint16_t> ports{free_port()};
  const std::string scenario = R"({"seed": 7, "duration": "2m", "demand_scale": 0.02})";
  const auto config = testing::write_file(dir / "cluster.json", cluster_config(ports, scenario));
  const auto data = dir / "data0";
  const auto log = (dir / "node.log").string();
  const std::string node = "node --quiet --cluster " + config + " --id 0 --data-dir " + data.string();

  ASSERT_EQ(wait_for(start(node, log)), 0) << read_text(log);
  const auto stored = read_json((data / "cluster_assignment.json").string());
  EXPECT_EQ(stored["node"], 0);
  EXPECT_EQ(stored["partition_seed"], 1);
  EXPECT_EQ(stored["part_of"].size(), 76u) << "one entry per Sioux Falls segment";

  ASSERT_EQ(wait_for(start(node, log)), 0) << "a restart with the same config takes it back:\n" << read_text(log);
  EXPECT_EQ(read_json((data / "cluster_assignment.json").string()).dump(), stored.dump());

  const auto reseeded = testing::write_file(dir / "reseeded.json", cluster_config(ports, scenario, R"("partition_seed": 3, )"));
  EXPECT_EQ(wait_for(start("node --quiet --cluster " + reseeded + " --id 0 --data-dir " + data.string(), log)), 1);
  const auto refusal = read_text(log);
  EXPECT_NE(refusal.find("the assignment stored in " + (data / "cluster_assignment.json").string() +
                         " is for a different cluster or city: partition_seed 1 -> 3"),
            std::string::npos)
      << refusal;
  EXPECT_NE(refusal.find("--repartition"), std::string::npos) << refusal;

  ASSERT_EQ(wait_for(start("node --quiet --cluster " + reseeded + " --id 0 --repartition --data-dir " + data.string(), log)), 0)
      << read_text(log);
  EXPECT_EQ(read_json((data / "cluster_assignment.json").string())["partition_seed"], 3);
}

}  // namespace citytwin

namespace citytwin {

TEST(cluster, node_0_names_the_node_that_never_connected) {
  auto dir = testing::test_temp_dir();
  const std::vector<std::uint16_t> ports{free_port(), free_port()};
  std::string config_text = cluster_config(ports, R"({"seed": 7, "duration": "2m", "demand_scale": 0.02})");
  config_text.replace(config_text.find("\"connect_timeout_s\": 60"), 23, "\"connect_timeout_s\": 1");
  const auto config = testing::write_file(dir / "cluster.json", config_text);
  const auto log = (dir / "node0.log").string();
  EXPECT_EQ(wait_for(start("node --quiet --cluster " + config + " --id 0", log)), 1);
  EXPECT_NE(read_text(log).find("node 1 (127.0.0.1:" + std::to_string(ports[1]) + ") did not connect to node 0 (127.0.0.1:" +
                                std::to_string(ports[0]) + ") within 1"),
            std::string::npos)
      << read_text(log);
}

}  // namespace citytwin

namespace citytwin {

TEST(cluster, three_processes_on_equilibrium_routes_report_what_one_process_reports) {
  auto dir = testing::test_temp_dir();
  const std::string scenario = R"({"seed": 3, "duration": "15m", "demand_scale": 0.1, "clear": true, "routes": "equilibrium"})";
  const auto config = testing::write_file(dir / "cluster.json", cluster_config({free_port(), free_port(), free_port()}, scenario));
  const auto report = (dir / "cluster_report.json").string();
  auto outcome = run_cluster(dir, {config, config, config}, "--report " + report);
  for (std::size_t i = 0; i < outcome.exit_codes.size(); ++i)
    ASSERT_EQ(outcome.exit_codes[i], 0) << "node " << i << ":\n" << read_text(outcome.logs[i]);
  expect_same_as_simulate(dir, report, "--seed 3 --duration 15m --demand-scale 0.1 --clear --routes equilibrium");
  const auto dynamic_log = (dir / "dynamic.log").string();
  ASSERT_EQ(wait_for(start("simulate --quiet --city " + sioux + " --seed 3 --duration 15m --demand-scale 0.1 --clear --report " +
                               (dir / "dynamic.json").string(), dynamic_log)), 0)
      << read_text(dynamic_log);
  EXPECT_NE(read_json((dir / "dynamic.json").string())["kpi_digest"], read_json(report)["kpi_digest"])
      << "equilibrium routes must change the run";
}

TEST(cluster, an_unknown_route_choice_names_the_field) {
  auto dir = testing::test_temp_dir();
  const auto config = testing::write_file(dir / "bad.json", cluster_config({free_port()}, R"({"routes": "fastest"})"));
  const auto log = (dir / "node.log").string();
  EXPECT_EQ(wait_for(start("node --cluster " + config + " --id 0", log)), 1);
  EXPECT_NE(read_text(log).find("cluster config " + config + ": scenario.routes: must be \"dynamic\" or \"equilibrium\""), std::string::npos)
      << read_text(log);
}

}  // namespace citytwin

namespace citytwin {

namespace {

// Node processes started with the same commands each attempt, killed if a failed assertion leaves them.
struct node_processes {
  std::vector<pid_t> pids;
  ~node_processes() {
    for (pid_t pid : pids)
      if (pid > 0 && kill(pid, SIGKILL) == 0) waitpid(pid, nullptr, 0);
  }
  int wait(std::size_t i) {
    const int code = wait_for(pids[i]);
    pids[i] = -1;
    return code;
  }
};

}  // namespace

TEST(cluster, after_a_node_is_killed_every_node_started_again_resumes_from_the_last_complete_checkpoint_bit_for_bit) {
  auto dir = testing::test_temp_dir();
  const std::vector<std::uint16_t> ports{free_port(), free_port(), free_port()};
  const std::string scenario = R"({"seed": 7, "duration": "30m", "demand_scale": 0.3, "clear": true})";
  const auto config = testing::write_file(dir / "cluster.json", cluster_config(ports, scenario));
  const auto report = (dir / "report.json").string();
  auto data = [&](std::size_t i) { return dir / ("data" + std::to_string(i)); };
  auto attempt = [&](const std::string& name, node_processes& nodes, std::vector<std::string>& logs) {
    nodes.pids.assign(3, -1);
    logs.assign(3, "");
    for (std::size_t i = 3; i-- > 0;) {
      logs[i] = (dir / (name + "_node" + std::to_string(i) + ".log")).string();
      nodes.pids[i] = start("node --cluster " + config + " --id " + std::to_string(i) + " --data-dir " + data(i).string() +
                                " --checkpoint-every 1m --rejoin-timeout 0" + (i == 0 ? " --report " + report : ""),
                            logs[i]);
    }
  };

  node_processes first;
  std::vector<std::string> first_logs;
  attempt("first", first, first_logs);
  ASSERT_TRUE(wait_for_text(first_logs[0], "checkpoint 1 at t=0:01:00 complete", std::chrono::seconds(120))) << read_text(first_logs[0]);
  ASSERT_EQ(kill(first.pids[2], SIGKILL), 0);
  first.wait(2);
  EXPECT_EQ(first.wait(0), retryable_exit) << read_text(first_logs[0]);
  EXPECT_EQ(first.wait(1), retryable_exit) << read_text(first_logs[1]);
  ASSERT_FALSE(std::filesystem::exists(report)) << "the run must not have finished before node 2 was killed";
  const auto record = read_json((data(0) / "checkpoints" / "complete.json").string());
  const auto checkpoint = record["id"].get<int>();
  EXPECT_GE(checkpoint, 1);

  node_processes second;
  std::vector<std::string> second_logs;
  attempt("second", second, second_logs);
  for (std::size_t i = 0; i < 3; ++i) ASSERT_EQ(second.wait(i), 0) << "node " << i << ":\n" << read_text(second_logs[i]);
  EXPECT_NE(read_text(second_logs[0]).find("resuming from checkpoint " + std::to_string(checkpoint) + " at t=" +
                                           record["time"].get<std::string>()),
            std::string::npos)
      << read_text(second_logs[0]);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_FALSE(std::filesystem::exists(data(i) / "checkpoints" / "part-1.ckpt")) << "a finished run deletes its checkpoints";

  expect_same_as_simulate(dir, report, "--seed 7 --duration 30m --demand-scale 0.3 --clear");
}

}  // namespace citytwin

namespace citytwin {

// Kills node `lost` after the first complete checkpoint, starts it again alone, and checks the run ends
// as an uninterrupted one would.
void check_rejoin(std::size_t lost) {
  auto dir = testing::test_temp_dir();
  const std::vector<std::uint16_t> ports{free_port(), free_port(), free_port()};
  const std::string scenario = R"({"seed": 7, "duration": "30m", "demand_scale": 0.3, "clear": true})";
  const auto config = testing::write_file(dir / "cluster.json", cluster_config(ports, scenario));
  const auto report = (dir / "report.json").string();
  auto command = [&](std::size_t i) {
    return "node --cluster " + config + " --id " + std::to_string(i) + " --data-dir " + (dir / ("data" + std::to_string(i))).string() +
           " --checkpoint-every 1m --rejoin-timeout 60" + (i == 0 ? " --report " + report : "");
  };
  node_processes nodes;
  std::vector<std::string> logs(3);
  nodes.pids.assign(3, -1);
  for (std::size_t i = 3; i-- > 0;) {
    logs[i] = (dir / ("node" + std::to_string(i) + ".log")).string();
    nodes.pids[i] = start(command(i), logs[i]);
  }
  ASSERT_TRUE(wait_for_text(logs[0], "checkpoint 1 at t=0:01:00 complete", std::chrono::seconds(120))) << read_text(logs[0]);
  ASSERT_EQ(kill(nodes.pids[lost], SIGKILL), 0);
  nodes.wait(lost);
  ASSERT_TRUE(wait_for_text(logs[0], "the windows are paused", std::chrono::seconds(30))) << read_text(logs[0]);
  const auto restarted_log = (dir / ("node" + std::to_string(lost) + "_restarted.log")).string();
  nodes.pids[lost] = start(command(lost), restarted_log);
  for (std::size_t i = 0; i < 3; ++i)
    ASSERT_EQ(nodes.wait(i), 0) << "node " << i << ":\n" << read_text(i == lost ? restarted_log : logs[i]);
  const auto log0 = read_text(logs[0]);
  EXPECT_NE(log0.find("node " + std::to_string(lost) + " (127.0.0.1:" + std::to_string(ports[lost]) + ") rejoined: every node rolled back to checkpoint"),
            std::string::npos)
      << log0;

  expect_same_as_simulate(dir, report, "--seed 7 --duration 30m --demand-scale 0.3 --clear");
}

TEST(cluster, a_killed_node_started_again_alone_rejoins_and_every_node_rolls_back_to_the_last_complete_checkpoint_bit_for_bit) {
  check_rejoin(2);
}

// Node 1 connects only to node 0 when it starts again: node 2, already running, does not connect anew.
TEST(cluster, a_killed_middle_node_rejoins_learning_the_higher_nodes_from_node_0) { check_rejoin(1); }

}  // namespace citytwin

namespace citytwin {

TEST(cluster, a_killed_node_that_is_not_started_again_within_the_rejoin_timeout_fails_the_run_retryably) {
  auto dir = testing::test_temp_dir();
  const std::vector<std::uint16_t> ports{free_port(), free_port(), free_port()};
  const std::string scenario = R"({"seed": 7, "duration": "30m", "demand_scale": 0.3, "clear": true})";
  const auto config = testing::write_file(dir / "cluster.json", cluster_config(ports, scenario));
  const auto report = (dir / "report.json").string();
  node_processes nodes;
  std::vector<std::string> logs(3);
  nodes.pids.assign(3, -1);
  for (std::size_t i = 3; i-- > 0;) {
    logs[i] = (dir / ("node" + std::to_string(i) + ".log")).string();
    nodes.pids[i] = start("node --cluster " + config + " --id " + std::to_string(i) + " --data-dir " +
                              (dir / ("data" + std::to_string(i))).string() + " --checkpoint-every 1m --rejoin-timeout 2" +
                              (i == 0 ? " --report " + report : ""),
                          logs[i]);
  }
  ASSERT_TRUE(wait_for_text(logs[0], "checkpoint 1 at t=0:01:00 complete", std::chrono::seconds(120))) << read_text(logs[0]);
  ASSERT_EQ(kill(nodes.pids[2], SIGKILL), 0);
  const auto killed = std::chrono::steady_clock::now();
  nodes.wait(2);
  EXPECT_EQ(nodes.wait(0), retryable_exit) << read_text(logs[0]);
  EXPECT_GE(seconds_since(killed), 2.0) << "node 0 waits the rejoin timeout";
  EXPECT_LT(seconds_since(killed), 2 + unwind_bound_s);
  const auto log0 = read_text(logs[0]);
  EXPECT_NE(log0.find("error: node 2 (127.0.0.1:" + std::to_string(ports[2]) +
                      ") was lost: its connection dropped"), std::string::npos) << log0;
  EXPECT_NE(log0.find("it did not come back within 2 s (--rejoin-timeout)"), std::string::npos) << log0;
  EXPECT_EQ(nodes.wait(1), retryable_exit) << read_text(logs[1]);
  EXPECT_FALSE(std::filesystem::exists(report));
  EXPECT_TRUE(std::filesystem::exists(dir / "data0" / "checkpoints" / "complete.json")) << "kept for a restart of every node";
}

}  // namespace citytwin

namespace citytwin {

// A barrier limit far below what a window across processes takes: some window overruns it while
// every node still answers heartbeats, and node 0 names the nodes it was still waiting for.
TEST(cluster, a_window_that_overruns_the_barrier_timeout_fails_the_run_naming_the_nodes_that_did_not_report) {
  auto dir = testing::test_temp_dir();
  const std::vector<std::uint16_t> ports{free_port(), free_port(), free_port()};
  const auto config = testing::write_file(dir / "cluster.json",
                                          cluster_config(ports, R"({"seed": 7, "duration": "20m", "demand_scale": 0.3})"));
  auto outcome = run_cluster(dir, {config, config, config}, "--barrier-timeout 0.001");
  EXPECT_EQ(outcome.exit_codes[0], 1) << read_text(outcome.logs[0]);
  const auto log0 = read_text(outcome.logs[0]);
  EXPECT_NE(log0.find("did not complete within 0.001 s (barrier timeout) although every node answers heartbeats: no report from node "),
            std::string::npos)
      << log0;
  for (std::size_t i : {1, 2}) EXPECT_EQ(outcome.exit_codes[i], retryable_exit) << read_text(outcome.logs[i]);
}

}  // namespace citytwin

// Three `citytwin node` processes on three hosts (network namespaces joined by veth pairs and a
// bridge, or loopback where namespaces are not allowed): the cluster's report equals a single
// process's, a killed node and a cut link are both noticed, and nobody goes on alone.

#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/log_text.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/virtual_hosts.hpp"

namespace citytwin {

namespace {

const std::string sioux = std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls";
constexpr auto run_timeout = std::chrono::seconds(240);
constexpr int retryable_exit = 75;

using testing::read_text;
using testing::wait_for_text;

// A cluster of three nodes, one per host, on `scenario` with `extra` top-level config fields.
class three_host_cluster {
 public:
  three_host_cluster(const std::string& scenario, const std::string& extra) : dir_(testing::test_temp_dir()) {
    std::string nodes;
    for (std::size_t i = 0; i < 3; ++i) {
      // Each namespace has its own ports; on loopback the three need different ones.
      ports_.push_back(hosts_.namespaces() ? 4242 : testing::free_port());
      nodes += (i ? ", " : "") + std::string("{\"id\": ") + std::to_string(i) + ", \"host\": \"" + hosts_.address(i) +
               "\", \"port\": " + std::to_string(ports_[i]) + "}";
    }
    config_ = testing::write_file(dir_ / "cluster.json", "{\"city\": \"" + sioux + "\", \"connect_timeout_s\": 60, " + extra +
                                                             "\"nodes\": [" + nodes + "], \"scenario\": " + scenario + "}");
    report_ = dir_ / "report.json";
  }

  void start() {
    for (std::size_t i = 3; i-- > 0;) {  // node 0 last: the others wait for it
      std::vector<std::string> argv{CITYTWIN_BINARY, "node", "--cluster", config_, "--id", std::to_string(i)};
      if (i == 0) argv.insert(argv.end(), {"--report", report_.string()});
      nodes_[i].start(hosts_.on_host(i, argv), log(i));
    }
  }
  std::filesystem::path log(std::size_t i) const { return dir_ / ("node" + std::to_string(i) + ".log"); }
  std::string log_text(std::size_t i) const { return read_text(log(i)); }
  std::string node_name(std::size_t i) const {
    return "node " + std::to_string(i) + " (" + hosts_.address(i) + ":" + std::to_string(ports_[i]) + ")";
  }
  testing::child_process& node(std::size_t i) { return nodes_[i]; }
  const testing::virtual_hosts& hosts() const { return hosts_; }
  const std::filesystem::path& dir() const { return dir_; }
  const std::filesystem::path& report() const { return report_; }

 private:
  std::filesystem::path dir_;
  testing::virtual_hosts hosts_{3};
  std::vector<std::uint16_t> ports_;
  std::string config_;
  std::filesystem::path report_;
  testing::child_process nodes_[3];
};

nlohmann::ordered_json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::ordered_json::parse(in);
}

// Without --quiet, node 0 prints its first progress line once the windows run.
::testing::AssertionResult windows_running(three_host_cluster& cluster) {
  if (wait_for_text(cluster.log(0), "simulating", std::chrono::seconds(120))) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure() << "the windows did not start on " << cluster.hosts().mode();
  for (std::size_t i = 0; i < 3; ++i) failure << "\nnode " << i << ":\n" << cluster.log_text(i);
  return failure;
}

const std::string long_run = R"({"seed": 7, "duration": "3h", "demand_scale": 0.5})";
const std::string fast_heartbeats = R"("heartbeat_interval_s": 0.2, "heartbeat_timeout_s": 2, )";

}  // namespace

TEST(multi_host, three_hosts_report_exactly_what_one_process_reports) {
  three_host_cluster cluster(R"({"seed": 7, "duration": "20m", "demand_scale": 0.1, "clear": true})", "");
  RecordProperty("hosts", cluster.hosts().mode());
  std::cout << "hosts: " << cluster.hosts().mode() << "\n";
  cluster.start();
  for (std::size_t i = 0; i < 3; ++i)
    ASSERT_EQ(cluster.node(i).wait_exit(run_timeout), 0) << "node " << i << ":\n" << cluster.log_text(i);

  testing::child_process single;
  const auto single_report = cluster.dir() / "single.json";
  single.start({CITYTWIN_BINARY, "simulate", "--quiet", "--city", sioux, "--seed", "7", "--duration", "20m", "--demand-scale",
                "0.1", "--clear", "--report", single_report.string()},
               cluster.dir() / "single.log");
  ASSERT_EQ(single.wait_exit(run_timeout), 0) << single.log_tail();

  const auto one = read_json(single_report);
  const auto three = read_json(cluster.report());
  EXPECT_GT(one["kpi"]["departed"].get<int>(), 500);
  EXPECT_EQ(three["kpi"].dump(), one["kpi"].dump());
  EXPECT_EQ(three["segments"].dump(), one["segments"].dump());
  EXPECT_EQ(three["kpi_digest"], one["kpi_digest"]);
  EXPECT_EQ(three["run"]["processes"].get<int>(), 3);
  EXPECT_GT(three["run"]["cross_node_messages"].get<std::int64_t>(), 0) << "vehicles must cross the links";
}

TEST(multi_host, a_node_killed_on_its_host_is_noticed_at_once_and_the_run_fails_retryably) {
  three_host_cluster cluster(long_run, "");
  std::cout << "hosts: " << cluster.hosts().mode() << "\n";
  cluster.start();
  ASSERT_TRUE(windows_running(cluster));
  cluster.node(2).signal(SIGKILL);
  EXPECT_EQ(cluster.node(0).wait_exit(run_timeout), retryable_exit) << cluster.log_text(0);
  EXPECT_NE(cluster.log_text(0).find("error: " + cluster.node_name(2) + " was lost"), std::string::npos) << cluster.log_text(0);
  EXPECT_EQ(cluster.node(1).wait_exit(run_timeout), retryable_exit) << cluster.log_text(1);
  EXPECT_FALSE(std::filesystem::exists(cluster.report())) << "no report from a partial run";
}

TEST(multi_host, a_cut_link_stops_both_sides_of_the_partition) {
  three_host_cluster cluster(long_run, fast_heartbeats);
  if (!cluster.hosts().namespaces()) GTEST_SKIP() << "cutting one link needs network namespaces; " << cluster.hosts().mode();
  cluster.start();
  ASSERT_TRUE(windows_running(cluster));
  ASSERT_TRUE(cluster.hosts().set_link(2, false));
  // Node 0's side notices the silence and ends the run; node 2, alone, must not go on either.
  EXPECT_EQ(cluster.node(0).wait_exit(run_timeout), retryable_exit) << cluster.log_text(0);
  EXPECT_NE(cluster.log_text(0).find("error: " + cluster.node_name(2) + " was lost: no heartbeat for 2 s"), std::string::npos)
      << cluster.log_text(0);
  EXPECT_EQ(cluster.node(2).wait_exit(run_timeout), retryable_exit) << cluster.log_text(2);
  EXPECT_NE(cluster.log_text(2).find(cluster.node_name(0) + " was lost"), std::string::npos) << cluster.log_text(2);
  EXPECT_EQ(cluster.node(1).wait_exit(run_timeout), retryable_exit) << cluster.log_text(1);
  EXPECT_FALSE(std::filesystem::exists(cluster.report()));
}

}  // namespace citytwin

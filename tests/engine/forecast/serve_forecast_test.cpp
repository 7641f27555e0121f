// `citytwin serve --forecast-every ... --forecast-horizon ...` end to end: the server forecasts on its
// own schedule, and `twinctl forecast` reads the status, a predicted state and the trouble list.

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <array>
#include <cstdio>
#include <thread>

#include "citytwin/v1/forecast.grpc.pb.h"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace citytwin::testing {
namespace {

using namespace std::chrono_literals;

struct command_result {
  int exit_code = -1;
  std::string output;
};

command_result twinctl(const std::string& arguments) {
  const std::string command = std::string(TWINCTL_BINARY) + " " + arguments + " 2>&1";
  command_result result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (auto n = fread(buffer.data(), 1, buffer.size(), pipe)) result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(serve_forecast, forecasts_on_its_schedule_and_twinctl_reads_them) {
  const auto dir = test_temp_dir();
  child_process server;
  ASSERT_NO_FATAL_FAILURE(server.start(
      {CITYTWIN_BINARY, "serve", "--city", std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls", "--grpc",
       "127.0.0.1:0", "--port-file", (dir / "grpc.port").string(), "--data-dir", (dir / "data").string(),
       "--time-scale", "60", "--demand-scale", "0.1", "--no-sync", "--forecast-every", "1m", "--forecast-horizon",
       "4m", "--forecast-step", "1m"},
      dir / "serve.log"));
  const auto port = wait_for_number_file(dir / "grpc.port", server, 60s);
  ASSERT_TRUE(port) << server.log_tail();
  const std::string address = "127.0.0.1:" + std::to_string(*port);
  auto stub = v1::ForecastService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));

  // A minute of simulated time is a second of wall time here: forecasts come every second or so.
  v1::ForecastStatus status;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext context;
    ASSERT_TRUE(stub->GetForecastStatus(&context, {}, &status).ok());
    if (status.runs() >= 2) break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_GE(status.runs(), 2u) << server.log_tail();
  EXPECT_TRUE(status.enabled());
  EXPECT_EQ(status.every_ms(), 60'000);
  EXPECT_EQ(status.horizon_ms(), 240'000);
  EXPECT_EQ(status.checkpoint_every_ms(), 60'000);
  EXPECT_EQ(status.failed(), 0u) << status.last_error();

  const auto shown = twinctl("--server " + address + " forecast --status");
  EXPECT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("forecast: every 60 s, 240 s ahead, checkpoints every 60 s"), std::string::npos) << shown.output;
  const auto predicted = twinctl("--server " + address + " forecast 10-15 --in 60");
  EXPECT_EQ(predicted.exit_code, 0) << predicted.output;
  EXPECT_NE(predicted.output.find("segment 10-15: "), std::string::npos) << predicted.output;
  const auto trouble = twinctl("--server " + address + " forecast --trouble");
  EXPECT_EQ(trouble.exit_code, 0) << trouble.output;
  EXPECT_NE(trouble.output.find(" in trouble"), std::string::npos) << trouble.output;
  const auto unknown = twinctl("--server " + address + " forecast 10-99");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find("twins[0].id"), std::string::npos) << unknown.output;
  server.kill_and_reap();
}

}  // namespace
}  // namespace citytwin::testing

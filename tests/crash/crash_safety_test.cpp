// Crash safety of the front door, black box: a real `citytwin serve` process on Sioux Falls is
// killed with SIGKILL in the middle of an ingest stream, again and again at random points, and
// restarted on the same data directory. After every restart:
//   - every acknowledged reading is in the store (GetHistory of its segment, matched by source,
//     sequence, time and content), readings_logged counts them, and a batch that was in flight
//     when the server died is there completely or not at all (at-least-once: it may be there
//     without an ack);
//   - the twin state equals a clean replay of everything stored: per segment, the newest detector
//     reading (by reading time, then log order) is the twin's last_detector_reading and the newest
//     closed/reopened event decides its status;
//   - resending the batches that were in flight (as a client must) gives duplicate = true exactly
//     for those already stored, and resending the last acknowledged batch says duplicate.
// Rounds, seed: CITYTWIN_CRASH_ROUNDS (default 24), CITYTWIN_CRASH_SEED (default fixed, printed).

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "citytwin/v1/twin.grpc.pb.h"
#include "engine/frontdoor/segment_directory.hpp"
#include "engine/import/city_loader.hpp"
#include "tests/support/temp_dir.hpp"

namespace citytwin::testing {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

const std::string sioux_falls = std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls";
const std::string feed_source = "crash-test-feed";
constexpr std::uint64_t default_seed = 20240611;
constexpr int default_rounds = 24;
constexpr std::size_t segments_touched = 10;

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  return text && *text ? std::strtoull(text, nullptr, 0) : fallback;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string tail_of(const fs::path& file, std::size_t bytes = 4000) {
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > bytes ? "..." + text.substr(text.size() - bytes) : text;
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// One `citytwin serve` child. Never outlives the test: the destructor kills it, and the kernel
// kills it (PR_SET_PDEATHSIG) if the test process itself dies.
class server_process {
 public:
  server_process() = default;
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;
  ~server_process() { kill_and_reap(); }

  void start(const std::vector<std::string>& arguments, const fs::path& log) {
    ASSERT_LE(pid_, 0) << "a server is still running";
    std::vector<std::string> args{CITYTWIN_BINARY};
    args.insert(args.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log_path = log.string();
    const pid_t parent = getpid();
    const pid_t child = fork();
    ASSERT_GE(child, 0) << "fork failed";
    if (child == 0) {
      // Only async-signal-safe calls until exec.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(126);
      const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
      }
      execv(argv[0], argv.data());
      _exit(127);
    }
    pid_ = child;
  }

  pid_t pid() const { return pid_; }

  // The exit status once the process has ended, or nullopt while it runs.
  std::optional<int> poll() {
    if (pid_ <= 0) return exit_status_;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_status_ = status;
    }
    return pid_ > 0 ? std::nullopt : exit_status_;
  }

  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    while (steady::now() < deadline) {
      if (auto status = poll()) return status;
      std::this_thread::sleep_for(5ms);
    }
    return poll();
  }

  void kill_and_reap() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_status_ = status;
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

// One reading of a batch as the test planned it: which segment it changes and whether the
// server must accept it.
struct planned_reading {
  segment_id segment = no_segment;
  bool valid = true;
  v1::RejectionCode code = v1::REJECTION_CODE_UNSPECIFIED;  // when not valid
  std::int64_t time_ms = 0;
  std::string bytes;  // the reading serialized, to match history entries against
};

struct batch_record {
  v1::IngestBatch batch;
  std::vector<planned_reading> plan;  // parallel to batch.readings
  int round = 0;
  bool acked = false;  // some delivery of it was acknowledged (first or duplicate)
  std::size_t valid_count() const {
    return static_cast<std::size_t>(std::count_if(plan.begin(), plan.end(), [](const auto& p) { return p.valid; }));
  }
};

// The feed: batch n is a function of (seed, n) only, so a round's content does not depend on
// how far the previous rounds got before their kill.
class feed_generator {
 public:
  feed_generator(std::uint64_t seed, std::vector<segment_id> segments, const segment_directory& directory,
                 std::int64_t base_ms)
      : seed_(seed), segments_(std::move(segments)), directory_(directory), base_ms_(base_ms) {}

  batch_record make(std::uint64_t sequence, int round) const {
    std::mt19937_64 rng(seed_ ^ (sequence * 0x9E3779B97F4A7C15ull));
    auto uniform = [&](std::int64_t low, std::int64_t high) {
      return std::uniform_int_distribution<std::int64_t>(low, high)(rng);
    };
    batch_record record;
    record.round = round;
    record.batch.set_source(feed_source);
    record.batch.set_sequence(sequence);
    const int size = static_cast<int>(uniform(0, 12));  // 0: a heartbeat
    for (int i = 0; i < size; ++i) {
      planned_reading p;
      p.segment = segments_[static_cast<std::size_t>(uniform(0, static_cast<std::int64_t>(segments_.size()) - 1))];
      // Coarse times (300 one-second slots over five minutes), so equal times are common and
      // the tie-break by log order is exercised.
      p.time_ms = base_ms_ + uniform(0, 299) * 1000;
      const std::string id = uniform(0, 1) ? directory_.id_of(p.segment) : std::to_string(p.segment);
      v1::Reading reading;
      const auto kind = uniform(0, 99);
      if (kind < 65 || kind >= 96) {
        auto* d = reading.mutable_traffic_detector();
        d->set_segment_id(id);
        d->set_detector_id("loop-" + std::to_string(p.segment));
        d->set_observe_time_ms(p.time_ms);
        d->set_interval_ms(60'000);
        d->set_vehicle_count(static_cast<std::uint32_t>(uniform(1, 60)));
        d->set_mean_speed_kmh(static_cast<double>(uniform(20, 420)) / 4.0);
        d->set_occupancy(0.125);
        if (kind >= 96) {  // impossible speed
          d->set_mean_speed_kmh(400);
          p.valid = false;
          p.code = v1::REJECTION_CODE_OUT_OF_RANGE;
        }
      } else if (kind < 92) {
        auto* e = reading.mutable_segment_event();
        e->set_segment_id(id);
        e->set_event_time_ms(p.time_ms);
        e->set_kind(uniform(0, 1) ? v1::SegmentEvent::KIND_CLOSED : v1::SegmentEvent::KIND_REOPENED);
        e->set_cause("crash test");
      } else {  // a segment Sioux Falls does not have
        auto* d = reading.mutable_traffic_detector();
        d->set_segment_id("999-998");
        d->set_observe_time_ms(p.time_ms);
        d->set_interval_ms(60'000);
        d->set_vehicle_count(5);
        d->set_mean_speed_kmh(50);
        p.valid = false;
        p.code = v1::REJECTION_CODE_NOT_FOUND;
        p.segment = no_segment;
      }
      p.bytes = reading.SerializeAsString();
      *record.batch.add_readings() = std::move(reading);
      record.plan.push_back(std::move(p));
    }
    return record;
  }

 private:
  std::uint64_t seed_;
  std::vector<segment_id> segments_;
  const segment_directory& directory_;
  std::int64_t base_ms_;
};

// Checks a first (non-duplicate) delivery's ack against the plan; returns what is wrong, if anything.
std::string ack_problem(const batch_record& record, const v1::IngestAck& ack) {
  std::ostringstream out;
  if (ack.sequence() != record.batch.sequence())
    out << "ack for sequence " << ack.sequence() << " where " << record.batch.sequence() << " was due; ";
  if (ack.duplicate()) out << "first delivery acked as duplicate; ";
  if (ack.accepted() != record.valid_count())
    out << "accepted " << ack.accepted() << " of " << record.valid_count() << " valid readings; ";
  std::vector<std::pair<std::uint32_t, int>> expected_rejections, rejections;
  for (std::size_t i = 0; i < record.plan.size(); ++i)
    if (!record.plan[i].valid) expected_rejections.emplace_back(static_cast<std::uint32_t>(i), record.plan[i].code);
  for (const auto& r : ack.rejected()) rejections.emplace_back(r.index(), r.code());
  if (rejections != expected_rejections) out << "rejections differ from the plan; ";
  return out.str();
}

// What a clean replay of the stored readings says a segment's state is.
struct expected_segment {
  bool has_observation = false;
  std::tuple<std::int64_t, std::uint64_t, std::size_t> observation_order{};  // time, sequence, index
  std::int64_t observe_time_ms = 0;
  double speed_kmh = 0;
  bool has_event = false;
  std::tuple<std::int64_t, std::uint64_t, std::size_t> event_order{};
  bool closed = false;
};

class crash_safety : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_temp_dir();
    data_dir_ = dir_ / "data";
    port_file_ = dir_ / "port";
    log_ = dir_ / "server.log";
    seed_ = env_number("CITYTWIN_CRASH_SEED", default_seed);
    rounds_ = static_cast<int>(env_number("CITYTWIN_CRASH_ROUNDS", default_rounds));
    std::cout << "[ crash    ] seed " << seed_ << " (CITYTWIN_CRASH_SEED); server log " << log_ << std::endl;
    RecordProperty("seed", std::to_string(seed_));
    city_ = std::make_unique<loaded_city>(load_city(sioux_falls));
    directory_ = std::make_unique<segment_directory>(city_->graph);
    std::vector<segment_id> all(city_->graph.segments.size());
    for (segment_id s = 0; s < all.size(); ++s) all[s] = s;
    std::mt19937_64 pick(seed_);
    std::shuffle(all.begin(), all.end(), pick);
    segments_.assign(all.begin(), all.begin() + segments_touched);
    std::sort(segments_.begin(), segments_.end());
    // Reading times lie in [test start - 6 min, test start - 61 s]: inside the default 15 min
    // lateness window for the whole run, never in the future.
    feed_ = std::make_unique<feed_generator>(seed_, segments_, *directory_, wall_ms() - 6 * 60'000);
  }

  void TearDown() override {
    server_.kill_and_reap();
    if (HasFailure()) std::cout << "server log (tail):\n" << tail_of(log_) << std::endl;
  }

  // Starts the server on the test's data directory and connects to it.
  void start_server() {
    fs::remove(port_file_);
    ASSERT_NO_FATAL_FAILURE(server_.start({"serve", "--city", sioux_falls, "--grpc", "127.0.0.1:0", "--port-file",
                                           port_file_.string(), "--data-dir", data_dir_.string(), "--time-scale",
                                           "60", "--demand-scale", "0.1", "--snapshot-every", "200ms"},
                                          log_));
    const auto deadline = steady::now() + 60s;
    int port = 0;
    while (port == 0) {
      if (auto status = server_.poll()) FAIL() << "the server " << describe_exit(*status) << " while starting";
      ASSERT_LT(steady::now(), deadline) << "the server did not write " << port_file_ << " within 60 s";
      std::ifstream in(port_file_);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!text.empty() && text.back() == '\n') port = std::stoi(text);
      else std::this_thread::sleep_for(10ms);
    }
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
    ASSERT_TRUE(channel_->WaitForConnected(std::chrono::system_clock::now() + 20s)) << "cannot connect to port " << port;
    twins_ = v1::TwinService::NewStub(channel_);
  }

  static std::unique_ptr<grpc::ClientContext> call(std::chrono::seconds timeout = 20s) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + timeout);
    return context;
  }

  std::vector<v1::HistoryEntry> full_history(segment_id segment) {
    std::vector<v1::HistoryEntry> entries;
    v1::GetHistoryRequest request;
    request.mutable_twin()->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
    request.mutable_twin()->set_id(directory_->id_of(segment));
    request.set_page_size(1000);
    for (int page = 0; page < 10'000; ++page) {
      v1::GetHistoryResponse response;
      const auto status = twins_->GetHistory(call().get(), request, &response);
      EXPECT_TRUE(status.ok()) << "GetHistory " << directory_->id_of(segment) << ": " << status.error_message();
      if (!status.ok()) break;
      for (auto& e : *response.mutable_entries()) entries.push_back(std::move(e));
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return entries;
  }

  // Checks the store against the ledger and returns the clean-replay state of each touched
  // segment; `stored` gets the sequences of the not-yet-acknowledged batches found stored.
  std::map<segment_id, expected_segment> check_store(const std::string& when, std::set<std::uint64_t>& stored) {
    std::map<std::uint64_t, std::vector<bool>> matched;  // sequence -> per reading index
    std::map<segment_id, expected_segment> expected;
    std::uint64_t entries_total = 0;
    for (segment_id segment : segments_) {
      expected_segment& e = expected[segment];
      const auto history = full_history(segment);
      entries_total += history.size();
      std::tuple<std::int64_t, std::uint64_t, std::size_t> previous{INT64_MIN, 0, 0};
      for (const v1::HistoryEntry& entry : history) {
        const std::string at = when + ", segment " + directory_->id_of(segment) + ", entry seq " +
                               std::to_string(entry.sequence()) + " time " + std::to_string(entry.time_ms());
        EXPECT_EQ(entry.source(), feed_source) << at;
        const auto found = ledger_.find(entry.sequence());
        if (found == ledger_.end()) {
          ADD_FAILURE() << at << ": the store holds a batch that was never sent";
          continue;
        }
        const batch_record& record = found->second;
        auto& used = matched.try_emplace(entry.sequence(), record.plan.size(), false).first->second;
        const std::string bytes = entry.reading().SerializeAsString();
        std::size_t index = record.plan.size();
        for (std::size_t i = 0; i < record.plan.size(); ++i) {
          const planned_reading& p = record.plan[i];
          if (!used[i] && p.valid && p.segment == segment && p.bytes == bytes) {
            index = i;
            break;
          }
        }
        if (index == record.plan.size()) {
          ADD_FAILURE() << at << ": the store holds a reading that batch never had (or holds it twice): "
                        << entry.reading().ShortDebugString();
          continue;
        }
        used[index] = true;
        EXPECT_EQ(entry.time_ms(), record.plan[index].time_ms) << at;
        // History is by time, then log order; with one sequential feed, log order is
        // (sequence, index).
        const std::tuple<std::int64_t, std::uint64_t, std::size_t> order{entry.time_ms(), entry.sequence(), index};
        EXPECT_LT(previous, order) << at << ": history out of (time, log) order";
        previous = order;
        const v1::Reading& r = entry.reading();
        if (r.has_traffic_detector() && (!e.has_observation || e.observation_order < order)) {
          e.has_observation = true;
          e.observation_order = order;
          e.observe_time_ms = r.traffic_detector().observe_time_ms();
          e.speed_kmh = r.traffic_detector().mean_speed_kmh();
        }
        if (r.has_segment_event() && (!e.has_event || e.event_order < order)) {
          e.has_event = true;
          e.event_order = order;
          e.closed = r.segment_event().kind() == v1::SegmentEvent::KIND_CLOSED;
        }
      }
    }

    // Whole batches only; every acknowledged one; unacknowledged ones only as a prefix of the
    // in-flight window (the server handles a stream's batches one after another).
    std::uint64_t acked_readings = 0;
    std::size_t lost_batches = 0;
    bool gap = false;
    for (const auto& [sequence, record] : ledger_) {
      const std::size_t valid = record.valid_count();
      std::size_t found = 0;
      if (auto m = matched.find(sequence); m != matched.end())
        found = static_cast<std::size_t>(std::count(m->second.begin(), m->second.end(), true));
      if (record.acked) {
        acked_readings += valid;
        if (found != valid && ++lost_batches <= 10)
          ADD_FAILURE() << when << ": acknowledged batch " << sequence << " (round " << record.round << ") lost "
                        << valid - found << " of its " << valid << " readings";
        continue;
      }
      EXPECT_TRUE(found == 0 || found == valid)
          << when << ": batch " << sequence << " is stored in part (" << found << " of " << valid << ")";
      // A heartbeat leaves no reading behind, so it cannot be told apart; it counts as stored
      // only when a later batch is.
      const bool is_stored = valid > 0 && found == valid;
      if (is_stored) {
        EXPECT_FALSE(gap) << when << ": batch " << sequence << " is stored but an earlier in-flight batch is not";
        stored.insert(sequence);
      } else if (valid > 0) {
        gap = true;
      }
    }

    EXPECT_EQ(lost_batches, 0u) << when << ": acknowledged batches lost (the first 10 are listed above)";

    v1::TwinStats stats;
    const auto status = twins_->GetStats(call().get(), v1::GetStatsRequest(), &stats);
    EXPECT_TRUE(status.ok()) << when << ": GetStats: " << status.error_message();
    EXPECT_GE(stats.readings_logged(), acked_readings) << when << ": fewer readings logged than acknowledged";
    EXPECT_EQ(stats.readings_logged(), entries_total)
        << when << ": readings_logged disagrees with the readings the store returns";
    return expected;
  }

  // Polls GetTwin until every touched segment shows the expected state in a view published by
  // this process, and still shows it in the next view.
  void check_twin_state(const std::string& when, const std::map<segment_id, expected_segment>& expected) {
    const auto deadline = steady::now() + 30s;
    std::int64_t matched_at_view = 0;  // update_time_ms of the view where all matched
    std::string mismatch;
    while (true) {
      mismatch.clear();
      std::int64_t oldest_view = INT64_MAX;
      for (const auto& [segment, e] : expected) {
        v1::GetTwinRequest request;
        request.mutable_twin()->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
        request.mutable_twin()->set_id(directory_->id_of(segment));
        v1::Twin twin;
        const auto status = twins_->GetTwin(call().get(), request, &twin);
        ASSERT_TRUE(status.ok()) << when << ": GetTwin " << directory_->id_of(segment) << ": " << status.error_message();
        oldest_view = std::min(oldest_view, twin.update_time_ms());
        const auto& state = twin.road_segment();
        std::ostringstream why;
        const auto want_status = e.has_event && e.closed ? v1::SEGMENT_STATUS_CLOSED : v1::SEGMENT_STATUS_OPEN;
        if (state.status() != want_status)
          why << "status " << v1::SegmentStatus_Name(state.status()) << " instead of "
              << v1::SegmentStatus_Name(want_status) << "; ";
        if (state.capacity_factor() != 1) why << "capacity factor " << state.capacity_factor() << "; ";
        if (state.has_last_detector_reading() != e.has_observation) {
          why << (e.has_observation ? "no last detector reading; " : "a last detector reading nobody sent; ");
        } else if (e.has_observation) {
          const auto& last = state.last_detector_reading();
          if (last.observe_time_ms() != e.observe_time_ms || std::abs(last.mean_speed_kmh() - e.speed_kmh) > 1e-6)
            why << "last detector reading at " << last.observe_time_ms() << " with " << last.mean_speed_kmh()
                << " km/h instead of " << e.observe_time_ms << " with " << e.speed_kmh << " km/h; ";
        }
        if (!why.str().empty()) mismatch += "\n  segment " + directory_->id_of(segment) + ": " + why.str();
      }
      // update_time_ms is 0 until the twin of this process has published its first view.
      if (mismatch.empty() && oldest_view > 0) {
        if (matched_at_view > 0 && oldest_view > matched_at_view) return;  // held over a fresh view
        if (matched_at_view == 0) matched_at_view = oldest_view;
      } else {
        matched_at_view = 0;
      }
      if (steady::now() > deadline) {
        FAIL() << when << ": the twin does not show a clean replay of the store within 30 s:" << mismatch
               << (mismatch.empty() ? " (no fresh view published)" : "");
      }
      std::this_thread::sleep_for(25ms);
    }
  }

  void check_recovered(const std::string& when, std::set<std::uint64_t>& stored) {
    const auto expected = check_store(when, stored);
    ASSERT_NO_FATAL_FAILURE(check_twin_state(when, expected));
  }

  // After a restart, as a client must: resend every unacknowledged batch unchanged; those already
  // stored are duplicates. Then resend the last acknowledged batch: a duplicate too.
  void resend(const std::set<std::uint64_t>& stored, std::uint64_t last_acked, const std::string& when) {
    auto stub = v1::IngestService::NewStub(channel_);
    auto context = call(60s);
    auto stream = stub->Ingest(context.get());
    std::vector<std::uint64_t> unacked;
    for (const auto& [sequence, record] : ledger_)
      if (!record.acked) unacked.push_back(sequence);
    for (std::uint64_t sequence : unacked) {
      batch_record& record = ledger_.at(sequence);
      v1::IngestAck ack;
      ASSERT_TRUE(stream->Write(record.batch) && stream->Read(&ack)) << when << ": resending batch " << sequence;
      const bool was_stored = stored.count(sequence) > 0;
      if (was_stored || (record.valid_count() == 0 && ack.duplicate())) {
        EXPECT_TRUE(ack.duplicate()) << when << ": batch " << sequence << " is stored but its resend was applied again";
        EXPECT_EQ(ack.accepted(), 0u) << when << ": duplicate of " << sequence;
        EXPECT_EQ(ack.rejected_size(), 0) << when << ": duplicate of " << sequence;
      } else {
        const std::string problem = ack_problem(record, ack);
        EXPECT_TRUE(problem.empty()) << when << ": resent batch " << sequence << ": " << problem;
      }
      record.acked = true;
    }
    if (last_acked > 0) {
      v1::IngestAck ack;
      ASSERT_TRUE(stream->Write(ledger_.at(last_acked).batch) && stream->Read(&ack)) << when;
      EXPECT_EQ(ack.sequence(), last_acked) << when;
      EXPECT_TRUE(ack.duplicate()) << when << ": the last acknowledged batch " << last_acked
                                   << " was applied again after the restart";
      EXPECT_EQ(ack.accepted(), 0u) << when;
    }
    stream->WritesDone();
    const auto status = stream->Finish();
    EXPECT_TRUE(status.ok()) << when << ": resend stream ended with " << status.error_message();
  }

  struct round_result {
    std::size_t acked = 0;
    std::size_t in_flight = 0;  // sent (or about to be) but unacknowledged at the kill
    std::uint64_t last_acked = 0;
    std::string plan;
  };

  // Streams new batches until a killer thread SIGKILLs the server at a random point.
  void stream_until_killed(int round, std::mt19937_64& rng, round_result& result) {
    const std::size_t window = 1 + rng() % 8;  // batches in flight
    const bool by_acks = rng() % 2 == 0;
    const std::size_t kill_after_acks = rng() % 60;
    const auto kill_delay = by_acks ? std::chrono::microseconds(rng() % 20'000)
                                    : std::chrono::microseconds(20'000 + rng() % 900'000);
    result.plan = by_acks ? "after " + std::to_string(kill_after_acks) + " acks + " +
                                std::to_string(kill_delay.count()) + " us"
                          : "after " + std::to_string(kill_delay.count() / 1000) + " ms";
    result.plan += ", window " + std::to_string(window);

    auto stub = v1::IngestService::NewStub(channel_);
    auto context = call(120s);
    auto stream = stub->Ingest(context.get());
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::uint64_t> outstanding;
    std::size_t acks = 0;
    bool stream_over = false, killed = false;
    std::vector<std::string> problems;
    const pid_t pid = server_.pid();

    std::thread writer([&] {
      while (true) {
        v1::IngestBatch batch;
        {
          std::unique_lock lock(mutex);
          changed.wait(lock, [&] { return stream_over || outstanding.size() < window; });
          if (stream_over) return;
          const std::uint64_t sequence = next_sequence_++;
          auto [it, fresh] = ledger_.emplace(sequence, feed_->make(sequence, round));
          batch = it->second.batch;
          outstanding.push_back(sequence);
        }
        if (!stream->Write(batch)) return;
      }
    });
    std::thread killer([&] {
      std::unique_lock lock(mutex);
      if (by_acks) changed.wait_for(lock, 60s, [&] { return stream_over || acks >= kill_after_acks; });
      changed.wait_for(lock, kill_delay, [&] { return stream_over; });
      if (stream_over) return;  // ended on its own: the main thread reports it
      ::kill(pid, SIGKILL);
      killed = true;
    });

    v1::IngestAck ack;
    while (stream->Read(&ack)) {
      std::lock_guard lock(mutex);
      if (outstanding.empty()) {
        problems.push_back("an ack (sequence " + std::to_string(ack.sequence()) + ") for a batch not sent");
        continue;
      }
      batch_record& record = ledger_.at(outstanding.front());
      outstanding.pop_front();
      if (auto problem = ack_problem(record, ack); !problem.empty())
        problems.push_back("batch " + std::to_string(record.batch.sequence()) + ": " + problem);
      record.acked = true;
      result.last_acked = record.batch.sequence();
      ++acks;
      changed.notify_all();
    }
    {
      std::lock_guard lock(mutex);
      stream_over = true;
    }
    changed.notify_all();
    killer.join();
    writer.join();
    const grpc::Status status = stream->Finish();
    result.acked = acks;
    result.in_flight = outstanding.size();
    for (const auto& p : problems) ADD_FAILURE() << "round " << round << ": " << p;
    const auto exit = server_.wait_for_exit(20s);
    ASSERT_TRUE(exit.has_value()) << "round " << round << ": the server is still running after the stream ended ("
                                  << status.error_message() << ")";
    ASSERT_TRUE(killed) << "round " << round << ": the stream ended before the kill: " << status.error_code() << " "
                        << status.error_message() << "; the server " << describe_exit(*exit);
    ASSERT_TRUE(WIFSIGNALED(*exit) && WTERMSIG(*exit) == SIGKILL)
        << "round " << round << ": the server " << describe_exit(*exit) << " before our SIGKILL";
    EXPECT_FALSE(status.ok()) << "round " << round << ": the stream ended OK although the server was killed";
  }

  std::uint64_t last_acked_sequence() const {
    for (auto it = ledger_.rbegin(); it != ledger_.rend(); ++it)
      if (it->second.acked) return it->first;
    return 0;
  }

  fs::path dir_, data_dir_, port_file_, log_;
  std::uint64_t seed_ = default_seed;
  int rounds_ = default_rounds;
  std::unique_ptr<loaded_city> city_;
  std::unique_ptr<segment_directory> directory_;
  std::vector<segment_id> segments_;
  std::unique_ptr<feed_generator> feed_;
  std::map<std::uint64_t, batch_record> ledger_;  // every batch ever sent, by sequence
  std::uint64_t next_sequence_ = 1;
  server_process server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::TwinService::Stub> twins_;
};

TEST_F(crash_safety, acknowledged_readings_survive_sigkill_and_the_twin_equals_a_clean_replay) {
  std::cout << "[ crash    ] " << rounds_ << " kill rounds (CITYTWIN_CRASH_ROUNDS)" << std::endl;
  std::mt19937_64 rng(seed_ + 1);
  const auto started = steady::now();
  std::size_t total_acked = 0, stored_unacked = 0, kills = 0;
  for (int round = 0; round <= rounds_; ++round) {
    const auto round_start = steady::now();
    const std::string when = "after restart " + std::to_string(round);
    ASSERT_NO_FATAL_FAILURE(start_server()) << when;
    const auto up = steady::now();
    std::set<std::uint64_t> stored;
    if (round > 0) {
      ASSERT_NO_FATAL_FAILURE(check_recovered(when, stored));
      stored_unacked += stored.size();
      const std::uint64_t last_acked = last_acked_sequence();
      ASSERT_NO_FATAL_FAILURE(resend(stored, last_acked, when));
      std::set<std::uint64_t> none;
      ASSERT_NO_FATAL_FAILURE(check_recovered(when + ", resent", none));
      EXPECT_TRUE(none.empty());
    }
    ASSERT_FALSE(HasFailure()) << "stopping at round " << round << " (seed " << seed_ << ")";
    if (round == rounds_) break;
    round_result result;
    ASSERT_NO_FATAL_FAILURE(stream_until_killed(round, rng, result));
    ++kills;
    total_acked += result.acked;
    std::cout << "[ crash    ] round " << round << ": up in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(up - round_start).count() << " ms, killed "
              << result.plan << ": " << result.acked << " acked, " << result.in_flight << " in flight, "
              << std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - round_start).count()
              << " ms" << std::endl;
  }

  // Finally a graceful stop (SIGTERM: snapshot at shutdown) and one more restart from it. The
  // server takes SIGTERM in its main loop only while that loop sleeps; otherwise RocksDB's threads,
  // started before serve blocks the signal, take it and die (about 5% of stops; see
  // every_server_thread_but_the_main_loop_blocks_sigterm). Either way the restart must
  // recover everything, so that is checked here, and the clean exit there.
  ::kill(server_.pid(), SIGTERM);
  const auto exit = server_.wait_for_exit(30s);
  ASSERT_TRUE(exit.has_value()) << "the server did not stop within 30 s of SIGTERM";
  EXPECT_TRUE((WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) || (WIFSIGNALED(*exit) && WTERMSIG(*exit) == SIGTERM))
      << "SIGTERM: the server " << describe_exit(*exit);
  if (!WIFEXITED(*exit))
    std::cout << "[ crash    ] SIGTERM killed the server instead of stopping it (a thread without the signal "
                 "blocked took it)" << std::endl;
  ASSERT_NO_FATAL_FAILURE(start_server());
  std::set<std::uint64_t> stored;
  ASSERT_NO_FATAL_FAILURE(check_recovered("after the graceful restart", stored));
  EXPECT_TRUE(stored.empty());
  server_.kill_and_reap();

  std::cout << "[ crash    ] " << kills << " kills, " << ledger_.size() << " batches, " << total_acked
            << " acked in killed streams, " << stored_unacked << " stored without an ack, "
            << std::chrono::duration_cast<std::chrono::seconds>(steady::now() - started).count() << " s" << std::endl;
  EXPECT_EQ(kills, static_cast<std::size_t>(rounds_));
}

// A closure and a later capacity change are independent facts (twin.proto: REOPENED leaves the
// capacity factor as it is; CAPACITY_CHANGED does not open a closed segment), and the live twin
// applies both. A restart must rebuild both; twin_inputs keeps only the newest event per segment,
// whatever its kind, so the replay drops the closure. Disabled until the engine keeps the newest
// closed/reopened event and the newest capacity change separately; run it with
// --gtest_also_run_disabled_tests.
TEST_F(crash_safety, a_closure_and_a_later_capacity_change_both_survive_a_restart) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  const segment_id segment = segments_[0];
  const std::int64_t t = wall_ms() - 60'000;
  v1::IngestBatch batch;
  batch.set_source(feed_source);
  batch.set_sequence(1);
  auto add_event = [&](std::int64_t time_ms, v1::SegmentEvent::Kind kind, double factor) {
    auto* e = batch.add_readings()->mutable_segment_event();
    e->set_segment_id(directory_->id_of(segment));
    e->set_event_time_ms(time_ms);
    e->set_kind(kind);
    e->set_capacity_factor(factor);
  };
  add_event(t - 2000, v1::SegmentEvent::KIND_CLOSED, 0);
  add_event(t - 1000, v1::SegmentEvent::KIND_CAPACITY_CHANGED, 0.5);
  {
    auto stub = v1::IngestService::NewStub(channel_);
    auto context = call();
    auto stream = stub->Ingest(context.get());
    v1::IngestAck ack;
    ASSERT_TRUE(stream->Write(batch) && stream->Read(&ack));
    EXPECT_EQ(ack.accepted(), 2u);
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
  }
  auto state_after = [&](std::int64_t newer_than_ms) {
    v1::Twin twin;
    const auto deadline = steady::now() + 20s;
    while (steady::now() < deadline) {
      v1::GetTwinRequest request;
      request.mutable_twin()->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
      request.mutable_twin()->set_id(directory_->id_of(segment));
      EXPECT_TRUE(twins_->GetTwin(call().get(), request, &twin).ok());
      if (twin.update_time_ms() > newer_than_ms) break;
      std::this_thread::sleep_for(25ms);
    }
    return twin;
  };
  // Two windows after the ack, so both events are applied.
  const auto first = state_after(0);
  const auto live = state_after(state_after(first.update_time_ms()).update_time_ms());
  EXPECT_EQ(live.road_segment().status(), v1::SEGMENT_STATUS_CLOSED) << "live";
  EXPECT_EQ(live.road_segment().capacity_factor(), 0.5) << "live";

  server_.kill_and_reap();
  ASSERT_NO_FATAL_FAILURE(start_server());
  const auto after_first = state_after(0);
  const auto restarted = state_after(state_after(after_first.update_time_ms()).update_time_ms());
  EXPECT_EQ(restarted.road_segment().status(), v1::SEGMENT_STATUS_CLOSED) << "after the restart";
  EXPECT_EQ(restarted.road_segment().capacity_factor(), 0.5) << "after the restart";
}

// `citytwin serve` stops gracefully on SIGTERM/SIGINT by taking them with sigtimedwait in its main
// loop, so every other thread must block them; a process-directed signal goes to any thread that
// does not, and kills the process (no final snapshot, exit by signal). serve blocks them only after
// the store is open, and RocksDB's background threads (rocksdb:low, rocksdb:high, ...) started
// by twin_store::open inherit the unblocked mask: a SIGTERM that arrives while the main loop is
// awake (snapshot, purge; ~5% of the time with --snapshot-every 200ms) kills the server. The
// fix is to block the signals at the top of run_serve (or in main), before any thread starts.
// Linux only (/proc). Disabled until fixed; run with --gtest_also_run_disabled_tests.
TEST_F(crash_safety, every_server_thread_but_the_main_loop_blocks_sigterm) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  const pid_t pid = server_.pid();
  std::string unblocked;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    if (task.path().filename() == std::to_string(pid)) continue;  // the main loop unblocks them while it waits
    std::ifstream status(task.path() / "status");
    std::string line, name, blocked;
    while (std::getline(status, line)) {
      if (line.rfind("Name:", 0) == 0) name = line.substr(5);
      if (line.rfind("SigBlk:", 0) == 0) blocked = line.substr(7);
    }
    const unsigned long long mask = std::strtoull(blocked.c_str(), nullptr, 16);
    const unsigned long long wanted = (1ull << (SIGTERM - 1)) | (1ull << (SIGINT - 1));
    if ((mask & wanted) != wanted) unblocked += "\n  thread " + task.path().filename().string() + name;
  }
  EXPECT_TRUE(unblocked.empty()) << "threads of the server that do not block SIGTERM/SIGINT:" << unblocked;
  ::kill(pid, SIGTERM);
  const auto exit = server_.wait_for_exit(30s);
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << "SIGTERM: the server " << describe_exit(*exit);
}

}  // namespace

}  // namespace citytwin::testing

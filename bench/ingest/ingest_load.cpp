// ingest_load: a load generator for IngestService. It connects to a running `citytwin serve`, opens
// --streams concurrent Ingest streams (each its own source), and on each keeps up to --window
// batches of --batch-size traffic-detector readings outstanding: a writer thread sends a batch
// whenever the window has room, a reader thread takes the acks as they come. The ack latency of a
// batch runs from just before its Write to the Read of its ack, so it includes the time the batch
// waits behind earlier batches of its stream (the server answers a stream's batches in order).
//
// Readings are valid: segment ids drawn at random from the city's road segments (TwinService.QueryTwins),
// observe_time_ms = now, 60 s counting intervals, plausible counts, speeds and occupancies. Any
// rejection is counted and reported; a correct run has none.
//
// With --rate the load is open: each stream sends its batches at evenly spaced due times (window
// permitting) and a batch's latency counts from its due time, so it shows the latency at that offered
// load rather than at saturation.
//
// Throughput counts the acks received after --warmup and up to --duration; latency counts the batches
// sent (or due) in that interval, whenever their acks come. At the end each stream half-closes and
// drains its remaining acks, so the server is never left with a broken stream.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>
#include <grpcpp/grpcpp.h>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "citytwin/v1/twin.grpc.pb.h"

namespace {

namespace v1 = citytwin::v1;
using clock_type = std::chrono::steady_clock;

std::int64_t epoch_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Log-linear latency histogram in nanoseconds: 128 sub-buckets per power of two (< 0.8 % error),
// constant memory however long the run. Exact maximum kept aside.
class latency_histogram {
 public:
  static constexpr int sub_bits = 7;
  static constexpr int sub_count = 1 << sub_bits;
  static constexpr int octaves = 64 - sub_bits;

  void add(std::uint64_t ns) {
    ++counts_[index(ns)];
    ++total_;
    max_ = std::max(max_, ns);
    sum_ += static_cast<double>(ns);
  }
  void merge(const latency_histogram& other) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    max_ = std::max(max_, other.max_);
    sum_ += other.sum_;
  }
  std::uint64_t count() const { return total_; }
  double max_ms() const { return static_cast<double>(max_) / 1e6; }
  double mean_ms() const { return total_ ? sum_ / static_cast<double>(total_) / 1e6 : 0; }
  // The upper edge of the bucket holding the q-quantile (0 < q <= 1), in ms.
  double quantile_ms(double q) const {
    if (total_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(static_cast<double>(upper_edge(i)), static_cast<double>(max_)) / 1e6;
    }
    return max_ms();
  }

 private:
  static std::size_t index(std::uint64_t v) {
    if (v < sub_count) return static_cast<std::size_t>(v);
    const int msb = 63 - __builtin_clzll(v);
    const int shift = msb - sub_bits;
    return static_cast<std::size_t>((shift + 1) * sub_count + static_cast<int>((v >> shift) - sub_count));
  }
  static std::uint64_t upper_edge(std::size_t i) {
    if (i < sub_count) return i;
    const int shift = static_cast<int>(i / sub_count) - 1;
    const std::uint64_t mantissa = sub_count + i % sub_count;
    return ((mantissa + 1) << shift) - 1;
  }

  std::array<std::uint64_t, (octaves + 1) * sub_count> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
  double sum_ = 0;
};

struct options {
  std::string server = "127.0.0.1:50051";
  std::string port_file;
  std::string token;
  int streams = 4;
  int batch_size = 1000;
  int window = 2;
  double duration_s = 30;
  double warmup_s = 2;
  double rate = 0;  // readings/s over all streams; 0: as fast as the window allows
  double report_every_s = 0;
  std::string source_prefix;
  std::uint64_t seed = 1;
  std::string json;
  std::string label;
  std::string trace;  // one line per measured batch: stream, due time and ack latency
};

// One measured batch for --trace.
struct traced_batch {
  double due_s = 0;  // since the load started
  double latency_ms = 0;
};

struct stream_result {
  latency_histogram latency;
  std::uint64_t batches = 0;          // acks counted (within the measurement interval)
  std::uint64_t readings = 0;         // accepted readings in those acks
  std::uint64_t rejected = 0;         // rejected readings, whole run
  std::uint64_t duplicates = 0;       // duplicate acks, whole run
  std::uint64_t batches_total = 0;    // acks received, whole run
  std::uint64_t readings_total = 0;   // accepted readings, whole run
  std::string first_rejection;
  std::string error;
  std::vector<traced_batch> trace;  // with --trace only
};

// Live counters for --report-every, bumped by the readers.
struct progress {
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> readings{0};
  std::atomic<std::uint64_t> rejected{0};
};

std::vector<std::string> fetch_segment_ids(const std::shared_ptr<grpc::Channel>& channel, const options& o) {
  auto stub = v1::TwinService::NewStub(channel);
  std::vector<std::string> ids;
  std::string token;
  do {
    grpc::ClientContext context;
    if (!o.token.empty()) context.AddMetadata("authorization", "Bearer " + o.token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::QueryTwinsRequest request;
    request.mutable_filter()->add_kinds(v1::TWIN_KIND_ROAD_SEGMENT);
    request.set_page_size(1000);
    request.set_page_token(token);
    v1::QueryTwinsResponse response;
    const auto status = stub->QueryTwins(&context, request, &response);
    if (!status.ok())
      throw std::runtime_error(fmt::format("QueryTwins failed: {} (code {})", status.error_message(),
                                           static_cast<int>(status.error_code())));
    for (const auto& twin : response.twins()) ids.push_back(twin.id());
    token = response.next_page_token();
  } while (!token.empty());
  if (ids.empty()) throw std::runtime_error("the server's city has no road segments");
  return ids;
}

// One Ingest stream: a writer keeping up to `window` batches in flight and a reader taking acks.
class ingest_stream {
 public:
  ingest_stream(std::shared_ptr<grpc::Channel> channel, const options& o, const std::vector<std::string>& segments,
                std::string source, int stagger, std::uint64_t seed, clock_type::time_point measure_from,
                clock_type::time_point stop_at, progress& live)
      : stagger_(stagger),
        stub_(v1::IngestService::NewStub(std::move(channel))),
        o_(o),
        segments_(segments),
        source_(std::move(source)),
        random_(seed),
        measure_from_(measure_from),
        stop_at_(stop_at),
        live_(live) {
    if (!o.token.empty()) context_.AddMetadata("authorization", "Bearer " + o.token);
    stream_ = stub_->Ingest(&context_);
  }

  void run() {
    std::thread reader([this] { read_acks(); });
    write_batches();
    reader.join();
    const auto status = stream_->Finish();
    if (!status.ok() && result_.error.empty())
      result_.error = fmt::format("stream {} ended with {} (code {})", source_, status.error_message(),
                                  static_cast<int>(status.error_code()));
  }

  const stream_result& result() const { return result_; }

 private:
  // Fills the batch once with random segments and values; each send only refreshes the times
  // and the sequence, so the generator spends its CPU on the wire, not on building messages.
  void build_template() {
    std::uniform_int_distribution<std::size_t> pick(0, segments_.size() - 1);
    std::uniform_int_distribution<std::uint32_t> count(0, 40);  // at most 2,400 veh/h over 60 s
    std::uniform_real_distribution<double> speed(5, 70), occupancy(0, 0.6);
    batch_.set_source(source_);
    for (int i = 0; i < o_.batch_size; ++i) {
      auto* d = batch_.add_readings()->mutable_traffic_detector();
      d->set_segment_id(segments_[pick(random_)]);
      d->set_detector_id(fmt::format("det-{:05d}", i));
      d->set_interval_ms(60'000);
      d->set_vehicle_count(count(random_));
      d->set_mean_speed_kmh(speed(random_));
      d->set_occupancy(occupancy(random_));
    }
  }

  void write_batches() {
    build_template();
    std::uniform_int_distribution<std::size_t> pick(0, segments_.size() - 1);
    std::uint64_t sequence = 0;
    // With --rate, batch k of this stream is due at start + k * period (streams start staggered);
    // its latency counts from that due time, so a server that falls behind is not flattered by
    // the client waiting for window room (no coordinated omission).
    const bool paced = o_.rate > 0;
    const auto period = std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double>(paced ? o_.streams * o_.batch_size / o_.rate : 0));
    auto due = clock_type::now() + period * stagger_ / std::max(1, o_.streams);
    while (clock_type::now() < stop_at_) {
      if (paced) {
        std::this_thread::sleep_until(due);
        if (clock_type::now() >= stop_at_) break;
      }
      {
        std::unique_lock lock(mutex_);
        room_.wait(lock, [&] { return in_flight_.size() < static_cast<std::size_t>(o_.window) || reader_done_; });
        if (reader_done_) break;
      }
      // A few new segments per batch, so successive batches do not repeat the same ids exactly.
      const std::int64_t now = epoch_ms_now();
      for (int i = 0; i < o_.batch_size; ++i) {
        auto* d = batch_.mutable_readings(i)->mutable_traffic_detector();
        d->set_observe_time_ms(now);
        if (i % 16 == static_cast<int>(sequence % 16)) d->set_segment_id(segments_[pick(random_)]);
      }
      batch_.set_sequence(++sequence);
      {
        std::lock_guard lock(mutex_);
        in_flight_.push_back(paced ? due : clock_type::now());
      }
      due += period;
      if (!stream_->Write(batch_)) {
        std::lock_guard lock(mutex_);
        in_flight_.pop_back();
        break;  // the stream is broken; the reader sees why
      }
    }
    stream_->WritesDone();
  }

  void read_acks() {
    v1::IngestAck ack;
    while (stream_->Read(&ack)) {
      const auto now = clock_type::now();
      clock_type::time_point sent;
      {
        std::lock_guard lock(mutex_);
        if (in_flight_.empty()) {
          result_.error = "an ack arrived for no outstanding batch";
          break;
        }
        sent = in_flight_.front();
        in_flight_.pop_front();
      }
      room_.notify_one();
      ++result_.batches_total;
      result_.readings_total += ack.accepted();
      result_.rejected += static_cast<std::uint64_t>(ack.rejected_size());
      if (ack.duplicate()) ++result_.duplicates;
      if (ack.rejected_size() > 0 && result_.first_rejection.empty())
        result_.first_rejection = fmt::format("batch {} reading {}: code {}: {}", ack.sequence(),
                                              ack.rejected(0).index(), static_cast<int>(ack.rejected(0).code()),
                                              ack.rejected(0).reason());
      live_.batches.fetch_add(1, std::memory_order_relaxed);
      live_.readings.fetch_add(ack.accepted(), std::memory_order_relaxed);
      live_.rejected.fetch_add(static_cast<std::uint64_t>(ack.rejected_size()), std::memory_order_relaxed);
      if (now >= measure_from_ && now <= stop_at_) {
        ++result_.batches;
        result_.readings += ack.accepted();
      }
      // Latency belongs to the batches sent (or due) in the interval, however late their acks come,
      // so neither the warm-up's slow start nor the last slow acks are miscounted.
      if (sent >= measure_from_ && sent < stop_at_) {
        result_.latency.add(static_cast<std::uint64_t>(std::chrono::nanoseconds(now - sent).count()));
        if (!o_.trace.empty())
          result_.trace.push_back({std::chrono::duration<double>(sent - started_).count(),
                                   std::chrono::duration<double, std::milli>(now - sent).count()});
      }
    }
    {
      std::lock_guard lock(mutex_);
      reader_done_ = true;
    }
    room_.notify_one();
  }

  int stagger_;
  std::unique_ptr<v1::IngestService::Stub> stub_;
  const options& o_;
  const std::vector<std::string>& segments_;
  std::string source_;
  std::mt19937_64 random_;
  clock_type::time_point measure_from_, stop_at_;
  const clock_type::time_point started_ = clock_type::now();
  progress& live_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::IngestBatch, v1::IngestAck>> stream_;
  v1::IngestBatch batch_;

  std::mutex mutex_;
  std::condition_variable room_;
  std::deque<clock_type::time_point> in_flight_;  // send times of unacknowledged batches, in order
  bool reader_done_ = false;
  stream_result result_;
};

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
      continue;
    }
    out += c;
  }
  return out + "\"";
}

int run(const options& o) {
  std::string address = o.server;
  if (!o.port_file.empty()) {
    std::ifstream in(o.port_file);
    int port = 0;
    if (!(in >> port) || port <= 0) throw std::runtime_error("cannot read a port from " + o.port_file);
    address = fmt::format("127.0.0.1:{}", port);
  }
  // Each stream gets its own channel (own TCP connection), as independent feeds would have.
  auto make_channel = [&](int i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // no connection sharing between streams
    args.SetInt("citytwin.bench.stream", i);
    args.SetMaxSendMessageSize(64 * 1024 * 1024);
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  };
  auto probe = make_channel(-1);
  if (!probe->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)))
    throw std::runtime_error("cannot connect to " + address);
  const auto segments = fetch_segment_ids(probe, o);
  const std::string prefix = o.source_prefix.empty() ? fmt::format("load-{}", epoch_ms_now() % 100'000'000)
                                                     : o.source_prefix;
  fmt::print("ingest_load: {} · {} segments · {} streams x window {} x batch {} · {:.0f} s (+{:.0f} s warm-up){}\n",
             address, segments.size(), o.streams, o.window, o.batch_size, o.duration_s, o.warmup_s,
             o.rate > 0 ? fmt::format(" · offered {:.0f} readings/s", o.rate) : std::string());
  std::fflush(stdout);

  progress live;
  const auto start = clock_type::now();
  const auto measure_from = start + std::chrono::milliseconds(static_cast<long>(o.warmup_s * 1000));
  const auto stop_at = measure_from + std::chrono::milliseconds(static_cast<long>(o.duration_s * 1000));
  std::vector<std::unique_ptr<ingest_stream>> streams;
  for (int i = 0; i < o.streams; ++i)
    streams.push_back(std::make_unique<ingest_stream>(make_channel(i), o, segments, fmt::format("{}-s{}", prefix, i), i,
                                                      o.seed * 1000 + static_cast<std::uint64_t>(i), measure_from,
                                                      stop_at, live));
  std::vector<std::thread> threads;
  for (auto& s : streams) threads.emplace_back([&s] { s->run(); });

  std::vector<double> interval_rates;  // readings/s in each --report-every interval
  if (o.report_every_s > 0) {
    auto next = start;
    std::uint64_t last_readings = 0;
    auto last_time = start;
    while (true) {
      next += std::chrono::milliseconds(static_cast<long>(o.report_every_s * 1000));
      if (next > stop_at) break;
      std::this_thread::sleep_until(next);
      const auto r = live.readings.load();
      const double dt = std::chrono::duration<double>(next - last_time).count();
      fmt::print("  t={:6.0f} s  {:>12.0f} readings/s  ({} batches, {} readings, {} rejected so far)\n",
                 std::chrono::duration<double>(next - start).count(), static_cast<double>(r - last_readings) / dt,
                 live.batches.load(), r, live.rejected.load());
      std::fflush(stdout);
      interval_rates.push_back(static_cast<double>(r - last_readings) / dt);
      last_readings = r;
      last_time = next;
    }
  }
  for (auto& t : threads) t.join();

  stream_result total;
  std::vector<std::string> errors;
  for (const auto& s : streams) {
    const auto& r = s->result();
    total.latency.merge(r.latency);
    total.batches += r.batches;
    total.readings += r.readings;
    total.rejected += r.rejected;
    total.duplicates += r.duplicates;
    total.batches_total += r.batches_total;
    total.readings_total += r.readings_total;
    if (total.first_rejection.empty()) total.first_rejection = r.first_rejection;
    if (!r.error.empty()) errors.push_back(r.error);
  }
  const double seconds = o.duration_s;
  const double readings_per_s = static_cast<double>(total.readings) / seconds;
  const double batches_per_s = static_cast<double>(total.batches) / seconds;
  const auto& h = total.latency;
  fmt::print("readings/s   {:>12.0f}\n", readings_per_s);
  fmt::print("batches/s    {:>12.1f}\n", batches_per_s);
  fmt::print("ack latency  p50 {:.2f} ms · p90 {:.2f} ms · p99 {:.2f} ms · max {:.2f} ms · mean {:.2f} ms "
             "({} batches)\n",
             h.quantile_ms(0.5), h.quantile_ms(0.9), h.quantile_ms(0.99), h.max_ms(), h.mean_ms(), h.count());
  fmt::print("whole run    {} batches acked, {} readings accepted, {} rejected, {} duplicate acks\n",
             total.batches_total, total.readings_total, total.rejected, total.duplicates);
  if (!total.first_rejection.empty()) fmt::print("first rejection: {}\n", total.first_rejection);
  for (const auto& e : errors) fmt::print("error: {}\n", e);

  if (!o.trace.empty()) {
    std::ofstream out(o.trace);
    if (!out) throw std::runtime_error("cannot write " + o.trace);
    out << fmt::format("# load started at {} ms since the Unix epoch\n", epoch_ms_now() - static_cast<std::int64_t>(
        std::chrono::duration<double, std::milli>(clock_type::now() - start).count()));
    out << "stream\tdue_s\tlatency_ms\n";
    for (std::size_t i = 0; i < streams.size(); ++i)
      for (const auto& b : streams[i]->result().trace) out << fmt::format("{}\t{:.4f}\t{:.3f}\n", i, b.due_s, b.latency_ms);
  }
  if (!o.json.empty()) {
    std::ofstream out(o.json);
    if (!out) throw std::runtime_error("cannot write " + o.json);
    out << fmt::format(
        "{{\"label\": {}, \"server\": {}, \"streams\": {}, \"window\": {}, \"batch_size\": {}, \"offered_rate\": {}, "
        "\"duration_s\": {}, \"warmup_s\": {}, \"segments\": {},\n"
        " \"readings_per_s\": {:.1f}, \"batches_per_s\": {:.2f},\n"
        " \"ack_latency_ms\": {{\"p50\": {:.3f}, \"p90\": {:.3f}, \"p99\": {:.3f}, \"max\": {:.3f}, \"mean\": {:.3f}}},\n"
        " \"batches_measured\": {}, \"readings_measured\": {}, \"batches_total\": {}, \"readings_total\": {},\n"
        " \"rejected\": {}, \"duplicates\": {}, \"first_rejection\": {}, \"errors\": [{}],\n"
        " \"report_every_s\": {}, \"interval_readings_per_s\": [{:.0f}]}}\n",
        json_string(o.label), json_string(address), o.streams, o.window, o.batch_size, o.rate, o.duration_s, o.warmup_s,
        segments.size(), readings_per_s, batches_per_s, h.quantile_ms(0.5), h.quantile_ms(0.9), h.quantile_ms(0.99),
        h.max_ms(), h.mean_ms(), total.batches, total.readings, total.batches_total, total.readings_total,
        total.rejected, total.duplicates, json_string(total.first_rejection), [&] {
          std::string list;
          for (const auto& e : errors) list += (list.empty() ? "" : ", ") + json_string(e);
          return list;
        }(),
        o.report_every_s, fmt::join(interval_rates, ", "));
  }
  return (total.rejected == 0 && errors.empty() && total.batches > 0) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Sustained-ingest load generator for a running `citytwin serve` (IngestService.Ingest)"};
  options o;
  app.add_option("--server", o.server, "host:port of the server")->capture_default_str();
  app.add_option("--port-file", o.port_file, "Read the port from this file (citytwin serve --port-file); "
                                             "overrides --server with 127.0.0.1:PORT");
  app.add_option("--token", o.token, "Bearer token (role feed or above); not needed on an open loopback server");
  app.add_option("--streams", o.streams, "Concurrent Ingest streams, each its own source and connection")
      ->check(CLI::Range(1, 1024))->capture_default_str();
  app.add_option("--batch-size", o.batch_size, "Readings per batch")->check(CLI::Range(1, 10'000))->capture_default_str();
  app.add_option("--window", o.window, "Most unacknowledged batches per stream")->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  app.add_option("--rate", o.rate, "Offered load in readings/s over all streams, paced evenly (0: as fast as the "
                                 "window allows); latency then counts from each batch's due time")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--duration", o.duration_s, "Measured seconds (after the warm-up)")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "Seconds of load before measuring")->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--report-every", o.report_every_s, "Print the rate every this many seconds (0: never)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--source-prefix", o.source_prefix, "Source names are PREFIX-s0, PREFIX-s1, ... "
                                                     "(default: unique per run)");
  app.add_option("--seed", o.seed, "Random seed (segments and values)")->capture_default_str();
  app.add_option("--label", o.label, "Free text copied into the JSON summary");
  app.add_option("--json", o.json, "Write a JSON summary to this file");
  app.add_option("--trace", o.trace, "Write each measured batch's stream, due time (s since start) and ack latency "
                                     "(ms) to this file, tab-separated");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ingest_load: {}\n", e.what());
    return 2;
  }
}

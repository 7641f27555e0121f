// twinctl: talks to a running CityTwin server over its gRPC API.

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <grpcpp/grpcpp.h>
#include <sstream>

#include "citytwin/v1/audit.grpc.pb.h"
#include "citytwin/v1/forecast.grpc.pb.h"
#include "citytwin/v1/analytics.grpc.pb.h"
#include "citytwin/v1/twin.grpc.pb.h"
#include "clients/twinctl/audit_table.hpp"
#include "clients/twinctl/detector_csv.hpp"
#include "grpc/health/v1/health.grpc.pb.h"

namespace citytwin {

namespace {

struct connection_options {
  std::string server = "127.0.0.1:50051";
  std::string token;  // or TWINCTL_TOKEN
  std::string tls_ca, tls_cert, tls_key;
  double timeout_s = 30;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::shared_ptr<grpc::Channel> open_channel(const connection_options& c) {
  if (c.tls_ca.empty()) return grpc::CreateChannel(c.server, grpc::InsecureChannelCredentials());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = read_file(c.tls_ca);
  if (!c.tls_cert.empty()) {
    ssl.pem_cert_chain = read_file(c.tls_cert);
    ssl.pem_private_key = read_file(c.tls_key);
  }
  return grpc::CreateChannel(c.server, grpc::SslCredentials(ssl));
}

void prepare(grpc::ClientContext& context, const connection_options& c, bool streaming = false) {
  std::string token = c.token;
  if (token.empty())
    if (const char* env = std::getenv("TWINCTL_TOKEN")) token = env;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  if (!streaming)
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(static_cast<long>(c.timeout_s * 1000)));
}

void check(const grpc::Status& status, const std::string& what) {
  if (!status.ok())
    throw std::runtime_error(fmt::format("{} failed: {} ({})", what, status.error_message(),
                                         static_cast<int>(status.error_code())));
}

std::string describe(const v1::Twin& twin) {
  if (!twin.has_road_segment()) return fmt::format("{} (kind {})", twin.id(), static_cast<int>(twin.kind()));
  const auto& s = twin.road_segment();
  return fmt::format("segment {:<14} {:<6} speed {:6.1f} km/h (free {:5.1f})  vehicles {:4} queued {:4}  "
                     "density {:6.1f} veh/km  capacity x{:.2f}",
                     twin.id(), s.status() == v1::SEGMENT_STATUS_CLOSED ? "CLOSED" : "open", s.mean_speed_kmh(),
                     s.free_flow_speed_kmh(), s.vehicles_moving() + s.vehicles_queued(), s.vehicles_queued(),
                     s.density_veh_per_km(), s.capacity_factor());
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int run_health(const connection_options& c) {
  auto stub = grpc::health::v1::Health::NewStub(open_channel(c));
  grpc::ClientContext context;
  prepare(context, c);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  check(stub->Check(&context, request, &response), "health check");
  const bool serving = response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  fmt::print("{}\n", serving ? "SERVING" : "NOT_SERVING");
  return serving ? EXIT_SUCCESS : EXIT_FAILURE;
}

int run_get(const connection_options& c, const std::string& id, bool json) {
  auto stub = v1::TwinService::NewStub(open_channel(c));
  grpc::ClientContext context;
  prepare(context, c);
  v1::GetTwinRequest request;
  request.mutable_twin()->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
  request.mutable_twin()->set_id(id);
  v1::Twin twin;
  check(stub->GetTwin(&context, request, &twin), "get " + id);
  fmt::print("{}\n", json ? twin.DebugString() : describe(twin));
  return EXIT_SUCCESS;
}

struct query_arguments {
  std::vector<double> bbox;
  double speed_below = -1;
  bool closed = false;
  int limit = 0;
};

v1::TwinFilter make_filter(const query_arguments& q) {
  v1::TwinFilter filter;
  if (q.bbox.size() == 4) {
    auto* b = filter.mutable_bounding_box();
    b->set_min_x(q.bbox[0]);
    b->set_min_y(q.bbox[1]);
    b->set_max_x(q.bbox[2]);
    b->set_max_y(q.bbox[3]);
  }
  if (q.speed_below >= 0) filter.mutable_predicate()->mutable_speed_below_kmh()->set_value(q.speed_below);
  if (q.closed) filter.mutable_predicate()->set_segment_status(v1::SEGMENT_STATUS_CLOSED);
  return filter;
}

int run_query(const connection_options& c, const query_arguments& q) {
  auto stub = v1::TwinService::NewStub(open_channel(c));
  v1::QueryTwinsRequest request;
  *request.mutable_filter() = make_filter(q);
  request.set_page_size(500);
  int shown = 0;
  do {
    grpc::ClientContext context;
    prepare(context, c);
    v1::QueryTwinsResponse response;
    check(stub->QueryTwins(&context, request, &response), "query");
    for (const auto& twin : response.twins()) {
      if (q.limit > 0 && shown >= q.limit) return EXIT_SUCCESS;
      fmt::print("{}\n", describe(twin));
      ++shown;
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  fmt::print(stderr, "{} twins\n", shown);
  return EXIT_SUCCESS;
}

int run_watch(const connection_options& c, const query_arguments& q, bool initial, double seconds) {
  auto stub = v1::TwinService::NewStub(open_channel(c));
  grpc::ClientContext context;
  prepare(context, c, true);
  if (seconds > 0)
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(static_cast<long>(seconds * 1000)));
  v1::WatchTwinsRequest request;
  *request.mutable_filter() = make_filter(q);
  request.set_send_initial_state(initial);
  auto reader = stub->WatchTwins(&context, request);
  v1::TwinChange change;
  while (reader->Read(&change)) {
    const char* type = v1::TwinChange::ChangeType_Name(change.type()).c_str() + std::string("CHANGE_TYPE_").size();
    if (change.type() == v1::TwinChange::CHANGE_TYPE_INITIAL_STATE_END) fmt::print("-- initial state sent --\n");
    else fmt::print("{:<8} {}\n", type, describe(change.twin()));
    std::fflush(stdout);
  }
  const grpc::Status status = reader->Finish();
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && seconds > 0) return EXIT_SUCCESS;
  check(status, "watch");
  return EXIT_SUCCESS;
}

int run_history(const connection_options& c, const std::string& id, double since_s) {
  auto stub = v1::TwinService::NewStub(open_channel(c));
  v1::GetHistoryRequest request;
  request.mutable_twin()->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
  request.mutable_twin()->set_id(id);
  request.set_start_time_ms(now_ms() - static_cast<std::int64_t>(since_s * 1000));
  request.set_page_size(1000);
  std::size_t shown = 0;
  do {
    grpc::ClientContext context;
    prepare(context, c);
    v1::GetHistoryResponse response;
    check(stub->GetHistory(&context, request, &response), "history " + id);
    for (const auto& e : response.entries()) {
      const auto& r = e.reading();
      if (r.has_traffic_detector())
        fmt::print("{} detector count {} speed {:.1f} km/h occupancy {:.2f}  ({} #{})\n", e.time_ms(),
                   r.traffic_detector().vehicle_count(), r.traffic_detector().mean_speed_kmh(),
                   r.traffic_detector().occupancy(), e.source(), e.sequence());
      else if (r.has_segment_event())
        fmt::print("{} event {} factor {:.2f} cause '{}'  ({} #{})\n", e.time_ms(),
                   v1::SegmentEvent::Kind_Name(r.segment_event().kind()), r.segment_event().capacity_factor(),
                   r.segment_event().cause(), e.source(), e.sequence());
      ++shown;
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  fmt::print(stderr, "{} entries\n", shown);
  return EXIT_SUCCESS;
}

struct ingest_arguments {
  std::string csv;
  std::string source = "twinctl";
  std::uint64_t first_sequence = 0;  // 0: derived from the clock, so reruns are new batches
  std::size_t batch_size = 500;
  double interval_s = 60;
};

int run_ingest(const connection_options& c, const ingest_arguments& a) {
  const auto readings = read_detector_csv(a.csv, now_ms(), static_cast<std::int64_t>(a.interval_s * 1000));
  auto stub = v1::IngestService::NewStub(open_channel(c));
  grpc::ClientContext context;
  prepare(context, c, true);
  auto stream = stub->Ingest(&context);
  std::uint64_t sequence = a.first_sequence != 0 ? a.first_sequence : static_cast<std::uint64_t>(now_ms());
  std::size_t batches = 0, accepted = 0, rejected = 0, duplicates = 0;
  bool failed = false;
  for (std::size_t start = 0; start < readings.size(); start += a.batch_size) {
    v1::IngestBatch batch;
    batch.set_source(a.source);
    batch.set_sequence(sequence++);
    for (std::size_t i = start; i < std::min(readings.size(), start + a.batch_size); ++i) *batch.add_readings() = readings[i];
    if (!stream->Write(batch)) break;
    v1::IngestAck ack;
    if (!stream->Read(&ack)) break;
    ++batches;
    accepted += ack.accepted();
    rejected += static_cast<std::size_t>(ack.rejected_size());
    duplicates += ack.duplicate() ? 1 : 0;
    for (const auto& r : ack.rejected()) {
      failed = true;
      fmt::print(stderr, "rejected: {}, line of batch {} reading {}: {} ({})\n", a.csv, ack.sequence(), r.index(),
                 r.reason(), v1::RejectionCode_Name(r.code()));
    }
  }
  stream->WritesDone();
  const grpc::Status status = stream->Finish();
  fmt::print("{} readings in {} batches: {} accepted, {} rejected, {} duplicate batches\n", readings.size(), batches,
             accepted, rejected, duplicates);
  check(status, "ingest");
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int run_stats(const connection_options& c) {
  auto stub = v1::TwinService::NewStub(open_channel(c));
  grpc::ClientContext context;
  prepare(context, c);
  v1::TwinStats stats;
  check(stub->GetStats(&context, v1::GetStatsRequest{}, &stats), "stats");
  fmt::print("readings stored: {}\nbatches written: {}\nduplicate batches: {}\nroad segments: {}\n"
             "twin time: {} ms since epoch (lag {} ms, time scale {})\n",
             stats.readings_logged(), stats.batches_written(), stats.duplicate_batches(), stats.road_segments(),
             stats.twin_time_ms(), stats.lag_ms(), stats.time_scale());
  return EXIT_SUCCESS;
}

int run_audit(const connection_options& c, const audit_arguments& a) {
  auto stub = v1::AuditService::NewStub(open_channel(c));
  v1::ReadAuditRequest request;
  request.set_from_time_ms(std::max<std::int64_t>(0, now_ms() - static_cast<std::int64_t>(a.since_s * 1000)));
  request.set_caller(a.caller);
  request.set_method(a.method);
  request.set_page_size(1000);
  std::vector<v1::AuditRecord> records;
  do {
    grpc::ClientContext context;
    prepare(context, c);
    v1::ReadAuditResponse response;
    check(stub->ReadAudit(&context, request, &response), "audit");
    for (const auto& record : response.records()) {
      if (a.limit > 0 && records.size() >= a.limit) break;
      records.push_back(record);
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty() && (a.limit == 0 || records.size() < a.limit));
  print_audit(records, a.json);
  fmt::print(stderr, "{} records\n", records.size());
  return EXIT_SUCCESS;
}

struct forecast_arguments {
  std::vector<std::string> segments;
  std::vector<std::string> nodes;
  double in_s = 0;
  bool trouble = false;
  bool status = false;
};

void print_forecast_status(const v1::ForecastStatus& s) {
  if (!s.enabled()) {
    fmt::print("forecast: off\n");
    return;
  }
  fmt::print("forecast: every {} s, {} s ahead, checkpoints every {} s\nruns {}, failed {}, skipped {}{}\n",
             s.every_ms() / 1000, s.horizon_ms() / 1000, s.checkpoint_every_ms() / 1000, s.runs(), s.failed(),
             s.skipped(), s.running() ? " (one running)" : "");
  if (s.has_last())
    fmt::print("last: #{} from {} ms, cost {} ms wall ({:.0f} simulated s per wall s)\n", s.last().forecast_number(),
               s.last().base_time_ms(), s.last_wall_ms(), s.last_simulated_seconds_per_wall_second());
  if (!s.last_error().empty()) fmt::print("last error: {}\n", s.last_error());
}

int run_forecast(const connection_options& c, const forecast_arguments& a) {
  auto stub = v1::ForecastService::NewStub(open_channel(c));
  grpc::ClientContext context;
  prepare(context, c);
  if (a.status) {
    v1::ForecastStatus s;
    check(stub->GetForecastStatus(&context, v1::GetForecastStatusRequest{}, &s), "forecast status");
    print_forecast_status(s);
    return EXIT_SUCCESS;
  }
  if (a.trouble) {
    v1::PredictedTroubleList list;
    check(stub->ListPredictedTrouble(&context, v1::ListPredictedTroubleRequest{}, &list), "predicted trouble");
    fmt::print("forecast #{} from {} ms, {} s ahead: {} in trouble\n", list.forecast().forecast_number(),
               list.forecast().base_time_ms(), list.forecast().horizon_ms() / 1000, list.trouble_size());
    for (const auto& t : list.trouble())
      fmt::print("{} {}: {} from {} ms, worst {:.2f} at {} ms\n",
                 t.kind() == v1::TROUBLE_KIND_OVERLOAD ? "node" : "segment", t.twin().id(),
                 t.kind() == v1::TROUBLE_KIND_OVERLOAD ? "overload" : "below 30 % of free flow", t.first_time_ms(),
                 t.worst_value(), t.worst_time_ms());
    return EXIT_SUCCESS;
  }
  v1::GetForecastRequest request;
  request.set_offset_ms(static_cast<std::int64_t>(a.in_s * 1000));
  for (const auto& id : a.segments) {
    auto* ref = request.add_twins();
    ref->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
    ref->set_id(id);
  }
  for (const auto& id : a.nodes) {
    auto* ref = request.add_twins();
    ref->set_kind(v1::TWIN_KIND_UTILITY_NODE);
    ref->set_id(id);
  }
  v1::GetForecastResponse response;
  check(stub->GetForecast(&context, request, &response), "forecast");
  fmt::print("forecast #{} from {} ms; state at checkpoint {} ms (asked for {} ms)\n",
             response.forecast().forecast_number(), response.forecast().base_time_ms(), response.checkpoint_time_ms(),
             response.requested_time_ms());
  for (const auto& t : response.twins()) {
    if (t.has_segment())
      fmt::print("segment {}: {:.1f} km/h ({:.0f} % of free flow), queue {}, {} vehicles{}\n", t.twin().id(),
                 t.segment().mean_speed_kmh(), 100 * t.segment().freeflow_speed_fraction(), t.segment().queue_vehicles(),
                 t.segment().vehicles(), t.segment().closed() ? ", closed" : "");
    else if (t.has_utility_node())
      fmt::print("node {}: loading {}, {:.3f} p.u.{}\n", t.twin().id(),
                 t.utility_node().has_loading() ? fmt::format("{:.0f} %", 100 * t.utility_node().loading().value()) : "-",
                 t.utility_node().voltage_pu(), t.utility_node().energized() ? "" : ", de-energized");
  }
  return EXIT_SUCCESS;
}

// Live analytics (AnalyticsService): anomalies, listed or followed, and sensor health.
struct anomaly_arguments {
  std::string segment;  // empty: every twin
  double since_s = 3600;
  bool follow = false;
  int limit = 100;
};

void print_anomaly(const v1::Anomaly& a) {
  const char* kind = v1::AnomalyKind_Name(a.kind()).c_str() + std::string("ANOMALY_KIND_").size();
  fmt::print("{}  {:<20} {}/{}  score {:.1f}  {}  [{}]\n", a.time_ms(), kind,
             v1::TwinKind_Name(a.twin().kind()).substr(std::string("TWIN_KIND_").size()), a.twin().id(), a.score(),
             a.reason(), a.source());
}

int run_anomalies(const connection_options& c, const anomaly_arguments& a) {
  auto stub = v1::AnalyticsService::NewStub(open_channel(c));
  v1::AnomalyFilter filter;
  filter.set_start_time_ms(now_ms() - static_cast<std::int64_t>(a.since_s * 1000));
  if (!a.segment.empty()) {
    filter.mutable_twin()->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
    filter.mutable_twin()->set_id(a.segment);
  }
  if (a.follow) {
    grpc::ClientContext context;
    prepare(context, c, true);
    v1::WatchAnomaliesRequest request;
    *request.mutable_filter() = filter;
    request.set_send_existing(true);
    auto reader = stub->WatchAnomalies(&context, request);
    v1::Anomaly anomaly;
    while (reader->Read(&anomaly)) {
      print_anomaly(anomaly);
      std::fflush(stdout);
    }
    check(reader->Finish(), "watch anomalies");
    return EXIT_SUCCESS;
  }
  v1::ListAnomaliesRequest request;
  *request.mutable_filter() = filter;
  request.set_page_size(a.limit);
  grpc::ClientContext context;
  prepare(context, c);
  v1::ListAnomaliesResponse response;
  check(stub->ListAnomalies(&context, request, &response), "list anomalies");
  for (const auto& anomaly : response.anomalies()) print_anomaly(anomaly);
  fmt::print(stderr, "{} anomalies{}\n", response.anomalies_size(), response.next_page_token().empty() ? "" : " (more: raise --limit)");
  return EXIT_SUCCESS;
}

int run_sensors(const connection_options& c, const std::string& source, bool unhealthy_only) {
  auto stub = v1::AnalyticsService::NewStub(open_channel(c));
  {
    grpc::ClientContext context;
    prepare(context, c);
    v1::FeedHealth feed;
    check(stub->GetFeedHealth(&context, v1::GetFeedHealthRequest(), &feed), "feed health");
    fmt::print("{} sensors: {} healthy, {} stale, {} stuck, {} drifting, {} out of order, {} duplicate timestamps; "
               "{} anomalies\n",
               feed.sensors(), feed.healthy(), feed.stale(), feed.stuck(), feed.drifting(), feed.out_of_order(),
               feed.duplicate_timestamps(), feed.anomalies());
  }
  grpc::ClientContext context;
  prepare(context, c);
  v1::GetSensorHealthRequest request;
  request.set_source(source);
  v1::GetSensorHealthResponse response;
  check(stub->GetSensorHealth(&context, request, &response), "sensor health");
  for (const auto& s : response.sensors()) {
    if (unhealthy_only && s.flags_size() == 0) continue;
    std::string flags;
    for (int f : s.flags())
      flags += (flags.empty() ? "" : ",") + v1::SensorFlag_Name(static_cast<v1::SensorFlag>(f)).substr(std::string("SENSOR_FLAG_").size());
    fmt::print("{:<24} {}/{:<12} {:<24} trust {:.2f}  {} readings, period {} ms\n", s.source(),
               v1::TwinKind_Name(s.twin().kind()).substr(std::string("TWIN_KIND_").size()), s.twin().id(),
               flags.empty() ? "healthy" : flags, s.trust(), s.readings(), s.expected_period_ms());
  }
  return EXIT_SUCCESS;
}

}  // namespace

}  // namespace citytwin

int main(int argc, char** argv) {
  using namespace citytwin;
  CLI::App app{"twinctl: query and feed a running CityTwin server"};
  app.require_subcommand(1);
  connection_options c;
  app.add_option("--server", c.server, "Server address HOST:PORT")->capture_default_str();
  app.add_option("--token", c.token, "Bearer token (default: $TWINCTL_TOKEN)");
  app.add_option("--tls-ca", c.tls_ca, "PEM CA to verify the server: use TLS")->check(CLI::ExistingFile);
  app.add_option("--tls-cert", c.tls_cert, "PEM client certificate (mutual TLS)")->check(CLI::ExistingFile);
  app.add_option("--tls-key", c.tls_key, "PEM key of --tls-cert")->check(CLI::ExistingFile);
  app.add_option("--timeout", c.timeout_s, "Seconds to wait for an answer")->capture_default_str();
  int exit_code = EXIT_SUCCESS;
  auto guarded = [&](const std::function<int()>& command) {
    return [&, command] {
      try {
        exit_code = command();
      } catch (const std::exception& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        exit_code = EXIT_FAILURE;
      }
    };
  };

  app.add_subcommand("health", "Is the server serving?")->callback(guarded([&] { return run_health(c); }));

  std::string id;
  bool json = false;
  auto* get = app.add_subcommand("get", "One twin's current state");
  get->add_option("id", id, "Segment id: FROM-TO node pair (or its index)")->required();
  get->add_flag("--full", json, "Print every field");
  get->callback(guarded([&] { return run_get(c, id, json); }));

  query_arguments q;
  auto add_filter = [&](CLI::App* cmd) {
    cmd->add_option("--bbox", q.bbox, "MIN_X MIN_Y MAX_X MAX_Y")->expected(4);
    cmd->add_option("--speed-below", q.speed_below, "Only segments slower than this (km/h)");
    cmd->add_flag("--closed", q.closed, "Only closed segments");
  };
  auto* query = app.add_subcommand("query", "Twins matching a filter");
  add_filter(query);
  query->add_option("--limit", q.limit, "Print at most this many");
  query->callback(guarded([&] { return run_query(c, q); }));

  bool initial = false;
  double watch_seconds = 0;
  auto* watch = app.add_subcommand("watch", "Stream changes of matching twins");
  add_filter(watch);
  watch->add_flag("--initial", initial, "First send the current state of every match");
  watch->add_option("--for", watch_seconds, "Stop after this many seconds");
  watch->callback(guarded([&] { return run_watch(c, q, initial, watch_seconds); }));

  double since_s = 3600;
  auto* history = app.add_subcommand("history", "A twin's readings over the last while");
  history->add_option("id", id, "Segment id")->required();
  history->add_option("--since", since_s, "Seconds back from now")->capture_default_str();
  history->callback(guarded([&] { return run_history(c, id, since_s); }));

  ingest_arguments ia;
  auto* ingest = app.add_subcommand("ingest", "Send detector readings from a CSV (segment_id,time_s,count,speed_kmh,occupancy)");
  ingest->add_option("--csv", ia.csv, "The CSV file; time_s is epoch seconds, or seconds from now when below 1e9")->required()->check(CLI::ExistingFile);
  ingest->add_option("--source", ia.source, "Feed name, for duplicate detection")->capture_default_str();
  ingest->add_option("--first-sequence", ia.first_sequence, "Sequence number of the first batch (default: from the clock)");
  ingest->add_option("--batch-size", ia.batch_size, "Readings per batch")->check(CLI::Range(1, 10000))->capture_default_str();
  ingest->add_option("--interval", ia.interval_s, "Seconds each count covers")->check(CLI::PositiveNumber)->capture_default_str();
  ingest->callback(guarded([&] { return run_ingest(c, ia); }));

  audit_arguments aa;
  auto* audit = app.add_subcommand("audit", "Who changed what, when, and how it ended (admin token)");
  audit->add_option("--since", aa.since_s, "Seconds back from now")->check(CLI::PositiveNumber)->capture_default_str();
  audit->add_option("--caller", aa.caller, "Only this caller identity");
  audit->add_option("--method", aa.method, "Only methods containing this text (e.g. RunScenario, Ingest, /api/)");
  audit->add_option("--limit", aa.limit, "Print at most this many records (0: all)")->capture_default_str();
  audit->add_flag("--json", aa.json, "One JSON object per record instead of the table");
  audit->callback(guarded([&] { return run_audit(c, aa); }));

  app.add_subcommand("stats", "Readings stored and the twin's clock")->callback(guarded([&] { return run_stats(c); }));

  forecast_arguments fa;
  auto* forecast = app.add_subcommand("forecast", "The rolling forecast: predicted state, predicted trouble, status");
  forecast->add_option("segments", fa.segments, "Segment ids to predict (none: every twin)");
  forecast->add_option("--node", fa.nodes, "Utility node (bus number) to predict; repeatable");
  forecast->add_option("--in", fa.in_s, "Seconds from now")->check(CLI::NonNegativeNumber)->capture_default_str();
  forecast->add_flag("--trouble", fa.trouble, "List the predicted trouble instead");
  forecast->add_flag("--status", fa.status, "Show the forecast's settings and cost instead");
  forecast->callback(guarded([&] { return run_forecast(c, fa); }));

  anomaly_arguments na;
  auto* anomalies = app.add_subcommand("anomalies", "Anomalies the live analytics raised (see engine/analytics/README.md)");
  anomalies->add_option("--segment", na.segment, "Only this segment (FROM-TO or index)");
  anomalies->add_option("--since", na.since_s, "Seconds back from now")->capture_default_str();
  anomalies->add_option("--limit", na.limit, "Print at most this many")->check(CLI::Range(1, 1000))->capture_default_str();
  anomalies->add_flag("--follow", na.follow, "Keep streaming new anomalies until interrupted");
  anomalies->callback(guarded([&] { return run_anomalies(c, na); }));

  std::string sensor_source;
  bool unhealthy_only = false;
  auto* sensors = app.add_subcommand("sensors", "Health of the feed's sensors: stale, stuck, drifting, out of order");
  sensors->add_option("--source", sensor_source, "Only this ingest source");
  sensors->add_flag("--unhealthy", unhealthy_only, "List only sensors with a flag");
  sensors->callback(guarded([&] { return run_sensors(c, sensor_source, unhealthy_only); }));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}

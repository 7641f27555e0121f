// ingest_history_read: what a twin's history costs to read from twin_store, whose readings are keyed
// by time window first (engine/store/store_keys.hpp), so a history range is one seek per window.
// Fills a fresh store with every twin reporting at a fixed period for a number of hours, then reads
// whole-range and last-hour histories of sampled twins and prints the median and worst times.
//
// Usage: ingest_history_read [--dir DIR] [--twins N] [--period-s S] [--hours H] [--queries Q]

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/store/store_keys.hpp"
#include "engine/store/twin_store.hpp"

namespace {

using namespace citytwin;
using clock_type = std::chrono::steady_clock;

struct timing {
  double median_ms = 0, max_ms = 0;
  std::size_t readings = 0;  // per query, of the last one
};

template <typename Query>
timing time_queries(int queries, Query&& query) {
  std::vector<double> ms;
  timing result;
  for (int q = 0; q < queries; ++q) {
    const auto start = clock_type::now();
    result.readings = query(q);
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  result.median_ms = ms[ms.size() / 2];
  result.max_ms = ms.back();
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ingest_history_read: the cost of reading a twin's history from the readings store"};
  std::string dir = "bench/out/history_read";
  int twins = 1000, period_s = 30, hours = 24, queries = 50;
  app.add_option("--dir", dir, "Scratch directory (deleted and recreated)")->capture_default_str();
  app.add_option("--twins", twins, "Twins reporting")->check(CLI::Range(1, 1'000'000))->capture_default_str();
  app.add_option("--period-s", period_s, "Seconds between a twin's readings")->check(CLI::Range(1, 86'400))->capture_default_str();
  app.add_option("--hours", hours, "Hours of readings stored")->check(CLI::Range(1, 24 * 365))->capture_default_str();
  app.add_option("--queries", queries, "Histories read per kind")->check(CLI::Range(1, 100'000))->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::filesystem::remove_all(dir);
  store_options options;
  options.directory = dir;
  options.sync_writes = false;
  options.retention_ms = std::int64_t{hours + 1} * 3'600'000;
  auto store = twin_store::open(options);

  const std::int64_t period_ms = std::int64_t{period_s} * 1000;
  const std::int64_t end_ms = std::int64_t{hours} * 3'600'000;
  auto twin_id = [](int i) { return fmt::format("segment/{}-{}", 100 + i, 1 + i % 97); };
  const auto fill_start = clock_type::now();
  std::uint64_t sequence = 0;
  std::size_t stored = 0;
  for (std::int64_t t = 0; t < end_ms; t += period_ms) {
    std::vector<stored_reading> batch;
    for (int i = 0; i < twins; ++i) batch.push_back({twin_id(i), t + i % period_ms, 1, std::string(48, 'x')});
    stored += batch.size();
    store->append_batch("history-read", ++sequence, batch);
  }
  const double fill_s = std::chrono::duration<double>(clock_type::now() - fill_start).count();

  const auto whole = time_queries(queries, [&](int q) {
    return store->history(twin_id(q * 7919 % twins), 0, end_ms, 0).size();
  });
  const auto last_hour = time_queries(queries, [&](int q) {
    return store->history(twin_id(q * 7919 % twins), end_ms - 3'600'000, end_ms, 0).size();
  });
  const auto absent = time_queries(queries, [&](int) {
    return store->history("segment/absent", 0, end_ms, 0).size();
  });

  fmt::print("{} twins x one reading per {} s x {} h = {} readings, stored in {:.1f} s; windows of {} s\n", twins,
             period_s, hours, stored, fill_s, store_keys::reading_window_ms / 1000);
  fmt::print("| history read | readings returned | median (ms) | max (ms) |\n|---|---:|---:|---:|\n");
  fmt::print("| whole range ({} h) | {} | {:.2f} | {:.2f} |\n", hours, whole.readings, whole.median_ms, whole.max_ms);
  fmt::print("| last hour | {} | {:.2f} | {:.2f} |\n", last_hour.readings, last_hour.median_ms, last_hour.max_ms);
  fmt::print("| a twin with no readings, whole range | {} | {:.2f} | {:.2f} |\n", absent.readings, absent.median_ms,
             absent.max_ms);
  return 0;
}

// ingest_store_experiment: what the durable write of an ingest batch costs without the front door,
// and how much RocksDB layout and option changes would buy. Not a benchmark with a target: the
// evidence behind the recommendations in bench/RESULTS.md ("Sustained ingest").
//
// Several threads (as the server's per-stream handler threads) append batches of traffic readings,
// each batch one synced WriteBatch, for a fixed time, against:
//   - twin_store itself (engine/store, as `citytwin serve` opens it; synced and not);
//   - raw RocksDB with the layout twin_store had before 2026-11-26 (three entries per reading, the
//     'p' and 't' log indexes in one column family, max-merged counters), and variants of it, one
//     change at a time (see `variants` below); their reading keys are today's (store_keys.hpp).
//     twin_store itself now has one batch_log and one time_index entry per batch (store format 2),
//     reading keys by time window first (format 3, engine/store/store_keys.hpp), the insert hint
//     and no Merges (engine/store/rocksdb_tuning.cpp).
//
// Usage: ingest_store_experiment [DIR] [THREADS=4] [BATCH=1000] [SECONDS=15] [FILTER]
//   DIR is a scratch directory (deleted and recreated per variant; default bench/out/store_experiment).
//   FILTER: run only the variants whose name occurs in this string.

#include <rocksdb/db.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/statistics.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/store/max_merge_operator.hpp"
#include "engine/store/reading_record.hpp"
#include "engine/store/store_keys.hpp"
#include "engine/store/twin_store.hpp"

namespace {

using namespace citytwin;
using clock_type = std::chrono::steady_clock;

struct outcome {
  double readings_per_s = 0, p50_ms = 0, p99_ms = 0;
  std::size_t batches = 0;
};

// Berlin-Friedrichshain has 523 segments with ids like "segment/12-345".
std::vector<std::string> segment_ids() {
  std::vector<std::string> ids;
  for (int i = 0; i < 523; ++i)
    ids.push_back("segment/" + std::to_string(100 + i % 224) + "-" + std::to_string(1 + i % 97));
  return ids;
}

// About the size of a serialized TrafficDetectorReading as the front door stores it.
std::string payload_for(const std::string& twin_id) { return "\x0a\x3b\x0a\x0c" + twin_id.substr(8) + std::string(47, 'x'); }

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

template <class Append>
outcome drive(int threads, int batch, double seconds, Append&& append) {
  const auto ids = segment_ids();
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(threads));
  std::atomic<std::uint64_t> readings{0};
  const auto start = clock_type::now();
  const auto stop = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t));
      std::uint64_t sequence = 0;
      std::vector<stored_reading> batch_readings(static_cast<std::size_t>(batch));
      const std::string source = "src-" + std::to_string(t);
      while (clock_type::now() < stop) {
        const auto began = clock_type::now();
        const std::int64_t now = epoch_ms();
        for (auto& r : batch_readings) {
          const auto& id = ids[random() % ids.size()];
          r = stored_reading{id, now, 1, payload_for(id)};
        }
        append(source, ++sequence, batch_readings);
        latencies[static_cast<std::size_t>(t)].push_back(
            std::chrono::duration<double, std::milli>(clock_type::now() - began).count());
        readings += static_cast<std::uint64_t>(batch);
      }
    });
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  if (all.empty()) return {};
  return {static_cast<double>(readings) / elapsed, all[all.size() / 2], all[all.size() * 99 / 100], all.size()};
}

// The twin id, i.e. a readings key up to its '\0': memtable insert hints per twin.
struct twin_id_prefix final : rocksdb::SliceTransform {
  const char* Name() const override { return "citytwin.bench.twin_id_prefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return {key.data(), strnlen(key.data(), key.size())};
  }
  bool InDomain(const rocksdb::Slice&) const override { return true; }
};

enum class memtable { skiplist, skiplist_with_hint, vector };

struct variant {
  const char* name;
  bool pipelined_write = false;  // DBOptions::enable_pipelined_write
  bool split_log = false;        // 'p' and 't' log entries in two column families instead of one
  bool merge_counters = true;    // counters as Merge (as twin_store) or Put (allows parallel memtable inserts)
  bool one_entry = false;        // only the `readings` entry per reading (no log indexes)
  memtable rep = memtable::skiplist;
};

const variant variants[] = {
    {"raw: twin_store layout"},
    {"raw: + pipelined write", true},
    {"raw: + Put instead of Merge", false, false, false},
    {"raw: + 'p'/'t' in separate CFs", false, true},
    {"raw: split CFs + Put instead of Merge", false, true, false},
    {"raw: 1 entry per reading, Put", false, false, false, true},
    {"raw: split CFs + insert hint on twin id", false, true, true, false, memtable::skiplist_with_hint},
    {"raw: split CFs + vector memtables", false, true, true, false, memtable::vector},
};

struct raw_store {
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> families;  // default, readings, log, log_time, metadata
  std::shared_ptr<rocksdb::Statistics> statistics;
  std::atomic<std::uint64_t> last_position{0};

  raw_store(const std::string& directory, const variant& v) {
    std::filesystem::remove_all(directory);
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    options.enable_pipelined_write = v.pipelined_write;
    options.statistics = statistics = rocksdb::CreateDBStatistics();
    rocksdb::ColumnFamilyOptions plain, readings, counters;
    counters.merge_operator = std::make_shared<max_merge_operator>();
    if (v.rep == memtable::skiplist_with_hint)
      readings.memtable_insert_with_hint_prefix_extractor = std::make_shared<twin_id_prefix>();
    if (v.rep == memtable::vector) {
      plain.memtable_factory = readings.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
      options.allow_concurrent_memtable_write = false;  // the vector memtable does not support it
    }
    const std::vector<rocksdb::ColumnFamilyDescriptor> descriptors{
        {"default", plain}, {"readings", readings}, {"log", plain}, {"log_time", plain}, {"metadata", counters}};
    const auto status = rocksdb::DB::Open(options, directory, descriptors, &families, &db);
    if (!status.ok()) {
      std::fprintf(stderr, "cannot open %s: %s\n", directory.c_str(), status.ToString().c_str());
      std::exit(1);
    }
  }
  ~raw_store() {
    for (auto* f : families) db->DestroyColumnFamilyHandle(f);
    delete db;
  }

  void append(const variant& v, const std::string& source, std::uint64_t sequence,
              const std::vector<stored_reading>& readings) {
    const std::uint64_t first = last_position.fetch_add(readings.size()) + 1;
    rocksdb::WriteBatch batch;
    for (std::size_t i = 0; i < readings.size(); ++i) {
      const auto& r = readings[i];
      const auto key = store_keys::reading_key(r.twin_id, r.time_ms, first + i);
      batch.Put(families[1], key, encode_reading_record(r.kind, source, sequence, r.payload));
      if (v.one_entry) continue;
      batch.Put(families[2], store_keys::append_order_key(first + i), key);
      batch.Put(v.split_log ? families[3] : families[2], store_keys::time_order_key(r.time_ms, first + i), r.twin_id);
    }
    const std::string last = store_keys::u64_bytes(first + readings.size() - 1);
    batch.Put(families[4], "d" + source + std::to_string(sequence), last);
    if (v.merge_counters) {
      batch.Merge(families[4], "h" + source, store_keys::u64_bytes(sequence));
      batch.Merge(families[4], "c", last);
    } else {
      batch.Put(families[4], "h" + source, store_keys::u64_bytes(sequence));
    }
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    const auto status = db->Write(write_options, &batch);
    if (!status.ok()) {
      std::fprintf(stderr, "write failed: %s\n", status.ToString().c_str());
      std::exit(1);
    }
  }
};

void print(const char* name, const outcome& o, std::uint64_t syncs, std::uint64_t grouped) {
  std::printf("%-42s %9.0f readings/s  p50 %7.2f ms  p99 %7.2f ms  batches %6zu  WAL syncs %6llu  grouped %6llu\n",
              name, o.readings_per_s, o.p50_ms, o.p99_ms, o.batches, static_cast<unsigned long long>(syncs),
              static_cast<unsigned long long>(grouped));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string base = argc > 1 ? argv[1] : "bench/out/store_experiment";
  const int threads = argc > 2 ? std::atoi(argv[2]) : 4;
  const int batch = argc > 3 ? std::atoi(argv[3]) : 1000;
  const double seconds = argc > 4 ? std::atof(argv[4]) : 15;
  const std::string filter = argc > 5 ? argv[5] : "";
  const auto wanted = [&](const char* name) { return filter.empty() || filter.find(name) != std::string::npos; };
  std::printf("%d threads, batches of %d readings, %.0f s per variant, synced writes unless stated\n", threads, batch,
              seconds);

  for (const bool sync : {true, false}) {
    const char* name = sync ? "twin_store as is" : "twin_store as is, no sync";
    if (!wanted(name)) continue;
    std::filesystem::remove_all(base + "/store");
    store_options options;
    options.directory = base + "/store";
    options.sync_writes = sync;
    auto store = twin_store::open(options);
    const auto o = drive(threads, batch, seconds, [&](const std::string& source, std::uint64_t sequence,
                                                      const std::vector<stored_reading>& readings) {
      store->append_batch(source, sequence, readings);
    });
    const auto stats = store->stats();
    print(name, o, stats.wal_syncs, stats.writes_grouped);
  }
  for (const variant& v : variants) {
    if (!wanted(v.name)) continue;
    raw_store store(base + "/raw", v);
    const auto o = drive(threads, batch, seconds, [&](const std::string& source, std::uint64_t sequence,
                                                      const std::vector<stored_reading>& readings) {
      store.append(v, source, sequence, readings);
    });
    print(v.name, o, store.statistics->getTickerCount(rocksdb::WAL_FILE_SYNCED),
          store.statistics->getTickerCount(rocksdb::WRITE_DONE_BY_OTHER));
  }
  std::filesystem::remove_all(base);
}

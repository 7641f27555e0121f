#pragma once
// How a twin_store is opened: where it lives, how durable an append is, and how long it keeps things.

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace citytwin {

struct store_options {
  std::filesystem::path directory;  // created (with its parents) if missing
  // Sync the write-ahead log before append_batch returns. Turn off only where losing the last
  // appends on a power cut is acceptable (benchmarks, tests); a killed process loses nothing either way.
  bool sync_writes = true;
  // purge_expired(now) drops readings with time_ms < now - retention_ms.
  std::int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  // purge_expired_audit(now) drops audit records with time_ms < now - audit_retention_ms (wall clock).
  std::int64_t audit_retention_ms = 90LL * 24 * 3600 * 1000;
  // Per source, how many sequence numbers up to the highest applied one are remembered
  // individually; anything lower counts as already applied (the ingest API promises 65,536).
  std::uint64_t dedup_window = 65536;
  // put_snapshot keeps this many of the latest snapshots and deletes older ones.
  std::size_t snapshots_to_keep = 3;
};

}  // namespace citytwin

#pragma once
// The readings the store keeps: what the front door hands it, and what history and replay hand back.

#include <cstdint>
#include <string>

namespace citytwin {

// One accepted reading as append_batch takes it.
struct stored_reading {
  std::string twin_id;       // e.g. "segment/42"; not empty, no '\0'
  std::int64_t time_ms = 0;  // the reading's own time, ms since the Unix epoch
  std::uint32_t kind = 0;    // what the payload is (e.g. the Reading oneof case)
  std::string payload;       // opaque bytes, e.g. a serialized protobuf

  friend bool operator==(const stored_reading&, const stored_reading&) = default;
};

// A reading as the store recorded it: with the batch it came in (history shows both) and its
// place in the append log.
struct recorded_reading {
  stored_reading reading;
  std::string source;
  std::uint64_t sequence = 0;
  std::uint64_t log_position = 0;  // 1, 2, 3, ... in append order, never reused

  friend bool operator==(const recorded_reading&, const recorded_reading&) = default;
};

}  // namespace citytwin

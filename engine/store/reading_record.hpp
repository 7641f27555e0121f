#pragma once
// The value stored for each reading in the `readings` column family (its twin id, time and
// position are in the key): a format version, then kind, batch sequence, batch source, payload.

#include <cstdint>
#include <string>
#include <string_view>

namespace citytwin {

struct reading_record {
  std::uint32_t kind = 0;
  std::uint64_t sequence = 0;
  std::string source;
  std::string payload;
};

std::string encode_reading_record(std::uint32_t kind, std::string_view source, std::uint64_t sequence,
                                  std::string_view payload);
// The same value into `out` (replacing its contents), so a loop can reuse one buffer.
void assign_reading_record(std::string& out, std::uint32_t kind, std::string_view source,
                           std::uint64_t sequence, std::string_view payload);
// Throws std::invalid_argument on a value encode_reading_record did not make.
reading_record decode_reading_record(std::string_view value);

}  // namespace citytwin

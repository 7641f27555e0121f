#include "engine/store/reading_record.hpp"

#include <stdexcept>

#include "engine/store/store_keys.hpp"

namespace citytwin {

namespace {
constexpr char format_version = 1;
constexpr std::size_t fixed_size = 1 + 4 + 8 + 4;  // version kind sequence source_length
}  // namespace

std::string encode_reading_record(std::uint32_t kind, std::string_view source, std::uint64_t sequence,
                                  std::string_view payload) {
  std::string value;
  assign_reading_record(value, kind, source, sequence, payload);
  return value;
}

void assign_reading_record(std::string& out, std::uint32_t kind, std::string_view source,
                           std::uint64_t sequence, std::string_view payload) {
  out.clear();
  out.reserve(fixed_size + source.size() + payload.size());
  out.push_back(format_version);
  store_keys::append_u32(out, kind);
  store_keys::append_u64(out, sequence);
  store_keys::append_u32(out, static_cast<std::uint32_t>(source.size()));
  out.append(source);
  out.append(payload);
}

reading_record decode_reading_record(std::string_view value) {
  if (value.size() < fixed_size || value[0] != format_version)
    throw std::invalid_argument("stored reading in an unknown format");
  reading_record record;
  record.kind = store_keys::read_u32(value.substr(1));
  record.sequence = store_keys::read_u64(value.substr(5));
  const std::size_t source_size = store_keys::read_u32(value.substr(13));
  if (value.size() - fixed_size < source_size) throw std::invalid_argument("stored reading truncated");
  record.source = value.substr(fixed_size, source_size);
  record.payload = value.substr(fixed_size + source_size);
  return record;
}

}  // namespace citytwin

#pragma once
// Small files that survive a crash whole: what checkpoints and node 0's live journal are written with.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace citytwin {

// FNV-1a over the bytes (in 8-byte words), with the length folded in.
std::uint64_t byte_checksum(std::string_view bytes);

// Writes path.tmp, flushes it (fsync), renames it over path and flushes the directory: after a
// crash the file is the old one or the new one, never half of one. Throws std::runtime_error.
void write_durably(const std::filesystem::path& path, std::string_view bytes);

// Appends to path (created if missing) and flushes (fdatasync) before returning. Throws std::runtime_error.
void append_durably(const std::filesystem::path& path, std::string_view bytes);

// The whole file; throws std::runtime_error saying "<what> <path> is missing or unreadable".
std::string read_whole_file(const std::filesystem::path& path, const std::string& what);

}  // namespace citytwin

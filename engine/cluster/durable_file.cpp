#include "engine/cluster/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "engine/cluster/fnv1a.hpp"

namespace citytwin {

namespace {

std::string system_error(const std::string& what, const std::filesystem::path& path) {
  return "cannot " + what + " " + path.string() + ": " + std::strerror(errno);
}

// Writes every byte to `fd` and flushes it to disk; closes fd either way.
void write_and_flush(int fd, const std::filesystem::path& path, std::string_view bytes, bool data_only) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const auto n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const auto message = system_error("write", path);
      ::close(fd);
      throw std::runtime_error(message);
    }
    written += static_cast<std::size_t>(n);
  }
  if ((data_only ? ::fdatasync(fd) : ::fsync(fd)) != 0) {
    const auto message = system_error("flush (fsync)", path);
    ::close(fd);
    throw std::runtime_error(message);
  }
  ::close(fd);
}

void flush_directory(const std::filesystem::path& path) {
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace

std::uint64_t byte_checksum(std::string_view bytes) {
  fnv1a h;
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, 8);
    h.add(word);
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  h.add(tail ^ (static_cast<std::uint64_t>(bytes.size()) << 56));
  return h.value();
}

void write_durably(const std::filesystem::path& path, std::string_view bytes) {
  auto temporary = path;
  temporary += ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(system_error("create", temporary));
  write_and_flush(fd, temporary, bytes, false);
  if (::rename(temporary.c_str(), path.c_str()) != 0) throw std::runtime_error(system_error("rename to", path));
  flush_directory(path);
}

void append_durably(const std::filesystem::path& path, std::string_view bytes) {
  const bool created = !std::filesystem::exists(path);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(system_error("open for appending", path));
  write_and_flush(fd, path, bytes, true);
  if (created) flush_directory(path);
}

std::string read_whole_file(const std::filesystem::path& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(what + " " + path.string() + " is missing or unreadable");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace citytwin

#pragma once
// The one error the store throws when RocksDB or the file system fails: it names the store's
// directory, what the store was doing, and RocksDB's (or the OS's) own words.

#include <filesystem>
#include <stdexcept>
#include <string>

namespace citytwin {

struct store_error : std::runtime_error {
  std::filesystem::path directory;
  std::string action;  // "cannot open the store", "append a batch", ...
  std::string detail;  // RocksDB's status text or the OS error message

  store_error(std::filesystem::path directory, std::string action, std::string detail);
};

}  // namespace citytwin

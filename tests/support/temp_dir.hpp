#pragma once
// A fresh directory per test, so tests never collide under ctest -j.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace citytwin::testing {

inline std::filesystem::path test_temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::path(::testing::TempDir()) / "citytwin" /
             (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path.string();
}

}  // namespace citytwin::testing

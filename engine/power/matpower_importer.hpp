#pragma once
// Reads a MATPOWER case file (format version 2) into a power_case in per-unit, applying the
// unit conversions written in the file itself. Errors name the file, line, table column and why.

#include <string>

#include "engine/power/power_case.hpp"

namespace citytwin {

power_case load_matpower_case(const std::string& path);
power_case parse_matpower_case(const std::string& text, const std::string& file_label);

}  // namespace citytwin

#include "engine/import/import_error.hpp"

#include <utility>

namespace citytwin {

namespace {
std::string describe(const std::string& file, const std::string& location, const std::string& field,
                     const std::string& reason) {
  std::string text = file;
  if (!location.empty()) text += ", " + location;
  if (!field.empty()) text += ", field '" + field + "'";
  return text + ": " + reason;
}
}  // namespace

import_error::import_error(std::string file, std::string location, std::string field, std::string reason)
    : std::runtime_error(describe(file, location, field, reason)),
      file(std::move(file)),
      location(std::move(location)),
      field(std::move(field)),
      reason(std::move(reason)) {}

}  // namespace citytwin

#pragma once
// The one error importers throw: it names the file, the place in it, the field and why.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace citytwin {

struct import_error : std::runtime_error {
  std::string file;
  std::string location;  // "line 12" or "way 4711"
  std::string field;
  std::string reason;

  import_error(std::string file, std::string location, std::string field, std::string reason);
};

}  // namespace citytwin

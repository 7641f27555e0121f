#include "engine/store/store_error.hpp"

#include <utility>

namespace citytwin {

store_error::store_error(std::filesystem::path directory, std::string action, std::string detail)
    : std::runtime_error("store " + directory.string() + ": " + action + ": " + detail),
      directory(std::move(directory)),
      action(std::move(action)),
      detail(std::move(detail)) {}

}  // namespace citytwin

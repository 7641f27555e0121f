#pragma once
// The bundled Sioux Falls network, loaded once per test process (tests need CITYTWIN_SOURCE_DIR).

#include <string>

#include "engine/import/city_loader.hpp"

namespace citytwin::testing {

inline const city_graph& sioux_falls() {
  static const loaded_city city = load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls");
  return city.graph;
}

}  // namespace citytwin::testing

// Names for building types, as reports and messages print them.
#include "engine/grid/building_stock.hpp"

namespace citytwin {

std::string_view to_string(building_type type) {
  switch (type) {
    case building_type::residential:
      return "residential";
    case building_type::commercial:
      return "commercial";
    case building_type::industrial:
      return "industrial";
    case building_type::public_use:
      return "public";
  }
  return "unknown";
}

}  // namespace citytwin

#pragma once
// The dashboard's page, script and style sheet, built into the binary (engine/http/assets/, embedded by
// embed_assets.cmake) so the engine serves them with no files beside it and no internet.

#include <string_view>

namespace citytwin {

struct static_asset {
  std::string_view name;  // file name under assets/
  std::string_view content_type;
  std::string_view body;
};

// nullptr when there is no asset of that name.
const static_asset* find_static_asset(std::string_view name);

}  // namespace citytwin

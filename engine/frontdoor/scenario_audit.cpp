#include "engine/frontdoor/scenario_audit.hpp"

#include <fmt/format.h>

namespace citytwin {

void describe_scenario(const scenario& s, v1::ScenarioAudit& out) {
  out.set_name(s.name);
  out.clear_branches();
  out.add_branches("baseline");
  for (const auto& variant : s.variants) out.add_branches(variant.name);
}

std::string scenario_summary(const std::string& action, const v1::ScenarioAudit& details) {
  std::string text = action + " scenario";
  if (!details.scenario_id().empty()) text += " " + details.scenario_id();
  if (!details.name().empty()) text += " '" + details.name() + "'";
  else if (!details.example_name().empty()) text += " example " + details.example_name();
  if (details.branches_size() > 0) text += fmt::format(" ({})", fmt::join(details.branches().begin(), details.branches().end(), ", "));
  if (!details.final_state().empty()) text += ": " + details.final_state();
  return text;
}

}  // namespace citytwin

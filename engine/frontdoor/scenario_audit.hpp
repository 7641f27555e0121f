#pragma once
// What the audit trail keeps of a scenario call (gRPC RunScenario / CancelScenario and the HTTP
// gateway's runs): the scenario's name and branches, its id, how it ended, in a one-line summary.

#include <string>

#include "citytwin/v1/audit.pb.h"
#include "scenarios/scenario.hpp"

namespace citytwin {

// Name and branches ("baseline", then the variants in file order).
void describe_scenario(const scenario& s, v1::ScenarioAudit& out);
// E.g. "run scenario 3 'Bridge closure' (baseline, closed): SUCCEEDED".
std::string scenario_summary(const std::string& action, const v1::ScenarioAudit& details);

}  // namespace citytwin

#pragma once
// Scenario runs started from the dashboard: the example files it offers, one run at a time on a
// background thread, its progress messages and its report, kept for the page to poll.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "citytwin/v1/audit.pb.h"
#include "scenarios/scenario.hpp"

namespace citytwin {

struct frontdoor_context;

// The one place the gateway runs a scenario: forked from the live twin now, as RunScenario does.
scenario_outcome run_gateway_scenario(frontdoor_context& live, scenario s, const scenario_run_options& options);

class scenario_runs {
 public:
  scenario_runs(frontdoor_context& live, std::string examples_dir) : live_(live), examples_dir_(std::move(examples_dir)) {}
  ~scenario_runs();  // waits for a run in progress

  // [{file, name, description, variants}] of every *.json in the examples directory, by file name.
  nlohmann::json examples() const;
  // An example's text; nullopt when there is no such example.
  std::optional<std::string> example_text(const std::string& file) const;
  // The document of an example file, for starting it; throws scenario_error when it cannot be read.
  nlohmann::json example_document(const std::string& file) const;

  // Validates the document (throws scenario_error naming the field) and starts it; returns the run id.
  // Throws std::logic_error while another run is in progress. Fills `audit` with the scenario's name
  // and branches once it has parsed.
  std::string start(const nlohmann::json& document, const std::string& label, v1::ScenarioAudit* audit = nullptr);
  // {id, label, state: running|done|failed, progress: [...], error, report, wall_seconds}; nullopt: unknown id.
  std::optional<nlohmann::json> status(const std::string& id) const;

 private:
  frontdoor_context& live_;
  std::string examples_dir_;
  mutable std::mutex mutex_;
  std::map<std::uint64_t, nlohmann::json> runs_;  // by id, oldest first
  std::uint64_t next_id_ = 1;
  bool running_ = false;
  std::thread worker_;
};

}  // namespace citytwin

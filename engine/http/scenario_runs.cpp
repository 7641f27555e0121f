#include "engine/http/scenario_runs.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/frontdoor/twin_conversion.hpp"
#include "engine/frontdoor/frontdoor_context.hpp"
#include "engine/frontdoor/scenario_audit.hpp"
#include "scenarios/scenario_jobs.hpp"

namespace citytwin {

namespace {

constexpr std::size_t runs_kept = 20;

bool is_example_name(const std::string& file) {
  // Only plain file names: the examples directory is the only place the gateway reads from.
  return !file.empty() && file.find('/') == std::string::npos && file.find("..") == std::string::npos &&
         file.size() > 5 && file.substr(file.size() - 5) == ".json";
}

}  // namespace

scenario_outcome run_gateway_scenario(frontdoor_context& live, scenario s, const scenario_run_options& options) {
  // Forked from the live twin now, like the gRPC RunScenario: the file's city, seed and demand are the twin's.
  return run_scenario_on_twin(live.twin, std::move(s), options, live.catalog.grid ? &live.catalog.grid->grid() : nullptr);
}

scenario_runs::~scenario_runs() {
  if (worker_.joinable()) worker_.join();
}

nlohmann::json scenario_runs::examples() const {
  std::vector<std::string> files;
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator(examples_dir_, ignored))
    if (entry.is_regular_file() && is_example_name(entry.path().filename().string()))
      files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  auto list = nlohmann::json::array();
  for (const auto& file : files) {
    try {
      const scenario s = load_scenario_file(examples_dir_ + "/" + file);
      list.push_back({{"file", file}, {"name", s.name}, {"description", s.description}, {"variants", s.variants.size()}});
    } catch (const std::exception& e) {
      list.push_back({{"file", file}, {"error", e.what()}});
    }
  }
  return list;
}

std::optional<std::string> scenario_runs::example_text(const std::string& file) const {
  if (!is_example_name(file)) return std::nullopt;
  std::ifstream in(examples_dir_ + "/" + file);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json scenario_runs::example_document(const std::string& file) const {
  const auto text = example_text(file);
  if (!text) throw scenario_error(file, "example", "no such example in " + examples_dir_);
  try {
    return nlohmann::json::parse(*text);
  } catch (const nlohmann::json::parse_error& e) {
    throw scenario_error(file, "", std::string("not valid JSON: ") + e.what());
  }
}

std::string scenario_runs::start(const nlohmann::json& document, const std::string& label, v1::ScenarioAudit* audit) {
  scenario parsed = parse_scenario(document, label, examples_dir_);
  if (audit) describe_scenario(parsed, *audit);
  std::lock_guard lock(mutex_);
  if (running_) throw std::logic_error("a scenario is already running; wait for it to finish");
  if (worker_.joinable()) worker_.join();
  const std::uint64_t id = next_id_++;
  runs_[id] = {{"id", std::to_string(id)}, {"label", label}, {"name", parsed.name}, {"state", "running"}, {"progress", nlohmann::json::array()}};
  while (runs_.size() > runs_kept) runs_.erase(runs_.begin());
  running_ = true;
  worker_ = std::thread([this, id, parsed = std::move(parsed)]() mutable {
    scenario_run_options options;
    options.on_progress = [this, id](const std::string& message) {
      std::lock_guard lock(mutex_);
      runs_[id]["progress"].push_back(message);
    };
    nlohmann::json result;
    try {
      const scenario_outcome outcome = run_gateway_scenario(live_, std::move(parsed), options);
      result = {{"state", "done"},
                {"report", nlohmann::json::parse(outcome.report.dump())}, {"wall_seconds", outcome.wall_seconds}};
    } catch (const std::exception& e) {
      result = {{"state", "failed"}, {"error", e.what()}};
    }
    std::lock_guard lock(mutex_);
    runs_[id].update(result);
    running_ = false;
  });
  return std::to_string(id);
}

std::optional<nlohmann::json> scenario_runs::status(const std::string& id) const {
  const auto number = parse_decimal_id(id);
  if (!number) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto found = runs_.find(*number);
  if (found == runs_.end()) return std::nullopt;
  return found->second;
}

}  // namespace citytwin

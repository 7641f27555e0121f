#include "clients/twinctl/audit_table.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include <ctime>
#include <stdexcept>

namespace citytwin {

namespace {

// 2026-11-26T11:26:09.123Z
std::string utc_time(std::int64_t epoch_ms) {
  const std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(seconds), epoch_ms % 1000);
}

// "/citytwin.v1.ScenarioService/RunScenario" -> "RunScenario"; HTTP routes stay as they are.
std::string short_method(const std::string& method) {
  if (method.empty() || method[0] != '/') return method;
  return method.substr(method.rfind('/') + 1);
}

std::string json_line(const v1::AuditRecord& record) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(record, &text, options).ok())
    throw std::runtime_error("cannot print an audit record as JSON");
  return text;
}

}  // namespace

void print_audit(const std::vector<v1::AuditRecord>& records, bool json) {
  if (json) {
    for (const auto& r : records) fmt::print("{}\n", json_line(r));
    return;
  }
  fmt::print("{:<24}  {:<16} {:<8} {:<5} {:<24} {:<18} {}\n", "TIME (UTC)", "CALLER", "ROLE", "VIA", "METHOD", "OUTCOME",
             "SUMMARY");
  for (const auto& r : records) {
    std::string summary = r.summary();
    if (r.outcome_code() != "OK" && !r.outcome_message().empty()) summary += " -- " + r.outcome_message();
    fmt::print("{:<24}  {:<16} {:<8} {:<5} {:<24} {:<18} {}\n", utc_time(r.time_ms()),
               r.caller().empty() ? "(no token)" : r.caller(), r.role(), r.transport(), short_method(r.method()),
               r.outcome_code(), summary);
  }
}

}  // namespace citytwin

#include "engine/frontdoor/twin_queries.hpp"

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>

#include "engine/store/twin_store.hpp"

namespace citytwin {

namespace {

constexpr int default_page_size = 100;
constexpr int max_page_size = 1000;
constexpr int default_history_page_size = 500;
constexpr int max_page_size_history = 5000;

grpc::Status invalid(const std::string& why) { return {grpc::StatusCode::INVALID_ARGUMENT, why}; }

}  // namespace

std::string audit_target(const v1::TwinRef& twin) {
  return fmt::format("{} {}", v1::TwinKind_Name(twin.kind()), twin.id());
}

std::string audit_target(const v1::GetHistoryRequest& request) {
  return fmt::format("history of {} [{}, {})", audit_target(request.twin()), request.start_time_ms(),
                     request.end_time_ms());
}

grpc::Status find_twin(frontdoor_context& context, const v1::TwinRef& ref, v1::Twin* response) {
  if (ref.kind() == v1::TWIN_KIND_BUILDING || ref.kind() == v1::TWIN_KIND_UTILITY_NODE) {
    auto found = grid_twin(context.catalog, ref, context.inputs);
    if (const auto* why = std::get_if<std::string>(&found)) return {grpc::StatusCode::NOT_FOUND, *why};
    *response = std::move(std::get<v1::Twin>(found));
    return grpc::Status::OK;
  }
  const auto resolved = context.catalog.directory.resolve(ref.id());
  if (const auto* why = std::get_if<std::string>(&resolved)) return {grpc::StatusCode::NOT_FOUND, *why};
  *response = segment_twin(context.catalog, *context.twin.view(), std::get<segment_id>(resolved));
  return grpc::Status::OK;
}

grpc::Status stored_twin_id(frontdoor_context& context, const v1::TwinRef& ref, std::string* twin_id) {
  if (ref.kind() == v1::TWIN_KIND_BUILDING || ref.kind() == v1::TWIN_KIND_UTILITY_NODE) {
    auto found = grid_twin(context.catalog, ref, context.inputs);
    if (const auto* why = std::get_if<std::string>(&found)) return {grpc::StatusCode::NOT_FOUND, *why};
    // The canonical id ("7", never "007"), as ingest stores it.
    *twin_id = (ref.kind() == v1::TWIN_KIND_BUILDING ? "building/" : "node/") + std::get<v1::Twin>(found).id();
    return grpc::Status::OK;
  }
  const auto resolved = context.catalog.directory.resolve(ref.id());
  if (const auto* why = std::get_if<std::string>(&resolved)) return {grpc::StatusCode::NOT_FOUND, *why};
  *twin_id = "segment/" + context.catalog.directory.id_of(std::get<segment_id>(resolved));
  return grpc::Status::OK;
}

grpc::Status read_history(frontdoor_context& context, const v1::GetHistoryRequest& request,
                          v1::GetHistoryResponse* response) {
  std::string twin_id;
  if (auto s = stored_twin_id(context, request.twin(), &twin_id); !s.ok()) return s;
  if (request.end_time_ms() != 0 && request.end_time_ms() < request.start_time_ms())
    return invalid("end_time_ms is before start_time_ms");
  for (int type : request.entry_types())
    if (type == v1::HISTORY_ENTRY_TYPE_STATE_SAMPLE)
      return {grpc::StatusCode::UNIMPLEMENTED, "state samples are not recorded yet; ask for readings"};
  if (request.page_size() < 0) return invalid("page_size must not be negative");
  const std::size_t page_size =
      request.page_size() == 0 ? default_history_page_size : std::min(request.page_size(), max_page_size_history);
  const std::int64_t end = request.end_time_ms() == 0 ? INT64_MAX : request.end_time_ms();
  std::string token = request.page_token();
  std::vector<recorded_reading> readings;
  try {
    readings = context.store.history(twin_id, request.start_time_ms(), end, page_size, &token);
  } catch (const std::invalid_argument& e) {
    return invalid(std::string("page_token: ") + e.what());
  } catch (const std::exception& e) {
    return {grpc::StatusCode::UNAVAILABLE, e.what()};
  }
  for (const recorded_reading& r : readings) {
    auto* entry = response->add_entries();
    entry->set_time_ms(r.reading.time_ms);
    entry->set_source(r.source);
    entry->set_sequence(r.sequence);
    if (!entry->mutable_reading()->ParseFromString(r.reading.payload))
      return {grpc::StatusCode::DATA_LOSS, "a stored reading could not be decoded"};
  }
  response->set_next_page_token(token);
  return grpc::Status::OK;
}

grpc::Status audited_history(frontdoor_context& context, const audit_call& call, const grpc::Status& authorization,
                             const v1::GetHistoryRequest& request, v1::GetHistoryResponse* response) {
  const grpc::Status outcome = authorization.ok() ? read_history(context, request, response) : authorization;
  context.audit.record_read(call, audit_target(request), response->entries_size(), outcome);
  return outcome;
}

grpc::Status query_page(const twin_catalog& catalog, const twin_scan& scan, const v1::QueryTwinsRequest& request,
                        v1::QueryTwinsResponse& response) {
  if (auto problem = filter_problem(catalog, request.filter()); !problem.empty()) return invalid(problem);
  if (request.page_size() < 0) return invalid("page_size must not be negative");
  const int page_size = request.page_size() == 0 ? default_page_size : std::min(request.page_size(), max_page_size);
  std::size_t start = 0;
  if (!request.page_token().empty()) {
    // The token is the twin's place in the scan order, so pages stay stable while the state changes.
    char* end = nullptr;
    const unsigned long long parsed = std::strtoull(request.page_token().c_str(), &end, 10);
    if (*end != '\0' || parsed > scan.size()) return invalid("page_token is not one this server issued");
    start = parsed;
  }
  for (std::size_t t = start; t < scan.size(); ++t) {
    if (!scan.matches(t, request.filter())) continue;
    if (response.twins_size() == page_size) {
      response.set_next_page_token(std::to_string(t));
      break;
    }
    *response.add_twins() = scan.twin(t);
  }
  return grpc::Status::OK;
}

void read_stats(frontdoor_context& context, v1::TwinStats* response) {
  const store_stats stats = context.store.stats();
  response->set_readings_logged(context.store.last_log_position());
  response->set_batches_written(stats.batches_written);
  response->set_duplicate_batches(stats.duplicates);
  response->set_twin_time_ms(context.twin.to_epoch_ms(context.twin.now()));
  response->set_lag_ms(context.twin.lag());
  response->set_time_scale(context.twin.time_scale());
  response->set_road_segments(static_cast<std::uint32_t>(context.catalog.graph.segments.size()));
}

}  // namespace citytwin

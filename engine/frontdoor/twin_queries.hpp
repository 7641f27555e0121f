#pragma once
// TwinService's read calls without their transport: the gRPC service and the HTTP gateway both answer
// through these, after checking the caller's role themselves.

#include "citytwin/v1/twin.pb.h"
#include "engine/frontdoor/frontdoor_context.hpp"
#include "engine/frontdoor/twin_scan.hpp"

#include <grpcpp/grpcpp.h>

namespace citytwin {

// One twin's current state: a road segment from the latest view, a building or utility node from the grid's.
grpc::Status find_twin(frontdoor_context& context, const v1::TwinRef& ref, v1::Twin* response);
// The id the store and analytics key a twin by ("segment/3-11", "building/17", "node/1203"); NOT_FOUND
// when no such twin exists.
grpc::Status stored_twin_id(frontdoor_context& context, const v1::TwinRef& ref, std::string* twin_id);
// A twin's stored readings in a time range, one page.
grpc::Status read_history(frontdoor_context& context, const v1::GetHistoryRequest& request,
                          v1::GetHistoryResponse* response);
// GetHistory as node 0's front door answers it, to its own callers and to those another node of a live
// cluster authorized: read_history once `authorization` is OK, audited under `call` either way.
grpc::Status audited_history(frontdoor_context& context, const audit_call& call, const grpc::Status& authorization,
                             const v1::GetHistoryRequest& request, v1::GetHistoryResponse* response);
// What a read asked for, as the audit trail names it ("TWIN_KIND_ROAD_SEGMENT 3-11", "history of ... [start, end)").
std::string audit_target(const v1::TwinRef& twin);
std::string audit_target(const v1::GetHistoryRequest& request);
// One page of the twins in `scan` that match the request's filter (the page token is a place in the scan order).
grpc::Status query_page(const twin_catalog& catalog, const twin_scan& scan, const v1::QueryTwinsRequest& request,
                        v1::QueryTwinsResponse& response);
// The store's counters and the twin's clock.
void read_stats(frontdoor_context& context, v1::TwinStats* response);

}  // namespace citytwin

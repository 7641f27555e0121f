#pragma once
// The audit records a test's server has written, straight from its store.

#include <climits>
#include <string>
#include <vector>

#include "citytwin/v1/audit.pb.h"
#include "engine/store/twin_store.hpp"

namespace citytwin::testing {

// Every record whose method contains `method`, oldest first.
inline std::vector<v1::AuditRecord> audit_records_of(const twin_store& store, const std::string& method) {
  std::vector<v1::AuditRecord> out;
  for (const auto& entry : store.audit_records(INT64_MIN, INT64_MAX, 0)) {
    v1::AuditRecord record;
    if (!record.ParseFromString(entry.bytes)) throw std::runtime_error("an audit record does not decode");
    if (record.method().find(method) != std::string::npos) out.push_back(std::move(record));
  }
  return out;
}

}  // namespace citytwin::testing

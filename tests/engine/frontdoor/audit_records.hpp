#pragma once
// The audit records a test's server has written, straight from its store.

#include <climits>
#include <string>
#include <vector>

#include "citytwin/v1/audit.pb.h"
#include "engine/store/twin_store.hpp"

namespace citytwin::testing {

// Every record whose method contains `method`, oldest first, with time and sequence from its key as
// AuditService.ReadAudit gives them.
inline std::vector<v1::AuditRecord> audit_records_of(const twin_store& store, const std::string& method) {
  std::vector<v1::AuditRecord> out;
  for (const auto& entry : store.audit_records(INT64_MIN, INT64_MAX, 0)) {
    v1::AuditRecord record;
    if (!record.ParseFromString(entry.bytes)) throw std::runtime_error("an audit record does not decode");
    record.set_time_ms(entry.time_ms);  // as ReadAudit answers: the key's time, which never goes back
    record.set_sequence(entry.sequence);
    if (record.method().find(method) != std::string::npos) out.push_back(std::move(record));
  }
  return out;
}

}  // namespace citytwin::testing

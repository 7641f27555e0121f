#pragma once
// `twinctl audit`'s output: the audit records as a table, or one JSON object per line.

#include <string>
#include <vector>

#include "citytwin/v1/audit.pb.h"

namespace citytwin {

struct audit_arguments {
  double since_s = 86400;
  std::string caller;
  std::string method;
  std::size_t limit = 0;  // 0: all
  bool json = false;
};

void print_audit(const std::vector<v1::AuditRecord>& records, bool json);

}  // namespace citytwin

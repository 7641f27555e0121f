#pragma once
// The audit trail's writer: who made a call, what it carried, when and how it ended, as a
// v1.AuditRecord in the store's `audit` column family. Every state-changing call is recorded (each
// Ingest batch, RunScenario, CancelScenario, the HTTP gateway's scenario runs); reads of twin data
// only when reads_audited (serve --audit-reads). proto/citytwin/v1/audit.proto says what a record holds.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <string>

#include "citytwin/v1/audit.pb.h"
#include "engine/frontdoor/access_control.hpp"

namespace citytwin {

class live_twin;
class twin_store;

// Who is calling and over what, as a record's who / where / what fields.
struct audit_call {
  std::string caller;     // the token's identity; empty when the caller had no valid token
  std::string role;       // empty likewise
  std::string transport;  // "grpc" or "http"
  std::string peer;
  std::string method;     // full gRPC method, or "POST /api/..." for the HTTP gateway
};

// `who` as authorize left it: filled for an authorized or PERMISSION_DENIED caller, empty otherwise.
audit_call grpc_audit_call(const grpc::ServerContext& context, const grpc::Status& authorization, const caller& who,
                           std::string method);
audit_call http_audit_call(const std::string& peer, const grpc::Status& authorization, const caller& who,
                           std::string method);

// The canonical name of a gRPC status code ("OK", "PERMISSION_DENIED", ...).
const char* status_code_name(grpc::StatusCode code);

class audit_trail {
 public:
  audit_trail(twin_store& store, const live_twin& twin) : store_(store), twin_(twin) {}

  bool reads_audited() const { return reads_audited_.load(); }
  void set_reads_audited(bool on) { reads_audited_ = on; }

  // The record of a call (who, where, what, and the twin's clock), for the caller to add details
  // and the outcome to, then write with record() or with a batch of readings.
  v1::AuditRecord describe(const audit_call& call, std::string summary) const;
  static void set_outcome(v1::AuditRecord& record, const grpc::Status& outcome);

  // Stamps the outcome and writes the record on its own (synced like readings). The call it records
  // has already happened, so a store failure is reported on stderr rather than thrown.
  void record(v1::AuditRecord record, const grpc::Status& outcome);
  // The same for a read, only when reads_audited.
  void record_read(const audit_call& call, const std::string& target, std::uint64_t items, const grpc::Status& outcome);

 private:
  twin_store& store_;
  const live_twin& twin_;
  std::atomic<bool> reads_audited_{false};
};

}  // namespace citytwin

// The front door over TLS with throwaway certificates made at test time: a client that trusts the
// server's CA ingests and reads; a plaintext client, or one trusting another CA, gets nowhere. With
// mutual TLS the server also refuses a client without a certificate, or with one from another CA.

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/engine/frontdoor/frontdoor_fixture.hpp"
#include "tests/engine/frontdoor/test_pki.hpp"

namespace citytwin::testing {

namespace {

const test_pki& pki() { return process_test_pki(); }

std::shared_ptr<grpc::ChannelCredentials> tls_client(const std::filesystem::path& ca,
                                                     const std::filesystem::path& cert = {},
                                                     const std::filesystem::path& key = {}) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = read_text(ca);
  if (!cert.empty()) {
    ssl.pem_cert_chain = read_text(cert);
    ssl.pem_private_key = read_text(key);
  }
  return grpc::SslCredentials(ssl);
}

class tls_frontdoor : public frontdoor_fixture {
 protected:
  tls_files server_tls() const override { return {pki().server_cert, pki().server_key, ""}; }
  std::shared_ptr<grpc::ChannelCredentials> client_credentials() const override { return tls_client(pki().ca_cert); }

  // Ingests one detector reading on `channel` and reads its history back; returns the first failure.
  grpc::Status ingest_and_read(const std::shared_ptr<grpc::Channel>& channel, const std::string& segment) {
    const std::int64_t now = epoch_ms_now();
    v1::IngestBatch batch;
    batch.set_source("tls-feed-" + segment);
    batch.set_sequence(1);
    *batch.add_readings() = detector(segment, now - 1000, 42.0);
    auto stub = v1::IngestService::NewStub(channel);
    auto context = call(feed_token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto stream = stub->Ingest(context.get());
    v1::IngestAck ack;
    if (stream->Write(batch) && stream->Read(&ack)) EXPECT_EQ(ack.accepted(), 1u);
    stream->WritesDone();
    if (auto status = stream->Finish(); !status.ok()) return status;

    v1::GetHistoryRequest history;
    history.mutable_twin()->set_id(segment);
    history.set_start_time_ms(now - 60'000);
    v1::GetHistoryResponse entries;
    auto read = v1::TwinService::NewStub(channel);
    if (auto status = read->GetHistory(call(viewer_token).get(), history, &entries); !status.ok()) return status;
    EXPECT_EQ(entries.entries_size(), 1);
    if (entries.entries_size() == 1) EXPECT_DOUBLE_EQ(entries.entries(0).reading().traffic_detector().mean_speed_kmh(), 42.0);
    return grpc::Status::OK;
  }

  // The twin has nothing stored: a refused client left no trace.
  std::uint64_t readings_logged() {
    v1::TwinStats stats;
    EXPECT_TRUE(v1::TwinService::NewStub(channel_)->GetStats(call(viewer_token).get(), v1::GetStatsRequest{}, &stats).ok());
    return stats.readings_logged();
  }
};

class mutual_tls_frontdoor : public tls_frontdoor {
 protected:
  tls_files server_tls() const override { return {pki().server_cert, pki().server_key, pki().ca_cert}; }
  std::shared_ptr<grpc::ChannelCredentials> client_credentials() const override {
    return tls_client(pki().ca_cert, pki().client_cert, pki().client_key);
  }
};

}  // namespace

TEST_F(tls_frontdoor, a_client_trusting_the_servers_ca_ingests_and_reads) {
  const auto status = ingest_and_read(channel_, "1-2");
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(readings_logged(), 1u);
  // The certificate names localhost as well as 127.0.0.1.
  auto by_name = grpc::CreateChannel("localhost:" + std::to_string(server_->port()), tls_client(pki().ca_cert));
  EXPECT_TRUE(ingest_and_read(by_name, "2-1").ok());
}

TEST_F(tls_frontdoor, a_plaintext_client_is_refused) {
  const auto status = ingest_and_read(grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()), "1-2");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(readings_logged(), 0u);
}

TEST_F(tls_frontdoor, a_client_trusting_another_ca_is_refused) {
  const auto status = ingest_and_read(grpc::CreateChannel(target(), tls_client(pki().other_ca_cert)), "1-2");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(readings_logged(), 0u);
}

TEST_F(mutual_tls_frontdoor, a_client_with_a_certificate_from_the_ca_ingests_and_reads) {
  const auto status = ingest_and_read(channel_, "1-2");
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(readings_logged(), 1u);
}

TEST_F(mutual_tls_frontdoor, a_client_without_a_certificate_is_refused) {
  const auto status = ingest_and_read(grpc::CreateChannel(target(), tls_client(pki().ca_cert)), "1-2");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(readings_logged(), 0u);
}

TEST_F(mutual_tls_frontdoor, a_client_with_a_certificate_from_another_ca_is_refused) {
  const auto status = ingest_and_read(
      grpc::CreateChannel(target(), tls_client(pki().ca_cert, pki().other_client_cert, pki().other_client_key)), "1-2");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(readings_logged(), 0u);
}

}  // namespace citytwin::testing

// The HTTP gateway over HTTPS with throwaway certificates: a client that trusts the CA reads the API
// with its token; a plaintext client, or one trusting another CA, gets nothing. With mutual TLS a
// client without a certificate, or with one from another CA, is refused before any route runs.

#include <httplib.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "engine/http/http_gateway.hpp"
#include "tests/engine/frontdoor/frontdoor_fixture.hpp"
#include "tests/engine/frontdoor/test_pki.hpp"

namespace citytwin::testing {
namespace {

const test_pki& pki() { return process_test_pki(); }

class https_gateway_test : public frontdoor_fixture {
 protected:
  void start_gateway(const std::string& client_ca) {
    gateway_ = std::make_unique<http_gateway>(
        *context_, http_options{"127.0.0.1:0", tls_files{pki().server_cert, pki().server_key, client_ca}, ""});
    gateway_->start();
  }
  void TearDown() override {
    gateway_.reset();
    frontdoor_fixture::TearDown();
  }

  std::unique_ptr<httplib::SSLClient> client(const std::filesystem::path& trusted_ca, const std::filesystem::path& cert = {},
                                             const std::filesystem::path& key = {}) {
    auto c = cert.empty() ? std::make_unique<httplib::SSLClient>("127.0.0.1", gateway_->port())
                          : std::make_unique<httplib::SSLClient>("127.0.0.1", gateway_->port(), cert.string(), key.string());
    c->set_ca_cert_path(trusted_ca.c_str());
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(5, 0);
    c->set_read_timeout(10, 0);
    return c;
  }

  static httplib::Headers viewer() { return {{"Authorization", std::string("Bearer ") + viewer_token}}; }

  std::unique_ptr<http_gateway> gateway_;
};

TEST_F(https_gateway_test, a_client_trusting_the_ca_reads_the_api_and_the_token_still_counts) {
  start_gateway("");
  auto trusted = client(pki().ca_cert);
  auto city = trusted->Get("/api/city", viewer());
  ASSERT_TRUE(city) << httplib::to_string(city.error());
  EXPECT_EQ(city->status, 200);
  EXPECT_GT(nlohmann::json::parse(city->body)["segments"].size(), 70u);
  auto anonymous = trusted->Get("/api/city");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401) << "TLS does not replace the token";
}

TEST_F(https_gateway_test, plaintext_and_untrusting_clients_get_nothing) {
  start_gateway("");
  httplib::Client plain("127.0.0.1", gateway_->port());
  plain.set_read_timeout(5, 0);
  auto plain_answer = plain.Get("/api/city", viewer());
  EXPECT_TRUE(!plain_answer || plain_answer->status >= 400) << "plaintext must not reach a route";
  if (plain_answer) EXPECT_EQ(plain_answer->body.find("segments"), std::string::npos);
  auto untrusting = client(pki().other_ca_cert);
  auto answer = untrusting->Get("/api/city", viewer());
  EXPECT_FALSE(answer) << "a server certificate from an untrusted CA must fail verification";
}

TEST_F(https_gateway_test, mutual_tls_refuses_clients_without_a_certificate_from_the_trusted_ca) {
  start_gateway(pki().ca_cert.string());
  auto with_cert = client(pki().ca_cert, pki().client_cert, pki().client_key);
  auto ok = with_cert->Get("/api/city", viewer());
  ASSERT_TRUE(ok) << httplib::to_string(ok.error());
  EXPECT_EQ(ok->status, 200);
  EXPECT_FALSE(client(pki().ca_cert)->Get("/api/city", viewer())) << "no client certificate";
  EXPECT_FALSE(client(pki().ca_cert, pki().other_client_cert, pki().other_client_key)->Get("/api/city", viewer()))
      << "client certificate from another CA";
}

}  // namespace
}  // namespace citytwin::testing

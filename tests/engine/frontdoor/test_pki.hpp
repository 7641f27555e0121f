#pragma once
// Throwaway certificates made at test time with the openssl CLI: a CA, a server certificate for
// 127.0.0.1 and localhost, and a client certificate; plus a second, untrusted CA with its own client.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace citytwin::testing {

struct test_pki {
  std::filesystem::path ca_cert, server_cert, server_key, client_cert, client_key;
  std::filesystem::path other_ca_cert, other_client_cert, other_client_key;  // signed by a CA the server does not trust
};

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace pki_detail {

inline void run(const std::string& command, const std::filesystem::path& dir) {
  const auto full = "cd '" + dir.string() + "' && " + command + " >>openssl.log 2>&1";
  if (std::system(full.c_str()) != 0)
    throw std::runtime_error("openssl failed (is the openssl package installed? deploy/setup.sh installs it): " +
                             command + "\n" + read_text(dir / "openssl.log"));
}

// An EC key and a certificate for `name`, signed by the CA `ca` with the given extensions.
inline void issue(const std::filesystem::path& dir, const std::string& ca, const std::string& name,
                  const std::string& extensions) {
  std::ofstream(dir / (name + ".ext")) << extensions;
  run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + name + ".key -out " + name +
          ".csr -subj '/CN=" + name + "'",
      dir);
  run("openssl x509 -req -in " + name + ".csr -CA " + ca + ".crt -CAkey " + ca + ".key -CAcreateserial -days 2 -out " +
          name + ".crt -extfile " + name + ".ext",
      dir);
}

inline void make_ca(const std::filesystem::path& dir, const std::string& name) {
  run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -keyout " + name +
          ".key -out " + name + ".crt -subj '/CN=CityTwin test " + name + "'",
      dir);
}

}  // namespace pki_detail

// Writes everything into `dir` (created if missing). Throws std::runtime_error with openssl's output on failure.
inline test_pki make_test_pki(const std::filesystem::path& dir) {
  using namespace pki_detail;
  std::filesystem::create_directories(dir);
  make_ca(dir, "ca");
  issue(dir, "ca", "server",
        "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
  issue(dir, "ca", "client", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  make_ca(dir, "other-ca");
  issue(dir, "other-ca", "other-client", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  return {dir / "ca.crt",           dir / "server.crt",       dir / "server.key",
          dir / "client.crt",       dir / "client.key",       dir / "other-ca.crt",
          dir / "other-client.crt", dir / "other-client.key"};
}

// One set of certificates per test process (each ctest test is its own process), made on first use.
inline const test_pki& process_test_pki() {
  static const test_pki made =
      make_test_pki(std::filesystem::path(::testing::TempDir()) / "citytwin" / ("test-pki-" + std::to_string(getpid())));
  return made;
}

}  // namespace citytwin::testing

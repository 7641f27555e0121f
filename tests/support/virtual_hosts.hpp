#pragma once
// Hosts for a multi-host test on one machine: each host is a network namespace with its own
// address on a shared bridge (veth pairs into a switch namespace), so processes talk over real
// virtual links and one host's link can be cut. Needs root and `ip`; where the environment does
// not allow namespaces, every host is 127.0.0.1 and programs run as they are (loopback mode).

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace citytwin::testing {

class virtual_hosts {
 public:
  explicit virtual_hosts(std::size_t count) : count_(count) {
    prefix_ = "ct" + std::to_string(getpid()) + "-";
    namespaces_ = geteuid() == 0 && std::system("ip netns list > /dev/null 2>&1") == 0 && build();
    if (!namespaces_) tear_down();
  }
  virtual_hosts(const virtual_hosts&) = delete;
  virtual_hosts& operator=(const virtual_hosts&) = delete;
  ~virtual_hosts() { tear_down(); }

  [[nodiscard]] bool namespaces() const { return namespaces_; }
  [[nodiscard]] std::string mode() const {
    return namespaces_ ? "network namespaces on a virtual bridge" : "loopback (network namespaces not available)";
  }
  [[nodiscard]] std::string address(std::size_t host) const {
    return namespaces_ ? address_of(host) : "127.0.0.1";
  }
  // `argv` run on `host`.
  [[nodiscard]] std::vector<std::string> on_host(std::size_t host, std::vector<std::string> argv) const {
    if (!namespaces_) return argv;
    std::vector<std::string> wrapped{ip_path(), "netns", "exec", host_name(host)};
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    return wrapped;
  }
  // Cuts (or restores) `host`'s only link: a partition in which its connections stay open but
  // carry nothing. Namespaces only.
  bool set_link(std::size_t host, bool up) const {
    return run("ip -n " + switch_name() + " link set " + port_name(host) + (up ? " up" : " down"));
  }

 private:
  static std::string ip_path() { return std::system("test -x /usr/sbin/ip") == 0 ? "/usr/sbin/ip" : "/sbin/ip"; }
  std::string host_name(std::size_t host) const { return prefix_ + "h" + std::to_string(host); }
  std::string switch_name() const { return prefix_ + "sw"; }
  std::string port_name(std::size_t host) const { return "p" + std::to_string(host); }
  static bool run(const std::string& command) { return std::system((command + " > /dev/null 2>&1").c_str()) == 0; }

  bool build() {
    created_ = true;
    if (!run("ip netns add " + switch_name())) return false;
    if (!run("ip -n " + switch_name() + " link add br0 type bridge") || !run("ip -n " + switch_name() + " link set br0 up"))
      return false;
    for (std::size_t h = 0; h < count_; ++h) {
      const std::string ns = host_name(h), sw = switch_name(), port = port_name(h);
      if (!run("ip netns add " + ns) || !run("ip -n " + ns + " link set lo up") ||
          !run("ip -n " + ns + " link add eth0 type veth peer name " + port + " netns " + sw) ||
          !run("ip -n " + ns + " addr add " + address_of(h) + "/24 dev eth0") || !run("ip -n " + ns + " link set eth0 up") ||
          !run("ip -n " + sw + " link set " + port + " master br0") || !run("ip -n " + sw + " link set " + port + " up"))
        return false;
    }
    return run("ip netns exec " + host_name(0) + " true");  // some sandboxes allow the add but not the exec
  }
  static std::string address_of(std::size_t host) { return "10.213.0." + std::to_string(host + 1); }
  void tear_down() {
    if (!created_) return;
    for (std::size_t h = 0; h < count_; ++h) run("ip netns del " + host_name(h));
    run("ip netns del " + switch_name());
    created_ = false;
  }

  std::size_t count_;
  std::string prefix_;
  bool created_ = false;
  bool namespaces_ = false;
};

}  // namespace citytwin::testing

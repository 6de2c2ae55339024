// tollgatectl: the admin's command line. Talks to tollgated over its control socket, found from
// the daemon's config (-c) or given directly (-s). `nft` needs no daemon: it prints the ruleset
// the config would install, for admins who merge it into their own firewall.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "captive/accounts.h"
#include "daemon/config/config.h"
#include "daemon/control/control_server.h"
#include "daemon/interception.h"
#include "nf/ruleset.h"

namespace {

void usage() {
  std::puts(
      "usage: tollgatectl [-c CONFIG | -s SOCKET] [--json] COMMAND\n"
      "commands:\n"
      "  status    version, uptime, workers, active connections and every counter\n"
      "  reload    re-read the daemon's config file (the running config stays on error)\n"
      "  reload lists   re-read the list files only\n"
      "  lists     each list: format, entries, skipped lines, load time, memory, warnings\n"
      "  log level debug|info|warning|error   diagnostics verbosity until the next reload\n"
      "  explain --client IP [--mac MAC] [--at TIME] [--dst IP] URL|--sni NAME\n"
      "            the decision for such a request and every rule that matched (file:line)\n"
      "  cache stats         objects, bytes, hit ratios by requests and by bytes\n"
      "  cache purge URL     drop the stored object(s) of URL (every Vary variant)\n"
      "  cache purge --host HOST   drop every object of HOST\n"
      "  sessions list | show MAC | kick MAC | extend MAC DURATION\n"
      "            captive-portal sessions: list them, one in full, end one, add time\n"
      "  voucher create --count N --duration 24h [--data 2G] [--devices 1]\n"
      "            print a roll of new voucher codes;  voucher list: every voucher\n"
      "  account hash USER   read a password on standard input, print the accounts-file line\n"
      "            (no daemon needed)\n"
      "  nft       print the nftables ruleset the config installs (no daemon needed)\n"
      "  -c CONFIG the daemon's config file (default /etc/tollgate/tollgate.conf if it exists)\n"
      "  -s SOCKET the control socket path");
}

// Human form of a flat or one-level-nested JSON object.
void printHuman(const Poco::JSON::Object::Ptr& obj, const std::string& indent = "") {
  for (const auto& name : obj->getNames()) {
    auto value = obj->get(name);
    if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
      std::cout << indent << name << ":\n";
      printHuman(value.extract<Poco::JSON::Object::Ptr>(), indent + "  ");
    } else {
      std::cout << indent << name << ": " << value.convert<std::string>() << "\n";
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string configPath, socketPath;
  bool json = false;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-c" && i + 1 < argc) configPath = argv[++i];
    else if (a == "-s" && i + 1 < argc) socketPath = argv[++i];
    else if (a == "--json") json = true;
    else if (a == "-h" || a == "--help") { usage(); return 0; }
    else words.push_back(a);
  }
  if (words.empty()) {
    usage();
    return 2;
  }
  if (words[0] == "account") {
    if (words.size() != 3 || words[1] != "hash") {
      std::cerr << "usage: tollgatectl account hash USER  (password on standard input)\n";
      return 2;
    }
    std::string password;
    std::getline(std::cin, password);
    if (password.empty()) {
      std::cerr << "tollgatectl: empty password\n";
      return 1;
    }
    std::cout << words[2] << ":" << tollgate::captive::Accounts::makeHash(password) << "\n";
    return 0;
  }
  try {
    tollgate::config::ConfigPtr config;
    if (!configPath.empty()) config = tollgate::config::loadConfigFile(configPath);
    else if (socketPath.empty() || words[0] == "nft") {
      FILE* f = std::fopen("/etc/tollgate/tollgate.conf", "r");
      if (f) {
        std::fclose(f);
        config = tollgate::config::loadConfigFile("/etc/tollgate/tollgate.conf");
      } else {
        config = tollgate::config::loadConfigText("", "<default>");
      }
    }
    if (words[0] == "nft") {
      std::cout << tollgate::nf::renderNftRuleset(tollgate::rulesetSpecFor(*config));
      return 0;
    }
    if (socketPath.empty()) socketPath = config->control.socket;
    std::string line;
    for (auto& w : words) line += (line.empty() ? "" : " ") + w;
    auto reply = tollgate::control::ControlServer::request(socketPath, line);
    Poco::JSON::Parser parser;
    auto obj = parser.parse(reply).extract<Poco::JSON::Object::Ptr>();
    bool ok = obj->optValue<bool>("ok", false);
    if (json) std::cout << reply << "\n";
    else if (!ok) std::cerr << "tollgatectl: " << obj->optValue<std::string>("error", "failed") << "\n";
    else if (obj->has("text")) std::cout << obj->getValue<std::string>("text");
    else printHuman(obj);
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "tollgatectl: " << e.what() << "\n";
    return 1;
  }
}

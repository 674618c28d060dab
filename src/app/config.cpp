#include "app/config.hpp"

#include <arpa/inet.h>
#include <boost/json.hpp>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace caredesk::app {

namespace json = boost::json;

std::string Config::DatabaseUrl() const {
  return database.empty() ? "sqlite:" + data_dir + "/caredesk.db" : database;
}

std::string Config::MasterKeyPath() const {
  return master_key_file.empty() ? data_dir + "/master.key" : master_key_file;
}

Result<std::pair<std::string, unsigned short>> ParseListen(std::string_view listen) {
  auto bad = [] { return Invalid("listen must be HOST:PORT, e.g. 127.0.0.1:8080", "listen"); };
  auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad();
  std::string host(listen.substr(0, colon));
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string_view port_text = listen.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) return bad();
  return std::pair{host, static_cast<unsigned short>(port)};
}

namespace {

Result<void> ApplyFile(const std::string& path, Config& c) {
  std::ifstream in(path);
  if (!in) return NotFound("config file not found: " + path);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(text.str(), ec);
  if (ec || !v.is_object()) return Invalid("config file is not a JSON object", "config");
  for (const auto& kv : v.as_object()) {
    std::string key(kv.key());
    const json::value& val = kv.value();
    auto want_string = [&](std::string& out) -> Result<void> {
      if (!val.is_string()) return Invalid("config key must be a string", key);
      out = std::string(val.as_string());
      return {};
    };
    auto want_int = [&](auto& out, long long lo, long long hi) -> Result<void> {
      if (!val.is_int64() || val.as_int64() < lo || val.as_int64() > hi) {
        return Invalid("config key must be an integer from " + std::to_string(lo) + " to " +
                           std::to_string(hi),
                       key);
      }
      out = static_cast<std::remove_reference_t<decltype(out)>>(val.as_int64());
      return {};
    };
    if (key == "listen")
      CD_TRY(want_string(c.listen));
    else if (key == "lmtp")
      CD_TRY(want_string(c.lmtp));
    else if (key == "imap_poll_seconds")
      CD_TRY(want_int(c.imap_poll_seconds, 1, 3600));
    else if (key == "data")
      CD_TRY(want_string(c.data_dir));
    else if (key == "database")
      CD_TRY(want_string(c.database));
    else if (key == "io_threads")
      CD_TRY(want_int(c.io_threads, 1, 64));
    else if (key == "handler_threads")
      CD_TRY(want_int(c.handler_threads, 1, 1024));
    else if (key == "read_threads")
      CD_TRY(want_int(c.read_threads, 1, 256));
    else if (key == "max_body_bytes")
      CD_TRY(want_int(c.max_body_bytes, 1024, 64 << 20));
    else if (key == "max_upload_bytes")
      CD_TRY(want_int(c.max_upload_bytes, 1024, 64 << 20));
    else if (key == "session_idle_minutes")
      CD_TRY(want_int(c.session_idle_minutes, 1, 24LL * 60));
    else if (key == "log_level")
      CD_TRY(want_string(c.log_level));
    else if (key == "group_commit_max_batch")
      CD_TRY(want_int(c.group_commit_max_batch, 1, 4096));
    else if (key == "max_read_connections")
      CD_TRY(want_int(c.max_read_connections, 1, 256));
    else if (key == "inbox_cache_mib")
      CD_TRY(want_int(c.inbox_cache_mib, 0, 4096));
    else if (key == "master_key_file")
      CD_TRY(want_string(c.master_key_file));
    else if (key == "previous_master_key_file")
      CD_TRY(want_string(c.previous_master_key_file));
    else if (key == "public_url")
      CD_TRY(want_string(c.public_url));
    else if (key == "web_root")
      CD_TRY(want_string(c.web_root));
    else if (key == "metrics_token")
      CD_TRY(want_string(c.metrics_token));
    else if (key == "trusted_proxies") {
      if (!val.is_array()) return Invalid("config key must be an array of IP addresses", key);
      c.trusted_proxies.clear();
      for (const json::value& item : val.as_array()) {
        unsigned char buffer[16];
        std::string ip = item.is_string() ? std::string(item.as_string()) : std::string();
        if (::inet_pton(AF_INET, ip.c_str(), buffer) != 1 &&
            ::inet_pton(AF_INET6, ip.c_str(), buffer) != 1) {
          return Invalid("config key must be an array of IP addresses", key);
        }
        c.trusted_proxies.push_back(ip);
      }
    } else
      return Invalid(
          "unknown config key (known: listen, data, database, io_threads, handler_threads, "
          "read_threads, max_body_bytes, max_upload_bytes, session_idle_minutes, log_level, "
          "group_commit_max_batch, "
          "max_read_connections, inbox_cache_mib, master_key_file, trusted_proxies, public_url, "
          "lmtp, web_root, previous_master_key_file, metrics_token)",
          key);
  }
  return {};
}

}  // namespace

Result<Config> LoadConfig(const Overrides& o) {
  Config c;
  if (o.config_file) CD_TRY(ApplyFile(*o.config_file, c));
  if (const char* v = std::getenv("CAREDESK_DATA"); v && *v) c.data_dir = v;
  if (const char* v = std::getenv("CAREDESK_LISTEN"); v && *v) c.listen = v;
  if (const char* v = std::getenv("CAREDESK_DATABASE"); v && *v) c.database = v;
  if (const char* v = std::getenv("CAREDESK_MASTER_KEY_FILE"); v && *v) c.master_key_file = v;
  if (const char* v = std::getenv("CAREDESK_PUBLIC_URL"); v && *v) c.public_url = v;
  if (const char* v = std::getenv("CAREDESK_LMTP"); v && *v) c.lmtp = v;
  if (const char* v = std::getenv("CAREDESK_WEB_ROOT"); v && *v) c.web_root = v;
  if (const char* v = std::getenv("CAREDESK_METRICS_TOKEN"); v && *v) c.metrics_token = v;
  if (const char* v = std::getenv("CAREDESK_PREVIOUS_MASTER_KEY_FILE"); v && *v) {
    c.previous_master_key_file = v;
  }
  if (o.data_dir) c.data_dir = *o.data_dir;
  if (o.master_key_file) c.master_key_file = *o.master_key_file;
  if (o.previous_master_key_file) c.previous_master_key_file = *o.previous_master_key_file;
  if (o.listen) c.listen = *o.listen;
  if (o.public_url) c.public_url = *o.public_url;
  if (o.web_root) c.web_root = *o.web_root;
  if (o.lmtp) c.lmtp = *o.lmtp;
  if (o.database) c.database = *o.database;
  CD_TRY(ParseListen(c.listen));
  if (!c.lmtp.empty()) {
    auto lmtp = ParseListen(c.lmtp);
    if (!lmtp) return Invalid("lmtp must be HOST:PORT, e.g. 127.0.0.1:2424", "lmtp");
  }
  while (c.public_url.ends_with('/')) c.public_url.pop_back();
  if (!c.public_url.empty() && !c.public_url.starts_with("https://") &&
      !c.public_url.starts_with("http://")) {
    return Invalid("public_url must be an http or https URL", "public_url");
  }
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" &&
      c.log_level != "error") {
    return Invalid("log_level must be debug, info, warn or error", "log_level");
  }
  return c;
}

}  // namespace caredesk::app

// Configuration: defaults, then a JSON config file, then CAREDESK_* environment variables,
// then command-line flags. Unknown keys in the file are rejected with a clear message.
// Parsed once at start; read-only afterwards.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace caredesk::app {

struct Config {
  std::string listen = "127.0.0.1:8080";    // HOST:PORT; port 0 picks a free one
  std::string data_dir = "caredesk-data";   // holds the SQLite file by default
  std::string database;                     // "sqlite:PATH" or "postgresql://..."; default below
  int io_threads = 2;                       // socket threads
  int handler_threads = 64;                 // blocking pool: handlers wait on group commit here
  int read_threads = 4;                     // GET handlers; at most max_read_connections
  std::size_t max_body_bytes = 1 << 20;     // 1 MiB
  std::size_t max_upload_bytes = 10 << 20;  // 10 MiB: a file a patient sends in a chat
  int session_idle_minutes = 15;            // automatic logoff
  int group_commit_max_batch = 256;  // writes per commit; 1 = one commit per write (benchmarks)
  int max_read_connections = 8;      // concurrent database readers
  int inbox_cache_mib = 16;          // rendered inbox pages kept (SQLite); 0 turns it off
  std::string log_level = "info";    // debug | info | warn | error
  // The master key that wraps every practice's encryption keys; "" means <data>/master.key,
  // created on first start. Keep a copy apart from database backups: without it they cannot
  // be read.
  std::string master_key_file;
  // While replacing the master key: the old one, which still opens what it wrapped until
  // `caredesk keys rewrap` has wrapped everything with the new one. "" when not replacing.
  std::string previous_master_key_file;
  // Reverse proxies whose X-Forwarded-For gives the client's address (docs/tls.md).
  std::vector<std::string> trusted_proxies;
  // Where browsers reach this server ("https://desk.example-clinic.org"); needed for sign-in
  // through a practice's identity provider (its redirect URI). "" turns that sign-in off.
  std::string public_url;
  // HOST:PORT of the LMTP listener that takes practices' mail from an MTA (Postfix's
  // lmtp:inet:HOST:PORT); "" runs none.
  std::string lmtp;
  // How often each practice's IMAP mailbox (email settings' imap_url) is polled.
  int imap_poll_seconds = 60;
  // The built browser code (the chat widget at /widget.js): web/dist of the source tree, which
  // scripts/build.sh builds; relative paths are from the working directory.
  std::string web_root = "web/dist";
  // What Prometheus sends as "Authorization: Bearer ..." to read /metrics. "" answers /metrics
  // to loopback clients only.
  std::string metrics_token;

  // "sqlite:<data_dir>/caredesk.db" when `database` is empty.
  std::string DatabaseUrl() const;
  std::string MasterKeyPath() const;
};

// Flags given on the command line (unset when absent).
struct Overrides {
  std::optional<std::string> config_file;
  std::optional<std::string> data_dir;
  std::optional<std::string> listen;
  std::optional<std::string> database;
  std::optional<std::string> master_key_file;
  std::optional<std::string> previous_master_key_file;
  std::optional<std::string> public_url;
  std::optional<std::string> lmtp;
  std::optional<std::string> web_root;
};

// Reads the file (if any), the environment, then the overrides. kInvalid naming the key on
// any unknown key or wrong type; kNotFound when the config file does not exist.
Result<Config> LoadConfig(const Overrides& overrides);
// Parses "HOST:PORT" ("[::1]:8080" for IPv6). kInvalid (field "listen") when malformed.
Result<std::pair<std::string, unsigned short>> ParseListen(std::string_view listen);

}  // namespace caredesk::app

#include "app/application.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "base/log.hpp"
#include "channels/email/email.hpp"
#include "channels/email/imap_poller.hpp"
#include "channels/email/lmtp.hpp"
#include "channels/sms/twilio.hpp"
#include "http/api.hpp"
#include "http/server.hpp"
#include "jobs/chat_router.hpp"
#include "jobs/kpi_rollup.hpp"
#include "jobs/outbox_sender.hpp"
#include "jobs/retention.hpp"
#include "jobs/sla_timer.hpp"
#include "security/crypto.hpp"
#include "store/open.hpp"

namespace caredesk::app {

Result<std::unique_ptr<store::Store>> OpenMigratedStore(const Config& config) {
  std::string url = config.DatabaseUrl();
  if (url.starts_with("sqlite:")) {
    std::filesystem::path file(url.substr(7));
    std::error_code ec;
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) return Unavailable("cannot create the data directory");
  }
  store::SqlStoreOptions options;
  std::string key_path = config.MasterKeyPath();
  if (!std::filesystem::exists(key_path) && !config.previous_master_key_file.empty()) {
    // Replacing the master key: every node must be given the same new key, so none is made up.
    return Invalid(
        "master_key_file does not exist; create the new master key once (caredesk keys "
        "new-master-key --out FILE) and give every node that file",
        "master_key_file");
  }
  if (!std::filesystem::exists(key_path)) {
    std::error_code ec;
    std::filesystem::path parent = std::filesystem::path(key_path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    CD_TRY(security::WriteKeyFile(key_path, security::SecretKey::Random()));
    log::Warn("master_key_created", {{"path", key_path}});
  }
  CD_TRY_ASSIGN(options.master_key, security::ReadKeyFile(key_path));
  if (!config.previous_master_key_file.empty()) {
    CD_TRY_ASSIGN(options.previous_master_key,
                  security::ReadKeyFile(config.previous_master_key_file));
  }
  options.max_batch = static_cast<std::size_t>(config.group_commit_max_batch);
  options.max_readers = static_cast<std::size_t>(config.max_read_connections);
  CD_TRY_ASSIGN(auto store, store::OpenStore(url, options));
  CD_TRY(store->Migrate());
  return store;
}

int Serve(const Config& config, std::unique_ptr<store::Store> store) {
  SystemClock clock;
  auto listen = ParseListen(config.listen);
  if (!listen) {
    std::fprintf(stderr, "caredesk: %s\n", listen.error().message.c_str());
    return 2;
  }
  http::ApiOptions api_options;
  api_options.session_idle_timeout = std::chrono::minutes(config.session_idle_minutes);
  api_options.inbox_cache_bytes = static_cast<std::size_t>(config.inbox_cache_mib) << 20;
  api_options.trusted_proxies = config.trusted_proxies;
  api_options.public_url = config.public_url;
  api_options.web_root = config.web_root;
  api_options.metrics_token = config.metrics_token;
  http::Api api(*store, clock, api_options);

  boost::asio::io_context io(config.io_threads);
  boost::asio::thread_pool blocking(static_cast<std::size_t>(config.handler_threads));
  // More read threads than read connections would only park threads on the connection pool.
  boost::asio::thread_pool reads(
      static_cast<std::size_t>(std::min(config.read_threads, config.max_read_connections)));
  http::ServerOptions server_options;
  server_options.host = listen->first;
  server_options.port = listen->second;
  server_options.max_body_bytes = config.max_body_bytes;
  server_options.upload_paths = api.UploadPaths();
  server_options.max_upload_bytes = config.max_upload_bytes;
  http::Server server(
      io, blocking, server_options, [&api](http::Request& r) { return api.Handle(r); },
      [&api](http::Request& r) { return api.HandleInline(r); }, &reads);
  server.SetUpgradeHandler([&api](http::Request& r) { return api.Upgrade(r); });
  api.JoinCluster();
  auto port = server.Start();
  if (!port) {
    std::fprintf(stderr, "caredesk: cannot listen on %s: %s\n", config.listen.c_str(),
                 port.error().message.c_str());
    return 1;
  }
  jobs::SlaTimer sla_timer(*store, clock);
  sla_timer.Start();
  jobs::Retention retention(*store, clock);
  retention.Start();
  jobs::KpiRollupOptions rollup_options;
  rollup_options.clock = &clock;
  jobs::KpiRollup kpi_rollup(*store, rollup_options);
  kpi_rollup.Start();
  channels::TwilioGateway sms(config.public_url);
  channels::EmailGateway email;
  jobs::OutboxSender outbox(*store, clock, {{"sms", &sms}, {"email", &email}});
  outbox.Start();
  jobs::ChatRouterOptions router_options;
  router_options.on_change = [&api](TenantId tenant) { api.NotifyChatsChanged(tenant); };
  jobs::ChatRouter chat_router(*store, clock, router_options);
  chat_router.Start();

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    log::Info("shutdown_requested");
    server.Stop();
    io.stop();
  });
  // Mail from the practice's MTA, when configured.
  std::unique_ptr<channels::LmtpServer> lmtp;
  if (!config.lmtp.empty()) {
    auto where = ParseListen(config.lmtp);
    channels::LmtpOptions lmtp_options;
    lmtp_options.host = where->first;
    lmtp_options.port = where->second;
    lmtp = std::make_unique<channels::LmtpServer>(
        lmtp_options,
        [&api](const std::string& recipient) {
          return static_cast<channels::LmtpVerdict::Kind>(api.CheckMailRecipient(recipient));
        },
        [&api](const std::string& recipient, const std::string& sender,
               const std::string& message) {
          http::MailVerdict v = api.DeliverMail(recipient, std::string_view(sender), message);
          return channels::LmtpVerdict{static_cast<channels::LmtpVerdict::Kind>(v.kind),
                                       std::move(v.reason)};
        });
    auto lmtp_port = lmtp->Start();
    if (!lmtp_port) {
      std::fprintf(stderr, "caredesk: %s\n", lmtp_port.error().message.c_str());
      server.Stop();
      return 1;
    }
    std::printf("lmtp on %s:%u\n", where->first.c_str(), static_cast<unsigned>(*lmtp_port));
  }
  // Mail of practices on hosted mailboxes.
  channels::ImapPoller imap(
      *store,
      [&api](TenantId tenant, const std::string& recipient, const std::string& message) {
        http::MailVerdict v = api.DeliverMailTo(tenant, recipient, std::nullopt, message);
        return channels::LmtpVerdict{static_cast<channels::LmtpVerdict::Kind>(v.kind),
                                     std::move(v.reason)};
      },
      std::chrono::seconds(config.imap_poll_seconds));
  imap.Start();
  std::printf("listening on http://%s:%u\n", listen->first.c_str(), static_cast<unsigned>(*port));
  std::fflush(stdout);
  log::Info("server_started", {{"port", static_cast<int>(*port)},
                               {"io_threads", config.io_threads},
                               {"handler_threads", config.handler_threads}});

  // The access log is written in batches (see log::SetBuffered), at most 200 ms late.
  log::SetBuffered(true);
  boost::asio::steady_timer log_flush(io);
  std::function<void()> flush_soon = [&] {
    log_flush.expires_after(std::chrono::milliseconds(200));
    log_flush.async_wait([&](const boost::system::error_code& ec) {
      log::Flush();
      if (!ec) flush_soon();
    });
  };
  flush_soon();

  std::vector<std::thread> io_threads;
  for (int i = 1; i < config.io_threads; ++i) io_threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : io_threads) t.join();
  log::SetBuffered(false);  // writes what is left
  // Reverse order: mail intake, jobs, then in-flight handlers, then the store.
  if (lmtp) lmtp->Stop();
  imap.Stop();
  chat_router.Stop();
  outbox.Stop();
  kpi_rollup.Stop();
  sla_timer.Stop();
  blocking.join();
  reads.join();
  log::Info("server_stopped");
  return 0;
}

}  // namespace caredesk::app

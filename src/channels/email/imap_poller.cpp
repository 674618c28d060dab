#include "channels/email/imap_poller.hpp"

#include "base/log.hpp"
#include "channels/email/email.hpp"
#include "net/imap.hpp"

namespace caredesk::channels {

ImapPoller::ImapPoller(store::Store& store, Deliver deliver, std::chrono::milliseconds interval)
    : store_(store),
      deliver_(std::move(deliver)),
      loop_("imap_poller", interval, [this] { return RunOnce(); }) {}

Result<int> ImapPoller::RunOnce() {
  CD_TRY_ASSIGN(auto accounts, store_.ChannelAccounts("email"));
  int taken = 0;
  for (const auto& listed : accounts) {
    auto account = ParseEmailAccount(listed.settings);
    if (!account || account->imap_url.empty()) continue;
    auto settings = store::ReadValue<std::optional<store::ChannelSettings>>(
        store_, listed.tenant, [](store::TenantTx& tx) { return tx.GetChannelSettings("email"); });
    if (!settings || !*settings) continue;
    net::ImapAccount imap;
    imap.url = account->imap_url;
    imap.username = account->smtp_username.empty() ? account->address : account->smtp_username;
    imap.password = (*settings)->secret;
    net::ImapSession session(std::move(imap));
    auto pending = session.Pending(net::ImapDate(account->imap_since));
    if (!pending) {
      log::Warn("imap_poll_failed",
                {{"tenant_id", listed.tenant.value}, {"error", pending.error().message}});
      continue;
    }
    for (std::uint64_t uid : *pending) {
      auto raw = session.Fetch(uid);
      if (!raw && raw.error().kind == ErrorKind::kNotFound) continue;  // expunged meanwhile
      LmtpVerdict verdict;
      if (!raw) {
        // Too large to take: refused for good, like the LMTP listener's 552.
        if (raw.error().kind != ErrorKind::kTooLarge) break;
        verdict.kind = LmtpVerdict::Kind::kRejected;
      } else {
        verdict = deliver_(listed.tenant, account->address, *raw);
      }
      if (verdict.kind == LmtpVerdict::Kind::kTemporary) break;  // the next poll tries again
      const bool stored = verdict.kind == LmtpVerdict::Kind::kDelivered;
      if (auto marked = session.Mark(
              uid, stored ? net::ImapSession::kStoredKeyword : net::ImapSession::kRefusedKeyword);
          !marked) {
        log::Warn("imap_flag_failed",
                  {{"tenant_id", listed.tenant.value}, {"error", marked.error().message}});
        break;
      }
      ++taken;
      log::Info("imap_message_taken", {{"tenant_id", listed.tenant.value}, {"stored", stored}});
    }
  }
  return taken;
}

}  // namespace caredesk::channels

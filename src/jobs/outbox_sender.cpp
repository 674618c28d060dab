#include "jobs/outbox_sender.hpp"

#include <algorithm>

#include "base/log.hpp"

namespace caredesk::jobs {

using store::OutboundOutcome;

bool AnswersThePatient(std::string_view purpose) {
  return purpose == "reply" || purpose == "verification_code";
}

OutboxSender::OutboxSender(store::Store& store, const Clock& clock,
                           std::map<std::string, OutboundGateway*> gateways,
                           OutboxSenderOptions options)
    : store_(store),
      clock_(clock),
      gateways_(std::move(gateways)),
      options_(options),
      loop_("outbox_sender", options_.interval, [this] { return RunOnce(); }) {}

Result<int> OutboxSender::RunOnce() {
  CD_TRY_ASSIGN(auto due, store_.DueOutbound(clock_.Now(), options_.batch));
  int attempted = 0;
  for (const auto& d : due) {
    Timestamp now = clock_.Now();
    std::optional<store::OutboxItem> item;
    auto claimed = store_.Write(d.tenant, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(item, tx.ClaimOutbound(d.id, now, options_.lease));
      return {};
    });
    if (!claimed || !item) continue;  // another node has it, or it is done
    OutboundOutcome outcome = Attempt(d.tenant, *item);
    auto finished = store_.Write(d.tenant, [&](store::TenantTx& tx) {
      return tx.FinishOutbound(d.id, item->attempts, outcome, clock_.Now());
    });
    const char* what = outcome.kind == OutboundOutcome::Kind::kSent     ? "outbound_sent"
                       : outcome.kind == OutboundOutcome::Kind::kFailed ? "outbound_failed"
                       : outcome.kind == OutboundOutcome::Kind::kHeld   ? "outbound_held"
                                                                        : "outbound_retry";
    log::Info(what, {{"tenant_id", d.tenant.value},
                     {"outbox_id", d.id},
                     {"channel", item->channel},
                     {"attempts", item->attempts},
                     {"error", outcome.error}});
    if (!finished) {
      // Not recorded: the claim was taken over by another sender (kConflict), or the store
      // failed and the claim runs out, after which the item counts as interrupted.
      log::Error("outbound_not_recorded", {{"tenant_id", d.tenant.value},
                                           {"outbox_id", d.id},
                                           {"code", ErrorKindName(finished.error().kind)}});
    }
    ++attempted;
  }
  return attempted;
}

OutboundOutcome OutboxSender::Attempt(TenantId tenant, const store::OutboxItem& item) {
  OutboundOutcome out;
  auto fail = [&](std::string why) {
    out.kind = OutboundOutcome::Kind::kFailed;
    out.error = std::move(why);
    return out;
  };
  auto gateway = gateways_.find(item.channel);
  if (gateway == gateways_.end()) return fail("this server has no sender for " + item.channel);
  std::string slug, time_zone, practice_name;
  bool opted_out = false;
  std::vector<store::Attachment> files;
  bool files_missing = false;
  auto settings = store::ReadValue<std::optional<store::ChannelSettings>>(
      store_, tenant, [&](store::TenantTx& tx) -> Result<std::optional<store::ChannelSettings>> {
        CD_TRY_ASSIGN(store::Tenant t, tx.GetTenant());
        slug = t.slug;
        time_zone = t.time_zone;
        practice_name = t.name;
        for (std::int64_t id : gateway->second->FilesOf(item.body)) {
          auto found = tx.GetAttachment(id);
          if (!found) {
            if (found.error().kind != ErrorKind::kNotFound) return found.error();
            files_missing = true;  // purged since it was queued
            continue;
          }
          if (found->second != item.conversation) {
            files_missing = true;  // never another conversation's file
            continue;
          }
          files.push_back(std::move(found->first));
        }
        if (item.channel == "sms") {
          CD_TRY_ASSIGN(auto consent, tx.GetSmsConsent(item.recipient));
          opted_out = consent && consent->opted_out;
        }
        return tx.GetChannelSettings(item.channel);
      });
  if (!settings) {
    out.kind = OutboundOutcome::Kind::kRetry;
    out.error = "settings could not be read";
    out.next_attempt_at = clock_.Now() + options_.first_retry;
    return out;
  }
  if (!*settings) return fail("no " + item.channel + " provider is set up for this practice");
  if (files_missing) return fail("a file to send with it is no longer kept; not sent");
  // Checked at every send, not only when queued: the STOP may have come in since. (The answer
  // to the STOP itself goes back in the webhook's own response, not through here.)
  if (opted_out) {
    return fail("the recipient opted out of text messages (STOP); not sent");
  }
  if (!AnswersThePatient(item.purpose)) {
    Timestamp earliest = gateway->second->EarliestSend(**settings, time_zone, clock_.Now());
    if (earliest > clock_.Now()) {
      out.kind = OutboundOutcome::Kind::kHeld;
      out.error = "held for the practice's quiet hours";
      out.next_attempt_at = earliest;
      return out;
    }
  }
  if (item.interrupted && !gateway->second->Deduplicates(**settings)) {
    return fail(
        "an earlier attempt was interrupted and its outcome is unknown; not sent again "
        "to avoid a duplicate");
  }
  OutboundMessage message;
  message.tenant = tenant;
  message.tenant_slug = slug;
  message.outbox_id = item.id;
  message.recipient = item.recipient;
  message.body = item.body;
  message.idempotency_key =
      "caredesk-" + std::to_string(tenant.value) + "-" + std::to_string(item.id);
  message.purpose = item.purpose;
  message.practice_name = practice_name;
  message.created_at = item.created_at;
  message.now = clock_.Now();
  message.files = std::move(files);
  SendResult sent = gateway->second->Send(message, **settings);
  switch (sent.kind) {
    case SendResult::Kind::kSent:
      out.kind = OutboundOutcome::Kind::kSent;
      out.provider_ref = sent.provider_ref;
      return out;
    case SendResult::Kind::kPermanent:
      return fail(sent.error);
    case SendResult::Kind::kUnknown:
      // Asking again could text the patient twice, unless the provider drops repeats.
      if (!gateway->second->Deduplicates(**settings)) {
        return fail(sent.error + "; the outcome is unknown, so it is not sent again");
      }
      break;
    case SendResult::Kind::kTransient:
      break;
  }
  if (item.attempts >= options_.max_attempts) {
    return fail(sent.error + "; gave up after " + std::to_string(item.attempts) + " attempts");
  }
  Millis delay = options_.first_retry;
  for (int i = 1; i < item.attempts && delay < options_.max_retry_delay; ++i) delay *= 2;
  out.kind = OutboundOutcome::Kind::kRetry;
  out.error = sent.error;
  out.next_attempt_at = clock_.Now() + std::min(delay, options_.max_retry_delay);
  return out;
}

}  // namespace caredesk::jobs

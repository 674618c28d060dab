#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <csignal>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "app/application.hpp"
#include "app/demo.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "channels/email/email.hpp"
#include "channels/sms/twilio.hpp"
#include "channels/voice/queue_log_import.hpp"
#include "core/inbox/patient.hpp"
#include "core/inbox/phone.hpp"
#include "http/api.hpp"
#include "core/tenancy/calendar.hpp"
#include "security/crypto.hpp"
#include "security/password.hpp"
#include "security/token.hpp"

namespace caredesk::app {
namespace {

int Fail(const Error& e) {
  std::cerr << "caredesk: " << e.message;
  if (!e.field.empty()) std::cerr << " (" << e.field << ")";
  std::cerr << "\n";
  return e.kind == ErrorKind::kInvalid ? 2 : 1;
}

void AddStorageFlags(CLI::App* cmd, Overrides& o) {
  cmd->add_option_function<std::string>(
      "--config", [&o](const std::string& v) { o.config_file = v; }, "JSON config file");
  cmd->add_option_function<std::string>(
      "--data", [&o](const std::string& v) { o.data_dir = v; },
      "data directory (env CAREDESK_DATA)");
  cmd->add_option_function<std::string>(
      "--database", [&o](const std::string& v) { o.database = v; },
      "sqlite:PATH or postgresql://... (env CAREDESK_DATABASE)");
  cmd->add_option_function<std::string>(
      "--master-key-file", [&o](const std::string& v) { o.master_key_file = v; },
      "the key that wraps the practices' encryption keys (env CAREDESK_MASTER_KEY_FILE); "
      "default DATA/master.key, created on first start");
  cmd->add_option_function<std::string>(
      "--previous-master-key-file", [&o](const std::string& v) { o.previous_master_key_file = v; },
      "while replacing the master key: the old one, which still opens what it wrapped (env "
      "CAREDESK_PREVIOUS_MASTER_KEY_FILE)");
}

void AddListenFlag(CLI::App* cmd, Overrides& o) {
  cmd->add_option_function<std::string>(
      "--listen", [&o](const std::string& v) { o.listen = v; },
      "HOST:PORT (env CAREDESK_LISTEN), default 127.0.0.1:8080");
  cmd->add_option_function<std::string>(
      "--lmtp", [&o](const std::string& v) { o.lmtp = v; },
      "HOST:PORT to take practices' mail over LMTP from an MTA such as Postfix (env "
      "CAREDESK_LMTP); none by default");
  cmd->add_option_function<std::string>(
      "--web-root", [&o](const std::string& v) { o.web_root = v; },
      "the built browser code, served at /widget.js (env CAREDESK_WEB_ROOT), default web/dist");
  cmd->add_option_function<std::string>(
      "--public-url", [&o](const std::string& v) { o.public_url = v; },
      "the address patients' browsers and providers use, e.g. https://desk.example-clinic.org "
      "(env CAREDESK_PUBLIC_URL); webhook signatures are checked against it");
}

Result<TenantId> TenantBySlug(store::Store& st, const std::string& slug) {
  CD_TRY_ASSIGN(auto t, st.FindTenantBySlug(slug));
  if (!t) return NotFound("no tenant with slug " + slug);
  return t->id;
}

Result<void> CreateTenant(store::Store& st, const std::string& slug, const std::string& name,
                          const std::string& tz, const std::string& hours) {
  bool slug_ok =
      slug.size() >= 2 && slug.size() <= 40 && std::all_of(slug.begin(), slug.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      });
  if (!slug_ok) return Invalid("slug must be 2 to 40 characters of a-z, 0-9 and '-'", "slug");
  if (Trim(name).empty()) return Invalid("name must not be empty", "name");
  CD_TRY_ASSIGN(auto weekly, core::ParseWeeklyHours(hours));
  CD_TRY(core::BusinessCalendar::Create(tz, weekly, {}));
  store::Tenant t;
  t.slug = slug;
  t.name = std::string(Trim(name));
  t.time_zone = tz;
  t.business_hours = core::FormatWeeklyHours(weekly);
  t.created_at = SystemClock().Now();
  CD_TRY_ASSIGN(t, st.CreateTenant(t));
  std::cout << "created tenant " << t.slug << " (id " << t.id.value << ")\n";
  return {};
}

Result<void> CreateUser(store::Store& st, const std::string& slug, const std::string& email_in,
                        const std::string& role_name, const std::string& display_name) {
  CD_TRY_ASSIGN(TenantId tenant, TenantBySlug(st, slug));
  CD_TRY_ASSIGN(std::string email, core::NormalizeEmail(email_in));
  auto role = core::ParseRole(role_name);
  if (!role) return Invalid("role must be agent, supervisor, counselor, admin or auditor", "role");
  std::string password((std::istreambuf_iterator<char>(std::cin)),
                       std::istreambuf_iterator<char>());
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
    password.pop_back();
  CD_TRY(security::CheckPasswordPolicy(password, email));
  CD_TRY_ASSIGN(std::string hash, security::HashPassword(password));
  store::User u;
  u.email = email;
  u.display_name = display_name.empty() ? email.substr(0, email.find('@')) : display_name;
  u.role = *role;
  u.created_at = SystemClock().Now();
  CD_TRY(st.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(u, tx.InsertUser(u, hash));
    return {};
  }));
  std::cout << "created user " << email << " (id " << u.id.value << ")\n";
  return {};
}

// Turns a user's two-factor sign-in off (a lost phone), drops their recovery codes and ends
// their sessions; at the next sign-in they set it up again. Audited as the command line's.
Result<void> ResetSecondFactor(store::Store& st, const std::string& slug,
                               const std::string& email_in) {
  CD_TRY_ASSIGN(TenantId tenant, TenantBySlug(st, slug));
  CD_TRY_ASSIGN(std::string email, core::NormalizeEmail(email_in, "user"));
  Timestamp now = SystemClock().Now();
  CD_TRY(st.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto user, tx.FindUserByEmail(email));
    if (!user) return NotFound("no such user in this tenant");
    CD_TRY(tx.ResetSecondFactor(user->id));
    CD_TRY(tx.RevokeSessionsOf(user->id, now));
    store::AuditRecord r;
    r.at = now;
    r.session = "cli";
    r.action = "reset";
    r.object_type = "second_factor";
    r.object_id = user->id.value;
    return tx.AppendAudit(std::move(r));
  }));
  std::cout << "two-factor sign-in reset for " << email
            << "; they set it up again at their next sign-in\n";
  return {};
}

// Rotates a practice's data key while servers keep running; exit 1 when values written under
// the old key during the rotation remain (run it again).
int RotateKeys(store::Store& st, const std::string& slug, int settle_seconds, bool index) {
  auto tenant = TenantBySlug(st, slug);
  if (!tenant) return Fail(tenant.error());
  if (index) {
    auto rotated = st.RotateIndexKey(*tenant, std::chrono::seconds(settle_seconds));
    if (!rotated) return Fail(rotated.error());
    std::cout << "tenant " << slug << ": index key " << rotated->new_version
              << " now indexes everything; " << rotated->resealed
              << " patients and messages re-indexed; older index keys deleted\n";
    return 0;
  }
  auto rotated = st.RotateDataKey(*tenant, std::chrono::seconds(settle_seconds));
  if (!rotated) return Fail(rotated.error());
  std::cout << "tenant " << slug << ": data key " << rotated->new_version << " now seals "
            << "everything; " << rotated->resealed << " values re-sealed";
  if (rotated->stale_left > 0) {
    std::cout << "; " << rotated->stale_left
              << " values still under an older key, which is kept: run it again\n";
    return 1;
  }
  std::cout << "; older data keys deleted\n";
  return 0;
}

// Writes a new random master key to `path` (mode 0600); refuses to overwrite a file.
int NewMasterKey(const std::string& path) {
  if (std::filesystem::exists(path)) {
    return Fail(Invalid("the file exists already; a key is never overwritten", "out"));
  }
  auto written = security::WriteKeyFile(path, security::SecretKey::Random());
  if (!written) return Fail(written.error());
  std::cout << "new master key written to " << path
            << "; give every node this file as master_key_file\n";
  return 0;
}

// Wraps every practice's keys with the (new) master key; see README, "Replacing the master key".
int RewrapKeys(store::Store& st) {
  auto rewrapped = st.RewrapKeys();
  if (!rewrapped) return Fail(rewrapped.error());
  std::cout << *rewrapped
            << " practice keys are now wrapped by the master key; the previous master key "
               "opens nothing any more\n";
  return 0;
}

// Full access ("*") unless `scopes` (comma-separated) narrows it.
Result<void> CreateToken(store::Store& st, const std::string& slug, const std::string& email_in,
                         const std::string& name, int expires_days, const std::string& scopes) {
  CD_TRY_ASSIGN(TenantId tenant, TenantBySlug(st, slug));
  CD_TRY_ASSIGN(std::string email, core::NormalizeEmail(email_in, "user"));
  std::string token = security::NewSecret("cdk_");
  Timestamp now = SystemClock().Now();
  std::optional<Timestamp> expires;
  if (expires_days > 0) expires = now + std::chrono::hours(24 * expires_days);
  CD_TRY(st.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto user, tx.FindUserByEmail(email));
    if (!user) return NotFound("no such user in this tenant");
    std::vector<std::string> list;
    for (std::string_view rest = scopes; !rest.empty();) {
      auto comma = rest.find(',');
      std::string_view one = Trim(rest.substr(0, comma));
      if (!one.empty() && one != "*" && !http::IsTokenScope(one)) {
        return Invalid("unknown scope in --scopes", "scopes");
      }
      if (!one.empty()) list.emplace_back(one);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    if (list.empty()) return Invalid("--scopes names no scope", "scopes");
    CD_TRY(tx.InsertScopedToken(user->id, security::HashSecret(token), name, list, now, expires));
    return {};
  }));
  std::cout << token << "\n";
  return {};
}

// Exit 0 only when every tenant's chain is intact.
int VerifyAudit(store::Store& st) {
  auto verified = st.VerifyAudit();
  if (!verified) return Fail(verified.error());
  if (verified->broken) {
    std::cerr << "caredesk: audit log broken: tenant " << verified->broken->tenant.value
              << ", record " << verified->broken->record_id << ": " << verified->broken->reason
              << "\n";
    return 1;
  }
  std::cout << "audit log intact: " << verified->records << " records\n";
  return 0;
}

// JSON lines, oldest first, of the records whose time falls on the UTC dates from..to.
Result<void> ExportAudit(store::Store& st, const std::string& slug, const std::string& from,
                         const std::string& to) {
  CD_TRY_ASSIGN(TenantId tenant, TenantBySlug(st, slug));
  auto day = [](const std::string& text, const char* field) -> Result<Timestamp> {
    auto t = ParseRfc3339(text + "T00:00:00Z");
    if (!t || text.size() != 10) return Invalid("dates are written YYYY-MM-DD", field);
    return *t;
  };
  CD_TRY_ASSIGN(Timestamp begin, day(from, "from"));
  CD_TRY_ASSIGN(Timestamp end, day(to, "to"));
  end += std::chrono::hours(24);
  std::int64_t after = 0;
  for (;;) {
    CD_TRY_ASSIGN(auto page, store::ReadValue<std::vector<store::AuditRecord>>(
                                 st, tenant, [&](store::TenantTx& tx) {
                                   return tx.AuditTrail(std::nullopt, after, 1000);
                                 }));
    if (page.empty()) return {};
    for (const store::AuditRecord& r : page) {
      after = r.id;
      if (r.at < begin || r.at >= end) continue;
      boost::json::object line{{"id", r.id},
                               {"at", FormatRfc3339(r.at)},
                               {"actor_id", r.actor.value},
                               {"session", r.session},
                               {"remote_address", r.remote_address},
                               {"action", r.action},
                               {"object_type", r.object_type},
                               {"object_id", r.object_id},
                               {"patient_id", r.patient.value},
                               {"detail", r.detail},
                               {"prev_hash", r.prev_hash},
                               {"hash", r.hash}};
      std::cout << boost::json::serialize(line) << "\n";
    }
  }
}

// The record of a command-line action on a patient, in the practice's audit chain.
store::AuditRecord CliAudit(std::string action, PatientId patient) {
  store::AuditRecord r;
  r.at = SystemClock().Now();
  r.session = "cli";
  r.action = std::move(action);
  r.object_type = "patient";
  r.object_id = patient.value;
  r.patient = patient;
  return r;
}

boost::json::value OptString(const std::optional<std::string>& s) {
  return s ? boost::json::value(boost::json::string(*s)) : boost::json::value(nullptr);
}

// Everything the practice holds about a patient, as one JSON document on standard output (a
// right-of-access request, or a transfer): the record, representatives, every conversation with
// its messages and events, and who accessed the record. Audited.
Result<void> ExportPatient(store::Store& st, const std::string& slug, std::int64_t id) {
  namespace json = boost::json;
  CD_TRY_ASSIGN(TenantId tenant, TenantBySlug(st, slug));
  PatientId patient{id};
  json::object out;
  CD_TRY(st.Read(tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(core::Patient p, tx.GetPatient(patient));
    out["patient"] = {{"id", p.id.value},
                      {"name", p.name},
                      {"date_of_birth", OptString(p.date_of_birth)},
                      {"phone", OptString(p.phone)},
                      {"email", OptString(p.email)},
                      {"language", p.language},
                      {"consent_sms", p.consent_sms},
                      {"consent_email", p.consent_email},
                      {"created_at", FormatRfc3339(p.created_at)},
                      {"updated_at", FormatRfc3339(p.updated_at)}};
    json::array reps;
    CD_TRY_ASSIGN(auto representatives, tx.Representatives(patient));
    for (const auto& r : representatives) {
      json::array scope;
      for (core::Disclosure d : r.scope) scope.emplace_back(core::Name(d));
      reps.emplace_back(json::object{{"id", r.id},
                                     {"name", r.name},
                                     {"relationship", r.relationship},
                                     {"date_of_birth", OptString(r.date_of_birth)},
                                     {"phone", OptString(r.phone)},
                                     {"email", OptString(r.email)},
                                     {"scope", std::move(scope)},
                                     {"revoked", r.revoked_at.has_value()}});
    }
    out["representatives"] = std::move(reps);
    json::array conversations;
    store::InboxFilter filter;
    filter.patient = patient;
    filter.limit = 200;
    for (;;) {
      CD_TRY_ASSIGN(store::InboxPage page, tx.ListConversations(filter));
      for (const store::InboxItem& item : page.items) {
        const core::Conversation& c = item.conversation;
        json::array messages, events;
        CD_TRY_ASSIGN(auto ms, tx.ListMessages(c.id));
        for (const core::Message& m : ms) {
          messages.emplace_back(json::object{{"id", m.id.value},
                                             {"kind", core::Name(m.kind)},
                                             {"channel", core::Name(m.channel)},
                                             {"from", m.sender},
                                             {"text", m.text},
                                             {"created_at", FormatRfc3339(m.created_at)}});
        }
        CD_TRY_ASSIGN(auto es, tx.ListEvents(c.id));
        for (const core::Event& e : es) {
          events.emplace_back(json::object{{"type", e.type}, {"at", FormatRfc3339(e.at)}});
        }
        conversations.emplace_back(json::object{{"id", c.id.value},
                                                {"channel", core::Name(c.channel)},
                                                {"status", core::Name(c.status)},
                                                {"queue", c.queue},
                                                {"category", core::Name(c.category)},
                                                {"created_at", FormatRfc3339(c.created_at)},
                                                {"messages", std::move(messages)},
                                                {"events", std::move(events)}});
      }
      if (!page.next_cursor) break;
      filter.cursor = page.next_cursor;
    }
    out["conversations"] = std::move(conversations);
    json::array accesses;
    CD_TRY_ASSIGN(auto log, tx.PatientAccessLog(patient, 0, 10000));
    for (const store::AuditRecord& r : log) {
      accesses.emplace_back(json::object{{"at", FormatRfc3339(r.at)},
                                         {"actor_id", r.actor.value},
                                         {"action", r.action},
                                         {"object_type", r.object_type},
                                         {"object_id", r.object_id}});
    }
    out["access_log"] = std::move(accesses);
    return {};
  }));
  CD_TRY(st.Write(
      tenant, [&](store::TenantTx& tx) { return tx.AppendAudit(CliAudit("export", patient)); }));
  std::cout << json::serialize(out) << "\n";
  return {};
}

// Erasure on request (TenantTx::ErasePatient); refuses without --yes.
Result<void> ErasePatient(store::Store& st, const std::string& slug, std::int64_t id, bool yes) {
  if (!yes) {
    return Invalid("erasing cannot be undone: add --yes (export the record first if it is needed)",
                   "yes");
  }
  CD_TRY_ASSIGN(TenantId tenant, TenantBySlug(st, slug));
  PatientId patient{id};
  CD_TRY(st.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(tx.ErasePatient(patient, SystemClock().Now()));
    return tx.AppendAudit(CliAudit("erase", patient));
  }));
  std::cout << "patient " << id << " erased: identifying details and message text removed; "
            << "ids, times and the audit trail kept\n";
  return {};
}

struct SmsChannelFlags {
  std::string number, account_sid, auth_token_file, api_base, help_contact, quiet_hours;
};

// Sets up (or replaces) a practice's Twilio-compatible SMS account, as PUT /settings/sms does.
// The auth token is read from a file so it never appears in the process list or shell history.
Result<void> AddSmsChannel(store::Store& st, const std::string& slug, const SmsChannelFlags& f) {
  CD_TRY_ASSIGN(TenantId tenant, TenantBySlug(st, slug));
  std::ifstream in(f.auth_token_file, std::ios::binary);
  if (!in) return Invalid("cannot read the auth token file", "auth-token-file");
  std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  secret = std::string(Trim(secret));
  if (secret.empty() || secret.size() > 256) {
    return Invalid("the auth token file must hold 1 to 256 characters", "auth-token-file");
  }
  CD_TRY_ASSIGN(std::string number, core::NormalizePhone(f.number, "1", "number"));
  boost::json::object settings{{"account_sid", f.account_sid},
                               {"from", number},
                               {"help_contact", f.help_contact},
                               {"quiet_hours", f.quiet_hours}};
  if (!f.api_base.empty()) settings["base_url"] = f.api_base;
  auto account = channels::ParseTwilioAccount(boost::json::serialize(settings));
  if (!account) {
    Error e = account.error();
    if (e.field == "base_url") e.field = "api-base";
    if (e.field == "account_sid") e.field = "account-sid";
    return e;
  }
  store::ChannelSettings s{"sms", channels::TwilioAccountJson(*account), secret};
  Timestamp now = SystemClock().Now();
  CD_TRY(st.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(tx.PutChannelSettings(s, now));
    store::AuditRecord r;
    r.at = now;
    r.session = "cli";
    r.action = "update";
    r.object_type = "settings";
    r.detail = "sms_provider";
    return tx.AppendAudit(std::move(r));
  }));
  std::cout << "SMS for " << slug << " goes through " << account->base_url << " from " << number
            << "; point the number's incoming-message webhook at "
            << "<public_url>/hooks/twilio/sms?tenant=" << slug << "\n";
  return {};
}

struct EmailChannelFlags {
  std::string address, smtp_url, imap_url, smtp_username, password_file, display_name;
};

// Sets up (or replaces) a practice's mail account, as PUT /settings/email does; the password is
// read from a file.
Result<void> AddEmailChannel(store::Store& st, const std::string& slug,
                             const EmailChannelFlags& f) {
  CD_TRY_ASSIGN(TenantId tenant, TenantBySlug(st, slug));
  std::string secret;
  if (!f.password_file.empty()) {
    std::ifstream in(f.password_file, std::ios::binary);
    if (!in) return Invalid("cannot read the password file", "password-file");
    secret.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.empty() || secret.size() > 256) {
      return Invalid("the password file must hold 1 to 256 characters", "password-file");
    }
  }
  if (!f.smtp_username.empty() && secret.empty()) {
    return Invalid("--smtp-username needs --password-file", "password-file");
  }
  boost::json::object settings{{"address", f.address},
                               {"smtp_url", f.smtp_url},
                               {"imap_url", f.imap_url},
                               {"smtp_username", f.smtp_username},
                               {"display_name", f.display_name}};
  auto account = channels::ParseEmailAccount(boost::json::serialize(settings));
  if (!account) {
    Error e = account.error();
    if (e.field == "smtp_url") e.field = "smtp";
    if (e.field == "imap_url") e.field = "imap";
    return e;
  }
  Timestamp now = SystemClock().Now();
  CD_TRY_ASSIGN(auto accounts, st.ChannelAccounts("email"));
  CD_TRY(channels::CheckAddressIsFree(accounts, tenant, account->address));
  CD_TRY_ASSIGN(auto stored, store::ReadValue<std::optional<store::ChannelSettings>>(
                                 st, tenant, [](store::TenantTx& tx) {
                                   return tx.GetChannelSettings("email");
                                 }));
  std::optional<channels::EmailAccount> before;
  if (stored) {
    if (auto parsed = channels::ParseEmailAccount(stored->settings)) before = *parsed;
  }
  channels::SetImapSince(*account, before, now);
  store::ChannelSettings s{"email", channels::EmailAccountJson(*account), secret};
  CD_TRY(st.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(tx.PutChannelSettings(s, now));
    store::AuditRecord r;
    r.at = now;
    r.session = "cli";
    r.action = "update";
    r.object_type = "settings";
    r.detail = "email_provider";
    return tx.AppendAudit(std::move(r));
  }));
  std::cout << "mail for " << slug << " goes out as " << account->address << " through "
            << account->smtp_url << "\n";
  return {};
}

std::atomic<bool> stop_import{false};

// `caredesk import queue-log`: reads (or follows) an Asterisk queue_log into a practice's calls.
// Malformed lines are reported on stderr by number, never quoted (they hold callers' numbers).
Result<void> ImportQueueLog(store::Store& st, const std::string& slug, const std::string& path,
                            bool follow) {
  CD_TRY_ASSIGN(TenantId tenant, TenantBySlug(st, slug));
  channels::QueueLogImportOptions options;
  options.follow = follow;
  options.stop = &stop_import;
  options.on_malformed = [](std::int64_t line, const std::string& why) {
    std::cerr << "line " << line << " skipped: " << why << "\n";
  };
  auto summary = [](const channels::QueueLogReport& r) {
    std::ostringstream out;
    out << r.lines << " lines read: " << r.intake.events_added << " events stored, "
        << r.intake.duplicates << " stored before, " << r.malformed << " malformed, " << r.skipped
        << " with nothing to count; " << r.intake.calls_changed << " calls recorded or changed, "
        << r.intake.callbacks_opened << " callbacks opened";
    return out.str();
  };
  std::int64_t reported = 0;  // lines told of so far; outlives the import that updates it
  if (follow) {
    std::signal(SIGINT, [](int) { stop_import = true; });
    std::signal(SIGTERM, [](int) { stop_import = true; });
    options.on_batch = [&](const channels::QueueLogReport& r) {
      if (r.lines == reported) return;
      reported = r.lines;
      std::cout << summary(r) << std::endl;
    };
  }
  SystemClock clock;
  CD_TRY_ASSIGN(auto report, channels::ImportQueueLog(st, tenant, path, options, clock));
  std::cout << summary(report) << "\n";
  return {};
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App cli{"CareDesk: the patient contact center"};
  cli.require_subcommand(1);
  Overrides o;

  auto* serve = cli.add_subcommand("serve", "serve the API (migrates first)");
  AddStorageFlags(serve, o);
  AddListenFlag(serve, o);
  auto* migrate = cli.add_subcommand("migrate", "apply database migrations and exit");
  AddStorageFlags(migrate, o);
  auto* demo =
      cli.add_subcommand("demo", "create the demo practice if absent, print how to sign in, serve");
  AddStorageFlags(demo, o);
  AddListenFlag(demo, o);

  auto* tenant = cli.add_subcommand("tenant", "manage tenants");
  tenant->require_subcommand(1);
  auto* tenant_create = tenant->add_subcommand("create", "create a tenant (a practice or group)");
  std::string slug, name, tz = "America/New_York", hours = "mon-fri 08:00-17:00";
  tenant_create->add_option("--slug", slug, "short id, a-z 0-9 -")->required();
  tenant_create->add_option("--name", name, "display name")->required();
  tenant_create->add_option("--time-zone", tz, "IANA time zone (default America/New_York)");
  tenant_create->add_option("--business-hours", hours,
                            "e.g. 'mon-fri 08:00-17:00; sat 09:00-12:00'");
  AddStorageFlags(tenant_create, o);

  auto* user = cli.add_subcommand("user", "manage staff users");
  user->require_subcommand(1);
  auto* user_create =
      user->add_subcommand("create", "create a user; the password is read from standard input");
  std::string email, role, display_name;
  user_create->add_option("--tenant", slug, "tenant slug")->required();
  user_create->add_option("--email", email, "sign-in email")->required();
  user_create->add_option("--role", role, "agent | supervisor | counselor | admin | auditor")
      ->required();
  user_create->add_option("--name", display_name, "display name");
  AddStorageFlags(user_create, o);
  auto* user_reset = user->add_subcommand(
      "reset-second-factor",
      "turn a user's two-factor sign-in off (lost phone) and end their sessions");
  user_reset->add_option("--tenant", slug, "tenant slug")->required();
  user_reset->add_option("--email", email, "the user's email")->required();
  AddStorageFlags(user_reset, o);

  auto* token = cli.add_subcommand("token", "manage API tokens");
  token->require_subcommand(1);
  auto* token_create =
      token->add_subcommand("create", "create a bearer token; prints it alone on stdout");
  std::string token_name = "cli";
  int expires_days = 0;
  token_create->add_option("--tenant", slug, "tenant slug")->required();
  token_create->add_option("--user", email, "the user's email")->required();
  token_create->add_option("--name", token_name, "label for the token");
  token_create->add_option("--expires-days", expires_days, "0 (default) never expires");
  std::string token_scopes = "*";
  token_create->add_option("--scopes", token_scopes,
                           "comma-separated, e.g. messages:write (default *: all the role allows)");
  AddStorageFlags(token_create, o);

  auto* keys = cli.add_subcommand("keys", "encryption keys of patient information");
  keys->require_subcommand(1);
  auto* keys_rotate = keys->add_subcommand(
      "rotate", "a new data key for a practice; re-seals its data while servers keep running");
  int settle_seconds = 6;
  keys_rotate->add_option("--tenant", slug, "tenant slug")->required();
  bool rotate_index = false;
  keys_rotate->add_flag("--index", rotate_index,
                        "rotate the blind-index key instead (re-indexes phones, emails, names and "
                        "message words)");
  keys_rotate
      ->add_option("--settle-seconds", settle_seconds,
                   "wait this long for running servers to take the new key (they look "
                   "every 5 s); default 6")
      ->check(CLI::Range(0, 3600));
  AddStorageFlags(keys_rotate, o);
  auto* keys_new_master = keys->add_subcommand(
      "new-master-key", "write a new master key file (for replacing the master key)");
  std::string key_out;
  keys_new_master->add_option("--out", key_out, "the file to create (mode 0600)")->required();
  auto* keys_rewrap = keys->add_subcommand(
      "rewrap",
      "after replacing the master key: wrap every practice's keys with the new one (give the "
      "old one as --previous-master-key-file)");
  AddStorageFlags(keys_rewrap, o);

  auto* channel = cli.add_subcommand("channel", "a practice's accounts with its channels");
  channel->require_subcommand(1);
  auto* channel_sms = channel->add_subcommand(
      "add-sms", "texting through a Twilio-compatible provider (replaces an existing account)");
  SmsChannelFlags sms;
  channel_sms->add_option("--tenant", slug, "tenant slug")->required();
  channel_sms->add_option("--number", sms.number, "the practice's number, E.164")->required();
  channel_sms->add_option("--account-sid", sms.account_sid, "the provider account")->required();
  channel_sms
      ->add_option("--auth-token-file", sms.auth_token_file,
                   "a file holding the account's auth token (sealed at rest once stored)")
      ->required();
  channel_sms->add_option("--api-base", sms.api_base,
                          "the provider's REST base URL (default https://api.twilio.com)");
  channel_sms->add_option("--help-contact", sms.help_contact,
                          "added to the answer to HELP, e.g. 'call 312-555-0100'");
  channel_sms->add_option("--quiet-hours", sms.quiet_hours,
                          "HH:MM-HH:MM local: texts the practice starts wait until they end");
  AddStorageFlags(channel_sms, o);
  auto* channel_email = channel->add_subcommand(
      "add-email", "mail through the practice's SMTP server (replaces an existing account)");
  EmailChannelFlags mail;
  channel_email->add_option("--tenant", slug, "tenant slug")->required();
  channel_email->add_option("--address", mail.address, "the practice's address (From)")->required();
  channel_email
      ->add_option("--smtp", mail.smtp_url,
                   "smtps://HOST[:465] or smtp://HOST[:587] (STARTTLS required off this machine)")
      ->required();
  channel_email->add_option("--imap", mail.imap_url, "imaps://HOST/MAILBOX to poll for mail");
  channel_email->add_option("--smtp-username", mail.smtp_username, "AUTH user name");
  channel_email->add_option("--password-file", mail.password_file,
                            "a file holding the mail password (sealed at rest once stored)");
  channel_email->add_option("--display-name", mail.display_name,
                            "shown beside the address (default: the practice's name)");
  AddStorageFlags(channel_email, o);

  auto* patient = cli.add_subcommand("patient", "privacy requests about one patient");
  patient->require_subcommand(1);
  std::int64_t patient_id = 0;
  bool erase_yes = false;
  auto* patient_export =
      patient->add_subcommand("export", "everything held about a patient, as JSON on stdout");
  patient_export->add_option("--tenant", slug, "tenant slug")->required();
  patient_export->add_option("--id", patient_id, "the patient's id")->required();
  AddStorageFlags(patient_export, o);
  auto* patient_erase = patient->add_subcommand(
      "erase", "remove what identifies a patient and what they said; keep ids and the audit trail");
  patient_erase->add_option("--tenant", slug, "tenant slug")->required();
  patient_erase->add_option("--id", patient_id, "the patient's id")->required();
  patient_erase->add_flag("--yes", erase_yes, "confirm: this cannot be undone");
  AddStorageFlags(patient_erase, o);

  auto* audit = cli.add_subcommand("audit", "the tamper-evident audit log");
  audit->require_subcommand(1);
  auto* audit_verify =
      audit->add_subcommand("verify", "recompute every hash chain; exit 0 only when intact");
  AddStorageFlags(audit_verify, o);
  auto* audit_export =
      audit->add_subcommand("export", "a tenant's records as JSON lines, for compliance review");
  std::string from, to;
  audit_export->add_option("--tenant", slug, "tenant slug")->required();
  audit_export->add_option("--from", from, "first UTC date, YYYY-MM-DD")->required();
  audit_export->add_option("--to", to, "last UTC date, YYYY-MM-DD")->required();
  AddStorageFlags(audit_export, o);

  auto* import = cli.add_subcommand("import", "bring in records from other systems");
  import->require_subcommand(1);
  auto* import_queue_log = import->add_subcommand(
      "queue-log",
      "Asterisk/FreePBX queue_log into a practice's calls; reading it again adds nothing");
  std::string queue_log_path;
  bool follow = false;
  import_queue_log->add_option("--tenant", slug, "tenant slug")->required();
  import_queue_log->add_flag("--follow", follow,
                             "keep reading as Asterisk appends, across log rotation, until "
                             "interrupted");
  import_queue_log->add_option("FILE", queue_log_path, "the queue_log file")->required();
  AddStorageFlags(import_queue_log, o);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message (or the help); its own codes (106 for a missing option) would
    // break the documented contract, where every usage error is 2.
    return cli.exit(e) == 0 ? 0 : 2;
  }

  if (auto init = security::Init(); !init) return Fail(init.error());
  if (*keys_new_master) return NewMasterKey(key_out);  // needs no database
  auto config = LoadConfig(o);
  if (!config) return Fail(config.error());
  log::SetMinLevel(config->log_level == "debug"   ? log::Level::kDebug
                   : config->log_level == "warn"  ? log::Level::kWarn
                   : config->log_level == "error" ? log::Level::kError
                                                  : log::Level::kInfo);
  auto store = OpenMigratedStore(*config);
  if (!store) return Fail(store.error());

  Result<void> done;
  if (*serve) return Serve(*config, std::move(*store));
  if (*migrate) {
    std::cout << "migrations applied\n";
    return 0;
  }
  if (*demo) {
    auto credentials = EnsureDemo(**store, *config, SystemClock().Now());
    if (!credentials) return Fail(credentials.error());
    PrintSignIn(*credentials, *config);
    return Serve(*config, std::move(*store));
  }
  if (*audit_verify) return VerifyAudit(**store);
  if (*keys_rotate) return RotateKeys(**store, slug, settle_seconds, rotate_index);
  if (*keys_rewrap) return RewrapKeys(**store);
  if (*tenant_create)
    done = CreateTenant(**store, slug, name, tz, hours);
  else if (*audit_export)
    done = ExportAudit(**store, slug, from, to);
  else if (*user_create)
    done = CreateUser(**store, slug, email, role, display_name);
  else if (*token_create)
    done = CreateToken(**store, slug, email, token_name, expires_days, token_scopes);
  else if (*user_reset)
    done = ResetSecondFactor(**store, slug, email);
  else if (*channel_sms)
    done = AddSmsChannel(**store, slug, sms);
  else if (*channel_email)
    done = AddEmailChannel(**store, slug, mail);
  else if (*patient_export)
    done = ExportPatient(**store, slug, patient_id);
  else if (*patient_erase)
    done = ErasePatient(**store, slug, patient_id, erase_yes);
  else if (*import_queue_log)
    done = ImportQueueLog(**store, slug, queue_log_path, follow);
  return done ? 0 : Fail(done.error());
}

}  // namespace caredesk::app

// The storage interface. Everything about one tenant happens inside a TenantTx, which can only
// be obtained from Store::Write or Store::Read for a given TenantId: no method of TenantTx takes
// a tenant, so an unscoped query cannot be written. Writes from concurrent callers are
// group-committed (many share one transaction and one fsync) and Write returns only after the
// commit. Store is thread-safe; a TenantTx is used by the thread that received it, only
// inside the callback.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"
#include "core/analytics/kpi.hpp"
#include "core/calls/call.hpp"
#include "core/identity/verification.hpp"
#include "core/inbox/conversation.hpp"
#include "core/inbox/patient.hpp"
#include "core/routing/routing.hpp"
#include "core/sla/policy.hpp"
#include "core/tenancy/calendar.hpp"

namespace caredesk::store {

struct Tenant {
  TenantId id;
  std::string slug;
  std::string name;
  std::string time_zone = "America/New_York";
  std::string business_hours = "mon-fri 08:00-17:00";
  std::vector<std::string> holidays;  // "YYYY-MM-DD" local dates
  // Staff must sign in with a second factor (TOTP or a recovery code) besides the password.
  bool require_second_factor = true;
  // Conversation content (message text, senders) is purged this long after the conversation
  // was last active, once it is resolved or closed. Six years by default.
  int retention_days = 2190;
  Timestamp created_at{};
};

struct Location {
  LocationId id;
  std::string name;
  std::string address;
  std::string business_hours;         // in the tenant's time zone; "" means the tenant's
  std::vector<std::string> holidays;  // "YYYY-MM-DD" local dates the location is closed
};

struct User {
  UserId id;
  std::string email;
  std::string display_name;
  core::Role role = core::Role::kAgent;
  std::vector<std::string> languages;  // e.g. {"en", "es"}
  std::vector<std::string> queues;     // queues the user serves
  // The names the phone system logs this person's calls under (queue_log's agent field, or a
  // call record's "agent"), e.g. {"PJSIP/201", "Local/201@from-queue"}: their calls then count
  // as theirs in the figures, the staffing advisor and wellbeing. Unique within the practice.
  std::vector<std::string> phone_agents;
  bool active = true;
  Timestamp created_at{};
  // The identity provider's "iss sub" this user signs in as (see OidcProvider); "" if none yet.
  std::string oidc_subject;
};

// A practice's OpenID Connect identity provider: staff sign in with the practice's own accounts
// (Entra ID, Google Workspace, Okta, Keycloak). A user is matched by the provider's subject once
// linked, the first time by a verified email equal to their CareDesk email.
struct OidcProvider {
  bool enabled = false;
  std::string issuer;  // https URL; the discovery document is at issuer/.well-known/...
  std::string client_id;
  std::string client_secret;  // sealed at rest
  // When the practice requires a second factor, a provider sign-in counts only if the ID token's
  // "amr" says the provider checked one ("mfa", RFC 8176). Off: provider sign-ins are refused
  // there, and staff use their password and TOTP.
  bool accept_provider_mfa = true;
};

// One entry of the tamper-evident audit log: who read or changed what, when, from where and
// under which session. PHI-free by construction: ids, names of actions and fields, never
// values. Records of one tenant form a hash chain (see TenantTx::AppendAudit).
struct AuditRecord {
  std::int64_t id = 0;
  Timestamp at{};
  UserId actor;                 // 0: the system (the SLA timer, the command line)
  std::string session;          // "s:" + 16 hex of a cookie session, "t:" + of an API token
  std::string remote_address;   // the client's IP address
  std::string action;           // read, create, update, ...
  std::string object_type;      // conversation, conversation_list, patient, patient_list, ...
  std::int64_t object_id = 0;   // 0 for lists
  PatientId patient;            // whose information, when it is one patient's
  std::string detail;           // what exactly: the command, the fields, the ids listed
  std::string prev_hash, hash;  // set by AppendAudit: hex SHA-256, "" before the first
};

// The result of walking every tenant's audit chain.
struct AuditVerification {
  std::int64_t records = 0;
  struct Break {
    TenantId tenant;
    std::int64_t record_id = 0;  // the first record that does not fit the chain
    std::string reason;
  };
  std::optional<Break> broken;
};

// A signed-in browser session as its user (or an admin) may see it: never the secret.
struct SessionInfo {
  std::int64_t id = 0;
  UserId user;
  Timestamp created_at{}, last_seen_at{}, expires_at{};
  std::string remote_address;
  std::string user_agent;
  bool second_factor_pending = false;  // signed in with the password, second factor not set up
};

struct NewSession {
  UserId user;
  std::string id_hash;  // HashSecret of the cookie's value
  std::string csrf_token;
  Timestamp now{}, expires_at{};
  std::string remote_address;
  std::string user_agent;
  bool second_factor_pending = false;
};

// An API token as it is listed: never the secret.
struct TokenInfo {
  std::int64_t id = 0;
  UserId user;
  std::string name;
  std::vector<std::string> scopes;  // {"*"}: everything the user's role allows
  Timestamp created_at{};
  std::optional<Timestamp> expires_at, revoked_at;
};

// A user's TOTP state. The secret is set when enrollment starts and is used once enabled.
struct SecondFactor {
  std::string totp_secret;  // base32; "" when never started
  bool enabled = false;
  std::int64_t last_step = 0;  // the newest 30-second step used, so a code works only once
};

// Who is calling, resolved from a session cookie or bearer token.
struct Principal {
  TenantId tenant;
  UserId user;
  core::Role role = core::Role::kAgent;
  std::string session_id_hash;                // set for cookie sessions
  std::string csrf_token;                     // set for cookie sessions
  Timestamp session_last_seen{};              // set for cookie sessions
  std::optional<Timestamp> token_expires_at;  // set for API tokens that expire
  std::string credential_ref;                 // AuditRecord::session of this caller
  std::vector<std::string> queues;            // the queues the user serves
  std::vector<std::string> scopes{"*"};       // a token's scopes; "*" for sessions
  std::int64_t session_id = 0;                // set for cookie sessions
  bool second_factor_pending = false;         // a session that must set up TOTP first
};

struct InboxFilter {
  std::optional<core::Status> status;
  std::optional<std::string> queue;
  std::optional<UserId> assignee;  // UserId{0}: unassigned
  std::optional<core::Channel> channel;
  std::optional<core::Category> category;
  std::optional<std::string> sla;  // "at_risk", "breached", or "at_risk_or_breached"
  std::optional<PatientId> patient;
  std::vector<std::string> search_tokens;  // every token must appear in the conversation
  std::vector<std::string> within_queues;  // when not empty, only these queues
  enum class Sort { kRecent, kTimeLeft } sort = Sort::kRecent;
  int limit = 50;                     // 1..200
  std::optional<std::string> cursor;  // from a previous page
};

struct InboxItem {
  core::Conversation conversation;
  std::string patient_name;
  std::string sla_state;
  std::optional<Timestamp> sla_due_at;
};

struct InboxPage {
  std::vector<InboxItem> items;
  std::optional<std::string> next_cursor;
};

// An inbound message's patient information sealed and indexed before its write, on the
// caller's thread, so that the one writer thread does not spend its time on cryptography (see
// Store::SealAhead). Opaque to callers.
struct SealedMessage {
  int key_version = 0;
  std::string sender, body, metadata;
  std::vector<std::string> word_indexes;
};

// An outbound message waiting for its channel's sender (issue #5 sends them). The recipient and
// body are sealed at rest.
struct OutboxItem {
  std::int64_t id = 0;
  ConversationId conversation;
  std::string channel;    // "sms" or "email"
  std::string recipient;  // E.164 or email
  std::string body;
  std::string purpose;  // "verification_code", "reply", ...
  MessageId message;    // the conversation's message this sends (0: none, e.g. a code)
  // queued (waiting for its next attempt), sending (claimed by a sender), sent, failed.
  std::string state = "queued";
  Timestamp created_at{};
  int attempts = 0;          // sends tried, this one included once claimed
  bool interrupted = false;  // claimed before, and that sender never recorded the outcome
  std::string provider_ref;  // the provider's id for the sent message
  std::string last_error;    // PHI-free: the provider's error code and kind
};

// How an attempt to send an outbox item ended (see TenantTx::FinishOutbound).
struct OutboundOutcome {
  // kHeld: not attempted (quiet hours); due again at next_attempt_at, the attempt not counted.
  enum class Kind { kSent, kRetry, kFailed, kHeld } kind = Kind::kSent;
  std::string provider_ref;     // kSent
  std::string error;            // kRetry, kFailed: PHI-free
  Timestamp next_attempt_at{};  // kRetry, kHeld
};

// A practice's account with a channel's provider ("sms": a Twilio-compatible provider).
// `settings` is a JSON object of the non-secret fields; `secret` (an auth token, a password)
// is sealed at rest.
struct ChannelSettings {
  std::string channel;
  std::string settings = "{}";
  std::string secret;
};

// A file a patient sent with a message (a picture by text, a file or inline image in mail).
struct Attachment {
  std::int64_t id = 0;
  MessageId message;
  std::string filename;      // as the sender named it; "" if they did not
  std::string content_type;  // "image/jpeg"
  std::int64_t size = 0;     // bytes
  std::string content;       // the bytes; empty in listings
};

// A number's answer to "may we text you": a STOP keyword opts it out, START opts it back in.
struct SmsConsent {
  bool opted_out = false;
  std::string keyword;  // the word that changed it, upper case ("STOP", "ALTO", "START")
  Timestamp changed_at{};
};

// An agent's stated availability for live chat. `seen_at`: the last sign of life from their
// console; an agent not seen for a while counts as offline, so the widget never says someone is
// there when their browser has gone.
struct AgentPresence {
  UserId user;
  core::AgentStatus status = core::AgentStatus::kOffline;
  int max_chats = core::kDefaultMaxChats;
  Timestamp changed_at{};  // when the status last changed
  Timestamp idle_since{};  // when their load last changed or they became available
  Timestamp seen_at{};
};

// A stretch of time an agent's console showed one status, kept for the staffing advisor and
// wellbeing: PutPresence extends the agent's latest span while the status is unchanged and the
// console keeps checking in, and starts a new one otherwise (see core::NextPresenceSpan).
struct PresenceSpan {
  std::int64_t id = 0;
  UserId user;
  core::AgentStatus status = core::AgentStatus::kOffline;
  Timestamp from{}, to{};
};

// One live chat from the website's widget, beside the conversation it feeds. The patient holds
// a secret for it (only its hash is kept), which lets them write and read this chat only.
struct Chat {
  std::int64_t id = 0;
  ConversationId conversation;
  std::string visitor_hash;  // HashSecret of the patient's chat secret
  std::string visitor_id;    // the patient record's visitor id ("chat-...")
  std::string language;      // "en", "es"
  std::string queue;
  // waiting (for an agent; perhaps offered to one), active (an agent took it), ended (after an
  // agent took it), abandoned (the patient left before anyone did), offline (nobody could take it
  // live: it waits as a conversation with its SLA for an answer by text or mail).
  std::string state = "waiting";
  Timestamp started_at{};
  UserId offered_to;  // 0: not offered now
  std::optional<Timestamp> offer_expires_at;
  std::vector<UserId> passed_over;       // agents who declined it or let an offer run out
  UserId agent;                          // who took it
  std::optional<Timestamp> answered_at;  // when an agent took it
  std::optional<Timestamp> ended_at;
  std::string end_reason;  // patient_left, agent_ended, resolved, no_agent, after_hours, ...
  MessageId patient_seen, agent_seen;  // the newest message each side has seen
  Timestamp patient_seen_at{};         // the patient's last sign of life
};

// One line of a phone system's queue log as stored: what happened, to which call, never the
// caller's number (the event names the patient it belongs to instead). `key` identifies the
// line, so reading a log again adds nothing.
struct PhoneEvent {
  std::string key;       // hex digest of the line's fields (see jobs/calls)
  std::string call_ref;  // the call's id; "" for an agent's own events (login, pause)
  std::string queue;
  // enter, connect, complete, transfer, abandon, timeout, empty, key, ring_no_answer (a call's);
  // agent_login, agent_logoff, pause, unpause (an agent's)
  std::string kind;
  Timestamp at{};
  std::string agent;
  std::optional<int> wait_seconds, talk_seconds;
  std::string exit_key;
  PatientId patient;  // enter: the caller, when their number was given
};

// A call as the KPIs and the patient's history read it, from a queue log (`source` "queue_log")
// or posted whole by a phone system ("api"). Unique per source and reference.
struct CallRecord {
  std::int64_t id = 0;
  std::string source;
  core::Call call;
  ConversationId conversation;  // the callback task opened for it, if any
  Timestamp updated_at{};
};

struct CallFilter {
  std::optional<PatientId> patient;
  std::optional<Timestamp> from, to;  // entered_at in [from, to)
  std::int64_t before_id = 0;         // paging, newest first: ids below this (0: from the newest)
  int limit = 50;
};

// KPI rollups, kept by jobs/kpi_rollup and read by the reports. A fact row is what one
// conversation or call adds to its cell, with what finding recontacts needs.
struct KpiFactRow {
  std::string key;  // "conversation:ID" or "call:ID"
  PatientId patient;
  core::Cell cell;
  std::string tally;  // core::EncodeTally of the fact's own tally
  Timestamp created_at{};
  std::optional<Timestamp> resolved_at;
  bool staff_initiated = false;
  bool recontacted = false;
};

struct KpiCellRow {
  core::Grain grain = core::Grain::kDay;
  core::Cell cell;  // projected to the grain
  std::string tally;
};

struct KpiCellQuery {
  core::Grain grain = core::Grain::kDay;
  std::int32_t from_day = 0, to_day = 0;  // local days, inclusive
  std::optional<std::string> channel, queue, agent, category, location, policy;
  std::optional<int> hour;
};

// The open backlog on a local day, as the rollup saw it: at its last change that day, and at its
// highest.
struct BacklogDay {
  std::int32_t day = 0;
  std::int64_t open = 0;
  std::int64_t peak = 0;
};

// How far the rollup has read: events after this id, calls changed after this (time, id).
struct KpiProgress {
  std::int64_t events_after = 0;
  Timestamp calls_after{};
  std::int64_t calls_after_id = 0;
  // With several writers (PostgreSQL) a transaction that took a lower id may commit after a
  // higher one was read. What the last pass read beyond the marks above is pending until every
  // transaction begun before `horizon` has ended (see TenantTx::WriteHorizon); 0: none pending.
  std::int64_t events_read = 0;
  Timestamp calls_read{};
  std::int64_t calls_read_id = 0;
  std::uint64_t horizon = 0;
};

struct IdempotentReply {
  std::string request_hash;
  int status = 0;
  std::string body;
};

class TenantTx {
 public:
  virtual ~TenantTx() = default;
  virtual TenantId tenant() const = 0;

  virtual Result<Tenant> GetTenant() = 0;
  // Business calendar of the tenant (hours, holidays, time zone).
  virtual Result<core::BusinessCalendar> Calendar() = 0;
  virtual Result<std::vector<core::SlaPolicy>> SlaPolicies() = 0;
  virtual Result<core::SlaPolicy> InsertSlaPolicy(core::SlaPolicy policy) = 0;
  // kNotFound when the policy is not this tenant's.
  virtual Result<void> UpdateSlaPolicy(const core::SlaPolicy& policy) = 0;
  virtual Result<void> DeleteSlaPolicy(std::int64_t id) = 0;
  // Name, time zone, business hours and holidays; the slug and id never change.
  virtual Result<void> UpdateTenantSettings(const Tenant& settings) = 0;
  virtual Result<Location> InsertLocation(Location location) = 0;
  virtual Result<void> UpdateLocation(const Location& location) = 0;  // kNotFound if foreign
  virtual Result<std::vector<Location>> Locations() = 0;
  // Every conversation whose SLA clocks may still run (status other than closed), by id.
  virtual Result<std::vector<ConversationId>> UnclosedConversations() = 0;

  virtual Result<User> InsertUser(User user, std::string password_hash) = 0;
  virtual Result<User> GetUser(UserId id) = 0;
  virtual Result<std::optional<User>> FindUserByEmail(std::string_view email) = 0;
  virtual Result<std::optional<User>> FindUserByOidcSubject(std::string_view subject) = 0;
  // Links `user` to an identity provider's subject ("" unlinks); kConflict if another user of
  // the tenant has it.
  virtual Result<void> SetOidcSubject(UserId user, std::string_view subject) = 0;
  // The practice's identity provider, if one was ever set; Put replaces it.
  virtual Result<std::optional<OidcProvider>> GetOidcProvider() = 0;
  virtual Result<void> PutOidcProvider(const OidcProvider& provider, Timestamp now) = 0;
  // Every user of the tenant, by id.
  virtual Result<std::vector<User>> ListUsers() = 0;
  // Stores display name, role, languages, queues and active; the email and id never change.
  // kNotFound for another tenant's user.
  virtual Result<void> UpdateUser(const User& user) = 0;
  virtual Result<std::string> PasswordHashOf(UserId user) = 0;
  virtual Result<void> SetPasswordHash(UserId user, std::string hash) = 0;
  // Revokes every token of `user` (their account was deactivated).
  virtual Result<void> RevokeTokensOf(UserId user, Timestamp now) = 0;
  // Ends every session of `user` except `keep_hash` (after a password change).
  virtual Result<void> RevokeOtherSessions(UserId user, std::string_view keep_hash,
                                           Timestamp now) = 0;
  // Stores the SHA-256 hex of a new bearer token; kNotFound for an unknown user.
  virtual Result<void> InsertApiToken(UserId user, std::string token_hash, std::string name,
                                      Timestamp now, std::optional<Timestamp> expires_at) = 0;
  // A token limited to `scopes` (see TokenInfo).
  virtual Result<TokenInfo> InsertScopedToken(UserId user, std::string token_hash, std::string name,
                                              std::vector<std::string> scopes, Timestamp now,
                                              std::optional<Timestamp> expires_at) = 0;
  // Tokens of `user` (every user's when nullopt), newest first, revoked ones included.
  virtual Result<std::vector<TokenInfo>> ListTokens(std::optional<UserId> user) = 0;
  // Revokes token `id`; when `owner` is set, only if it is theirs. Returns the token's hash
  // (to forget cached verifications); kNotFound if there is no such token.
  virtual Result<std::string> RevokeToken(std::int64_t id, std::optional<UserId> owner,
                                          Timestamp now) = 0;
  virtual Result<std::int64_t> InsertSession(const NewSession& session) = 0;  // the session's id
  virtual Result<void> RevokeSession(std::string_view session_hash, Timestamp now) = 0;
  virtual Result<void> TouchSession(std::string_view session_hash, Timestamp now) = 0;
  // Sessions of `user` (every user's when nullopt) that are neither ended nor expired at `now`.
  virtual Result<std::vector<SessionInfo>> ListSessions(std::optional<UserId> user,
                                                        Timestamp now) = 0;
  // Ends session `id`; when `owner` is set, only if it is theirs. kNotFound otherwise.
  virtual Result<void> RevokeSessionById(std::int64_t id, std::optional<UserId> owner,
                                         Timestamp now) = 0;
  // Ends the user's sessions beyond the `keep` newest live ones (the cap on concurrent sessions).
  virtual Result<void> RevokeSessionsBeyond(UserId user, int keep, Timestamp now) = 0;
  // Ends every session of `user` (after the second factor is reset, for instance).
  virtual Result<void> RevokeSessionsOf(UserId user, Timestamp now) = 0;
  // The session has set up its second factor: it may now do what its role allows.
  virtual Result<void> CompleteSecondFactor(std::string_view session_hash) = 0;

  // Second factor. StartTotp stores a new secret (replacing one not yet enabled); EnableTotp
  // turns it on. UseTotpStep records `step` as used and answers false when it or a later step
  // was used already (a replayed code). ResetSecondFactor turns TOTP off and drops the
  // recovery codes (an admin's recovery of a lost phone).
  virtual Result<SecondFactor> GetSecondFactor(UserId user) = 0;
  virtual Result<void> StartTotp(UserId user, std::string secret) = 0;
  virtual Result<void> EnableTotp(UserId user) = 0;
  virtual Result<bool> UseTotpStep(UserId user, std::int64_t step) = 0;
  virtual Result<void> ResetSecondFactor(UserId user) = 0;
  // Replaces the user's recovery codes with these (hashes of single-use codes).
  virtual Result<void> ReplaceRecoveryCodes(UserId user, const std::vector<std::string>& hashes,
                                            Timestamp now) = 0;
  // Marks an unused code as used; false when there is no such unused code.
  virtual Result<bool> UseRecoveryCode(UserId user, std::string_view code_hash, Timestamp now) = 0;
  virtual Result<int> UnusedRecoveryCodes(UserId user) = 0;

  // Patients. Get/Update answer kNotFound for ids of other tenants.
  virtual Result<core::Patient> InsertPatient(core::Patient p) = 0;
  virtual Result<core::Patient> GetPatient(PatientId id) = 0;
  virtual Result<void> UpdatePatient(const core::Patient& p) = 0;
  virtual Result<std::optional<core::Patient>> FindPatientByPhone(std::string_view e164) = 0;
  virtual Result<std::optional<core::Patient>> FindPatientByEmail(std::string_view email) = 0;
  virtual Result<std::optional<core::Patient>> FindPatientByVisitor(std::string_view visitor) = 0;
  // The id alone, without opening the sealed record (the inbound path needs no more).
  enum class Contact { kPhone, kEmail, kVisitor };
  virtual Result<std::optional<PatientId>> FindPatientId(Contact kind, std::string_view value) = 0;
  // Search by name substring, exact phone or exact email; `after` is the last id of the
  // previous page.
  virtual Result<std::vector<core::Patient>> SearchPatients(std::string_view name_fragment,
                                                            std::optional<std::string> phone,
                                                            std::optional<std::string> email,
                                                            PatientId after, int limit) = 0;

  // Appends `record` to this tenant's audit chain: prev_hash is the hash of the tenant's latest
  // record ("" for the first) and hash = SHA-256 over prev_hash and every field. Changing,
  // removing or reordering a stored record breaks the chain at that point (Store::VerifyAudit).
  virtual Result<void> AppendAudit(AuditRecord record) = 0;
  // The same for several records, in order, with one look-up of the chain's end.
  virtual Result<void> AppendAudits(std::vector<AuditRecord>& records) = 0;
  // This tenant's records, oldest first, after `after_id`; only those about `patient` if set.
  virtual Result<std::vector<AuditRecord>> AuditTrail(std::optional<PatientId> patient,
                                                      std::int64_t after_id, int limit) = 0;
  // Who saw or changed `patient`'s information, newest first, before `before_id` (0: from the
  // newest): the records about the patient and the lists that showed them.
  virtual Result<std::vector<AuditRecord>> PatientAccessLog(PatientId patient,
                                                            std::int64_t before_id, int limit) = 0;

  // Identity verification (core/identity). Update and GetRepresentative answer kNotFound for
  // another tenant's ids.
  virtual Result<core::Verification> InsertVerification(core::Verification v) = 0;
  virtual Result<void> UpdateVerification(const core::Verification& v) = 0;
  // The conversation's newest verification, if any.
  virtual Result<std::optional<core::Verification>> LatestVerification(ConversationId c) = 0;
  // Verifications flagged as possible social engineering, newest first, before `before_id`
  // (0: from the newest).
  virtual Result<std::vector<core::Verification>> FlaggedVerifications(std::int64_t before_id,
                                                                       int limit) = 0;
  virtual Result<core::Representative> InsertRepresentative(core::Representative r) = 0;
  virtual Result<core::Representative> GetRepresentative(std::int64_t id) = 0;
  virtual Result<std::vector<core::Representative>> Representatives(PatientId patient) = 0;
  virtual Result<void> RevokeRepresentative(std::int64_t id, Timestamp now) = 0;
  // Erasure on request: removes everything that identifies the patient or that they said
  // (name, birth date, contacts, message text and senders, indexes, representatives, queued
  // messages) and keeps the ids, times, states and events that carry none, so figures and the
  // audit trail stay whole. kNotFound for another tenant's patient.
  virtual Result<void> ErasePatient(PatientId patient, Timestamp now) = 0;
  // Purges the content of at most `limit` resolved or closed conversations last changed before
  // `cutoff` (message text and senders, word indexes, queued messages), keeping ids, times,
  // states and events; each purge is audited. Returns how many were purged.
  virtual Result<int> PurgeConversationsBefore(Timestamp cutoff, int limit, Timestamp now) = 0;
  virtual Result<std::int64_t> QueueOutbound(const OutboxItem& item) = 0;
  // Queued outbound messages, oldest first.
  virtual Result<std::vector<OutboxItem>> PendingOutbound(int limit) = 0;
  // Claims item `id` for sending if it is due at `now`: state sending, one more attempt, due
  // again at now + `lease` (when a sender that died would have finished). nullopt when it is
  // not due (another sender has it, or it is done).
  virtual Result<std::optional<OutboxItem>> ClaimOutbound(std::int64_t id, Timestamp now,
                                                          Millis lease) = 0;
  // Records the outcome of attempt `claimed_attempt` (OutboxItem::attempts as claimed); a
  // failure appends an "outbound_failed" event to the item's conversation, so the agent sees
  // it. kConflict when the claim was lost (it ran out and another sender took the item).
  virtual Result<void> FinishOutbound(std::int64_t id, int claimed_attempt,
                                      const OutboundOutcome& outcome, Timestamp now) = 0;
  // What the provider later reported of a message it accepted (`provider_ref`): delivered,
  // undelivered, ... A status ranked below the one stored is ignored (`rank` orders them). An
  // undelivered or failed message becomes failed, with an "outbound_failed" event carrying
  // `error`. false when no message of the channel has that reference.
  virtual Result<bool> RecordDeliveryStatus(std::string_view channel, std::string_view provider_ref,
                                            std::string_view status,
                                            const std::function<int(std::string_view)>& rank,
                                            std::string_view error, Timestamp now) = 0;
  // The conversation of the message sent through `channel` with the provider's reference
  // `provider_ref` (for email, our Message-ID), if any.
  virtual Result<std::optional<ConversationId>> FindOutboundConversation(
      std::string_view channel, std::string_view provider_ref) = 0;
  virtual Result<std::optional<ChannelSettings>> GetChannelSettings(std::string_view channel) = 0;
  virtual Result<void> PutChannelSettings(const ChannelSettings& settings, Timestamp now) = 0;
  // The consent of an E.164 number (nullopt: it never sent a keyword). Kept when a patient is
  // erased: an opt-out must outlive the record, or erasure would start texting them again.
  virtual Result<std::optional<SmsConsent>> GetSmsConsent(std::string_view e164) = 0;
  virtual Result<void> PutSmsConsent(std::string_view e164, const SmsConsent& consent) = 0;

  // Live chat. Presence is nullopt for an agent who never set one (offline).
  virtual Result<std::optional<AgentPresence>> GetPresence(UserId user) = 0;
  virtual Result<void> PutPresence(const AgentPresence& presence) = 0;
  // The spans overlapping [from, to), by user and start; at most 200,000.
  virtual Result<std::vector<PresenceSpan>> PresenceSpans(Timestamp from, Timestamp to) = 0;
  // Every active staff member as routing sees them: status (offline unless seen at or after
  // `seen_after`), capacity, skills (languages, queues) and the chats they hold or are offered.
  virtual Result<std::vector<core::AgentLoad>> AgentLoads(Timestamp seen_after) = 0;
  virtual Result<Chat> InsertChat(Chat chat) = 0;
  // kNotFound when the chat is not this tenant's.
  virtual Result<Chat> GetChat(std::int64_t id) = 0;
  // In a write, locks the row until commit (see GetConversation).
  virtual Result<std::optional<Chat>> FindChatByVisitor(std::string_view visitor_hash) = 0;
  // The newest chat of a conversation, if it came through the widget.
  virtual Result<std::optional<Chat>> ChatOfConversation(ConversationId conversation) = 0;
  // Stores everything but the id, conversation, visitor and start. kNotFound if foreign.
  virtual Result<void> UpdateChat(const Chat& chat) = 0;
  // Chats waiting or active, oldest first.
  virtual Result<std::vector<Chat>> OpenChats() = 0;
  // Chats an agent answered at or after `since`, ended or not, by id; at most 100,000.
  virtual Result<std::vector<Chat>> ChatsAnsweredSince(Timestamp since) = 0;
  // How long chats that an agent took and that ended since `since` lasted on average; 0 when
  // there were none.
  virtual Result<Millis> MeanChatDuration(Timestamp since) = 0;

  // Phone calls. InsertPhoneEvent answers false, storing nothing, when an event with the same
  // key is stored already.
  virtual Result<bool> InsertPhoneEvent(const PhoneEvent& event) = 0;
  // The events of call `call_ref`, oldest first.
  virtual Result<std::vector<PhoneEvent>> PhoneEventsOfCall(std::string_view call_ref) = 0;
  // The agents' own events (login, logoff, pause, unpause) in [from, to), in time order; at
  // most 200,000.
  virtual Result<std::vector<PhoneEvent>> AgentPhoneEvents(Timestamp from, Timestamp to) = 0;
  // In a write, locks the row until commit (see GetConversation).
  virtual Result<std::optional<CallRecord>> FindCall(std::string_view source,
                                                     std::string_view ref) = 0;
  // Inserts the call, or replaces the stored one of the same source and reference (keeping its
  // id); returns it with its id.
  virtual Result<CallRecord> PutCall(CallRecord record) = 0;
  // Calls newest first (by id).
  virtual Result<std::vector<CallRecord>> ListCalls(const CallFilter& filter) = 0;

  // KPI rollups (see KpiFactRow). PutKpiCell with an empty tally deletes the cell.
  virtual Result<std::optional<KpiFactRow>> GetKpiFact(std::string_view key) = 0;
  virtual Result<void> PutKpiFact(const KpiFactRow& row) = 0;
  virtual Result<std::vector<KpiFactRow>> KpiFactsOfPatient(PatientId patient) = 0;
  // The facts of a period and cut (`query.grain` is ignored), oldest first, at most `limit`.
  virtual Result<std::vector<KpiFactRow>> KpiFacts(const KpiCellQuery& query, int limit) = 0;
  virtual Result<std::optional<std::string>> GetKpiCell(core::Grain grain,
                                                        const core::Cell& cell) = 0;
  virtual Result<void> PutKpiCell(core::Grain grain, const core::Cell& cell,
                                  std::string_view tally) = 0;
  virtual Result<std::vector<KpiCellRow>> KpiCells(const KpiCellQuery& query) = 0;
  virtual Result<KpiProgress> GetKpiProgress() = 0;
  virtual Result<void> PutKpiProgress(const KpiProgress& progress) = 0;
  // The conversations of the first `limit` events after event `after_event`, in id order, and
  // the last of those events' id (`after_event` when there are none).
  virtual Result<std::pair<std::vector<ConversationId>, std::int64_t>> ConversationsChangedAfter(
      std::int64_t after_event, int limit) = 0;
  // Calls stored or changed after (`after`, `after_id`) in (updated_at, id) order.
  virtual Result<std::vector<CallRecord>> CallsChangedAfter(Timestamp after, std::int64_t after_id,
                                                            int limit) = 0;
  // A point in the order transactions begin (PostgreSQL: the next transaction id), or nullopt
  // where writes commit in the order their rows are numbered (SQLite's single writer). And
  // whether every transaction that began before `horizon` has ended.
  virtual Result<std::optional<std::uint64_t>> WriteHorizon() = 0;
  virtual Result<bool> WritesFinishedBefore(std::uint64_t horizon) = 0;
  // Conversations open or pending now: the backlog.
  virtual Result<std::int64_t> CountOpenConversations() = 0;
  // Records `open` as the backlog of local day `day` (its peak kept), and the days recorded in
  // [from_day, to_day], oldest first.
  virtual Result<void> PutBacklog(std::int32_t day, std::int64_t open) = 0;
  virtual Result<std::vector<BacklogDay>> BacklogDays(std::int32_t from_day,
                                                      std::int32_t to_day) = 0;

  // Holds a lock named `key` (within this tenant) until the write commits, so that writes
  // from several nodes that look something up and then create it (a patient by phone, an
  // idempotency key) take turns. A no-op where one writer already serializes every write
  // (SQLite) and in reads.
  virtual Result<void> LockKey(std::string_view key) = 0;

  // Conversations and messages.
  // In a write, Get and LatestConversationOf lock the row until commit (PostgreSQL's FOR
  // UPDATE), so two nodes changing one conversation take turns instead of losing an update.
  // Insert/Update also store the SLA view at `now` (state, deadline, next timer) so the inbox
  // can filter and sort by time left and the SLA job finds due timers.
  virtual Result<core::Conversation> InsertConversation(core::Conversation c,
                                                        const core::BusinessCalendar& cal,
                                                        Timestamp now) = 0;
  virtual Result<core::Conversation> GetConversation(ConversationId id) = 0;
  // The patient, channel and created_at of a conversation are fixed at insert; Update stores
  // everything else and ignores those three.
  virtual Result<void> UpdateConversation(const core::Conversation& c,
                                          const core::BusinessCalendar& cal, Timestamp now) = 0;
  // The patient's most recent conversation that is not closed, if any.
  virtual Result<std::optional<core::Conversation>> LatestConversationOf(PatientId patient) = 0;
  virtual Result<InboxPage> ListConversations(const InboxFilter& filter) = 0;
  virtual Result<core::Message> InsertMessage(core::Message m) = 0;
  // The same, with its sealing done ahead (Store::SealAhead) if that used the current key.
  virtual Result<core::Message> InsertMessage(core::Message m, const SealedMessage* ahead) = 0;
  virtual Result<std::vector<core::Message>> ListMessages(ConversationId id) = 0;
  // Attachments of a message of this tenant's conversation `conversation` (sealed at rest).
  virtual Result<std::int64_t> InsertAttachment(ConversationId conversation,
                                                const Attachment& attachment, Timestamp now) = 0;
  // Links files staff uploaded to `conversation` for a reply (drafts: message 0) to the reply
  // `message`. kNotFound, linking none, unless every id is such a draft of that conversation.
  virtual Result<void> AttachDrafts(ConversationId conversation,
                                    const std::vector<std::int64_t>& ids, MessageId message) = 0;
  // The conversation's attachments without their content, by message, oldest first.
  virtual Result<std::vector<Attachment>> ListAttachments(ConversationId conversation) = 0;
  // One attachment with its content and its conversation; kNotFound if not this tenant's (or
  // purged with its conversation's content).
  virtual Result<std::pair<Attachment, ConversationId>> GetAttachment(std::int64_t id) = 0;
  virtual Result<void> AppendEvents(std::vector<core::Event>& events) = 0;  // assigns ids
  virtual Result<std::vector<core::Event>> ListEvents(ConversationId id) = 0;

  // Idempotency keys of inbound deliveries, kept for at least 7 days.
  virtual Result<std::optional<IdempotentReply>> GetIdempotentReply(std::string_view key) = 0;
  virtual Result<void> PutIdempotentReply(std::string_view key, const IdempotentReply& reply,
                                          Timestamp now) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Applies pending migrations; safe to call from several processes at once.
  virtual Result<int> Migrate() = 0;
  // True when the database answers and every migration is applied.
  virtual Result<void> Ready() = 0;

  using TxFn = std::function<Result<void>(TenantTx&)>;
  // Runs fn inside a write transaction scoped to `tenant`. An error from fn rolls back fn's
  // changes only. Returns fn's result once the transaction holding it is durably committed,
  // or kUnavailable if the commit failed (then nothing of fn's was stored).
  virtual Result<void> Write(TenantId tenant, TxFn fn) = 0;
  // Write for data no inbox page shows (the audit trail of reads): it leaves the tenant's
  // WriteGeneration alone, so kept inbox pages stay valid.
  virtual Result<void> WriteUnseen(TenantId tenant, TxFn fn) = 0;
  // Seals `m`'s text, sender and metadata and indexes its words for `tenant` now, on this
  // thread; nullptr when the tenant's keys are not at hand (InsertMessage then does it).
  virtual std::shared_ptr<const SealedMessage> SealAhead(TenantId tenant,
                                                         const core::Message& m) = 0;
  // Runs fn on a consistent read snapshot scoped to `tenant`.
  virtual Result<void> Read(TenantId tenant, TxFn fn) = 0;

  // Not tenant-scoped: used only by the CLI and by authentication.
  virtual Result<Tenant> CreateTenant(Tenant t) = 0;
  virtual Result<std::optional<Tenant>> FindTenantBySlug(std::string_view slug) = 0;
  // Resolves a bearer token's hash; nullopt if unknown, revoked or expired.
  virtual Result<std::optional<Principal>> AuthenticateToken(std::string_view token_hash,
                                                             Timestamp now) = 0;
  virtual Result<std::optional<Principal>> AuthenticateSession(std::string_view session_hash,
                                                               Timestamp now,
                                                               Millis idle_timeout) = 0;
  // Password hash of a user for login; nullopt if no such active user.
  struct LoginRecord {
    TenantId tenant;
    UserId user;
    std::string password_hash;
    bool require_second_factor = true;  // the practice's setting
    SecondFactor second_factor;
  };
  virtual Result<std::optional<LoginRecord>> FindLogin(std::string_view tenant_slug,
                                                       std::string_view email) = 0;
  // Every tenant's id (the retention job).
  virtual Result<std::vector<TenantId>> TenantIds() = 0;
  // Conversations whose next SLA timer is due, across tenants (the SLA job).
  struct TimerDue {
    TenantId tenant;
    ConversationId conversation;
  };
  virtual Result<std::vector<TimerDue>> DueSlaTimers(Timestamp now, int limit) = 0;
  // Outbox items due for an attempt at `now`, across tenants, oldest due first (the sender).
  struct OutboundDue {
    TenantId tenant;
    std::int64_t id = 0;
  };
  virtual Result<std::vector<OutboundDue>> DueOutbound(Timestamp now, int limit) = 0;
  // Practices with chats waiting for an agent (the chat router).
  virtual Result<std::vector<TenantId>> TenantsWithWaitingChats() = 0;
  // Every practice's account with `channel`'s provider: the tenant and the settings JSON (never
  // the secret). For routing what arrives addressed to a practice (mail by its address).
  struct ChannelAccount {
    TenantId tenant;
    std::string settings;
  };
  virtual Result<std::vector<ChannelAccount>> ChannelAccounts(std::string_view channel) = 0;
  // Database-level integrity check; "ok" when healthy.
  virtual Result<std::string> IntegrityCheck() = 0;
  // Recomputes every tenant's audit chain; `broken` names the first record that does not fit.
  virtual Result<AuditVerification> VerifyAudit() = 0;

  // Key rotation (`caredesk keys rotate`): adds a data key for `tenant` that seals every new
  // value from then on, waits `settle` so running servers (which look for new keys every few
  // seconds) use it too, re-seals every stored value under it, and deletes the older data keys
  // once no value needs them. Servers keep serving throughout: every key in use opens values.
  struct Rotation {
    int new_version = 0;
    std::int64_t resealed = 0;    // values rewritten under the new key
    std::int64_t stale_left = 0;  // values still under an older key (then old keys are kept)
  };
  virtual Result<Rotation> RotateDataKey(TenantId tenant, Millis settle) = 0;
  // The same for the blind-index key: a new one indexes new values at once (servers take it
  // within their key refresh; this waits `settle` for them), lookups match under old and new
  // while every index is recomputed, then the old key is deleted. `resealed` counts the
  // patients and messages re-indexed.
  virtual Result<Rotation> RotateIndexKey(TenantId tenant, Millis settle) = 0;
  // Replacing the master key: wraps every practice's keys with the store's master key, opening
  // them with it or the previous master key, in one transaction; returns how many. Servers
  // given both keys keep working throughout (docs in README, "Replacing the master key").
  virtual Result<int> RewrapKeys() = 0;

  // Cluster notices, for pushing live updates to consoles connected to other nodes (PostgreSQL
  // LISTEN/NOTIFY on one channel). Publish sends `payload` (ids and names only, never patient
  // information; at most 7900 bytes) to every node listening, this one included; Listen starts
  // a thread that calls `on_notice` with each payload until the store is destroyed, reconnecting
  // when the connection drops (notices sent meanwhile are lost: consoles catch up when they
  // fetch). Both do nothing on SQLite, which serves one node.
  virtual Result<void> Publish(std::string_view payload) = 0;
  virtual Result<void> Listen(std::function<void(std::string_view)> on_notice) = 0;
  // Stops the thread Listen started, once no call of `on_notice` is running. Idempotent.
  virtual void StopListening() = 0;

  // A number that changes after every Write (not WriteUnseen) to `tenant` that this Store commits
  // (or fails to commit), before that Write returns; never reused. While it is unchanged, anything
  // derived from a Read of the tenant (e.g. a rendered inbox page) is still current. nullopt when
  // other processes may write the same data (PostgreSQL, shared by several nodes): do not cache
  // then.
  virtual std::optional<std::uint64_t> WriteGeneration(TenantId tenant) = 0;
};

// Helpers for callers that want a value out of a transaction.
template <class T>
Result<T> WriteValue(Store& store, TenantId tenant, const std::function<Result<T>(TenantTx&)>& fn) {
  std::optional<T> out;
  CD_TRY(store.Write(tenant, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(T v, fn(tx));
    out = std::move(v);
    return {};
  }));
  return std::move(*out);
}
template <class T>
Result<T> ReadValue(Store& store, TenantId tenant, const std::function<Result<T>(TenantTx&)>& fn) {
  std::optional<T> out;
  CD_TRY(store.Read(tenant, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(T v, fn(tx));
    out = std::move(v);
    return {};
  }));
  return std::move(*out);
}

}  // namespace caredesk::store

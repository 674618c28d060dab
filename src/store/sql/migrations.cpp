#include "store/sql/migrations.hpp"

namespace caredesk::store {
namespace {

// The two dialects differ only in how ids are generated and in a few types; every table
// carries tenant_id and every index leads with it, so each query stays within one tenant.
#define CD_TABLES(ID, TEXT)                                                                        \
  "CREATE TABLE tenants (id " ID                                                                   \
  ", slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"                                               \
  " time_zone TEXT NOT NULL, business_hours TEXT NOT NULL, holidays TEXT NOT NULL DEFAULT '',"     \
  " created_at BIGINT NOT NULL);"                                                                  \
  "CREATE TABLE locations (id " ID                                                                 \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id),"                                            \
  " name TEXT NOT NULL, address TEXT NOT NULL DEFAULT '', business_hours TEXT NOT NULL DEFAULT "   \
  "'');"                                                                                           \
  "CREATE INDEX locations_tenant ON locations(tenant_id, id);"                                     \
  "CREATE TABLE users (id " ID                                                                     \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id),"                                            \
  " email TEXT NOT NULL, display_name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT "  \
  "NULL,"                                                                                          \
  " languages TEXT NOT NULL DEFAULT '', queues TEXT NOT NULL DEFAULT '', active INTEGER NOT NULL " \
  "DEFAULT 1,"                                                                                     \
  " created_at BIGINT NOT NULL, UNIQUE (tenant_id, email));"                                       \
  "CREATE TABLE api_tokens (id " ID                                                                \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id),"                                            \
  " user_id BIGINT NOT NULL REFERENCES users(id), token_hash TEXT NOT NULL UNIQUE, name TEXT NOT " \
  "NULL,"                                                                                          \
  " created_at BIGINT NOT NULL, expires_at BIGINT, revoked_at BIGINT);"                            \
  "CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, tenant_id BIGINT NOT NULL REFERENCES "         \
  "tenants(id),"                                                                                   \
  " user_id BIGINT NOT NULL REFERENCES users(id), csrf_token TEXT NOT NULL, created_at BIGINT "    \
  "NOT NULL,"                                                                                      \
  " last_seen_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, revoked_at BIGINT);"                 \
  "CREATE TABLE sla_policies (id " ID                                                              \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id),"                                            \
  " name TEXT NOT NULL, queue TEXT, channel TEXT, priority TEXT, first_response_ms BIGINT NOT "    \
  "NULL,"                                                                                          \
  " next_response_ms BIGINT NOT NULL, resolution_ms BIGINT NOT NULL, at_risk_fraction " TEXT       \
  " NOT NULL);"                                                                                    \
  "CREATE INDEX sla_policies_tenant ON sla_policies(tenant_id, id);"                               \
  "CREATE TABLE patients (id " ID                                                                  \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id),"                                            \
  " name TEXT NOT NULL, name_lower TEXT NOT NULL, date_of_birth TEXT, phone TEXT, email TEXT,"     \
  " language TEXT NOT NULL, preferred_channel TEXT, consent_sms INTEGER NOT NULL,"                 \
  " consent_email INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"      \
  "CREATE INDEX patients_phone ON patients(tenant_id, phone);"                                     \
  "CREATE INDEX patients_email ON patients(tenant_id, email);"                                     \
  "CREATE TABLE conversations (id " ID                                                             \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id),"                                            \
  " patient_id BIGINT NOT NULL REFERENCES patients(id), channel TEXT NOT NULL, status TEXT NOT "   \
  "NULL,"                                                                                          \
  " priority TEXT NOT NULL, queue TEXT NOT NULL, assignee_id BIGINT NOT NULL DEFAULT 0,"           \
  " category TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '', created_at BIGINT NOT NULL,"            \
  " updated_at BIGINT NOT NULL, last_message_at BIGINT NOT NULL, first_response_at BIGINT,"        \
  " resolved_at BIGINT, reopen_count INTEGER NOT NULL DEFAULT 0, awaiting_agent INTEGER NOT NULL," \
  " sla TEXT NOT NULL, sla_state TEXT NOT NULL, sla_due_sort BIGINT NOT NULL, sla_timer_at "       \
  "BIGINT);"                                                                                       \
  "CREATE INDEX conversations_recent ON conversations(tenant_id, updated_at, id);"                 \
  "CREATE INDEX conversations_status ON conversations(tenant_id, status, updated_at, id);"         \
  "CREATE INDEX conversations_due ON conversations(tenant_id, sla_due_sort, id);"                  \
  "CREATE INDEX conversations_patient ON conversations(tenant_id, patient_id, id);"                \
  "CREATE INDEX conversations_assignee ON conversations(tenant_id, assignee_id, updated_at, id);"  \
  "CREATE INDEX conversations_timer ON conversations(sla_timer_at) WHERE sla_timer_at IS NOT "     \
  "NULL;"                                                                                          \
  "CREATE TABLE messages (id " ID                                                                  \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id),"                                            \
  " conversation_id BIGINT NOT NULL REFERENCES conversations(id), kind TEXT NOT NULL,"             \
  " channel TEXT NOT NULL, author_id BIGINT NOT NULL DEFAULT 0, sender TEXT NOT NULL DEFAULT '',"  \
  " body TEXT NOT NULL, delivery TEXT NOT NULL, created_at BIGINT NOT NULL);"                      \
  "CREATE INDEX messages_conversation ON messages(tenant_id, conversation_id, id);"                \
  "CREATE TABLE message_tokens (tenant_id BIGINT NOT NULL, token TEXT NOT NULL,"                   \
  " conversation_id BIGINT NOT NULL, PRIMARY KEY (tenant_id, token, conversation_id));"            \
  "CREATE TABLE events (id " ID                                                                    \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id),"                                            \
  " conversation_id BIGINT NOT NULL DEFAULT 0, patient_id BIGINT NOT NULL DEFAULT 0,"              \
  " type TEXT NOT NULL, at BIGINT NOT NULL, actor_id BIGINT NOT NULL DEFAULT 0, data TEXT NOT "    \
  "NULL);"                                                                                         \
  "CREATE INDEX events_conversation ON events(tenant_id, conversation_id, id);"                    \
  "CREATE INDEX events_time ON events(tenant_id, at);"                                             \
  "CREATE TABLE idempotency_keys (tenant_id BIGINT NOT NULL, idem_key TEXT NOT NULL,"              \
  " request_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,"                      \
  " created_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, idem_key));"

// Migration 3, the same in both dialects.
constexpr std::string_view kVisitorIdSql =
    "ALTER TABLE patients ADD COLUMN visitor_id TEXT;"
    "CREATE INDEX patients_visitor ON patients(tenant_id, visitor_id);";

// Migration 4, the same in both dialects.
constexpr std::string_view kMessageMetadataSql =
    "ALTER TABLE messages ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';";

// Migration 5, the same in both dialects.
constexpr std::string_view kLocationHolidaysSql =
    "ALTER TABLE locations ADD COLUMN holidays TEXT NOT NULL DEFAULT '';";

// Migration 6: the audit log, one hash chain per tenant (see TenantTx::AppendAudit).
#define CD_AUDIT(ID)                                                                           \
  "CREATE TABLE audit_log (id " ID                                                             \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id), at BIGINT NOT NULL,"                    \
  " actor_id BIGINT NOT NULL DEFAULT 0, session_ref TEXT NOT NULL DEFAULT '',"                 \
  " remote_address TEXT NOT NULL DEFAULT '', action TEXT NOT NULL, object_type TEXT NOT NULL," \
  " object_id BIGINT NOT NULL DEFAULT 0, patient_id BIGINT NOT NULL DEFAULT 0,"                \
  " detail TEXT NOT NULL DEFAULT '', prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"            \
  "CREATE INDEX audit_log_tenant ON audit_log(tenant_id, id);"                                 \
  "CREATE INDEX audit_log_patient ON audit_log(tenant_id, patient_id, id);"

// Migration 7: sessions get a number (so a user can list and end them), where they came from
// and whether the second factor is still to be set up; tokens get scopes; users get TOTP and
// recovery codes; a practice decides whether the second factor is required (on by default).
// Sessions are short-lived secrets: the upgrade signs everyone out rather than carry them over.
#define CD_ACCOUNTS(ID)                                                                    \
  "DROP TABLE sessions;"                                                                   \
  "CREATE TABLE sessions (id " ID                                                          \
  ", id_hash TEXT NOT NULL UNIQUE, tenant_id BIGINT NOT NULL REFERENCES tenants(id),"      \
  " user_id BIGINT NOT NULL REFERENCES users(id), csrf_token TEXT NOT NULL,"               \
  " created_at BIGINT NOT NULL, last_seen_at BIGINT NOT NULL, expires_at BIGINT NOT NULL," \
  " revoked_at BIGINT, remote_address TEXT NOT NULL DEFAULT '', user_agent TEXT NOT NULL " \
  "DEFAULT '', second_factor_pending INTEGER NOT NULL DEFAULT 0);"                         \
  "CREATE INDEX sessions_user ON sessions(tenant_id, user_id, id);"                        \
  "ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '*';"                    \
  "CREATE INDEX api_tokens_user ON api_tokens(tenant_id, user_id, id);"                    \
  "ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';"                     \
  "ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;"                  \
  "ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;"                 \
  "CREATE TABLE recovery_codes (tenant_id BIGINT NOT NULL, user_id BIGINT NOT NULL,"       \
  " code_hash TEXT NOT NULL, created_at BIGINT NOT NULL, used_at BIGINT,"                  \
  " PRIMARY KEY (tenant_id, user_id, code_hash));"                                         \
  "ALTER TABLE tenants ADD COLUMN require_second_factor INTEGER NOT NULL DEFAULT 1;"

// Migration 8: encryption at rest. Patient information is sealed per tenant (see keyring.hpp),
// so lookups go through blind indexes: phone and email columns beside the sealed values, and
// the prefixes of name words in patient_tokens. tenants.data_format says how far a tenant's
// rows are converted (0: as before this migration, 1: indexed, unsealed, 2: sealed); the store
// converts them at start, since SQL alone cannot seal.
#define CD_ENCRYPTION(WITHOUT_ROWID)                                             \
  "CREATE TABLE tenant_keys (tenant_id BIGINT NOT NULL REFERENCES tenants(id),"  \
  " purpose TEXT NOT NULL, version INTEGER NOT NULL, wrapped TEXT NOT NULL,"     \
  " created_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, purpose, version));"     \
  "ALTER TABLE tenants ADD COLUMN data_format INTEGER NOT NULL DEFAULT 0;"       \
  "ALTER TABLE patients ADD COLUMN phone_index TEXT;"                            \
  "ALTER TABLE patients ADD COLUMN email_index TEXT;"                            \
  "DROP INDEX patients_phone;"                                                   \
  "DROP INDEX patients_email;"                                                   \
  "CREATE INDEX patients_phone_index ON patients(tenant_id, phone_index);"       \
  "CREATE INDEX patients_email_index ON patients(tenant_id, email_index);"       \
  "CREATE TABLE patient_tokens (tenant_id BIGINT NOT NULL, token TEXT NOT NULL," \
  " patient_id BIGINT NOT NULL, PRIMARY KEY (tenant_id, token, patient_id))" WITHOUT_ROWID ";"

// Migration 9: identity verification before disclosure, authorized representatives, and the
// outbox that one-time codes wait in for their sender (issue #5).
#define CD_IDENTITY(ID)                                                                         \
  "CREATE TABLE verifications (id " ID                                                          \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id), conversation_id BIGINT NOT NULL,"        \
  " patient_id BIGINT NOT NULL, representative_id BIGINT NOT NULL DEFAULT 0,"                   \
  " state TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0,"                                  \
  " code_hash TEXT NOT NULL DEFAULT '', code_channel TEXT NOT NULL DEFAULT '',"                 \
  " details_matched_at BIGINT, code_expires_at BIGINT, verified_at BIGINT, expires_at BIGINT,"  \
  " flag_reason TEXT NOT NULL DEFAULT '', started_by BIGINT NOT NULL DEFAULT 0,"                \
  " created_at BIGINT NOT NULL);"                                                               \
  "CREATE INDEX verifications_conversation ON verifications(tenant_id, conversation_id, id);"   \
  "CREATE INDEX verifications_flagged ON verifications(tenant_id, id) WHERE flag_reason <> '';" \
  "CREATE TABLE representatives (id " ID                                                        \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id), patient_id BIGINT NOT NULL,"             \
  " name TEXT NOT NULL, relationship TEXT NOT NULL, date_of_birth TEXT, phone TEXT,"            \
  " email TEXT, scope TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT);"           \
  "CREATE INDEX representatives_patient ON representatives(tenant_id, patient_id, id);"         \
  "CREATE TABLE outbox (id " ID                                                                 \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id), conversation_id BIGINT NOT NULL "        \
  "DEFAULT 0, channel TEXT NOT NULL, recipient TEXT NOT NULL, body TEXT NOT NULL,"              \
  " purpose TEXT NOT NULL, state TEXT NOT NULL, created_at BIGINT NOT NULL);"                   \
  "CREATE INDEX outbox_state ON outbox(tenant_id, state, id);"

// Migration 10: each practice keeps conversation content for retention_days (default six
// years), then the retention job purges it (purged_at).
constexpr std::string_view kRetentionSql =
    "ALTER TABLE tenants ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 2190;"
    "ALTER TABLE conversations ADD COLUMN purged_at BIGINT;";

// Migration 11: sign-in through the practice's own OpenID Connect provider. One provider per
// practice (its client secret sealed); a user is linked to the provider's subject.
#define CD_OIDC(ID)                                                                      \
  "CREATE TABLE oidc_providers (id " ID                                                  \
  ", tenant_id BIGINT NOT NULL UNIQUE REFERENCES tenants(id), enabled INTEGER NOT NULL," \
  " issuer TEXT NOT NULL, client_id TEXT NOT NULL, client_secret TEXT NOT NULL,"         \
  " accept_provider_mfa INTEGER NOT NULL, updated_at BIGINT NOT NULL);"                  \
  "ALTER TABLE users ADD COLUMN oidc_subject TEXT;"                                      \
  "CREATE UNIQUE INDEX users_oidc_subject ON users(tenant_id, oidc_subject);"

// Migration 12: the outbox is sent: attempts, when the next is due (also the lease of a claimed
// item), the provider's id or the error; and each practice's account with a channel's provider.
// What was queued before had no sender: one-time codes long expired, so they are not sent now.
#define CD_OUTBOX(ID)                                                                     \
  "ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;"                    \
  "ALTER TABLE outbox ADD COLUMN next_attempt_at BIGINT;"                                 \
  "ALTER TABLE outbox ADD COLUMN provider_ref TEXT NOT NULL DEFAULT '';"                  \
  "ALTER TABLE outbox ADD COLUMN last_error TEXT NOT NULL DEFAULT '';"                    \
  "ALTER TABLE outbox ADD COLUMN finished_at BIGINT;"                                     \
  "ALTER TABLE outbox ADD COLUMN delivery_status TEXT NOT NULL DEFAULT '';"               \
  "UPDATE outbox SET state = 'expired' WHERE state = 'queued';"                           \
  "CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE next_attempt_at IS NOT NULL;" \
  "CREATE INDEX outbox_provider_ref ON outbox(tenant_id, provider_ref);"                  \
  "CREATE TABLE channel_settings (id " ID                                                 \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id), channel TEXT NOT NULL,"            \
  " settings TEXT NOT NULL, secret TEXT NOT NULL, updated_at BIGINT NOT NULL,"            \
  " UNIQUE (tenant_id, channel));"

// Migration 13: two-way texting. An outbound message's outbox item names the message it sends,
// so the message shows what became of it; and each number's answer to "may we text you"
// (STOP, START), the number sealed and found by its blind index.
#define CD_SMS_CONSENT(ID)                                                         \
  "ALTER TABLE outbox ADD COLUMN message_id BIGINT NOT NULL DEFAULT 0;"            \
  "CREATE TABLE sms_consent (id " ID                                               \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id), phone TEXT NOT NULL,"       \
  " phone_index TEXT NOT NULL, opted_out INTEGER NOT NULL, keyword TEXT NOT NULL," \
  " changed_at BIGINT NOT NULL, UNIQUE (tenant_id, phone_index));"

// Migration 14: what patients attach (pictures sent by text, files and inline images in mail),
// kept with their message. The name and the bytes are sealed; the type and size are not PHI.
#define CD_ATTACHMENTS(ID)                                                               \
  "CREATE TABLE attachments (id " ID                                                     \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id), conversation_id BIGINT NOT NULL," \
  " message_id BIGINT NOT NULL, filename TEXT NOT NULL, content_type TEXT NOT NULL,"     \
  " size BIGINT NOT NULL, content TEXT NOT NULL, created_at BIGINT NOT NULL);"           \
  "CREATE INDEX attachments_conversation ON attachments(tenant_id, conversation_id);"

// Migration 15: live chat. Each agent's stated availability and capacity; each chat from the
// website's widget, its place in routing (offered to whom, until when, who passed it over) and
// how it went (answered when, by whom, how it ended), beside its conversation.
#define CD_CHAT(ID)                                                                                \
  "CREATE TABLE agent_presence (tenant_id BIGINT NOT NULL REFERENCES tenants(id),"                 \
  " user_id BIGINT NOT NULL, status TEXT NOT NULL, max_chats INTEGER NOT NULL,"                    \
  " changed_at BIGINT NOT NULL, idle_since BIGINT NOT NULL, seen_at BIGINT NOT NULL,"              \
  " PRIMARY KEY (tenant_id, user_id));"                                                            \
  "CREATE TABLE chats (id " ID                                                                     \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id), conversation_id BIGINT NOT NULL,"           \
  " visitor_hash TEXT NOT NULL UNIQUE, visitor_id TEXT NOT NULL, language TEXT NOT NULL,"          \
  " queue TEXT NOT NULL, state TEXT NOT NULL, started_at BIGINT NOT NULL,"                         \
  " offered_to BIGINT NOT NULL DEFAULT 0, offer_expires_at BIGINT,"                                \
  " passed_over TEXT NOT NULL DEFAULT '', agent_id BIGINT NOT NULL DEFAULT 0, answered_at BIGINT," \
  " ended_at BIGINT, end_reason TEXT NOT NULL DEFAULT '',"                                         \
  " patient_seen BIGINT NOT NULL DEFAULT 0, agent_seen BIGINT NOT NULL DEFAULT 0,"                 \
  " patient_seen_at BIGINT NOT NULL);"                                                             \
  "CREATE INDEX chats_open ON chats(tenant_id, state, id);"                                        \
  "CREATE INDEX chats_conversation ON chats(tenant_id, conversation_id);"                          \
  "CREATE INDEX chats_waiting ON chats(state, tenant_id);"

// Migration 16: phone calls. Each queue-log line as it was read (keyed so a second reading adds
// nothing; the caller's number is not kept, only the patient it belongs to) and each call as
// its events add up or as a phone system posted it, with the callback task it opened.
#define CD_CALLS(ID)                                                                             \
  "CREATE TABLE phone_events (id " ID                                                            \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id), event_key TEXT NOT NULL,"                 \
  " call_ref TEXT NOT NULL, queue TEXT NOT NULL, kind TEXT NOT NULL, at BIGINT NOT NULL,"        \
  " agent TEXT NOT NULL, wait_s INTEGER, talk_s INTEGER, exit_key TEXT NOT NULL,"                \
  " patient_id BIGINT NOT NULL, UNIQUE (tenant_id, event_key));"                                 \
  "CREATE INDEX phone_events_call ON phone_events(tenant_id, call_ref, at);"                     \
  "CREATE TABLE calls (id " ID                                                                   \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id), source TEXT NOT NULL, ref TEXT NOT NULL," \
  " queue TEXT NOT NULL, patient_id BIGINT NOT NULL, outcome TEXT NOT NULL,"                     \
  " entered_at BIGINT NOT NULL, answered_at BIGINT, ended_at BIGINT, agent TEXT NOT NULL,"       \
  " wait_s INTEGER NOT NULL, talk_s INTEGER NOT NULL, hold_s INTEGER NOT NULL,"                  \
  " wrap_s INTEGER NOT NULL, unanswered_rings INTEGER NOT NULL, transferred INTEGER NOT NULL,"   \
  " exit_key TEXT NOT NULL, conversation_id BIGINT NOT NULL, updated_at BIGINT NOT NULL,"        \
  " UNIQUE (tenant_id, source, ref));"                                                           \
  "CREATE INDEX calls_entered ON calls(tenant_id, entered_at);"                                  \
  "CREATE INDEX calls_patient ON calls(tenant_id, patient_id, id);"

// Migration 17: the KPI rollups. Each conversation's and call's contribution to its cell (so a
// change subtracts the old and adds the new), the cells at each grain, and how far the rollup
// job has read the event log and the calls.
constexpr std::string_view kKpiSql =
    "CREATE TABLE kpi_facts (tenant_id BIGINT NOT NULL REFERENCES tenants(id),"
    " fact_key TEXT NOT NULL, patient_id BIGINT NOT NULL, day INTEGER NOT NULL,"
    " hour INTEGER NOT NULL, channel TEXT NOT NULL, queue TEXT NOT NULL, agent TEXT NOT NULL,"
    " category TEXT NOT NULL, tally TEXT NOT NULL, created_at BIGINT NOT NULL,"
    " resolved_at BIGINT, staff_initiated INTEGER NOT NULL, recontacted INTEGER NOT NULL,"
    " PRIMARY KEY (tenant_id, fact_key));"
    "CREATE INDEX kpi_facts_patient ON kpi_facts(tenant_id, patient_id);"
    "CREATE INDEX kpi_facts_day ON kpi_facts(tenant_id, day, created_at);"
    "CREATE TABLE kpi_cells (tenant_id BIGINT NOT NULL REFERENCES tenants(id),"
    " grain TEXT NOT NULL, day INTEGER NOT NULL, hour INTEGER NOT NULL, channel TEXT NOT NULL,"
    " queue TEXT NOT NULL, agent TEXT NOT NULL, category TEXT NOT NULL, tally TEXT NOT NULL,"
    " PRIMARY KEY (tenant_id, grain, day, hour, channel, queue, agent, category));"
    "CREATE TABLE kpi_progress (tenant_id BIGINT PRIMARY KEY REFERENCES tenants(id),"
    " events_after BIGINT NOT NULL, calls_after BIGINT NOT NULL, calls_after_id BIGINT NOT NULL);"
    "CREATE INDEX events_sequence ON events(tenant_id, id);"
    "CREATE INDEX calls_changed ON calls(tenant_id, updated_at, id);";

// Migration 18: each agent's statuses over time, for the staffing advisor (who was there to
// answer) and wellbeing (time since a break); and the phone agents' own events by time.
#define CD_PRESENCE_SPANS(ID)                                                    \
  "CREATE TABLE presence_spans (id " ID                                          \
  ", tenant_id BIGINT NOT NULL REFERENCES tenants(id), user_id BIGINT NOT NULL," \
  " status TEXT NOT NULL, from_at BIGINT NOT NULL, to_at BIGINT NOT NULL);"      \
  "CREATE INDEX presence_spans_user ON presence_spans(tenant_id, user_id, id);"  \
  "CREATE INDEX presence_spans_to ON presence_spans(tenant_id, to_at);"          \
  "CREATE INDEX phone_events_agent ON phone_events(tenant_id, at) WHERE call_ref = '';"

constexpr std::string_view kBacklogSql =
    "CREATE TABLE kpi_backlog (tenant_id BIGINT NOT NULL REFERENCES tenants(id),"
    " day INTEGER NOT NULL, open_count BIGINT NOT NULL, peak BIGINT NOT NULL,"
    " PRIMARY KEY (tenant_id, day));";

constexpr std::string_view kRollupHorizonSql =
    "ALTER TABLE kpi_progress ADD COLUMN events_read BIGINT NOT NULL DEFAULT 0;"
    "ALTER TABLE kpi_progress ADD COLUMN calls_read BIGINT NOT NULL DEFAULT 0;"
    "ALTER TABLE kpi_progress ADD COLUMN calls_read_id BIGINT NOT NULL DEFAULT 0;"
    "ALTER TABLE kpi_progress ADD COLUMN horizon BIGINT NOT NULL DEFAULT 0;";

// Migration 21: the phone system's names for each staff member (see User::phone_agents).
constexpr std::string_view kPhoneAgentsSql =
    "ALTER TABLE users ADD COLUMN phone_agents TEXT NOT NULL DEFAULT '';";

// Migration 22: conversations say which location they are for, and the KPI rollups gain two
// cuts, location and SLA policy. The cells' key changes, and facts and cells are derived from
// the events and calls, so both are emptied and the rollup reads everything again.
constexpr std::string_view kKpiLocationPolicySql =
    "ALTER TABLE conversations ADD COLUMN location_id BIGINT NOT NULL DEFAULT 0;"
    "DROP TABLE kpi_cells;"
    "CREATE TABLE kpi_cells (tenant_id BIGINT NOT NULL REFERENCES tenants(id),"
    " grain TEXT NOT NULL, day INTEGER NOT NULL, hour INTEGER NOT NULL, channel TEXT NOT NULL,"
    " queue TEXT NOT NULL, agent TEXT NOT NULL, category TEXT NOT NULL, location TEXT NOT NULL,"
    " policy TEXT NOT NULL, tally TEXT NOT NULL,"
    " PRIMARY KEY (tenant_id, grain, day, hour, channel, queue, agent, category, location,"
    " policy));"
    "DELETE FROM kpi_facts;"
    "ALTER TABLE kpi_facts ADD COLUMN location TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE kpi_facts ADD COLUMN policy TEXT NOT NULL DEFAULT '';"
    "DELETE FROM kpi_progress;";

// Migration 23: the KPI rollups gain a grain per cut with the hour (channel and hour, ...), so
// the console's cut and hour together read a row per day rather than every fine cell. The
// rollup fills them by reading everything again, as after migration 22.
constexpr std::string_view kKpiHourlyCutsSql =
    "DELETE FROM kpi_cells;"
    "DELETE FROM kpi_facts;"
    "DELETE FROM kpi_progress;";

const std::vector<Migration> kMigrations = {
    {1, "inbox, patients, staff, SLA", CD_TABLES("INTEGER PRIMARY KEY", "REAL"),
     CD_TABLES("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "DOUBLE PRECISION")},
    // On SQLite a table with a composite primary key keeps each row twice (the rowid table and
    // the key's index), so every new word of a message cost two B-tree inserts on the single
    // writer. WITHOUT ROWID keeps it once. PostgreSQL stores a table apart from its indexes
    // either way, so nothing changes there.
    {2, "word index without rowid",
     "CREATE TABLE message_tokens_v2 (tenant_id BIGINT NOT NULL, token TEXT NOT NULL,"
     " conversation_id BIGINT NOT NULL, PRIMARY KEY (tenant_id, token, conversation_id))"
     " WITHOUT ROWID;"
     "INSERT INTO message_tokens_v2 (tenant_id, token, conversation_id)"
     " SELECT tenant_id, token, conversation_id FROM message_tokens;"
     "DROP TABLE message_tokens;"
     "ALTER TABLE message_tokens_v2 RENAME TO message_tokens;",
     "SELECT 1;"},
    // A chat or web visitor is known by the id its channel gives it: without this every
    // message from the same visitor created a new patient and a new conversation.
    {3, "patients by visitor id", kVisitorIdSql, kVisitorIdSql},
    // What a channel says about a message (the provider's id, an email's subject).
    {4, "message metadata", kMessageMetadataSql, kMessageMetadataSql},
    // Each location's own closed days, beside its hours.
    {5, "location holidays", kLocationHolidaysSql, kLocationHolidaysSql},
    // Who read or changed which patient's information, tamper-evident.
    {6, "audit log", CD_AUDIT("INTEGER PRIMARY KEY"),
     CD_AUDIT("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")},
    // Two-factor sign-in, sessions a user can see and end, scoped tokens.
    {7, "second factor, sessions, token scopes", CD_ACCOUNTS("INTEGER PRIMARY KEY"),
     CD_ACCOUNTS("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")},
    // Patient information sealed at rest, found through keyed blind indexes.
    {8, "encryption at rest", CD_ENCRYPTION(" WITHOUT ROWID"), CD_ENCRYPTION("")},
    // Verify who is asking before telling them anything.
    {9, "identity verification", CD_IDENTITY("INTEGER PRIMARY KEY"),
     CD_IDENTITY("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")},
    // How long conversation content is kept.
    {10, "retention", kRetentionSql, kRetentionSql},
    // Staff sign in with the practice's identity provider.
    {11, "openid connect", CD_OIDC("INTEGER PRIMARY KEY"),
     CD_OIDC("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")},
    // Outbound messages are sent, retried and their outcome recorded.
    {12, "outbox sending", CD_OUTBOX("INTEGER PRIMARY KEY"),
     CD_OUTBOX("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")},
    // Replies are texted, and numbers that said STOP are not.
    {13, "sms replies and consent", CD_SMS_CONSENT("INTEGER PRIMARY KEY"),
     CD_SMS_CONSENT("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")},
    // Pictures and files patients send are kept, sealed.
    {14, "attachments", CD_ATTACHMENTS("INTEGER PRIMARY KEY"),
     CD_ATTACHMENTS("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")},
    // Patients chat live from the practice's website, routed to agents who can answer.
    {15, "live chat", CD_CHAT("INTEGER PRIMARY KEY"),
     CD_CHAT("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")},
    // Phone calls from Asterisk's queue log or any phone system, and callbacks for those missed.
    {16, "phone calls", CD_CALLS("INTEGER PRIMARY KEY"),
     CD_CALLS("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")},
    // The practice manager's figures, kept up to date as events arrive.
    {17, "kpi rollups", kKpiSql, kKpiSql},
    {18, "presence history", CD_PRESENCE_SPANS("INTEGER PRIMARY KEY"),
     CD_PRESENCE_SPANS("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")},
    // Migration 19: the open backlog per local day, for the backlog over time.
    {19, "backlog history", kBacklogSql, kBacklogSql},
    // Migration 20: what the KPI rollup read beyond its marks while other writers' transactions
    // might still commit below them (PostgreSQL), kept until they have all ended.
    {20, "rollup horizon", kRollupHorizonSql, kRollupHorizonSql},
    {21, "phone agents of staff", kPhoneAgentsSql, kPhoneAgentsSql},
    {22, "kpi location and policy cuts", kKpiLocationPolicySql, kKpiLocationPolicySql},
    {23, "kpi cuts by hour", kKpiHourlyCutsSql, kKpiHourlyCutsSql},
};

#undef CD_TABLES
#undef CD_AUDIT
#undef CD_ACCOUNTS
#undef CD_ENCRYPTION
#undef CD_IDENTITY
#undef CD_OIDC
#undef CD_OUTBOX
#undef CD_SMS_CONSENT
#undef CD_ATTACHMENTS
#undef CD_CHAT
#undef CD_CALLS
#undef CD_PRESENCE_SPANS

}  // namespace

const std::vector<Migration>& AllMigrations() { return kMigrations; }

}  // namespace caredesk::store

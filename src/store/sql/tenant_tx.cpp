#include "store/sql/tenant_tx.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>

#include "base/text.hpp"
#include "core/inbox/phone.hpp"
#include "security/crypto.hpp"
#include "security/token.hpp"
#include "store/sql/encryption.hpp"

namespace caredesk::store {
namespace {

using core::Conversation;
using core::Patient;

constexpr std::int64_t kNoDeadline = 9'000'000'000'000'000;  // sorts after every real deadline

constexpr std::string_view kPatientColumns =
    "id, name, date_of_birth, phone, email, language, preferred_channel, consent_sms, "
    "consent_email, created_at, updated_at, visitor_id";

constexpr std::string_view kConversationColumns =
    "c.id, c.patient_id, c.channel, c.status, c.priority, c.queue, c.assignee_id, c.category, "
    "c.tags, c.created_at, c.updated_at, c.last_message_at, c.first_response_at, c.resolved_at, "
    "c.reopen_count, c.awaiting_agent, c.sla, c.sla_state, c.sla_due_sort, c.sla_timer_at, "
    "c.location_id";
// The columns UpdateConversation may set, in ConversationParams order, and where each is in a
// row read with kConversationColumns.
constexpr std::array<std::string_view, 17> kUpdateColumns = {
    "status",       "priority",        "queue",
    "assignee_id",  "category",        "tags",
    "updated_at",   "last_message_at", "first_response_at",
    "resolved_at",  "reopen_count",    "awaiting_agent",
    "sla",          "sla_state",       "sla_due_sort",
    "sla_timer_at", "location_id"};
constexpr std::array<std::size_t, 17> kUpdateColumnInRow = {3,  4,  5,  6,  7,  8,  10, 11, 12,
                                                            13, 14, 15, 16, 17, 18, 19, 20};

SqlValue Opt(const std::optional<std::string>& v) { return v ? SqlValue{*v} : SqlValue{}; }
SqlValue OptTime(const std::optional<Timestamp>& t) {
  return t ? SqlValue{ToEpochMillis(*t)} : SqlValue{};
}
std::optional<Timestamp> ReadOptTime(const SqlRow& r, std::size_t i) {
  auto v = r.OptInt(i);
  return v ? std::optional(FromEpochMillis(*v)) : std::nullopt;
}

// Opens the sealed fields of a row selected with kPatientColumns.
Result<Patient> ReadPatient(const SqlRow& r, const TenantKeys& keys) {
  Patient p;
  p.id = PatientId{r.Int(0)};
  CD_TRY_ASSIGN(p.name, keys.Open(kPatientName, r.Text(1)));
  CD_TRY_ASSIGN(p.date_of_birth, keys.OpenOpt(kPatientBirth, r.OptText(2)));
  CD_TRY_ASSIGN(p.phone, keys.OpenOpt(kPatientPhone, r.OptText(3)));
  CD_TRY_ASSIGN(p.email, keys.OpenOpt(kPatientEmail, r.OptText(4)));
  p.language = r.Text(5);
  if (auto ch = r.OptText(6)) p.preferred_channel = core::ParseChannel(*ch);
  p.consent_sms = r.Int(7) != 0;
  p.consent_email = r.Int(8) != 0;
  p.created_at = FromEpochMillis(r.Int(9));
  p.updated_at = FromEpochMillis(r.Int(10));
  p.visitor_id = r.OptText(11);
  return p;
}

Result<Conversation> ReadConversation(const SqlRow& r) {
  Conversation c;
  c.id = ConversationId{r.Int(0)};
  c.patient_id = PatientId{r.Int(1)};
  auto channel = core::ParseChannel(r.Text(2));
  auto status = core::ParseStatus(r.Text(3));
  auto priority = core::ParsePriority(r.Text(4));
  auto category = core::ParseCategory(r.Text(7));
  if (!channel || !status || !priority || !category)
    return Internal("stored conversation is corrupt");
  c.channel = *channel;
  c.status = *status;
  c.priority = *priority;
  c.queue = r.Text(5);
  c.assignee = UserId{r.Int(6)};
  c.category = *category;
  c.tags = SplitList(r.Text(8));
  c.created_at = FromEpochMillis(r.Int(9));
  c.updated_at = FromEpochMillis(r.Int(10));
  c.last_message_at = FromEpochMillis(r.Int(11));
  c.first_response_at = ReadOptTime(r, 12);
  c.resolved_at = ReadOptTime(r, 13);
  c.reopen_count = static_cast<int>(r.Int(14));
  c.awaiting_agent = r.Int(15) != 0;
  CD_TRY_ASSIGN(c.sla, core::DecodeSla(r.Text(16)));
  c.location = LocationId{r.Int(20)};
  return c;
}

std::vector<std::pair<std::string, std::string>> DecodeStringPairs(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return out;
  for (const auto& kv : v.as_object()) {
    if (kv.value().is_string()) {
      out.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
    }
  }
  return out;
}

Result<std::pair<std::int64_t, std::int64_t>> ParseCursor(std::string_view cursor, char kind) {
  auto bad = [] { return Invalid("cursor is not one this server issued", "cursor"); };
  if (cursor.size() < 5 || cursor[0] != kind || cursor[1] != '.') return bad();
  std::string_view rest = cursor.substr(2);
  auto dot = rest.find('.');
  if (dot == std::string_view::npos) return bad();
  std::int64_t a = 0, b = 0;
  auto r1 = std::from_chars(rest.data(), rest.data() + dot, a);
  auto r2 = std::from_chars(rest.data() + dot + 1, rest.data() + rest.size(), b);
  if (r1.ec != std::errc{} || r1.ptr != rest.data() + dot || r2.ec != std::errc{} ||
      r2.ptr != rest.data() + rest.size() || b <= 0) {
    return bad();
  }
  return std::pair{a, b};
}

Result<core::BusinessCalendar> ParseCalendar(std::string_view time_zone,
                                             std::string_view business_hours,
                                             std::string_view holidays_text) {
  CD_TRY_ASSIGN(core::WeeklyHours hours, core::ParseWeeklyHours(business_hours));
  std::vector<date::year_month_day> holidays;
  for (const std::string& h : SplitList(holidays_text)) {
    int y = 0;
    unsigned m = 0, d = 0;
    if (std::sscanf(h.c_str(), "%d-%u-%u", &y, &m, &d) == 3) {
      holidays.emplace_back(date::year{y}, date::month{m}, date::day{d});
    }
  }
  return core::BusinessCalendar::Create(time_zone, std::move(hours), std::move(holidays));
}

class SqlTenantTx final : public TenantTx {
 public:
  SqlTenantTx(SqlConnection& db, TenantId tenant, CalendarCache* calendars, bool for_write,
              std::shared_ptr<const TenantKeys> keys)
      : db_(db),
        tenant_(tenant),
        calendars_(calendars),
        keys_(keys ? std::move(keys) : std::make_shared<const TenantKeys>(tenant)),
        lock_rows_(for_write && db.Dialect() == "postgres") {}

  TenantId tenant() const override { return tenant_; }

  Result<void> AppendAudit(AuditRecord r) override {
    std::vector<AuditRecord> one{std::move(r)};
    return AppendAudits(one);
  }

  Result<void> AppendAudits(std::vector<AuditRecord>& records) override {
    if (records.empty()) return {};
    CD_TRY(LockKey("audit"));  // one chain per tenant, even with several nodes writing
    CD_TRY_ASSIGN(auto last, db_.Query("SELECT hash FROM audit_log WHERE tenant_id = ? "
                                       "ORDER BY id DESC LIMIT 1",
                                       {T()}));
    std::string prev = last.empty() ? std::string() : last[0].Text(0);
    for (AuditRecord& r : records) {
      r.prev_hash = std::move(prev);
      r.hash = AuditHash(tenant_, r);
      CD_TRY(db_.Execute(
          "INSERT INTO audit_log (tenant_id, at, actor_id, session_ref, remote_address, action, "
          "object_type, object_id, patient_id, detail, prev_hash, hash) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {T(), ToEpochMillis(r.at), r.actor.value, r.session, r.remote_address, r.action,
           r.object_type, r.object_id, r.patient.value, r.detail, r.prev_hash, r.hash}));
      prev = r.hash;
    }
    return {};
  }

  Result<std::vector<AuditRecord>> AuditTrail(std::optional<PatientId> patient,
                                              std::int64_t after_id, int limit) override {
    std::string sql =
        "SELECT " + std::string(kAuditColumns) + " FROM audit_log WHERE tenant_id = ? AND id > ?";
    SqlParams params{T(), after_id};
    if (patient) {
      sql += " AND patient_id = ?";
      params.emplace_back(patient->value);
    }
    sql += " ORDER BY id LIMIT ?";
    params.emplace_back(std::int64_t{limit});
    return QueryAudit(sql, params);
  }

  Result<std::vector<AuditRecord>> PatientAccessLog(PatientId patient, std::int64_t before_id,
                                                    int limit) override {
    // A list's detail is "patients=1,2,3"; the patient is found in it as ",<id>,".
    std::string sql = "SELECT " + std::string(kAuditColumns) +
                      " FROM audit_log WHERE tenant_id = ? AND (patient_id = ? OR"
                      " (object_type IN ('conversation_list', 'patient_list') AND"
                      " ',' || substr(detail, 10) || ',' LIKE ?))";
    SqlParams params{T(), patient.value, "%," + std::to_string(patient.value) + ",%"};
    if (before_id > 0) {
      sql += " AND id < ?";
      params.emplace_back(before_id);
    }
    sql += " ORDER BY id DESC LIMIT ?";
    params.emplace_back(std::int64_t{limit});
    return QueryAudit(sql, params);
  }

  Result<std::vector<AuditRecord>> QueryAudit(const std::string& sql, const SqlParams& params) {
    CD_TRY_ASSIGN(auto rows, db_.Query(sql, params));
    std::vector<AuditRecord> out;
    out.reserve(rows.size());
    for (const SqlRow& row : rows) out.push_back(ReadAuditRecord(row));
    return out;
  }

  static constexpr std::string_view kVerificationColumns =
      "id, conversation_id, patient_id, representative_id, state, failures, code_hash, "
      "code_channel, details_matched_at, code_expires_at, verified_at, expires_at, flag_reason, "
      "started_by, created_at";

  static Result<core::Verification> ReadVerification(const SqlRow& r) {
    core::Verification v;
    v.id = r.Int(0);
    v.conversation = ConversationId{r.Int(1)};
    v.patient = PatientId{r.Int(2)};
    v.representative_id = r.Int(3);
    auto state = core::ParseVerificationState(r.Text(4));
    if (!state) return Internal("stored verification is corrupt");
    v.state = *state;
    v.failures = static_cast<int>(r.Int(5));
    v.code_hash = r.Text(6);
    v.code_channel = r.Text(7);
    v.details_matched_at = ReadOptTime(r, 8);
    v.code_expires_at = ReadOptTime(r, 9);
    v.verified_at = ReadOptTime(r, 10);
    v.expires_at = ReadOptTime(r, 11);
    v.flag_reason = r.Text(12);
    v.started_by = UserId{r.Int(13)};
    v.created_at = FromEpochMillis(r.Int(14));
    return v;
  }

  Result<core::Verification> InsertVerification(core::Verification v) override {
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query("INSERT INTO verifications (tenant_id, conversation_id, patient_id, "
                  "representative_id, state, failures, code_hash, code_channel, "
                  "details_matched_at, code_expires_at, verified_at, expires_at, "
                  "flag_reason, started_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                  "?, ?, ?, ?, ?, ?, ?) RETURNING id",
                  {T(), v.conversation.value, v.patient.value, v.representative_id,
                   std::string(core::Name(v.state)), std::int64_t{v.failures}, v.code_hash,
                   v.code_channel, OptTime(v.details_matched_at), OptTime(v.code_expires_at),
                   OptTime(v.verified_at), OptTime(v.expires_at), v.flag_reason, v.started_by.value,
                   ToEpochMillis(v.created_at)}));
    v.id = rows.at(0).Int(0);
    return v;
  }

  Result<void> UpdateVerification(const core::Verification& v) override {
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query(
            "UPDATE verifications SET representative_id = ?, state = ?, "
            "failures = ?, code_hash = ?, code_channel = ?, details_matched_at = "
            "?, code_expires_at = ?, verified_at = ?, expires_at = ?, "
            "flag_reason = ? WHERE tenant_id = ? AND id = ? RETURNING id",
            {v.representative_id, std::string(core::Name(v.state)), std::int64_t{v.failures},
             v.code_hash, v.code_channel, OptTime(v.details_matched_at), OptTime(v.code_expires_at),
             OptTime(v.verified_at), OptTime(v.expires_at), v.flag_reason, T(), v.id}));
    if (rows.empty()) return NotFound("verification not found");
    return {};
  }

  Result<std::optional<core::Verification>> LatestVerification(ConversationId c) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT " + std::string(kVerificationColumns) +
                                           " FROM verifications WHERE tenant_id = ? AND "
                                           "conversation_id = ? ORDER BY id DESC LIMIT 1",
                                       {T(), c.value}));
    if (rows.empty()) return std::optional<core::Verification>{};
    CD_TRY_ASSIGN(core::Verification v, ReadVerification(rows[0]));
    return std::optional<core::Verification>{std::move(v)};
  }

  Result<std::vector<core::Verification>> FlaggedVerifications(std::int64_t before_id,
                                                               int limit) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("SELECT " + std::string(kVerificationColumns) +
                                " FROM verifications WHERE tenant_id = ? AND flag_reason <> '' "
                                "AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?",
                            {T(), before_id, before_id, std::int64_t{limit}}));
    std::vector<core::Verification> out;
    for (const SqlRow& r : rows) {
      CD_TRY_ASSIGN(core::Verification v, ReadVerification(r));
      out.push_back(std::move(v));
    }
    return out;
  }

  static constexpr std::string_view kRepresentativeColumns =
      "id, patient_id, name, relationship, date_of_birth, phone, email, scope, created_at, "
      "revoked_at";

  Result<core::Representative> ReadRepresentative(const SqlRow& r) const {
    core::Representative rep;
    rep.id = r.Int(0);
    rep.patient = PatientId{r.Int(1)};
    CD_TRY_ASSIGN(rep.name, keys_->Open(kRepName, r.Text(2)));
    rep.relationship = r.Text(3);
    CD_TRY_ASSIGN(rep.date_of_birth, keys_->OpenOpt(kRepBirth, r.OptText(4)));
    CD_TRY_ASSIGN(rep.phone, keys_->OpenOpt(kRepPhone, r.OptText(5)));
    CD_TRY_ASSIGN(rep.email, keys_->OpenOpt(kRepEmail, r.OptText(6)));
    for (const std::string& s : SplitList(r.Text(7))) {
      if (auto d = core::ParseDisclosure(s)) rep.scope.push_back(*d);
    }
    rep.created_at = FromEpochMillis(r.Int(8));
    rep.revoked_at = ReadOptTime(r, 9);
    return rep;
  }

  Result<core::Representative> InsertRepresentative(core::Representative rep) override {
    CD_TRY(GetPatient(rep.patient));  // kNotFound for another tenant's patient
    std::vector<std::string> scope;
    for (core::Disclosure d : rep.scope) scope.emplace_back(core::Name(d));
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query("INSERT INTO representatives (tenant_id, patient_id, name, "
                  "relationship, date_of_birth, phone, email, scope, created_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                  {T(), rep.patient.value, keys_->Seal(kRepName, rep.name), rep.relationship,
                   SealOpt(kRepBirth, rep.date_of_birth), SealOpt(kRepPhone, rep.phone),
                   SealOpt(kRepEmail, rep.email), JoinList(scope), ToEpochMillis(rep.created_at)}));
    rep.id = rows.at(0).Int(0);
    return rep;
  }

  Result<core::Representative> GetRepresentative(std::int64_t id) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT " + std::string(kRepresentativeColumns) +
                                           " FROM representatives WHERE tenant_id = ? AND id = ?",
                                       {T(), id}));
    if (rows.empty()) return NotFound("representative not found");
    return ReadRepresentative(rows[0]);
  }

  Result<std::vector<core::Representative>> Representatives(PatientId patient) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("SELECT " + std::string(kRepresentativeColumns) +
                                " FROM representatives WHERE tenant_id = ? AND patient_id = ? "
                                "ORDER BY id",
                            {T(), patient.value}));
    std::vector<core::Representative> out;
    for (const SqlRow& r : rows) {
      CD_TRY_ASSIGN(core::Representative rep, ReadRepresentative(r));
      out.push_back(std::move(rep));
    }
    return out;
  }

  Result<void> RevokeRepresentative(std::int64_t id, Timestamp now) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("UPDATE representatives SET revoked_at = COALESCE("
                                       "revoked_at, ?) WHERE tenant_id = ? AND id = ? "
                                       "RETURNING id",
                                       {ToEpochMillis(now), T(), id}));
    if (rows.empty()) return NotFound("representative not found");
    return {};
  }

  // Removes what was said in the conversations whose id is `which` (" = ?", " IN (...)", bound
  // by `which_params`): message text becomes `replacement`, senders and metadata go, and so do
  // the word indexes and queued outbound messages. Erasure and retention share it.
  Result<void> ClearContent(std::string_view which, const SqlParams& which_params,
                            std::string_view replacement) {
    auto params = [&](SqlParams head) {
      head.insert(head.end(), which_params.begin(), which_params.end());
      return head;
    };
    const std::string in(which);
    CD_TRY(db_.Execute("DELETE FROM message_tokens WHERE tenant_id = ? AND conversation_id" + in,
                       params({T()})));
    CD_TRY(db_.Execute(
        "UPDATE messages SET body = ?, sender = ?, metadata = '{}' WHERE tenant_id "
        "= ? AND conversation_id" +
            in,
        params({keys_->Seal(kMessageBody, replacement), keys_->Seal(kMessageSender, ""), T()})));
    CD_TRY(db_.Execute("DELETE FROM attachments WHERE tenant_id = ? AND conversation_id" + in,
                       params({T()})));
    return db_.Execute("DELETE FROM outbox WHERE tenant_id = ? AND conversation_id" + in,
                       params({T()}));
  }

  Result<std::int64_t> InsertAttachment(ConversationId conversation, const Attachment& a,
                                        Timestamp now) override {
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query(
            "INSERT INTO attachments (tenant_id, conversation_id, message_id, "
            "filename, content_type, size, content, created_at) VALUES (?, ?, ?, "
            "?, ?, ?, ?, ?) RETURNING id",
            {T(), conversation.value, a.message.value, keys_->Seal(kAttachmentName, a.filename),
             a.content_type, static_cast<std::int64_t>(a.content.size()),
             keys_->Seal(kAttachmentContent, AsText(a.content)), ToEpochMillis(now)}));
    return rows.at(0).Int(0);
  }

  Result<void> AttachDrafts(ConversationId conversation, const std::vector<std::int64_t>& ids,
                            MessageId message) override {
    for (std::int64_t id : ids) {
      CD_TRY_ASSIGN(auto rows, db_.Query("UPDATE attachments SET message_id = ? WHERE tenant_id = "
                                         "? AND conversation_id = ? AND id = ? AND message_id = "
                                         "0 RETURNING id",
                                         {message.value, T(), conversation.value, id}));
      // The caller's transaction is rolled back on this error, undoing any linked before.
      if (rows.empty()) {
        return MakeError(ErrorKind::kNotFound, "no such file waiting to be sent", "attachment_ids");
      }
    }
    return {};
  }

  Result<std::vector<Attachment>> ListAttachments(ConversationId conversation) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT id, message_id, filename, content_type, size FROM "
                                       "attachments WHERE tenant_id = ? AND conversation_id = ? "
                                       "ORDER BY id",
                                       {T(), conversation.value}));
    std::vector<Attachment> out;
    for (const SqlRow& r : rows) {
      Attachment a;
      a.id = r.Int(0);
      a.message = MessageId{r.Int(1)};
      CD_TRY_ASSIGN(a.filename, keys_->Open(kAttachmentName, r.Text(2)));
      a.content_type = r.Text(3);
      a.size = r.Int(4);
      out.push_back(std::move(a));
    }
    return out;
  }

  Result<std::pair<Attachment, ConversationId>> GetAttachment(std::int64_t id) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT id, message_id, filename, content_type, size, "
                                       "content, conversation_id FROM attachments WHERE "
                                       "tenant_id = ? AND id = ?",
                                       {T(), id}));
    if (rows.empty()) return NotFound("attachment not found");
    Attachment a;
    a.id = rows[0].Int(0);
    a.message = MessageId{rows[0].Int(1)};
    CD_TRY_ASSIGN(a.filename, keys_->Open(kAttachmentName, rows[0].Text(2)));
    a.content_type = rows[0].Text(3);
    a.size = rows[0].Int(4);
    CD_TRY_ASSIGN(std::string text, keys_->Open(kAttachmentContent, rows[0].Text(5)));
    auto bytes = FromText(text);
    if (!bytes) return Internal("an attachment's stored content is damaged");
    a.content = std::move(*bytes);
    return std::pair<Attachment, ConversationId>{std::move(a), ConversationId{rows[0].Int(6)}};
  }

  Result<void> ErasePatient(PatientId patient, Timestamp now) override {
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query("UPDATE patients SET name = ?, name_lower = '', date_of_birth = NULL, "
                  "phone = NULL, email = NULL, phone_index = NULL, email_index = NULL, "
                  "visitor_id = NULL, updated_at = ? WHERE tenant_id = ? AND id = ? "
                  "RETURNING id",
                  {keys_->Seal(kPatientName, ""), ToEpochMillis(now), T(), patient.value}));
    if (rows.empty()) return NotFound("patient not found");
    CD_TRY(db_.Execute("DELETE FROM patient_tokens WHERE tenant_id = ? AND patient_id = ?",
                       {T(), patient.value}));
    CD_TRY(db_.Execute("DELETE FROM representatives WHERE tenant_id = ? AND patient_id = ?",
                       {T(), patient.value}));
    CD_TRY(ClearContent(" IN (SELECT id FROM conversations WHERE tenant_id = ? AND patient_id = ?)",
                        {T(), patient.value}, "[erased]"));
    return db_.Execute(
        "UPDATE verifications SET code_hash = '' WHERE tenant_id = ? AND "
        "patient_id = ?",
        {T(), patient.value});
  }

  Result<int> PurgeConversationsBefore(Timestamp cutoff, int limit, Timestamp now) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("SELECT id, patient_id FROM conversations WHERE tenant_id = ? AND "
                            "status IN ('resolved', 'closed') AND updated_at < ? AND purged_at "
                            "IS NULL ORDER BY updated_at LIMIT ?",
                            {T(), ToEpochMillis(cutoff), std::int64_t{limit}}));
    for (const SqlRow& r : rows) {
      std::int64_t id = r.Int(0);
      CD_TRY(ClearContent(" = ?", {id}, "[purged]"));
      CD_TRY(db_.Execute("UPDATE conversations SET purged_at = ? WHERE tenant_id = ? AND id = ?",
                         {ToEpochMillis(now), T(), id}));
      AuditRecord audit;
      audit.at = now;
      audit.session = "retention";
      audit.action = "purge";
      audit.object_type = "conversation";
      audit.object_id = id;
      audit.patient = PatientId{r.Int(1)};
      CD_TRY(AppendAudit(std::move(audit)));
    }
    return static_cast<int>(rows.size());
  }

  Result<std::int64_t> QueueOutbound(const OutboxItem& item) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("INSERT INTO outbox (tenant_id, conversation_id, channel, recipient, "
                            "body, purpose, state, created_at, next_attempt_at, message_id) "
                            "VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?) RETURNING id",
                            {T(), item.conversation.value, item.channel,
                             keys_->Seal(kOutboxRecipient, item.recipient),
                             keys_->Seal(kOutboxBody, item.body), item.purpose,
                             ToEpochMillis(item.created_at), ToEpochMillis(item.created_at),
                             item.message.value}));
    return rows.at(0).Int(0);
  }

  Result<std::optional<OutboxItem>> ClaimOutbound(std::int64_t id, Timestamp now,
                                                  Millis lease) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query(std::string(kOutboxSelect) +
                                " WHERE tenant_id = ? AND id = ? AND next_attempt_at <= ?",
                            {T(), id, ToEpochMillis(now)}));
    if (rows.empty()) return std::optional<OutboxItem>{};
    // Guarded by the due time just read, so of two senders (nodes) only one claims it.
    CD_TRY_ASSIGN(auto claimed,
                  db_.Query("UPDATE outbox SET state = 'sending', attempts = attempts + 1, "
                            "next_attempt_at = ? WHERE tenant_id = ? AND id = ? AND "
                            "next_attempt_at <= ? RETURNING attempts",
                            {ToEpochMillis(now + lease), T(), id, ToEpochMillis(now)}));
    if (claimed.empty()) return std::optional<OutboxItem>{};
    CD_TRY_ASSIGN(OutboxItem item, ReadOutboxItem(rows[0]));
    item.interrupted = item.state == "sending";
    item.state = "sending";
    item.attempts = static_cast<int>(claimed[0].Int(0));
    return std::optional<OutboxItem>{std::move(item)};
  }

  Result<void> FinishOutbound(std::int64_t id, int claimed_attempt, const OutboundOutcome& outcome,
                              Timestamp now) override {
    using Kind = OutboundOutcome::Kind;
    std::string state = outcome.kind == Kind::kSent     ? "sent"
                        : outcome.kind == Kind::kFailed ? "failed"
                                                        : "queued";
    const bool again = outcome.kind == Kind::kRetry || outcome.kind == Kind::kHeld;
    SqlValue next = again ? SqlValue{ToEpochMillis(outcome.next_attempt_at)} : SqlValue{};
    SqlValue finished = again ? SqlValue{} : SqlValue{ToEpochMillis(now)};
    const std::int64_t uncount = outcome.kind == Kind::kHeld ? 1 : 0;
    // Only while this attempt still holds the item (claimed_attempt 0: a provider's report).
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query("UPDATE outbox SET state = ?, next_attempt_at = ?, provider_ref = ?, "
                  "last_error = ?, finished_at = ?, attempts = attempts - ? WHERE tenant_id = ? "
                  "AND id = ? AND (? = 0 OR (state = 'sending' AND attempts = ?)) RETURNING "
                  "conversation_id, channel, purpose, attempts, message_id",
                  {state, next, outcome.provider_ref, outcome.error, finished, uncount, T(), id,
                   std::int64_t{claimed_attempt}, std::int64_t{claimed_attempt}}));
    if (rows.empty()) {
      if (claimed_attempt == 0) return NotFound("outbox item not found");
      return Conflict("the claim on this message ran out and another sender took it");
    }
    if (!again && rows[0].Int(4) != 0) {
      // The conversation's copy of the message shows whether it went.
      CD_TRY(SetMessageDelivery(MessageId{rows[0].Int(4)}, outcome.kind == Kind::kSent
                                                               ? core::DeliveryStatus::kSent
                                                               : core::DeliveryStatus::kFailed));
    }
    if (outcome.kind != Kind::kFailed || rows[0].Int(0) == 0) return {};
    CD_TRY_ASSIGN(Conversation c, GetConversation(ConversationId{rows[0].Int(0)}));
    std::vector<core::Event> events(1);
    events[0].type = "outbound_failed";
    events[0].at = now;
    events[0].conversation_id = c.id;
    events[0].patient_id = c.patient_id;
    events[0].data = {{"outbox_id", std::to_string(id)},
                      {"channel", rows[0].Text(1)},
                      {"purpose", rows[0].Text(2)},
                      {"attempts", std::to_string(rows[0].Int(3))},
                      {"reason", outcome.error}};
    return AppendEvents(events);
  }

  Result<bool> RecordDeliveryStatus(std::string_view channel, std::string_view provider_ref,
                                    std::string_view status,
                                    const std::function<int(std::string_view)>& rank,
                                    std::string_view error, Timestamp now) override {
    if (provider_ref.empty()) return false;
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT id, delivery_status, state, message_id FROM "
                                       "outbox WHERE "
                                       "tenant_id = ? AND channel = ? AND provider_ref = ?",
                                       {T(), std::string(channel), std::string(provider_ref)}));
    if (rows.empty()) return false;
    const std::int64_t id = rows[0].Int(0);
    const std::string stored = rows[0].Text(1);
    // Only forward, and once: a report no newer than the stored one (late, or replayed: the
    // signature has no time in it) changes nothing.
    if (!stored.empty() && rank(status) <= rank(stored)) return true;
    // Guarded by the value read, so of two reports racing on two nodes one wins and the other
    // changes nothing.
    CD_TRY_ASSIGN(auto updated, db_.Query("UPDATE outbox SET delivery_status = ? WHERE tenant_id "
                                          "= ? AND id = ? AND delivery_status = ? RETURNING id",
                                          {std::string(status), T(), id, stored}));
    if (updated.empty()) return true;
    if (auto delivery = core::ParseDeliveryStatus(status); delivery && rows[0].Int(3) != 0) {
      CD_TRY(SetMessageDelivery(MessageId{rows[0].Int(3)}, *delivery));
    }
    if ((status == "undelivered" || status == "failed") && rows[0].Text(2) != "failed") {
      OutboundOutcome failed;
      failed.kind = OutboundOutcome::Kind::kFailed;
      failed.provider_ref = std::string(provider_ref);
      failed.error = std::string(error);
      CD_TRY(FinishOutbound(id, /*claimed_attempt=*/0, failed, now));
    }
    return true;
  }

  Result<std::optional<ConversationId>> FindOutboundConversation(
      std::string_view channel, std::string_view provider_ref) override {
    if (provider_ref.empty()) return std::optional<ConversationId>{};
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT conversation_id FROM outbox WHERE tenant_id = ? "
                                       "AND channel = ? AND provider_ref = ? AND "
                                       "conversation_id <> 0 LIMIT 1",
                                       {T(), std::string(channel), std::string(provider_ref)}));
    if (rows.empty()) return std::optional<ConversationId>{};
    return std::optional<ConversationId>{ConversationId{rows[0].Int(0)}};
  }

  Result<std::optional<ChannelSettings>> GetChannelSettings(std::string_view channel) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT settings, secret FROM channel_settings WHERE "
                                       "tenant_id = ? AND channel = ?",
                                       {T(), std::string(channel)}));
    if (rows.empty()) return std::optional<ChannelSettings>{};
    ChannelSettings s;
    s.channel = std::string(channel);
    s.settings = rows[0].Text(0);
    CD_TRY_ASSIGN(s.secret, keys_->Open(kChannelSecret, rows[0].Text(1)));
    return std::optional<ChannelSettings>{std::move(s)};
  }

  Result<void> PutChannelSettings(const ChannelSettings& s, Timestamp now) override {
    CD_TRY(db_.Execute("DELETE FROM channel_settings WHERE tenant_id = ? AND channel = ?",
                       {T(), s.channel}));
    return db_.Execute(
        "INSERT INTO channel_settings (tenant_id, channel, settings, secret, "
        "updated_at) VALUES (?, ?, ?, ?, ?)",
        {T(), s.channel, s.settings, keys_->Seal(kChannelSecret, s.secret), ToEpochMillis(now)});
  }

  Result<std::vector<OutboxItem>> PendingOutbound(int limit) override {
    CD_TRY_ASSIGN(auto rows, db_.Query(std::string(kOutboxSelect) +
                                           " WHERE tenant_id = ? AND state = 'queued' ORDER BY "
                                           "id LIMIT ?",
                                       {T(), std::int64_t{limit}}));
    std::vector<OutboxItem> out;
    for (const SqlRow& r : rows) {
      CD_TRY_ASSIGN(OutboxItem item, ReadOutboxItem(r));
      out.push_back(std::move(item));
    }
    return out;
  }

  Result<std::optional<SmsConsent>> GetSmsConsent(std::string_view e164) override {
    SqlParams params{T()};
    std::string match = IndexMatch("phone_index", kPhoneIndex, e164, params);
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT opted_out, keyword, changed_at FROM sms_consent "
                                       "WHERE tenant_id = ? AND " +
                                           match + " ORDER BY changed_at DESC LIMIT 1",
                                       params));
    if (rows.empty()) return std::optional<SmsConsent>{};
    SmsConsent c;
    c.opted_out = rows[0].Int(0) != 0;
    c.keyword = rows[0].Text(1);
    c.changed_at = FromEpochMillis(rows[0].Int(2));
    return std::optional<SmsConsent>{std::move(c)};
  }

  Result<void> PutSmsConsent(std::string_view e164, const SmsConsent& consent) override {
    // Under every index key in use: while the index key is rotated the number may still be
    // filed under the old one, and it must end up once, under the new one.
    SqlParams params{T()};
    std::string match = IndexMatch("phone_index", kPhoneIndex, e164, params);
    CD_TRY(db_.Execute("DELETE FROM sms_consent WHERE tenant_id = ? AND " + match, params));
    return db_.Execute(
        "INSERT INTO sms_consent (tenant_id, phone, phone_index, opted_out, keyword, changed_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        {T(), keys_->Seal(kConsentPhone, e164), keys_->Index(kPhoneIndex, e164),
         std::int64_t{consent.opted_out ? 1 : 0}, consent.keyword,
         ToEpochMillis(consent.changed_at)});
  }

  Result<std::optional<AgentPresence>> GetPresence(UserId user) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT status, max_chats, changed_at, idle_since, seen_at "
                                       "FROM agent_presence WHERE tenant_id = ? AND user_id = ?",
                                       {T(), user.value}));
    if (rows.empty()) return std::optional<AgentPresence>{};
    const SqlRow& r = rows[0];
    AgentPresence p;
    p.user = user;
    p.status = core::ParseAgentStatus(r.Text(0)).value_or(core::AgentStatus::kOffline);
    p.max_chats = static_cast<int>(r.Int(1));
    p.changed_at = FromEpochMillis(r.Int(2));
    p.idle_since = FromEpochMillis(r.Int(3));
    p.seen_at = FromEpochMillis(r.Int(4));
    return std::optional<AgentPresence>{p};
  }

  Result<void> PutPresence(const AgentPresence& p) override {
    CD_TRY(db_.Execute("DELETE FROM agent_presence WHERE tenant_id = ? AND user_id = ?",
                       {T(), p.user.value}));
    CD_TRY(RecordPresenceSpan(p));
    return db_.Execute(
        "INSERT INTO agent_presence (tenant_id, user_id, status, max_chats, changed_at, "
        "idle_since, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {T(), p.user.value, std::string(core::Name(p.status)), std::int64_t{p.max_chats},
         ToEpochMillis(p.changed_at), ToEpochMillis(p.idle_since), ToEpochMillis(p.seen_at)});
  }

  // Each PutPresence is a check-in (the console's heartbeat, or a status the server set).
  Result<void> RecordPresenceSpan(const AgentPresence& p) {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT id, status, from_at, to_at FROM presence_spans "
                                       "WHERE tenant_id = ? AND user_id = ? ORDER BY id DESC "
                                       "LIMIT 1",
                                       {T(), p.user.value}));
    std::optional<core::StatusSpan> last;
    if (!rows.empty()) {
      last = core::StatusSpan{
          core::ParseAgentStatus(rows[0].Text(1)).value_or(core::AgentStatus::kOffline),
          FromEpochMillis(rows[0].Int(2)), FromEpochMillis(rows[0].Int(3))};
    }
    core::PresenceChange change = core::NextPresenceSpan(last, p.status, p.seen_at);
    if (change.last_ends) {
      CD_TRY(db_.Execute("UPDATE presence_spans SET to_at = ? WHERE tenant_id = ? AND id = ?",
                         {ToEpochMillis(*change.last_ends), T(), rows[0].Int(0)}));
    }
    if (change.begins) {
      CD_TRY(db_.Execute(
          "INSERT INTO presence_spans (tenant_id, user_id, status, from_at, to_at) VALUES "
          "(?, ?, ?, ?, ?)",
          {T(), p.user.value, std::string(core::Name(change.begins->status)),
           ToEpochMillis(change.begins->from), ToEpochMillis(change.begins->to)}));
    }
    return {};
  }

  Result<std::vector<PresenceSpan>> PresenceSpans(Timestamp from, Timestamp to) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("SELECT id, user_id, status, from_at, to_at FROM presence_spans "
                            "WHERE tenant_id = ? AND to_at > ? AND from_at < ? ORDER BY user_id, "
                            "from_at, id LIMIT 200000",
                            {T(), ToEpochMillis(from), ToEpochMillis(to)}));
    std::vector<PresenceSpan> out;
    out.reserve(rows.size());
    for (const SqlRow& r : rows) {
      out.push_back(
          PresenceSpan{r.Int(0), UserId{r.Int(1)},
                       core::ParseAgentStatus(r.Text(2)).value_or(core::AgentStatus::kOffline),
                       FromEpochMillis(r.Int(3)), FromEpochMillis(r.Int(4))});
    }
    return out;
  }

  Result<std::vector<core::AgentLoad>> AgentLoads(Timestamp seen_after) override {
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query("SELECT u.id, u.languages, u.queues, p.status, p.max_chats, p.idle_since, "
                  "p.seen_at, (SELECT COUNT(*) FROM chats c WHERE c.tenant_id = u.tenant_id AND "
                  "((c.state = 'waiting' AND c.offered_to = u.id) OR (c.state = 'active' AND "
                  "c.agent_id = u.id))) FROM users u LEFT JOIN agent_presence p ON "
                  "p.tenant_id = u.tenant_id AND p.user_id = u.id WHERE u.tenant_id = ? AND "
                  "u.active = 1 AND u.role <> 'auditor' ORDER BY u.id LIMIT 10000",
                  {T()}));
    std::vector<core::AgentLoad> out;
    out.reserve(rows.size());
    for (const SqlRow& r : rows) {
      core::AgentLoad a;
      a.user = UserId{r.Int(0)};
      a.languages = SplitList(r.Text(1));
      a.queues = SplitList(r.Text(2));
      if (!r.IsNull(3) && FromEpochMillis(r.Int(6)) >= seen_after) {
        a.status = core::ParseAgentStatus(r.Text(3)).value_or(core::AgentStatus::kOffline);
      }
      if (!r.IsNull(4)) a.max_chats = static_cast<int>(r.Int(4));
      a.idle_since = FromEpochMillis(r.Int(5));
      a.chats = static_cast<int>(r.Int(7));
      out.push_back(std::move(a));
    }
    return out;
  }

  static constexpr std::string_view kChatSelect =
      "SELECT id, conversation_id, visitor_hash, visitor_id, language, queue, state, started_at, "
      "offered_to, offer_expires_at, passed_over, agent_id, answered_at, ended_at, end_reason, "
      "patient_seen, agent_seen, patient_seen_at FROM chats";

  static Chat ReadChat(const SqlRow& r) {
    Chat c;
    c.id = r.Int(0);
    c.conversation = ConversationId{r.Int(1)};
    c.visitor_hash = r.Text(2);
    c.visitor_id = r.Text(3);
    c.language = r.Text(4);
    c.queue = r.Text(5);
    c.state = r.Text(6);
    c.started_at = FromEpochMillis(r.Int(7));
    c.offered_to = UserId{r.Int(8)};
    if (auto t = r.OptInt(9)) c.offer_expires_at = FromEpochMillis(*t);
    for (const std::string& id : SplitList(r.Text(10))) {
      c.passed_over.push_back(UserId{std::strtoll(id.c_str(), nullptr, 10)});
    }
    c.agent = UserId{r.Int(11)};
    if (auto t = r.OptInt(12)) c.answered_at = FromEpochMillis(*t);
    if (auto t = r.OptInt(13)) c.ended_at = FromEpochMillis(*t);
    c.end_reason = r.Text(14);
    c.patient_seen = MessageId{r.Int(15)};
    c.agent_seen = MessageId{r.Int(16)};
    c.patient_seen_at = FromEpochMillis(r.Int(17));
    return c;
  }

  static SqlValue OptMillis(const std::optional<Timestamp>& t) {
    if (!t) return std::monostate{};
    return ToEpochMillis(*t);
  }

  static std::string PassedOverList(const Chat& c) {
    std::vector<std::string> ids;
    ids.reserve(c.passed_over.size());
    for (UserId u : c.passed_over) ids.push_back(std::to_string(u.value));
    return JoinList(ids);
  }

  Result<Chat> InsertChat(Chat c) override {
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query("INSERT INTO chats (tenant_id, conversation_id, visitor_hash, visitor_id, "
                  "language, queue, state, started_at, offered_to, offer_expires_at, passed_over, "
                  "agent_id, answered_at, ended_at, end_reason, patient_seen, agent_seen, "
                  "patient_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                  "RETURNING id",
                  {T(), c.conversation.value, c.visitor_hash, c.visitor_id, c.language, c.queue,
                   c.state, ToEpochMillis(c.started_at), c.offered_to.value,
                   OptMillis(c.offer_expires_at), PassedOverList(c), c.agent.value,
                   OptMillis(c.answered_at), OptMillis(c.ended_at), c.end_reason,
                   c.patient_seen.value, c.agent_seen.value, ToEpochMillis(c.patient_seen_at)}));
    c.id = rows.at(0).Int(0);
    return c;
  }

  Result<Chat> GetChat(std::int64_t id) override {
    CD_TRY_ASSIGN(auto rows, db_.Query(std::string(kChatSelect) +
                                           " WHERE tenant_id = ? AND id = ?" + ForUpdate(),
                                       {T(), id}));
    if (rows.empty()) return NotFound("chat not found");
    return ReadChat(rows[0]);
  }

  Result<std::optional<Chat>> FindChatByVisitor(std::string_view visitor_hash) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query(std::string(kChatSelect) + " WHERE tenant_id = ? AND visitor_hash = ?" +
                                ForUpdate(),
                            {T(), std::string(visitor_hash)}));
    if (rows.empty()) return std::optional<Chat>{};
    return std::optional<Chat>{ReadChat(rows[0])};
  }

  Result<std::optional<Chat>> ChatOfConversation(ConversationId conversation) override {
    CD_TRY_ASSIGN(auto rows, db_.Query(std::string(kChatSelect) +
                                           " WHERE tenant_id = ? AND conversation_id = ? ORDER "
                                           "BY id DESC LIMIT 1",
                                       {T(), conversation.value}));
    if (rows.empty()) return std::optional<Chat>{};
    return std::optional<Chat>{ReadChat(rows[0])};
  }

  Result<void> UpdateChat(const Chat& c) override {
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query("UPDATE chats SET language = ?, queue = ?, state = ?, offered_to = ?, "
                  "offer_expires_at = ?, passed_over = ?, agent_id = ?, answered_at = ?, "
                  "ended_at = ?, end_reason = ?, patient_seen = ?, agent_seen = ?, "
                  "patient_seen_at = ? WHERE tenant_id = ? AND id = ? RETURNING id",
                  {c.language, c.queue, c.state, c.offered_to.value, OptMillis(c.offer_expires_at),
                   PassedOverList(c), c.agent.value, OptMillis(c.answered_at),
                   OptMillis(c.ended_at), c.end_reason, c.patient_seen.value, c.agent_seen.value,
                   ToEpochMillis(c.patient_seen_at), T(), c.id}));
    if (rows.empty()) return NotFound("chat not found");
    return {};
  }

  Result<std::vector<Chat>> OpenChats() override {
    CD_TRY_ASSIGN(auto rows, db_.Query(std::string(kChatSelect) +
                                           " WHERE tenant_id = ? AND state IN ('waiting', "
                                           "'active') ORDER BY id LIMIT 10000",
                                       {T()}));
    std::vector<Chat> out;
    out.reserve(rows.size());
    for (const SqlRow& r : rows) out.push_back(ReadChat(r));
    return out;
  }

  Result<std::vector<Chat>> ChatsAnsweredSince(Timestamp since) override {
    CD_TRY_ASSIGN(auto rows, db_.Query(std::string(kChatSelect) +
                                           " WHERE tenant_id = ? AND answered_at >= ? ORDER BY "
                                           "id LIMIT 100000",
                                       {T(), ToEpochMillis(since)}));
    std::vector<Chat> out;
    out.reserve(rows.size());
    for (const SqlRow& r : rows) out.push_back(ReadChat(r));
    return out;
  }

  Result<Millis> MeanChatDuration(Timestamp since) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT COUNT(*), SUM(ended_at - answered_at) FROM chats "
                                       "WHERE tenant_id = ? AND state = 'ended' AND answered_at "
                                       "IS NOT NULL AND ended_at >= ?",
                                       {T(), ToEpochMillis(since)}));
    std::int64_t n = rows.at(0).Int(0);
    if (n == 0) return Millis{0};
    return Millis{rows[0].Int(1) / n};
  }

  static SqlValue OptInt(const std::optional<int>& v) {
    if (!v) return std::monostate{};
    return static_cast<std::int64_t>(*v);
  }

  static std::optional<int> ReadOptInt(const SqlRow& r, std::size_t i) {
    if (auto v = r.OptInt(i)) return static_cast<int>(*v);
    return std::nullopt;
  }

  Result<bool> InsertPhoneEvent(const PhoneEvent& e) override {
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query("INSERT INTO phone_events (tenant_id, event_key, call_ref, queue, kind, at, "
                  "agent, wait_s, talk_s, exit_key, patient_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                  "?, ?, ?) ON CONFLICT (tenant_id, event_key) DO NOTHING RETURNING id",
                  {T(), e.key, e.call_ref, e.queue, e.kind, ToEpochMillis(e.at), e.agent,
                   OptInt(e.wait_seconds), OptInt(e.talk_seconds), e.exit_key, e.patient.value}));
    return !rows.empty();
  }

  static constexpr std::string_view kPhoneEventSelect =
      "SELECT event_key, call_ref, queue, kind, at, agent, wait_s, talk_s, exit_key, patient_id "
      "FROM phone_events";

  Result<std::vector<PhoneEvent>> AgentPhoneEvents(Timestamp from, Timestamp to) override {
    CD_TRY_ASSIGN(auto rows, db_.Query(std::string(kPhoneEventSelect) +
                                           " WHERE tenant_id = ? AND call_ref = '' AND at >= ? "
                                           "AND at < ? ORDER BY at, id LIMIT 200000",
                                       {T(), ToEpochMillis(from), ToEpochMillis(to)}));
    return ReadPhoneEvents(rows);
  }

  Result<std::vector<PhoneEvent>> PhoneEventsOfCall(std::string_view call_ref) override {
    CD_TRY_ASSIGN(auto rows, db_.Query(std::string(kPhoneEventSelect) +
                                           " WHERE tenant_id = ? AND call_ref = ? ORDER BY at, id",
                                       {T(), std::string(call_ref)}));
    return ReadPhoneEvents(rows);
  }

  static std::vector<PhoneEvent> ReadPhoneEvents(const std::vector<SqlRow>& rows) {
    std::vector<PhoneEvent> out;
    out.reserve(rows.size());
    for (const SqlRow& r : rows) {
      PhoneEvent e;
      e.key = r.Text(0);
      e.call_ref = r.Text(1);
      e.queue = r.Text(2);
      e.kind = r.Text(3);
      e.at = FromEpochMillis(r.Int(4));
      e.agent = r.Text(5);
      e.wait_seconds = ReadOptInt(r, 6);
      e.talk_seconds = ReadOptInt(r, 7);
      e.exit_key = r.Text(8);
      e.patient = PatientId{r.Int(9)};
      out.push_back(std::move(e));
    }
    return out;
  }

  static constexpr std::string_view kCallSelect =
      "SELECT id, source, ref, queue, patient_id, outcome, entered_at, answered_at, ended_at, "
      "agent, wait_s, talk_s, hold_s, wrap_s, unanswered_rings, transferred, exit_key, "
      "conversation_id, updated_at FROM calls";

  static CallRecord ReadCall(const SqlRow& r) {
    CallRecord c;
    c.id = r.Int(0);
    c.source = r.Text(1);
    c.call.ref = r.Text(2);
    c.call.queue = r.Text(3);
    c.call.patient = PatientId{r.Int(4)};
    c.call.outcome = core::ParseCallOutcome(r.Text(5)).value_or(core::CallOutcome::kWaiting);
    c.call.entered_at = FromEpochMillis(r.Int(6));
    c.call.answered_at = ReadOptTime(r, 7);
    c.call.ended_at = ReadOptTime(r, 8);
    c.call.agent = r.Text(9);
    c.call.wait_seconds = static_cast<int>(r.Int(10));
    c.call.talk_seconds = static_cast<int>(r.Int(11));
    c.call.hold_seconds = static_cast<int>(r.Int(12));
    c.call.wrap_seconds = static_cast<int>(r.Int(13));
    c.call.unanswered_rings = static_cast<int>(r.Int(14));
    c.call.transferred = r.Int(15) != 0;
    c.call.exit_key = r.Text(16);
    c.conversation = ConversationId{r.Int(17)};
    c.updated_at = FromEpochMillis(r.Int(18));
    return c;
  }

  Result<std::optional<CallRecord>> FindCall(std::string_view source,
                                             std::string_view ref) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query(std::string(kCallSelect) +
                                " WHERE tenant_id = ? AND source = ? AND ref = ?" + ForUpdate(),
                            {T(), std::string(source), std::string(ref)}));
    if (rows.empty()) return std::optional<CallRecord>{};
    return std::optional<CallRecord>{ReadCall(rows[0])};
  }

  Result<CallRecord> PutCall(CallRecord c) override {
    const core::Call& k = c.call;
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query(
            "INSERT INTO calls (tenant_id, source, ref, queue, patient_id, outcome, "
            "entered_at, answered_at, ended_at, agent, wait_s, talk_s, hold_s, wrap_s, "
            "unanswered_rings, transferred, exit_key, conversation_id, updated_at) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
            "(tenant_id, source, ref) DO UPDATE SET queue = excluded.queue, patient_id = "
            "excluded.patient_id, outcome = excluded.outcome, entered_at = "
            "excluded.entered_at, answered_at = excluded.answered_at, ended_at = "
            "excluded.ended_at, agent = excluded.agent, wait_s = excluded.wait_s, talk_s = "
            "excluded.talk_s, hold_s = excluded.hold_s, wrap_s = excluded.wrap_s, "
            "unanswered_rings = excluded.unanswered_rings, transferred = "
            "excluded.transferred, exit_key = excluded.exit_key, conversation_id = "
            "excluded.conversation_id, updated_at = excluded.updated_at RETURNING id",
            {T(), c.source, k.ref, k.queue, k.patient.value, std::string(core::Name(k.outcome)),
             ToEpochMillis(k.entered_at), OptTime(k.answered_at), OptTime(k.ended_at), k.agent,
             static_cast<std::int64_t>(k.wait_seconds), static_cast<std::int64_t>(k.talk_seconds),
             static_cast<std::int64_t>(k.hold_seconds), static_cast<std::int64_t>(k.wrap_seconds),
             static_cast<std::int64_t>(k.unanswered_rings),
             static_cast<std::int64_t>(k.transferred ? 1 : 0), k.exit_key, c.conversation.value,
             ToEpochMillis(c.updated_at)}));
    c.id = rows.at(0).Int(0);
    return c;
  }

  Result<std::vector<CallRecord>> ListCalls(const CallFilter& f) override {
    std::string sql = std::string(kCallSelect) + " WHERE tenant_id = ?";
    std::vector<SqlValue> args{T()};
    if (f.patient) {
      sql += " AND patient_id = ?";
      args.emplace_back(f.patient->value);
    }
    if (f.from) {
      sql += " AND entered_at >= ?";
      args.emplace_back(ToEpochMillis(*f.from));
    }
    if (f.to) {
      sql += " AND entered_at < ?";
      args.emplace_back(ToEpochMillis(*f.to));
    }
    if (f.before_id > 0) {
      sql += " AND id < ?";
      args.emplace_back(f.before_id);
    }
    sql += " ORDER BY id DESC LIMIT ?";
    args.emplace_back(static_cast<std::int64_t>(std::clamp(f.limit, 1, 1000)));
    CD_TRY_ASSIGN(auto rows, db_.Query(sql, args));
    std::vector<CallRecord> out;
    out.reserve(rows.size());
    for (const SqlRow& r : rows) out.push_back(ReadCall(r));
    return out;
  }

  static constexpr std::string_view kKpiFactSelect =
      "SELECT fact_key, patient_id, day, hour, channel, queue, agent, category, tally, "
      "created_at, resolved_at, staff_initiated, recontacted, location, policy FROM kpi_facts";

  static KpiFactRow ReadKpiFact(const SqlRow& r) {
    KpiFactRow f;
    f.key = r.Text(0);
    f.patient = PatientId{r.Int(1)};
    f.cell.day = static_cast<std::int32_t>(r.Int(2));
    f.cell.hour = static_cast<std::int32_t>(r.Int(3));
    f.cell.channel = r.Text(4);
    f.cell.queue = r.Text(5);
    f.cell.agent = r.Text(6);
    f.cell.category = r.Text(7);
    f.tally = r.Text(8);
    f.created_at = FromEpochMillis(r.Int(9));
    f.resolved_at = ReadOptTime(r, 10);
    f.staff_initiated = r.Int(11) != 0;
    f.recontacted = r.Int(12) != 0;
    f.cell.location = r.Text(13);
    f.cell.policy = r.Text(14);
    return f;
  }

  Result<std::optional<KpiFactRow>> GetKpiFact(std::string_view key) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query(std::string(kKpiFactSelect) + " WHERE tenant_id = ? AND fact_key = ?",
                            {T(), std::string(key)}));
    if (rows.empty()) return std::optional<KpiFactRow>{};
    return std::optional<KpiFactRow>{ReadKpiFact(rows[0])};
  }

  Result<void> PutKpiFact(const KpiFactRow& f) override {
    CD_TRY(db_.Query(
        "INSERT INTO kpi_facts (tenant_id, fact_key, patient_id, day, hour, channel, queue, agent, "
        "category, tally, created_at, resolved_at, staff_initiated, recontacted, location, "
        "policy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, "
        "fact_key) DO UPDATE SET patient_id = excluded.patient_id, day = excluded.day, hour = "
        "excluded.hour, channel = excluded.channel, queue = excluded.queue, agent = "
        "excluded.agent, category = excluded.category, tally = excluded.tally, created_at = "
        "excluded.created_at, resolved_at = excluded.resolved_at, staff_initiated = "
        "excluded.staff_initiated, recontacted = excluded.recontacted, location = "
        "excluded.location, policy = excluded.policy",
        {T(), f.key, f.patient.value, static_cast<std::int64_t>(f.cell.day),
         static_cast<std::int64_t>(f.cell.hour), f.cell.channel, f.cell.queue, f.cell.agent,
         f.cell.category, f.tally, ToEpochMillis(f.created_at), OptTime(f.resolved_at),
         static_cast<std::int64_t>(f.staff_initiated), static_cast<std::int64_t>(f.recontacted),
         f.cell.location, f.cell.policy}));
    return {};
  }

  Result<std::vector<KpiFactRow>> KpiFactsOfPatient(PatientId patient) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query(std::string(kKpiFactSelect) + " WHERE tenant_id = ? AND patient_id = ?",
                            {T(), patient.value}));
    std::vector<KpiFactRow> out;
    for (const SqlRow& r : rows) out.push_back(ReadKpiFact(r));
    return out;
  }

  Result<std::vector<KpiFactRow>> KpiFacts(const KpiCellQuery& q, int limit) override {
    std::string sql =
        std::string(kKpiFactSelect) + " WHERE tenant_id = ? AND day >= ? AND day <= ?";
    std::vector<SqlValue> args{T(), static_cast<std::int64_t>(q.from_day),
                               static_cast<std::int64_t>(q.to_day)};
    auto equal = [&](const char* column, const std::optional<std::string>& v) {
      if (!v) return;
      sql += std::string(" AND ") + column + " = ?";
      args.emplace_back(*v);
    };
    equal("channel", q.channel);
    equal("queue", q.queue);
    equal("agent", q.agent);
    equal("category", q.category);
    equal("location", q.location);
    equal("policy", q.policy);
    if (q.hour) {
      sql += " AND hour = ?";
      args.emplace_back(static_cast<std::int64_t>(*q.hour));
    }
    sql += " ORDER BY day, created_at, fact_key LIMIT ?";
    args.emplace_back(static_cast<std::int64_t>(std::max(limit, 0)));
    CD_TRY_ASSIGN(auto rows, db_.Query(sql, args));
    std::vector<KpiFactRow> out;
    out.reserve(rows.size());
    for (const SqlRow& r : rows) out.push_back(ReadKpiFact(r));
    return out;
  }

  static std::vector<SqlValue> CellKey(SqlValue tenant, core::Grain grain, const core::Cell& c) {
    return {std::move(tenant),
            std::string(core::Name(grain)),
            static_cast<std::int64_t>(c.day),
            static_cast<std::int64_t>(c.hour),
            c.channel,
            c.queue,
            c.agent,
            c.category,
            c.location,
            c.policy};
  }

  Result<std::optional<std::string>> GetKpiCell(core::Grain grain,
                                                const core::Cell& cell) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("SELECT tally FROM kpi_cells WHERE tenant_id = ? AND grain = ? AND "
                            "day = ? AND hour = ? AND channel = ? AND queue = ? AND agent = ? AND "
                            "category = ? AND location = ? AND policy = ?",
                            CellKey(T(), grain, cell)));
    if (rows.empty()) return std::optional<std::string>{};
    return std::optional<std::string>{rows[0].Text(0)};
  }

  Result<void> PutKpiCell(core::Grain grain, const core::Cell& cell,
                          std::string_view tally) override {
    std::vector<SqlValue> args = CellKey(T(), grain, cell);
    if (tally.empty()) {
      CD_TRY(
          db_.Query("DELETE FROM kpi_cells WHERE tenant_id = ? AND grain = ? AND day = ? AND "
                    "hour = ? AND channel = ? AND queue = ? AND agent = ? AND category = ? AND "
                    "location = ? AND policy = ?",
                    args));
      return {};
    }
    args.emplace_back(std::string(tally));
    CD_TRY(db_.Query(
        "INSERT INTO kpi_cells (tenant_id, grain, day, hour, channel, queue, agent, category, "
        "location, policy, tally) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
        "(tenant_id, grain, day, hour, channel, queue, agent, category, location, policy) DO "
        "UPDATE SET tally = excluded.tally",
        args));
    return {};
  }

  Result<std::vector<KpiCellRow>> KpiCells(const KpiCellQuery& q) override {
    std::string sql =
        "SELECT day, hour, channel, queue, agent, category, tally, location, policy FROM "
        "kpi_cells WHERE tenant_id = ? AND grain = ? AND day >= ? AND day <= ?";
    std::vector<SqlValue> args{T(), std::string(core::Name(q.grain)),
                               static_cast<std::int64_t>(q.from_day),
                               static_cast<std::int64_t>(q.to_day)};
    auto equal = [&](const char* column, const std::optional<std::string>& v) {
      if (!v) return;
      sql += std::string(" AND ") + column + " = ?";
      args.emplace_back(*v);
    };
    equal("channel", q.channel);
    equal("queue", q.queue);
    equal("agent", q.agent);
    equal("category", q.category);
    equal("location", q.location);
    equal("policy", q.policy);
    if (q.hour) {
      sql += " AND hour = ?";
      args.emplace_back(static_cast<std::int64_t>(*q.hour));
    }
    CD_TRY_ASSIGN(auto rows, db_.Query(sql, args));
    std::vector<KpiCellRow> out;
    out.reserve(rows.size());
    for (const SqlRow& r : rows) {
      KpiCellRow row;
      row.grain = q.grain;
      row.cell.day = static_cast<std::int32_t>(r.Int(0));
      row.cell.hour = static_cast<std::int32_t>(r.Int(1));
      row.cell.channel = r.Text(2);
      row.cell.queue = r.Text(3);
      row.cell.agent = r.Text(4);
      row.cell.category = r.Text(5);
      row.tally = r.Text(6);
      row.cell.location = r.Text(7);
      row.cell.policy = r.Text(8);
      out.push_back(std::move(row));
    }
    return out;
  }

  Result<KpiProgress> GetKpiProgress() override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("SELECT events_after, calls_after, calls_after_id, events_read, "
                            "calls_read, calls_read_id, horizon FROM kpi_progress WHERE "
                            "tenant_id = ?",
                            {T()}));
    KpiProgress p;
    if (!rows.empty()) {
      p.events_after = rows[0].Int(0);
      p.calls_after = FromEpochMillis(rows[0].Int(1));
      p.calls_after_id = rows[0].Int(2);
      p.events_read = rows[0].Int(3);
      p.calls_read = FromEpochMillis(rows[0].Int(4));
      p.calls_read_id = rows[0].Int(5);
      p.horizon = static_cast<std::uint64_t>(rows[0].Int(6));
    }
    return p;
  }

  Result<void> PutKpiProgress(const KpiProgress& p) override {
    CD_TRY(db_.Query(
        "INSERT INTO kpi_progress (tenant_id, events_after, calls_after, "
        "calls_after_id, events_read, calls_read, calls_read_id, horizon) VALUES (?, ?, "
        "?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET events_after = "
        "excluded.events_after, calls_after = excluded.calls_after, calls_after_id = "
        "excluded.calls_after_id, events_read = excluded.events_read, calls_read = "
        "excluded.calls_read, calls_read_id = excluded.calls_read_id, horizon = "
        "excluded.horizon",
        {T(), p.events_after, ToEpochMillis(p.calls_after), p.calls_after_id, p.events_read,
         ToEpochMillis(p.calls_read), p.calls_read_id, static_cast<std::int64_t>(p.horizon)}));
    return {};
  }

  Result<std::pair<std::vector<ConversationId>, std::int64_t>> ConversationsChangedAfter(
      std::int64_t after_event, int limit) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT id, conversation_id FROM events WHERE tenant_id = "
                                       "? AND id > ? ORDER BY id LIMIT ?",
                                       {T(), after_event, static_cast<std::int64_t>(limit)}));
    std::vector<ConversationId> out;
    std::int64_t last = after_event;
    for (const SqlRow& r : rows) {
      last = r.Int(0);
      if (r.Int(1) != 0) out.emplace_back(r.Int(1));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return std::pair{std::move(out), last};
  }

  Result<std::vector<CallRecord>> CallsChangedAfter(Timestamp after, std::int64_t after_id,
                                                    int limit) override {
    std::int64_t ms = ToEpochMillis(after);
    CD_TRY_ASSIGN(auto rows, db_.Query(std::string(kCallSelect) +
                                           " WHERE tenant_id = ? AND (updated_at > ? OR "
                                           "(updated_at = ? AND id > ?)) ORDER BY updated_at, id "
                                           "LIMIT ?",
                                       {T(), ms, ms, after_id, static_cast<std::int64_t>(limit)}));
    std::vector<CallRecord> out;
    out.reserve(rows.size());
    for (const SqlRow& r : rows) out.push_back(ReadCall(r));
    return out;
  }

  Result<std::int64_t> CountOpenConversations() override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT COUNT(*) FROM conversations WHERE tenant_id = ? "
                                       "AND status IN ('open', 'pending')",
                                       {T()}));
    return rows.at(0).Int(0);
  }

  Result<std::optional<std::uint64_t>> WriteHorizon() override {
    if (db_.Dialect() != "postgres") return std::optional<std::uint64_t>{};
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"));
    return std::optional<std::uint64_t>{static_cast<std::uint64_t>(rows.at(0).Int(0))};
  }

  Result<bool> WritesFinishedBefore(std::uint64_t horizon) override {
    if (db_.Dialect() != "postgres") return true;
    // The oldest transaction still running, this one aside (it began after any horizon it
    // asks about, so it cannot hold one back, but it may already have an id).
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"));
    return static_cast<std::uint64_t>(rows.at(0).Int(0)) >= horizon;
  }

  Result<void> PutBacklog(std::int32_t day, std::int64_t open) override {
    return db_.Execute(
        "INSERT INTO kpi_backlog (tenant_id, day, open_count, peak) VALUES (?, ?, ?, ?) ON "
        "CONFLICT (tenant_id, day) DO UPDATE SET open_count = excluded.open_count, peak = CASE "
        "WHEN excluded.open_count > kpi_backlog.peak THEN excluded.open_count ELSE "
        "kpi_backlog.peak END",
        {T(), std::int64_t{day}, open, open});
  }

  Result<std::vector<BacklogDay>> BacklogDays(std::int32_t from_day, std::int32_t to_day) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT day, open_count, peak FROM kpi_backlog WHERE "
                                       "tenant_id = ? AND day >= ? AND day <= ? ORDER BY day",
                                       {T(), std::int64_t{from_day}, std::int64_t{to_day}}));
    std::vector<BacklogDay> out;
    out.reserve(rows.size());
    for (const SqlRow& r : rows) {
      out.push_back({static_cast<std::int32_t>(r.Int(0)), r.Int(1), r.Int(2)});
    }
    return out;
  }

  Result<void> LockKey(std::string_view key) override {
    if (!lock_rows_) return {};
    // FNV-1a over the tenant and the key: a collision only makes two writes take turns.
    std::uint64_t h = 1469598103934665603ULL;
    auto mix = [&h](std::string_view bytes) {
      for (char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
      }
    };
    mix(std::to_string(tenant_.value));
    mix(":");
    mix(key);
    return db_.Execute("SELECT pg_advisory_xact_lock(?)", {static_cast<std::int64_t>(h)});
  }

  Result<Tenant> GetTenant() override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("SELECT id, slug, name, time_zone, business_hours, holidays, "
                            "created_at, require_second_factor, retention_days FROM tenants "
                            "WHERE id = ?",
                            {T()}));
    if (rows.empty()) return NotFound("tenant not found");
    const SqlRow& r = rows[0];
    Tenant t;
    t.id = TenantId{r.Int(0)};
    t.slug = r.Text(1);
    t.name = r.Text(2);
    t.time_zone = r.Text(3);
    t.business_hours = r.Text(4);
    t.holidays = SplitList(r.Text(5));
    t.created_at = FromEpochMillis(r.Int(6));
    t.require_second_factor = r.Int(7) != 0;
    t.retention_days = static_cast<int>(r.Int(8));
    return t;
  }

  Result<core::BusinessCalendar> Calendar() override {
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query("SELECT time_zone, business_hours, holidays FROM tenants WHERE id = ?", {T()}));
    if (rows.empty()) return NotFound("tenant not found");
    const SqlRow& r = rows[0];
    if (calendars_) return calendars_->Get(tenant_, r.Text(0), r.Text(1), r.Text(2));
    return ParseCalendar(r.Text(0), r.Text(1), r.Text(2));
  }

  Result<std::vector<core::SlaPolicy>> SlaPolicies() override {
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query(
            "SELECT id, name, queue, channel, priority, first_response_ms, next_response_ms, "
            "resolution_ms, at_risk_fraction FROM sla_policies WHERE tenant_id = ? ORDER BY id",
            {T()}));
    std::vector<core::SlaPolicy> out;
    for (const SqlRow& r : rows) {
      core::SlaPolicy p;
      p.id = r.Int(0);
      p.name = r.Text(1);
      p.queue = r.OptText(2);
      if (auto ch = r.OptText(3)) p.channel = core::ParseChannel(*ch);
      if (auto pr = r.OptText(4)) p.priority = core::ParsePriority(*pr);
      p.targets.first_response = Millis{r.Int(5)};
      p.targets.next_response = Millis{r.Int(6)};
      p.targets.resolution = Millis{r.Int(7)};
      p.targets.at_risk_fraction = r.Real(8);
      out.push_back(std::move(p));
    }
    return out;
  }

  Result<core::SlaPolicy> InsertSlaPolicy(core::SlaPolicy p) override {
    CD_TRY(core::ValidateTargets(p.targets));
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query(
            "INSERT INTO sla_policies (tenant_id, name, queue, channel, priority, "
            "first_response_ms, "
            "next_response_ms, resolution_ms, at_risk_fraction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            {T(), p.name, Opt(p.queue),
             p.channel ? SqlValue{std::string(core::Name(*p.channel))} : SqlValue{},
             p.priority ? SqlValue{std::string(core::Name(*p.priority))} : SqlValue{},
             p.targets.first_response.count(), p.targets.next_response.count(),
             p.targets.resolution.count(), p.targets.at_risk_fraction}));
    p.id = rows.at(0).Int(0);
    return p;
  }

  Result<void> UpdateSlaPolicy(const core::SlaPolicy& p) override {
    CD_TRY(core::ValidateTargets(p.targets));
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query("UPDATE sla_policies SET name = ?, queue = ?, channel = ?, priority = ?, "
                  "first_response_ms = ?, next_response_ms = ?, resolution_ms = ?, "
                  "at_risk_fraction = ? WHERE tenant_id = ? AND id = ? RETURNING id",
                  {p.name, Opt(p.queue),
                   p.channel ? SqlValue{std::string(core::Name(*p.channel))} : SqlValue{},
                   p.priority ? SqlValue{std::string(core::Name(*p.priority))} : SqlValue{},
                   p.targets.first_response.count(), p.targets.next_response.count(),
                   p.targets.resolution.count(), p.targets.at_risk_fraction, T(), p.id}));
    if (rows.empty()) return NotFound("SLA policy not found");
    return {};
  }

  Result<void> DeleteSlaPolicy(std::int64_t id) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("DELETE FROM sla_policies WHERE tenant_id = ? AND id = ? RETURNING id",
                            {T(), id}));
    if (rows.empty()) return NotFound("SLA policy not found");
    return {};
  }

  Result<void> UpdateTenantSettings(const Tenant& t) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("UPDATE tenants SET name = ?, time_zone = ?, business_hours = ?, "
                            "holidays = ?, require_second_factor = ?, retention_days = ? WHERE "
                            "id = ? RETURNING id",
                            {t.name, t.time_zone, t.business_hours, JoinList(t.holidays),
                             std::int64_t{t.require_second_factor ? 1 : 0},
                             std::int64_t{t.retention_days}, T()}));
    if (rows.empty()) return NotFound("tenant not found");
    return {};
  }

  Result<Location> InsertLocation(Location l) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("INSERT INTO locations (tenant_id, name, address, "
                            "business_hours, holidays) VALUES (?, ?, ?, ?, ?) "
                            "RETURNING id",
                            {T(), l.name, l.address, l.business_hours, JoinList(l.holidays)}));
    l.id = LocationId{rows.at(0).Int(0)};
    return l;
  }

  Result<void> UpdateLocation(const Location& l) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("UPDATE locations SET name = ?, address = ?, "
                                       "business_hours = ?, holidays = ? "
                                       "WHERE tenant_id = ? AND id = ? RETURNING id",
                                       {l.name, l.address, l.business_hours, JoinList(l.holidays),
                                        T(), l.id.value}));
    if (rows.empty()) return NotFound("location not found");
    return {};
  }

  Result<std::vector<Location>> Locations() override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("SELECT id, name, address, business_hours, holidays FROM locations "
                            "WHERE tenant_id = ? ORDER BY id",
                            {T()}));
    std::vector<Location> out;
    for (const SqlRow& r : rows) {
      out.push_back(
          Location{LocationId{r.Int(0)}, r.Text(1), r.Text(2), r.Text(3), SplitList(r.Text(4))});
    }
    return out;
  }

  Result<std::vector<ConversationId>> UnclosedConversations() override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT id FROM conversations WHERE tenant_id = ? AND "
                                       "status <> 'closed' ORDER BY id",
                                       {T()}));
    std::vector<ConversationId> out;
    out.reserve(rows.size());
    for (const SqlRow& r : rows) out.push_back(ConversationId{r.Int(0)});
    return out;
  }

  Result<User> InsertUser(User u, std::string password_hash) override {
    auto rows = db_.Query(
        "INSERT INTO users (tenant_id, email, display_name, role, password_hash, languages, "
        "queues, phone_agents, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        {T(), u.email, u.display_name, std::string(core::Name(u.role)), std::move(password_hash),
         JoinList(u.languages), JoinList(u.queues), JoinList(u.phone_agents),
         std::int64_t{u.active ? 1 : 0}, ToEpochMillis(u.created_at)});
    if (!rows && rows.error().kind == ErrorKind::kConflict) {
      return Conflict("a user with this email already exists", "email");
    }
    if (!rows) return rows.error();
    u.id = UserId{rows->at(0).Int(0)};
    return u;
  }

  Result<User> GetUser(UserId id) override {
    CD_TRY_ASSIGN(auto rows, db_.Query(std::string(kUserSelect) + " WHERE tenant_id = ? AND id = ?",
                                       {T(), id.value}));
    if (rows.empty()) return NotFound("user not found");
    return ReadUser(rows[0]);
  }

  Result<std::vector<User>> ListUsers() override {
    CD_TRY_ASSIGN(auto rows, db_.Query(std::string(kUserSelect) +
                                           " WHERE tenant_id = ? ORDER BY id LIMIT 10000",
                                       {T()}));
    std::vector<User> out;
    for (const SqlRow& r : rows) {
      CD_TRY_ASSIGN(User u, ReadUser(r));
      out.push_back(std::move(u));
    }
    return out;
  }

  Result<void> UpdateUser(const User& u) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("UPDATE users SET display_name = ?, role = ?, languages = ?, queues = "
                            "?, phone_agents = ?, active = ? WHERE tenant_id = ? AND id = ? "
                            "RETURNING id",
                            {u.display_name, std::string(core::Name(u.role)), JoinList(u.languages),
                             JoinList(u.queues), JoinList(u.phone_agents),
                             std::int64_t{u.active ? 1 : 0}, T(), u.id.value}));
    if (rows.empty()) return NotFound("user not found");
    return {};
  }

  Result<std::string> PasswordHashOf(UserId user) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT password_hash FROM users WHERE tenant_id = ? AND "
                                       "id = ?",
                                       {T(), user.value}));
    if (rows.empty()) return NotFound("user not found");
    return rows[0].Text(0);
  }

  Result<void> SetPasswordHash(UserId user, std::string hash) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("UPDATE users SET password_hash = ? WHERE tenant_id = ? "
                                       "AND id = ? RETURNING id",
                                       {std::move(hash), T(), user.value}));
    if (rows.empty()) return NotFound("user not found");
    return {};
  }

  Result<void> RevokeTokensOf(UserId user, Timestamp now) override {
    return db_.Execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? "
        "AND revoked_at IS NULL",
        {ToEpochMillis(now), T(), user.value});
  }

  Result<void> RevokeOtherSessions(UserId user, std::string_view keep_hash,
                                   Timestamp now) override {
    return db_.Execute(
        "UPDATE sessions SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? "
        "AND id_hash <> ? AND revoked_at IS NULL",
        {ToEpochMillis(now), T(), user.value, std::string(keep_hash)});
  }

  Result<std::optional<User>> FindUserByEmail(std::string_view email) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query(std::string(kUserSelect) + " WHERE tenant_id = ? AND email = ?",
                            {T(), std::string(email)}));
    if (rows.empty()) return std::optional<User>{};
    CD_TRY_ASSIGN(User u, ReadUser(rows[0]));
    return std::optional<User>{std::move(u)};
  }

  Result<std::optional<User>> FindUserByOidcSubject(std::string_view subject) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query(std::string(kUserSelect) + " WHERE tenant_id = ? AND oidc_subject = ?",
                            {T(), std::string(subject)}));
    if (rows.empty()) return std::optional<User>{};
    CD_TRY_ASSIGN(User u, ReadUser(rows[0]));
    return std::optional<User>{std::move(u)};
  }

  Result<void> SetOidcSubject(UserId user, std::string_view subject) override {
    if (!subject.empty()) {
      CD_TRY_ASSIGN(auto holder, FindUserByOidcSubject(subject));
      if (holder && holder->id != user) {
        return Conflict("another user is linked to this identity");
      }
    }
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("UPDATE users SET oidc_subject = ? WHERE tenant_id = ? AND "
                            "id = ? RETURNING id",
                            {subject.empty() ? SqlValue{} : SqlValue{std::string(subject)}, T(),
                             user.value}));
    if (rows.empty()) return NotFound("user not found");
    return {};
  }

  Result<std::optional<OidcProvider>> GetOidcProvider() override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("SELECT enabled, issuer, client_id, client_secret, "
                            "accept_provider_mfa FROM oidc_providers WHERE tenant_id = ?",
                            {T()}));
    if (rows.empty()) return std::optional<OidcProvider>{};
    const SqlRow& r = rows[0];
    OidcProvider p;
    p.enabled = r.Int(0) != 0;
    p.issuer = r.Text(1);
    p.client_id = r.Text(2);
    if (!r.Text(3).empty()) {
      CD_TRY_ASSIGN(p.client_secret, keys_->Open(kOidcClientSecret, r.Text(3)));
    }
    p.accept_provider_mfa = r.Int(4) != 0;
    return std::optional<OidcProvider>{std::move(p)};
  }

  Result<void> PutOidcProvider(const OidcProvider& p, Timestamp now) override {
    std::string secret = keys_->Seal(kOidcClientSecret, p.client_secret);
    CD_TRY(db_.Execute("DELETE FROM oidc_providers WHERE tenant_id = ?", {T()}));
    CD_TRY(
        db_.Execute("INSERT INTO oidc_providers (tenant_id, enabled, issuer, client_id, "
                    "client_secret, accept_provider_mfa, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    {T(), std::int64_t{p.enabled}, p.issuer, p.client_id, secret,
                     std::int64_t{p.accept_provider_mfa}, ToEpochMillis(now)}));
    return {};
  }

  Result<void> InsertApiToken(UserId user, std::string token_hash, std::string name, Timestamp now,
                              std::optional<Timestamp> expires_at) override {
    CD_TRY(InsertScopedToken(user, std::move(token_hash), std::move(name), {"*"}, now, expires_at));
    return {};
  }

  Result<TokenInfo> InsertScopedToken(UserId user, std::string token_hash, std::string name,
                                      std::vector<std::string> scopes, Timestamp now,
                                      std::optional<Timestamp> expires_at) override {
    CD_TRY(GetUser(user));
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("INSERT INTO api_tokens (tenant_id, user_id, token_hash, "
                            "name, created_at, expires_at, scopes) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                            {T(), user.value, std::move(token_hash), name, ToEpochMillis(now),
                             OptTime(expires_at), JoinList(scopes)}));
    TokenInfo t;
    t.id = rows.at(0).Int(0);
    t.user = user;
    t.name = std::move(name);
    t.scopes = std::move(scopes);
    t.created_at = now;
    t.expires_at = expires_at;
    return t;
  }

  Result<std::vector<TokenInfo>> ListTokens(std::optional<UserId> user) override {
    std::string sql =
        "SELECT id, user_id, name, scopes, created_at, expires_at, revoked_at FROM api_tokens "
        "WHERE tenant_id = ?";
    SqlParams params{T()};
    if (user) {
      sql += " AND user_id = ?";
      params.emplace_back(user->value);
    }
    sql += " ORDER BY id DESC LIMIT 500";
    CD_TRY_ASSIGN(auto rows, db_.Query(sql, params));
    std::vector<TokenInfo> out;
    for (const SqlRow& r : rows) {
      TokenInfo t;
      t.id = r.Int(0);
      t.user = UserId{r.Int(1)};
      t.name = r.Text(2);
      t.scopes = SplitList(r.Text(3));
      t.created_at = FromEpochMillis(r.Int(4));
      if (auto v = r.OptInt(5)) t.expires_at = FromEpochMillis(*v);
      if (auto v = r.OptInt(6)) t.revoked_at = FromEpochMillis(*v);
      out.push_back(std::move(t));
    }
    return out;
  }

  Result<std::string> RevokeToken(std::int64_t id, std::optional<UserId> owner,
                                  Timestamp now) override {
    std::string sql =
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?";
    SqlParams params{ToEpochMillis(now), T(), id};
    if (owner) {
      sql += " AND user_id = ?";
      params.emplace_back(owner->value);
    }
    CD_TRY_ASSIGN(auto rows, db_.Query(sql + " RETURNING token_hash", params));
    if (rows.empty()) return NotFound("token not found");
    return rows[0].Text(0);
  }

  Result<std::int64_t> InsertSession(const NewSession& s) override {
    CD_TRY(GetUser(s.user));
    std::int64_t now = ToEpochMillis(s.now);
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query("INSERT INTO sessions (id_hash, tenant_id, user_id, csrf_token, "
                  "created_at, last_seen_at, expires_at, remote_address, user_agent, "
                  "second_factor_pending) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                  "RETURNING id",
                  {s.id_hash, T(), s.user.value, s.csrf_token, now, now,
                   ToEpochMillis(s.expires_at), s.remote_address, s.user_agent.substr(0, 200),
                   std::int64_t{s.second_factor_pending ? 1 : 0}}));
    return rows.at(0).Int(0);
  }

  Result<void> RevokeSession(std::string_view session_hash, Timestamp now) override {
    return db_.Execute("UPDATE sessions SET revoked_at = ? WHERE tenant_id = ? AND id_hash = ?",
                       {ToEpochMillis(now), T(), std::string(session_hash)});
  }

  Result<void> TouchSession(std::string_view session_hash, Timestamp now) override {
    return db_.Execute("UPDATE sessions SET last_seen_at = ? WHERE tenant_id = ? AND id_hash = ?",
                       {ToEpochMillis(now), T(), std::string(session_hash)});
  }

  Result<std::vector<SessionInfo>> ListSessions(std::optional<UserId> user,
                                                Timestamp now) override {
    std::string sql =
        "SELECT id, user_id, created_at, last_seen_at, expires_at, remote_address, user_agent, "
        "second_factor_pending FROM sessions WHERE tenant_id = ? AND revoked_at IS NULL "
        "AND expires_at > ?";
    SqlParams params{T(), ToEpochMillis(now)};
    if (user) {
      sql += " AND user_id = ?";
      params.emplace_back(user->value);
    }
    sql += " ORDER BY id DESC LIMIT 500";
    CD_TRY_ASSIGN(auto rows, db_.Query(sql, params));
    std::vector<SessionInfo> out;
    for (const SqlRow& r : rows) {
      SessionInfo s;
      s.id = r.Int(0);
      s.user = UserId{r.Int(1)};
      s.created_at = FromEpochMillis(r.Int(2));
      s.last_seen_at = FromEpochMillis(r.Int(3));
      s.expires_at = FromEpochMillis(r.Int(4));
      s.remote_address = r.Text(5);
      s.user_agent = r.Text(6);
      s.second_factor_pending = r.Int(7) != 0;
      out.push_back(std::move(s));
    }
    return out;
  }

  Result<void> RevokeSessionById(std::int64_t id, std::optional<UserId> owner,
                                 Timestamp now) override {
    std::string sql =
        "UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?";
    SqlParams params{ToEpochMillis(now), T(), id};
    if (owner) {
      sql += " AND user_id = ?";
      params.emplace_back(owner->value);
    }
    CD_TRY_ASSIGN(auto rows, db_.Query(sql + " RETURNING id", params));
    if (rows.empty()) return NotFound("session not found");
    return {};
  }

  Result<void> RevokeSessionsBeyond(UserId user, int keep, Timestamp now) override {
    std::int64_t at = ToEpochMillis(now);
    return db_.Execute(
        "UPDATE sessions SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND revoked_at IS "
        "NULL AND id NOT IN (SELECT id FROM sessions WHERE tenant_id = ? AND user_id = ? AND "
        "revoked_at IS NULL AND expires_at > ? ORDER BY id DESC LIMIT ?)",
        {at, T(), user.value, T(), user.value, at, std::int64_t{keep}});
  }

  Result<void> RevokeSessionsOf(UserId user, Timestamp now) override {
    return db_.Execute(
        "UPDATE sessions SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND revoked_at "
        "IS NULL",
        {ToEpochMillis(now), T(), user.value});
  }

  Result<void> CompleteSecondFactor(std::string_view session_hash) override {
    return db_.Execute(
        "UPDATE sessions SET second_factor_pending = 0 WHERE tenant_id = ? AND id_hash = ?",
        {T(), std::string(session_hash)});
  }

  Result<SecondFactor> GetSecondFactor(UserId user) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT totp_secret, totp_enabled, totp_last_step FROM "
                                       "users WHERE tenant_id = ? AND id = ?",
                                       {T(), user.value}));
    if (rows.empty()) return NotFound("user not found");
    std::string secret;
    if (!rows[0].Text(0).empty()) {
      CD_TRY_ASSIGN(secret, keys_->Open(kUserTotp, rows[0].Text(0)));
    }
    return SecondFactor{std::move(secret), rows[0].Int(1) != 0, rows[0].Int(2)};
  }

  Result<void> StartTotp(UserId user, std::string secret) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("UPDATE users SET totp_secret = ?, totp_enabled = 0, totp_last_step = "
                            "0 WHERE tenant_id = ? AND id = ? AND totp_enabled = 0 RETURNING id",
                            {keys_->Seal(kUserTotp, secret), T(), user.value}));
    if (rows.empty()) return Conflict("two-factor sign-in is already on");
    return {};
  }

  Result<void> EnableTotp(UserId user) override {
    return db_.Execute("UPDATE users SET totp_enabled = 1 WHERE tenant_id = ? AND id = ?",
                       {T(), user.value});
  }

  Result<bool> UseTotpStep(UserId user, std::int64_t step) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("UPDATE users SET totp_last_step = ? WHERE tenant_id = ? "
                                       "AND id = ? AND totp_last_step < ? RETURNING id",
                                       {step, T(), user.value, step}));
    return !rows.empty();
  }

  Result<void> ResetSecondFactor(UserId user) override {
    CD_TRY(
        db_.Execute("UPDATE users SET totp_secret = '', totp_enabled = 0, totp_last_step = 0 "
                    "WHERE tenant_id = ? AND id = ?",
                    {T(), user.value}));
    return db_.Execute("DELETE FROM recovery_codes WHERE tenant_id = ? AND user_id = ?",
                       {T(), user.value});
  }

  Result<void> ReplaceRecoveryCodes(UserId user, const std::vector<std::string>& hashes,
                                    Timestamp now) override {
    CD_TRY(db_.Execute("DELETE FROM recovery_codes WHERE tenant_id = ? AND user_id = ?",
                       {T(), user.value}));
    for (const std::string& h : hashes) {
      CD_TRY(
          db_.Execute("INSERT INTO recovery_codes (tenant_id, user_id, code_hash, created_at) "
                      "VALUES (?, ?, ?, ?)",
                      {T(), user.value, h, ToEpochMillis(now)}));
    }
    return {};
  }

  Result<bool> UseRecoveryCode(UserId user, std::string_view code_hash, Timestamp now) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("UPDATE recovery_codes SET used_at = ? WHERE tenant_id = ? AND "
                            "user_id = ? AND code_hash = ? AND used_at IS NULL RETURNING user_id",
                            {ToEpochMillis(now), T(), user.value, std::string(code_hash)}));
    return !rows.empty();
  }

  Result<int> UnusedRecoveryCodes(UserId user) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT COUNT(*) FROM recovery_codes WHERE tenant_id = ? "
                                       "AND user_id = ? AND used_at IS NULL",
                                       {T(), user.value}));
    return static_cast<int>(rows.at(0).Int(0));
  }

  Result<Patient> InsertPatient(Patient p) override {
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query("INSERT INTO patients (tenant_id, name, name_lower, date_of_birth, phone, email, "
                  "language, preferred_channel, consent_sms, consent_email, phone_index, "
                  "email_index, created_at, updated_at, visitor_id) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                  PatientParams(p, true)));
    p.id = PatientId{rows.at(0).Int(0)};
    CD_TRY(IndexName(p.id, p.name, /*replace=*/false));
    return p;
  }

  Result<Patient> GetPatient(PatientId id) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT " + std::string(kPatientColumns) +
                                           " FROM patients WHERE tenant_id = ? AND id = ?",
                                       {T(), id.value}));
    if (rows.empty()) return NotFound("patient not found");
    return ReadPatient(rows[0], *keys_);
  }

  Result<void> UpdatePatient(const Patient& p) override {
    SqlParams params = PatientParams(p, false);
    params.push_back(T());
    params.push_back(p.id.value);
    CD_TRY_ASSIGN(auto rows, db_.Query("UPDATE patients SET name = ?, name_lower = ?, "
                                       "date_of_birth = ?, phone = ?, email = ?, "
                                       "language = ?, preferred_channel = ?, consent_sms = ?, "
                                       "consent_email = ?, phone_index = ?, email_index = ?, "
                                       "updated_at = ? WHERE tenant_id = ? AND id = ? RETURNING id",
                                       params));
    if (rows.empty()) return NotFound("patient not found");
    return IndexName(p.id, p.name, /*replace=*/true);
  }

  Result<std::optional<Patient>> FindPatientByPhone(std::string_view e164) override {
    return FindPatientBy("phone_index", kPhoneIndex, e164);
  }
  Result<std::optional<Patient>> FindPatientByEmail(std::string_view email) override {
    return FindPatientBy("email_index", kEmailIndex, email);
  }
  Result<std::optional<PatientId>> FindPatientId(Contact kind, std::string_view value) override {
    SqlParams params{T()};
    std::string match;
    if (kind == Contact::kPhone) {
      match = IndexMatch("phone_index", kPhoneIndex, value, params);
    } else if (kind == Contact::kEmail) {
      match = IndexMatch("email_index", kEmailIndex, value, params);
    } else {
      match = "visitor_id = ?";
      params.emplace_back(std::string(value));
    }
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT id FROM patients WHERE tenant_id = ? AND " + match +
                                           " ORDER BY id LIMIT 1",
                                       params));
    if (rows.empty()) return std::optional<PatientId>{};
    return std::optional<PatientId>{PatientId{rows[0].Int(0)}};
  }

  Result<std::optional<Patient>> FindPatientByVisitor(std::string_view visitor) override {
    return FindPatientBy("visitor_id", "", visitor);
  }

  Result<std::vector<Patient>> SearchPatients(std::string_view name_fragment,
                                              std::optional<std::string> phone,
                                              std::optional<std::string> email, PatientId after,
                                              int limit) override {
    std::string sql =
        "SELECT " + std::string(kPatientColumns) + " FROM patients WHERE tenant_id = ? AND id > ?";
    SqlParams params{T(), after.value};
    if (phone || email || !name_fragment.empty()) {
      sql += " AND (";
      bool first = true;
      auto disjunct = [&](const char* column, std::string_view domain, const std::string& value) {
        sql += first ? "" : " OR ";
        sql += IndexMatch(column, domain, value, params);
        first = false;
      };
      if (phone) disjunct("phone_index", kPhoneIndex, *phone);
      if (email) disjunct("email_index", kEmailIndex, *email);
      if (!name_fragment.empty()) {
        // Every word typed must begin a word of the name. Words of one letter find nothing.
        std::vector<std::string> words = SearchTokens(name_fragment);
        sql += first ? "(" : " OR (";
        first = false;
        if (words.empty()) sql += "1 = 0";
        for (std::size_t i = 0; i < words.size() && i < 8; ++i) {
          sql += i ? " AND " : "";
          std::string prefix = words[i];
          auto cut = NamePrefixes(prefix);  // a typed word longer than 20 letters: its start
          if (!cut.empty()) prefix = cut.back().size() < prefix.size() ? cut.back() : prefix;
          sql +=
              "EXISTS (SELECT 1 FROM patient_tokens pt WHERE pt.tenant_id = patients.tenant_id "
              "AND " +
              IndexMatch("pt.token", kNameIndex, prefix, params) +
              " AND pt.patient_id = patients.id)";
        }
        sql += ")";
      }
      sql += ")";
    }
    sql += " ORDER BY id LIMIT ?";
    params.push_back(std::int64_t{limit});
    CD_TRY_ASSIGN(auto rows, db_.Query(sql, params));
    std::vector<Patient> out;
    for (const SqlRow& r : rows) {
      CD_TRY_ASSIGN(Patient p, ReadPatient(r, *keys_));
      out.push_back(std::move(p));
    }
    return out;
  }

  Result<Conversation> InsertConversation(Conversation c, const core::BusinessCalendar& cal,
                                          Timestamp now) override {
    core::SlaView v = core::ViewSla(c, now, cal);
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query(
            "INSERT INTO conversations (tenant_id, patient_id, channel, created_at, status, "
            "priority, queue, assignee_id, category, tags, updated_at, last_message_at, "
            "first_response_at, resolved_at, reopen_count, awaiting_agent, sla, sla_state, "
            "sla_due_sort, sla_timer_at, location_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            ConversationParams(c, v, /*for_insert=*/true)));
    c.id = ConversationId{rows.at(0).Int(0)};
    return c;
  }

  Result<Conversation> GetConversation(ConversationId id) override {
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query("SELECT " + std::string(kConversationColumns) +
                      " FROM conversations c WHERE c.tenant_id = ? AND c.id = ?" + ForUpdate(),
                  {T(), id.value}));
    if (rows.empty()) return NotFound("conversation not found");
    Remember(rows[0]);
    return ReadConversation(rows[0]);
  }

  // Sets only the columns that differ from the row as this transaction last read or wrote it,
  // so the indexes over unchanged columns are left alone (an inbound message on an open
  // conversation leaves its deadline and timer, hence two of five indexes, as they were). A
  // conversation not read in this transaction gets every column.
  Result<void> UpdateConversation(const Conversation& c, const core::BusinessCalendar& cal,
                                  Timestamp now) override {
    core::SlaView v = core::ViewSla(c, now, cal);
    SqlParams values = ConversationParams(c, v, /*for_insert=*/false);
    auto known = stored_.find(c.id.value);
    std::string sql = "UPDATE conversations SET ";
    SqlParams params;
    for (std::size_t i = 0; i < kUpdateColumns.size(); ++i) {
      if (known != stored_.end() && known->second[i] == values[i]) continue;
      if (!params.empty()) sql += ", ";
      sql += kUpdateColumns[i];
      sql += " = ?";
      params.push_back(values[i]);
    }
    if (params.empty()) return {};  // read in this transaction and unchanged since
    sql += " WHERE tenant_id = ? AND id = ? RETURNING id";
    params.push_back(T());
    params.push_back(c.id.value);
    CD_TRY_ASSIGN(auto rows, db_.Query(sql, params));
    if (rows.empty()) return NotFound("conversation not found");
    stored_.insert_or_assign(c.id.value, std::move(values));
    return {};
  }

  Result<std::optional<Conversation>> LatestConversationOf(PatientId patient) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT " + std::string(kConversationColumns) +
                                           " FROM conversations c WHERE c.tenant_id = ? AND "
                                           "c.patient_id = ? AND c.status <> 'closed'"
                                           " ORDER BY c.id DESC LIMIT 1" +
                                           ForUpdate(),
                                       {T(), patient.value}));
    if (rows.empty()) return std::optional<Conversation>{};
    Remember(rows[0]);
    CD_TRY_ASSIGN(Conversation c, ReadConversation(rows[0]));
    return std::optional<Conversation>{std::move(c)};
  }

  Result<InboxPage> ListConversations(const InboxFilter& f) override {
    std::string sql = "SELECT " + std::string(kConversationColumns) +
                      ", p.name FROM conversations c JOIN patients p ON p.tenant_id = c.tenant_id"
                      " AND p.id = c.patient_id WHERE c.tenant_id = ?";
    SqlParams params{T()};
    auto where = [&](const char* clause, SqlValue v) {
      sql += clause;
      params.push_back(std::move(v));
    };
    if (f.status) where(" AND c.status = ?", std::string(core::Name(*f.status)));
    if (f.queue) where(" AND c.queue = ?", *f.queue);
    if (!f.within_queues.empty()) {
      sql += " AND c.queue IN (";
      for (std::size_t i = 0; i < f.within_queues.size(); ++i) {
        sql += i ? ", ?" : "?";
        params.emplace_back(f.within_queues[i]);
      }
      sql += ")";
    }
    if (f.assignee) where(" AND c.assignee_id = ?", f.assignee->value);
    if (f.channel) where(" AND c.channel = ?", std::string(core::Name(*f.channel)));
    if (f.category) where(" AND c.category = ?", std::string(core::Name(*f.category)));
    if (f.patient) where(" AND c.patient_id = ?", f.patient->value);
    if (f.sla) {
      if (*f.sla == "at_risk_or_breached") {
        sql += " AND c.sla_state IN ('at_risk', 'breached')";
      } else {
        where(" AND c.sla_state = ?", *f.sla);
      }
    }
    for (const std::string& token : f.search_tokens) {
      // Correlated per conversation: SQLite probes the token index for each candidate row
      // instead of materializing every conversation that contains a common word.
      sql += " AND EXISTS (SELECT 1 FROM message_tokens mt WHERE mt.tenant_id = c.tenant_id AND " +
             IndexMatch("mt.token", kWordIndex, token, params) + " AND mt.conversation_id = c.id)";
    }
    const bool by_time_left = f.sort == InboxFilter::Sort::kTimeLeft;
    if (f.cursor) {
      CD_TRY_ASSIGN(auto key, ParseCursor(*f.cursor, by_time_left ? 't' : 'r'));
      if (by_time_left) {
        sql += " AND (c.sla_due_sort > ? OR (c.sla_due_sort = ? AND c.id > ?))";
      } else {
        sql += " AND (c.updated_at < ? OR (c.updated_at = ? AND c.id < ?))";
      }
      params.push_back(key.first);
      params.push_back(key.first);
      params.push_back(key.second);
    }
    sql += by_time_left ? " ORDER BY c.sla_due_sort ASC, c.id ASC"
                        : " ORDER BY c.updated_at DESC, c.id DESC";
    sql += " LIMIT ?";
    params.push_back(std::int64_t{f.limit + 1});
    CD_TRY_ASSIGN(auto rows, db_.Query(sql, params));
    InboxPage page;
    for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(f.limit); ++i) {
      const SqlRow& r = rows[i];
      CD_TRY_ASSIGN(Conversation c, ReadConversation(r));
      InboxItem item;
      item.sla_state = r.Text(17);
      std::int64_t due = r.Int(18);
      if (due != kNoDeadline) item.sla_due_at = FromEpochMillis(due);
      CD_TRY_ASSIGN(item.patient_name, keys_->OpenCached(kPatientName, r.Text(21)));
      item.conversation = std::move(c);
      page.items.push_back(std::move(item));
    }
    if (rows.size() > static_cast<std::size_t>(f.limit) && !page.items.empty()) {
      const InboxItem& last = page.items.back();
      std::int64_t key = by_time_left
                             ? (last.sla_due_at ? ToEpochMillis(*last.sla_due_at) : kNoDeadline)
                             : ToEpochMillis(last.conversation.updated_at);
      page.next_cursor = std::string(by_time_left ? "t." : "r.") + std::to_string(key) + "." +
                         std::to_string(last.conversation.id.value);
    }
    return page;
  }

  Result<core::Message> InsertMessage(core::Message m) override {
    return InsertMessage(std::move(m), nullptr);
  }

  Result<core::Message> InsertMessage(core::Message m, const SealedMessage* ahead) override {
    // Sealed ahead under a key that is no longer the newest: seal again.
    std::optional<SealedMessage> here;
    if (!ahead || ahead->key_version != keys_->current_version()) {
      here = SealMessage(*keys_, m);
      ahead = &*here;
    }
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("INSERT INTO messages (tenant_id, conversation_id, kind, channel, "
                            "author_id, sender, body, delivery, metadata, created_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                            {T(), m.conversation_id.value, std::string(core::Name(m.kind)),
                             std::string(core::Name(m.channel)), m.author.value, ahead->sender,
                             ahead->body, std::string(core::Name(m.delivery)), ahead->metadata,
                             ToEpochMillis(m.created_at)}));
    m.id = MessageId{rows.at(0).Int(0)};
    CD_TRY(InsertTokens(ahead->word_indexes, m.conversation_id));
    return m;
  }

  // Indexes a message's words for search in few statements: rows go in batches whose sizes are
  // powers of two up to 32 (17 words: one batch of 16 and one of 1), so each size is one cached
  // statement and no row is inserted twice.
  // `indexes`: the blind indexes of the words (TenantKeys::Index).
  Result<void> InsertTokens(const std::vector<std::string>& indexes, ConversationId conversation) {
    static constexpr std::size_t kMaxBatch = 32;
    static const std::array<std::string, 6> kStatements = [] {
      std::array<std::string, 6> out;
      for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = "INSERT INTO message_tokens (tenant_id, token, conversation_id) VALUES (?, ?, ?)";
        for (std::size_t k = 1; k < (std::size_t{1} << i); ++k) out[i] += ", (?, ?, ?)";
        out[i] += " ON CONFLICT DO NOTHING";
      }
      return out;
    }();
    SqlParams params;
    for (std::size_t start = 0; start < indexes.size();) {
      std::size_t left = indexes.size() - start;
      std::size_t log2 = 5;
      while ((std::size_t{1} << log2) > std::min(left, kMaxBatch)) --log2;
      std::size_t take = std::size_t{1} << log2;
      params.clear();
      for (std::size_t k = 0; k < take; ++k) {
        params.emplace_back(T());
        params.emplace_back(std::in_place_type<std::string>, indexes[start + k]);
        params.emplace_back(conversation.value);
      }
      CD_TRY(db_.Execute(kStatements[log2], params));
      start += take;
    }
    return {};
  }

  Result<std::vector<core::Message>> ListMessages(ConversationId id) override {
    CD_TRY_ASSIGN(auto rows,
                  db_.Query("SELECT id, conversation_id, kind, channel, author_id, sender, body, "
                            "delivery, created_at, metadata "
                            "FROM messages WHERE tenant_id = ? AND conversation_id = ? ORDER BY id",
                            {T(), id.value}));
    std::vector<core::Message> out;
    for (const SqlRow& r : rows) {
      core::Message m;
      m.id = MessageId{r.Int(0)};
      m.conversation_id = ConversationId{r.Int(1)};
      auto kind = core::ParseMessageKind(r.Text(2));
      auto channel = core::ParseChannel(r.Text(3));
      auto delivery = core::ParseDeliveryStatus(r.Text(7));
      if (!kind || !channel || !delivery) return Internal("stored message is corrupt");
      m.kind = *kind;
      m.channel = *channel;
      m.author = UserId{r.Int(4)};
      CD_TRY_ASSIGN(m.sender, keys_->Open(kMessageSender, r.Text(5)));
      CD_TRY_ASSIGN(m.text, keys_->Open(kMessageBody, r.Text(6)));
      m.delivery = *delivery;
      m.created_at = FromEpochMillis(r.Int(8));
      if (std::string_view meta = r.Text(9); meta != "{}") {
        CD_TRY_ASSIGN(std::string opened, keys_->Open(kMessageMetadata, meta));
        m.metadata = DecodeStringPairs(opened);
      }
      out.push_back(std::move(m));
    }
    return out;
  }

  Result<void> AppendEvents(std::vector<core::Event>& events) override {
    for (core::Event& e : events) {
      CD_TRY_ASSIGN(auto rows,
                    db_.Query("INSERT INTO events (tenant_id, conversation_id, patient_id, type, "
                              "at, actor_id, data) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                              {T(), e.conversation_id.value, e.patient_id.value, e.type,
                               ToEpochMillis(e.at), e.actor.value, EncodeStringPairs(e.data)}));
      e.id = EventId{rows.at(0).Int(0)};
    }
    return {};
  }

  Result<std::vector<core::Event>> ListEvents(ConversationId id) override {
    CD_TRY_ASSIGN(
        auto rows,
        db_.Query("SELECT id, conversation_id, patient_id, type, at, actor_id, data FROM events "
                  "WHERE tenant_id = ? AND conversation_id = ? ORDER BY id",
                  {T(), id.value}));
    std::vector<core::Event> out;
    for (const SqlRow& r : rows) {
      core::Event e;
      e.id = EventId{r.Int(0)};
      e.conversation_id = ConversationId{r.Int(1)};
      e.patient_id = PatientId{r.Int(2)};
      e.type = r.Text(3);
      e.at = FromEpochMillis(r.Int(4));
      e.actor = UserId{r.Int(5)};
      e.data = DecodeStringPairs(r.Text(6));
      out.push_back(std::move(e));
    }
    return out;
  }

  Result<std::optional<IdempotentReply>> GetIdempotentReply(std::string_view key) override {
    CD_TRY_ASSIGN(auto rows, db_.Query("SELECT request_hash, status, body FROM idempotency_keys "
                                       "WHERE tenant_id = ? AND idem_key = ?",
                                       {T(), std::string(key)}));
    if (rows.empty()) return std::optional<IdempotentReply>{};
    return std::optional<IdempotentReply>{
        IdempotentReply{rows[0].Text(0), static_cast<int>(rows[0].Int(1)), rows[0].Text(2)}};
  }

  Result<void> PutIdempotentReply(std::string_view key, const IdempotentReply& reply,
                                  Timestamp now) override {
    return db_.Execute(
        "INSERT INTO idempotency_keys (tenant_id, idem_key, request_hash, status, body, "
        "created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        {T(), std::string(key), reply.request_hash, std::int64_t{reply.status}, reply.body,
         ToEpochMillis(now)});
  }

 private:
  // Bytes as text a TEXT column takes on both engines (PostgreSQL refuses NUL and invalid
  // UTF-8): base64, marked, then sealed like any other value.
  static std::string AsText(std::string_view bytes) { return "b64." + security::ToBase64(bytes); }
  static std::optional<std::string> FromText(std::string_view text) {
    if (!text.starts_with("b64.")) return std::nullopt;
    return security::FromBase64(text.substr(4));
  }

  // The conversation's copy of an outbound message follows its outbox item, whose own record
  // of delivery moves forward only (RecordDeliveryStatus).
  Result<void> SetMessageDelivery(MessageId id, core::DeliveryStatus delivery) {
    return db_.Execute("UPDATE messages SET delivery = ? WHERE tenant_id = ? AND id = ?",
                       {std::string(core::Name(delivery)), T(), id.value});
  }

  static constexpr std::string_view kOutboxSelect =
      "SELECT id, conversation_id, channel, recipient, body, purpose, state, created_at, "
      "attempts, provider_ref, last_error, message_id FROM outbox";

  Result<OutboxItem> ReadOutboxItem(const SqlRow& r) const {
    OutboxItem item;
    item.id = r.Int(0);
    item.conversation = ConversationId{r.Int(1)};
    item.channel = r.Text(2);
    CD_TRY_ASSIGN(item.recipient, keys_->Open(kOutboxRecipient, r.Text(3)));
    CD_TRY_ASSIGN(item.body, keys_->Open(kOutboxBody, r.Text(4)));
    item.purpose = r.Text(5);
    item.state = r.Text(6);
    item.created_at = FromEpochMillis(r.Int(7));
    item.attempts = static_cast<int>(r.Int(8));
    item.provider_ref = r.Text(9);
    item.last_error = r.Text(10);
    item.message = MessageId{r.Int(11)};
    return item;
  }

  static constexpr std::string_view kUserSelect =
      "SELECT id, email, display_name, role, languages, queues, active, created_at, oidc_subject, "
      "phone_agents FROM users";

  static Result<User> ReadUser(const SqlRow& r) {
    User u;
    u.id = UserId{r.Int(0)};
    u.email = r.Text(1);
    u.display_name = r.Text(2);
    auto role = core::ParseRole(r.Text(3));
    if (!role) return Internal("stored user is corrupt");
    u.role = *role;
    u.languages = SplitList(r.Text(4));
    u.queues = SplitList(r.Text(5));
    u.active = r.Int(6) != 0;
    u.created_at = FromEpochMillis(r.Int(7));
    u.oidc_subject = r.OptText(8).value_or("");
    u.phone_agents = SplitList(r.Text(9));
    return u;
  }

  SqlValue SealOpt(std::string_view field, const std::optional<std::string>& v) const {
    return v ? SqlValue{keys_->Seal(field, *v)} : SqlValue{};
  }

  // The blind indexes of the prefixes of the patient's name words (see SearchPatients).
  Result<void> IndexName(PatientId patient, std::string_view name, bool replace) {
    if (replace) {
      CD_TRY(db_.Execute("DELETE FROM patient_tokens WHERE tenant_id = ? AND patient_id = ?",
                         {T(), patient.value}));
    }
    for (const std::string& prefix : NamePrefixes(name)) {
      CD_TRY(
          db_.Execute("INSERT INTO patient_tokens (tenant_id, token, patient_id) VALUES (?, ?, "
                      "?) ON CONFLICT DO NOTHING",
                      {T(), keys_->Index(kNameIndex, prefix), patient.value}));
    }
    return {};
  }

  SqlParams PatientParams(const Patient& p, bool for_insert) {
    SqlParams params;
    if (for_insert) params.push_back(T());
    params.insert(
        params.end(),
        {keys_->Seal(kPatientName, p.name), std::string(), SealOpt(kPatientBirth, p.date_of_birth),
         SealOpt(kPatientPhone, p.phone), SealOpt(kPatientEmail, p.email), p.language,
         p.preferred_channel ? SqlValue{std::string(core::Name(*p.preferred_channel))} : SqlValue{},
         std::int64_t{p.consent_sms ? 1 : 0}, std::int64_t{p.consent_email ? 1 : 0},
         p.phone ? SqlValue{keys_->Index(kPhoneIndex, *p.phone)} : SqlValue{},
         p.email ? SqlValue{keys_->Index(kEmailIndex, *p.email)} : SqlValue{}});
    if (for_insert) params.push_back(ToEpochMillis(p.created_at));
    params.push_back(ToEpochMillis(p.updated_at));
    if (for_insert) params.push_back(Opt(p.visitor_id));
    return params;
  }

  // The columns a conversation keeps for life (patient, channel, created_at) go only into the
  // INSERT: an UPDATE that names patient_id rewrites conversations_patient on every change.
  SqlParams ConversationParams(const Conversation& c, const core::SlaView& v, bool for_insert) {
    SqlParams params;
    if (for_insert) {
      params.insert(params.end(), {T(), c.patient_id.value, std::string(core::Name(c.channel)),
                                   ToEpochMillis(c.created_at)});
    }
    params.insert(
        params.end(),
        {std::string(core::Name(c.status)), std::string(core::Name(c.priority)), c.queue,
         c.assignee.value, std::string(core::Name(c.category)), JoinList(c.tags),
         ToEpochMillis(c.updated_at), ToEpochMillis(c.last_message_at),
         OptTime(c.first_response_at), OptTime(c.resolved_at), std::int64_t{c.reopen_count},
         std::int64_t{c.awaiting_agent ? 1 : 0}, core::EncodeSla(c.sla), std::string(v.state),
         v.due_at ? ToEpochMillis(*v.due_at) : kNoDeadline, OptTime(v.next_timer_at),
         c.location.value});
    return params;
  }

  // "column = ?" or, while the practice's index key is rotated, "column IN (?, ?)", with what
  // `value` indexes to under each index key appended to `params`.
  std::string IndexMatch(std::string_view column, std::string_view domain, std::string_view value,
                         SqlParams& params) const {
    std::vector<std::string> indexes = keys_->Indexes(domain, value);
    std::string sql(column);
    if (indexes.size() == 1) {
      sql += " = ?";
    } else {
      sql += " IN (?";
      for (std::size_t i = 1; i < indexes.size(); ++i) sql += ", ?";
      sql += ")";
    }
    for (std::string& index : indexes) params.emplace_back(std::move(index));
    return sql;
  }

  // The first patient whose indexed `column` matches `value` ("" domain: the column holds the
  // value itself, as visitor_id does).
  Result<std::optional<Patient>> FindPatientBy(std::string_view column, std::string_view domain,
                                               std::string_view value) {
    SqlParams params{T()};
    std::string match =
        domain.empty() ? std::string(column) + " = ?" : IndexMatch(column, domain, value, params);
    if (domain.empty()) params.emplace_back(std::string(value));
    std::string sql = "SELECT " + std::string(kPatientColumns) +
                      " FROM patients WHERE tenant_id = ? AND " + match + " ORDER BY id LIMIT 1";
    CD_TRY_ASSIGN(auto rows, db_.Query(sql, params));
    if (rows.empty()) return std::optional<Patient>{};
    CD_TRY_ASSIGN(Patient p, ReadPatient(rows[0], *keys_));
    return std::optional<Patient>{std::move(p)};
  }

  SqlValue T() const { return tenant_.value; }

  // Keeps the update columns of a conversation row read in this transaction.
  void Remember(const SqlRow& row) {
    SqlParams values;
    values.reserve(kUpdateColumnInRow.size());
    for (std::size_t column : kUpdateColumnInRow) values.push_back(row.columns.at(column));
    stored_.insert_or_assign(row.Int(0), std::move(values));
  }

  SqlConnection& db_;
  TenantId tenant_;
  const char* ForUpdate() const { return lock_rows_ ? " FOR UPDATE" : ""; }

  CalendarCache* calendars_;  // may be null
  std::shared_ptr<const TenantKeys> keys_;
  const bool lock_rows_;  // a write on PostgreSQL: lock what is read for change
  // Update columns by conversation id, as last read or written in this transaction.
  std::unordered_map<std::int64_t, SqlParams> stored_;
};

}  // namespace

Result<core::BusinessCalendar> CalendarCache::Get(TenantId tenant, std::string_view time_zone,
                                                  std::string_view business_hours,
                                                  std::string_view holidays) {
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(tenant.value);
    if (it != entries_.end() && it->second.time_zone == time_zone &&
        it->second.business_hours == business_hours && it->second.holidays == holidays) {
      return *it->second.calendar;
    }
  }
  CD_TRY_ASSIGN(core::BusinessCalendar parsed, ParseCalendar(time_zone, business_hours, holidays));
  auto shared = std::make_shared<const core::BusinessCalendar>(parsed);
  std::lock_guard lock(mutex_);
  entries_.insert_or_assign(tenant.value, Entry{std::string(time_zone), std::string(business_hours),
                                                std::string(holidays), std::move(shared)});
  return parsed;
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out.push_back(',');
    out += i;
  }
  return out;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string AuditHash(TenantId tenant, const AuditRecord& r) {
  std::string input;
  auto field = [&input](std::string_view value) {
    input += std::to_string(value.size());
    input += ':';
    input += value;
    input += ';';
  };
  field(r.prev_hash);
  field(std::to_string(tenant.value));
  field(std::to_string(ToEpochMillis(r.at)));
  field(std::to_string(r.actor.value));
  field(r.session);
  field(r.remote_address);
  field(r.action);
  field(r.object_type);
  field(std::to_string(r.object_id));
  field(std::to_string(r.patient.value));
  field(r.detail);
  return security::HashSecret(input);
}

AuditRecord ReadAuditRecord(const SqlRow& row, std::size_t first) {
  AuditRecord r;
  r.id = row.Int(first);
  r.at = FromEpochMillis(row.Int(first + 1));
  r.actor = UserId{row.Int(first + 2)};
  r.session = row.Text(first + 3);
  r.remote_address = row.Text(first + 4);
  r.action = row.Text(first + 5);
  r.object_type = row.Text(first + 6);
  r.object_id = row.Int(first + 7);
  r.patient = PatientId{row.Int(first + 8)};
  r.detail = row.Text(first + 9);
  r.prev_hash = row.Text(first + 10);
  r.hash = row.Text(first + 11);
  return r;
}

std::unique_ptr<TenantTx> MakeSqlTenantTx(SqlConnection& db, TenantId tenant,
                                          CalendarCache* calendars, bool for_write,
                                          std::shared_ptr<const TenantKeys> keys) {
  return std::make_unique<SqlTenantTx>(db, tenant, calendars, for_write, std::move(keys));
}

}  // namespace caredesk::store

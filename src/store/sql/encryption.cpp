#include "store/sql/encryption.hpp"

#include <array>
#include <functional>

#include "base/text.hpp"

namespace caredesk::store {

namespace {

constexpr std::int64_t kBatch = 500;

// A value that needs rewriting: not sealed with the current key. NULL never does, nor the
// empty metadata object, which is kept as it is (it says nothing).
bool Stale(const TenantKeys& keys, const std::optional<std::string>& stored) {
  if (!keys.encrypted() || !stored || *stored == "{}") return false;
  return TenantKeys::VersionOf(*stored) != keys.current_version();
}

SqlValue SealOpt(const TenantKeys& keys, std::string_view field,
                 const std::optional<std::string>& plain) {
  if (!plain) return SqlValue{};
  return keys.Seal(field, *plain);
}

std::optional<std::string> PlainOpt(const TenantKeys& keys, std::string_view field,
                                    const std::optional<std::string>& stored) {
  if (!stored) return std::nullopt;
  return keys.OpenOrPlain(field, *stored);
}

// Runs `batch` in its own transaction on `db`.
template <class Fn>
Result<void> InTransaction(SqlConnection& db, Fn&& batch) {
  CD_TRY(db.Begin());
  Result<void> done = batch();
  if (!done) {
    (void)db.Rollback();
    return done;
  }
  return db.Commit();
}

Result<std::int64_t> ResealPatients(SqlConnection& db, TenantId tenant, const TenantKeys& keys,
                                    bool rebuild) {
  std::int64_t rewritten = 0, after = 0;
  for (;;) {
    CD_TRY_ASSIGN(auto rows, db.Query("SELECT id, name, date_of_birth, phone, email FROM patients "
                                      "WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?",
                                      {tenant.value, after, kBatch}));
    if (rows.empty()) return rewritten;
    after = rows.back().Int(0);
    CD_TRY(InTransaction(db, [&]() -> Result<void> {
      for (const SqlRow& r : rows) {
        std::array<std::optional<std::string>, 4> stored = {r.OptText(1), r.OptText(2),
                                                            r.OptText(3), r.OptText(4)};
        bool stale = false;
        for (const auto& s : stored) stale = stale || Stale(keys, s);
        if (!stale && !rebuild) continue;
        std::string name = keys.OpenOrPlain(kPatientName, stored[0].value_or(""));
        auto birth = PlainOpt(keys, kPatientBirth, stored[1]);
        auto phone = PlainOpt(keys, kPatientPhone, stored[2]);
        auto email = PlainOpt(keys, kPatientEmail, stored[3]);
        CD_TRY_ASSIGN(
            auto updated,
            db.Query("UPDATE patients SET name = ?, date_of_birth = ?, phone = ?, email = ?, "
                     "name_lower = '', phone_index = ?, email_index = ? WHERE tenant_id = ? AND "
                     "id = ? AND name = ? AND COALESCE(date_of_birth, '') = ? AND "
                     "COALESCE(phone, '') = ? AND COALESCE(email, '') = ? RETURNING id",
                     {keys.Seal(kPatientName, name), SealOpt(keys, kPatientBirth, birth),
                      SealOpt(keys, kPatientPhone, phone), SealOpt(keys, kPatientEmail, email),
                      phone ? SqlValue{keys.Index(kPhoneIndex, *phone)} : SqlValue{},
                      email ? SqlValue{keys.Index(kEmailIndex, *email)} : SqlValue{}, tenant.value,
                      r.Int(0), stored[0].value_or(""), stored[1].value_or(""),
                      stored[2].value_or(""), stored[3].value_or("")}));
        if (updated.empty()) continue;  // changed meanwhile, by a writer with the new key
        ++rewritten;
        if (!rebuild) continue;
        CD_TRY(db.Execute("DELETE FROM patient_tokens WHERE tenant_id = ? AND patient_id = ?",
                          {tenant.value, r.Int(0)}));
        for (const std::string& prefix : NamePrefixes(name)) {
          CD_TRY(
              db.Execute("INSERT INTO patient_tokens (tenant_id, token, patient_id) VALUES "
                         "(?, ?, ?) ON CONFLICT DO NOTHING",
                         {tenant.value, keys.Index(kNameIndex, prefix), r.Int(0)}));
        }
      }
      return {};
    }));
  }
}

Result<std::int64_t> ResealMessages(SqlConnection& db, TenantId tenant, const TenantKeys& keys,
                                    bool rebuild) {
  if (rebuild) {
    CD_TRY(InTransaction(db, [&] {
      return db.Execute("DELETE FROM message_tokens WHERE tenant_id = ?", {tenant.value});
    }));
  }
  std::int64_t rewritten = 0, after = 0;
  for (;;) {
    CD_TRY_ASSIGN(auto rows,
                  db.Query("SELECT id, conversation_id, sender, body, metadata FROM messages "
                           "WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?",
                           {tenant.value, after, kBatch}));
    if (rows.empty()) return rewritten;
    after = rows.back().Int(0);
    CD_TRY(InTransaction(db, [&]() -> Result<void> {
      for (const SqlRow& r : rows) {
        std::array<std::optional<std::string>, 3> stored = {r.OptText(2), r.OptText(3),
                                                            r.OptText(4)};
        bool stale = false;
        for (const auto& s : stored) stale = stale || Stale(keys, s);
        std::string body = keys.OpenOrPlain(kMessageBody, stored[1].value_or(""));
        if (stale) {
          std::string sender = keys.OpenOrPlain(kMessageSender, stored[0].value_or(""));
          std::string metadata = keys.OpenOrPlain(kMessageMetadata, stored[2].value_or("{}"));
          CD_TRY_ASSIGN(
              auto updated,
              db.Query("UPDATE messages SET sender = ?, body = ?, metadata = ? WHERE tenant_id = "
                       "? AND id = ? AND sender = ? AND body = ? AND metadata = ? RETURNING id",
                       {keys.Seal(kMessageSender, sender), keys.Seal(kMessageBody, body),
                        metadata == "{}" ? metadata : keys.Seal(kMessageMetadata, metadata),
                        tenant.value, r.Int(0), stored[0].value_or(""), stored[1].value_or(""),
                        stored[2].value_or("{}")}));
          if (!updated.empty()) ++rewritten;
        }
        if (!rebuild) continue;
        for (const std::string& word : SearchTokens(body)) {
          CD_TRY(
              db.Execute("INSERT INTO message_tokens (tenant_id, token, conversation_id) "
                         "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                         {tenant.value, keys.Index(kWordIndex, word), r.Int(1)}));
        }
      }
      return {};
    }));
  }
}

// Re-seals the `fields` (column, AAD field) of `table`'s rows of the tenant, as ResealPatients
// does, for tables with no index to rebuild.
Result<std::int64_t> ResealTable(
    SqlConnection& db, TenantId tenant, const TenantKeys& keys, std::string_view table,
    const std::vector<std::pair<std::string_view, std::string_view>>& fields,
    std::int64_t batch = kBatch) {
  std::string columns, sets, checks;
  for (const auto& [column, field] : fields) {
    columns += ", " + std::string(column);
    sets += std::string(sets.empty() ? "" : ", ") + std::string(column) + " = ?";
    checks += " AND COALESCE(" + std::string(column) + ", '') = ?";
  }
  std::int64_t rewritten = 0, after = 0;
  for (;;) {
    CD_TRY_ASSIGN(auto rows, db.Query("SELECT id" + columns + " FROM " + std::string(table) +
                                          " WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?",
                                      {tenant.value, after, batch}));
    if (rows.empty()) return rewritten;
    after = rows.back().Int(0);
    CD_TRY(InTransaction(db, [&]() -> Result<void> {
      for (const SqlRow& r : rows) {
        bool stale = false;
        for (std::size_t i = 0; i < fields.size(); ++i)
          stale = stale || Stale(keys, r.OptText(i + 1));
        if (!stale) continue;
        SqlParams params;
        for (std::size_t i = 0; i < fields.size(); ++i) {
          params.push_back(
              SealOpt(keys, fields[i].second, PlainOpt(keys, fields[i].second, r.OptText(i + 1))));
        }
        params.emplace_back(tenant.value);
        params.emplace_back(r.Int(0));
        for (std::size_t i = 0; i < fields.size(); ++i)
          params.emplace_back(r.OptText(i + 1).value_or(""));
        std::string sql = "UPDATE ";
        sql.append(table).append(" SET ").append(sets);
        sql.append(" WHERE tenant_id = ? AND id = ?").append(checks).append(" RETURNING id");
        CD_TRY_ASSIGN(auto updated, db.Query(sql, params));
        if (!updated.empty()) ++rewritten;
      }
      return {};
    }));
  }
}

Result<std::int64_t> ResealUsers(SqlConnection& db, TenantId tenant, const TenantKeys& keys) {
  CD_TRY_ASSIGN(auto rows, db.Query("SELECT id, totp_secret FROM users WHERE tenant_id = ? AND "
                                    "totp_secret <> ''",
                                    {tenant.value}));
  std::int64_t rewritten = 0;
  CD_TRY(InTransaction(db, [&]() -> Result<void> {
    for (const SqlRow& r : rows) {
      if (!Stale(keys, r.OptText(1))) continue;
      std::string secret = keys.OpenOrPlain(kUserTotp, r.Text(1));
      CD_TRY_ASSIGN(auto updated,
                    db.Query("UPDATE users SET totp_secret = ? WHERE tenant_id = ? AND id = ? "
                             "AND totp_secret = ? RETURNING id",
                             {keys.Seal(kUserTotp, secret), tenant.value, r.Int(0), r.Text(1)}));
      if (!updated.empty()) ++rewritten;
    }
    return {};
  }));
  return rewritten;
}

// Files each number's consent under the newest index key (phone_index); the number is sealed
// beside it. Returns the rows refiled.
Result<std::int64_t> ReindexConsent(SqlConnection& db, TenantId tenant, const TenantKeys& keys) {
  std::int64_t done = 0, after = 0;
  for (;;) {
    CD_TRY_ASSIGN(auto rows, db.Query("SELECT id, phone, phone_index FROM sms_consent WHERE "
                                      "tenant_id = ? AND id > ? ORDER BY id LIMIT ?",
                                      {tenant.value, after, kBatch}));
    if (rows.empty()) return done;
    after = rows.back().Int(0);
    CD_TRY(InTransaction(db, [&]() -> Result<void> {
      for (const SqlRow& r : rows) {
        std::string index = keys.Index(kPhoneIndex, keys.OpenOrPlain(kConsentPhone, r.Text(1)));
        if (index == r.Text(2)) continue;
        // Skipped if changed since it was read (a new answer is filed with the new key).
        CD_TRY_ASSIGN(auto updated,
                      db.Query("UPDATE sms_consent SET phone_index = ? WHERE tenant_id = ? AND "
                               "id = ? AND phone_index = ? RETURNING id",
                               {index, tenant.value, r.Int(0), r.Text(2)}));
        done += updated.empty() ? 0 : 1;
      }
      return {};
    }));
  }
}

}  // namespace

std::string EncodeStringPairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out = "{";
  for (const auto& [k, v] : pairs) {
    if (out.size() > 1) out.push_back(',');
    AppendJsonString(out, k);
    out.push_back(':');
    AppendJsonString(out, v);
  }
  out.push_back('}');
  return out;
}

SealedMessage SealMessage(const TenantKeys& keys, const core::Message& m) {
  SealedMessage s;
  s.key_version = keys.current_version();
  s.sender = keys.Seal(kMessageSender, m.sender);
  s.body = keys.Seal(kMessageBody, m.text);
  s.metadata = m.metadata.empty() ? std::string("{}")
                                  : keys.Seal(kMessageMetadata, EncodeStringPairs(m.metadata));
  for (const std::string& word : SearchTokens(m.text)) {
    s.word_indexes.push_back(keys.Index(kWordIndex, word));
  }
  return s;
}

std::vector<std::string> NamePrefixes(std::string_view name) {
  std::vector<std::string> out;
  for (const std::string& word : SearchTokens(name)) {
    // Cut at character boundaries only: after 2..20 characters.
    std::size_t chars = 0;
    for (std::size_t i = 0; i < word.size() && chars < 20;) {
      std::size_t n = Utf8SequenceLength(word, i);
      i += n == 0 ? 1 : n;
      ++chars;
      if (chars >= 2) out.push_back(word.substr(0, i));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::int64_t> ResealTenant(SqlConnection& db, TenantId tenant, const TenantKeys& keys,
                                  bool rebuild_indexes) {
  CD_TRY_ASSIGN(std::int64_t patients, ResealPatients(db, tenant, keys, rebuild_indexes));
  CD_TRY_ASSIGN(std::int64_t messages, ResealMessages(db, tenant, keys, rebuild_indexes));
  CD_TRY_ASSIGN(std::int64_t users, ResealUsers(db, tenant, keys));
  CD_TRY_ASSIGN(std::int64_t representatives, ResealTable(db, tenant, keys, "representatives",
                                                          {{"name", kRepName},
                                                           {"date_of_birth", kRepBirth},
                                                           {"phone", kRepPhone},
                                                           {"email", kRepEmail}}));
  CD_TRY_ASSIGN(std::int64_t outbox,
                ResealTable(db, tenant, keys, "outbox",
                            {{"recipient", kOutboxRecipient}, {"body", kOutboxBody}}));
  CD_TRY_ASSIGN(std::int64_t providers, ResealTable(db, tenant, keys, "oidc_providers",
                                                    {{"client_secret", kOidcClientSecret}}));
  CD_TRY_ASSIGN(std::int64_t channels,
                ResealTable(db, tenant, keys, "channel_settings", {{"secret", kChannelSecret}}));
  CD_TRY_ASSIGN(std::int64_t consent,
                ResealTable(db, tenant, keys, "sms_consent", {{"phone", kConsentPhone}}));
  if (rebuild_indexes) CD_TRY(ReindexConsent(db, tenant, keys));
  // A few at a time: an attachment may be 25 MB.
  CD_TRY_ASSIGN(std::int64_t attachments,
                ResealTable(db, tenant, keys, "attachments",
                            {{"filename", kAttachmentName}, {"content", kAttachmentContent}},
                            /*batch=*/4));
  return patients + messages + users + representatives + outbox + providers + channels + consent +
         attachments;
}

namespace {

// The statements that add and remove one token of a word table.
struct TokenTable {
  std::string_view insert;
  std::string_view remove;
};
constexpr TokenTable kPatientTokens{
    "INSERT INTO patient_tokens (tenant_id, token, patient_id) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING",
    "DELETE FROM patient_tokens WHERE tenant_id = ? AND token = ? AND patient_id = ?"};
constexpr TokenTable kMessageTokens{
    "INSERT INTO message_tokens (tenant_id, token, conversation_id) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING",
    "DELETE FROM message_tokens WHERE tenant_id = ? AND token = ? AND conversation_id = ?"};

// Indexes `value` under the newest index key for `owner` (a patient or conversation) and
// deletes what older index keys made of it.
Result<void> ReindexToken(SqlConnection& db, TenantId tenant, const TenantKeys& keys,
                          const TokenTable& table, std::int64_t owner, std::string_view domain,
                          std::string_view value) {
  std::vector<std::string> indexes = keys.Indexes(domain, value);
  CD_TRY(db.Execute(table.insert, {tenant.value, indexes[0], owner}));
  for (std::size_t i = 1; i < indexes.size(); ++i) {
    CD_TRY(db.Execute(table.remove, {tenant.value, indexes[i], owner}));
  }
  return {};
}

// Runs `row` on every row of `select` (which takes tenant, after-id and limit, and gives the
// id first), kBatch rows per transaction; counts the rows `row` says it did.
Result<std::int64_t> EachRowInBatches(SqlConnection& db, TenantId tenant, std::string_view select,
                                      const std::function<Result<bool>(const SqlRow&)>& row) {
  std::int64_t done = 0, after = 0;
  for (;;) {
    CD_TRY_ASSIGN(auto rows, db.Query(select, {tenant.value, after, kBatch}));
    if (rows.empty()) return done;
    after = rows.back().Int(0);
    CD_TRY(InTransaction(db, [&]() -> Result<void> {
      for (const SqlRow& r : rows) {
        CD_TRY_ASSIGN(bool did, row(r));
        done += did ? 1 : 0;
      }
      return {};
    }));
  }
}

Result<std::int64_t> ReindexPatients(SqlConnection& db, TenantId tenant, const TenantKeys& keys) {
  return EachRowInBatches(
      db, tenant,
      "SELECT id, name, phone, email FROM patients WHERE tenant_id = ? AND id > ? ORDER BY id "
      "LIMIT ?",
      [&](const SqlRow& r) -> Result<bool> {
        auto phone = PlainOpt(keys, kPatientPhone, r.OptText(2));
        auto email = PlainOpt(keys, kPatientEmail, r.OptText(3));
        // Only a row unchanged since it was read: a concurrent change indexed it already, with
        // the new key. The update also holds the row until this commit.
        CD_TRY_ASSIGN(
            auto updated,
            db.Query("UPDATE patients SET phone_index = ?, email_index = ? WHERE tenant_id = ? "
                     "AND id = ? AND name = ? AND COALESCE(phone, '') = ? AND "
                     "COALESCE(email, '') = ? RETURNING id",
                     {phone ? SqlValue{keys.Index(kPhoneIndex, *phone)} : SqlValue{},
                      email ? SqlValue{keys.Index(kEmailIndex, *email)} : SqlValue{}, tenant.value,
                      r.Int(0), r.Text(1), r.OptText(2).value_or(""), r.OptText(3).value_or("")}));
        if (updated.empty()) return false;
        for (const std::string& prefix : NamePrefixes(keys.OpenOrPlain(kPatientName, r.Text(1)))) {
          CD_TRY(ReindexToken(db, tenant, keys, kPatientTokens, r.Int(0), kNameIndex, prefix));
        }
        return true;
      });
}

Result<std::int64_t> ReindexMessages(SqlConnection& db, TenantId tenant, const TenantKeys& keys) {
  return EachRowInBatches(
      db, tenant,
      "SELECT id, conversation_id, body FROM messages WHERE tenant_id = ? AND id > ? ORDER BY id "
      "LIMIT ?",
      [&](const SqlRow& r) -> Result<bool> {
        if (!r.OptText(2) || r.Text(2).empty()) return false;  // purged or erased
        // Held until this commit, and skipped if erased or purged since it was read.
        CD_TRY_ASSIGN(auto held, db.Query("UPDATE messages SET body = body WHERE tenant_id = ? "
                                          "AND id = ? AND body = ? RETURNING id",
                                          {tenant.value, r.Int(0), r.Text(2)}));
        if (held.empty()) return false;
        for (const std::string& word : SearchTokens(keys.OpenOrPlain(kMessageBody, r.Text(2)))) {
          CD_TRY(ReindexToken(db, tenant, keys, kMessageTokens, r.Int(1), kWordIndex, word));
        }
        return true;
      });
}

}  // namespace

Result<std::int64_t> ReindexTenant(SqlConnection& db, TenantId tenant, const TenantKeys& keys) {
  if (!keys.encrypted()) return std::int64_t{0};
  CD_TRY_ASSIGN(std::int64_t patients, ReindexPatients(db, tenant, keys));
  CD_TRY_ASSIGN(std::int64_t messages, ReindexMessages(db, tenant, keys));
  CD_TRY_ASSIGN(std::int64_t consent, ReindexConsent(db, tenant, keys));
  return patients + messages + consent;
}

Result<std::int64_t> CountStale(SqlConnection& db, TenantId tenant, const TenantKeys& keys) {
  if (!keys.encrypted()) return std::int64_t{0};
  const std::string c = "enc" + std::to_string(keys.current_version()) + ".%";
  std::int64_t total = 0;
  CD_TRY_ASSIGN(auto patients,
                db.Query("SELECT COUNT(*) FROM patients WHERE tenant_id = ? AND (name NOT LIKE ? "
                         "OR date_of_birth NOT LIKE ? OR phone NOT LIKE ? OR email NOT LIKE ?)",
                         {tenant.value, c, c, c, c}));
  total += patients.at(0).Int(0);
  CD_TRY_ASSIGN(auto messages,
                db.Query("SELECT COUNT(*) FROM messages WHERE tenant_id = ? AND (sender NOT LIKE "
                         "? OR body NOT LIKE ? OR (metadata <> '{}' AND metadata NOT LIKE ?))",
                         {tenant.value, c, c, c}));
  total += messages.at(0).Int(0);
  CD_TRY_ASSIGN(auto users, db.Query("SELECT COUNT(*) FROM users WHERE tenant_id = ? AND "
                                     "totp_secret <> '' AND totp_secret NOT LIKE ?",
                                     {tenant.value, c}));
  total += users.at(0).Int(0);
  CD_TRY_ASSIGN(auto reps, db.Query("SELECT COUNT(*) FROM representatives WHERE tenant_id = ? "
                                    "AND (name NOT LIKE ? OR date_of_birth NOT LIKE ? OR phone "
                                    "NOT LIKE ? OR email NOT LIKE ?)",
                                    {tenant.value, c, c, c, c}));
  total += reps.at(0).Int(0);
  CD_TRY_ASSIGN(auto outbox, db.Query("SELECT COUNT(*) FROM outbox WHERE tenant_id = ? AND "
                                      "(recipient NOT LIKE ? OR body NOT LIKE ?)",
                                      {tenant.value, c, c}));
  total += outbox.at(0).Int(0);
  CD_TRY_ASSIGN(auto providers, db.Query("SELECT COUNT(*) FROM oidc_providers WHERE tenant_id = ? "
                                         "AND client_secret NOT LIKE ?",
                                         {tenant.value, c}));
  total += providers.at(0).Int(0);
  CD_TRY_ASSIGN(auto channels, db.Query("SELECT COUNT(*) FROM channel_settings WHERE tenant_id = ? "
                                        "AND secret NOT LIKE ?",
                                        {tenant.value, c}));
  total += channels.at(0).Int(0);
  CD_TRY_ASSIGN(auto consent, db.Query("SELECT COUNT(*) FROM sms_consent WHERE tenant_id = ? AND "
                                       "phone NOT LIKE ?",
                                       {tenant.value, c}));
  total += consent.at(0).Int(0);
  CD_TRY_ASSIGN(auto attachments, db.Query("SELECT COUNT(*) FROM attachments WHERE tenant_id = ? "
                                           "AND (filename NOT LIKE ? OR content NOT LIKE ?)",
                                           {tenant.value, c, c}));
  total += attachments.at(0).Int(0);
  return total;
}

}  // namespace caredesk::store

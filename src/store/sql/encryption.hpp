// What is sealed at rest, how it is indexed, and the bulk work over it: sealing a tenant's data
// the first time (an upgrade from an unencrypted database) and re-sealing it under a new data
// key (`caredesk keys rotate`). Used by SqlStore and the SQL TenantTx.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/ids.hpp"
#include "store/sql/connection.hpp"
#include "store/sql/keyring.hpp"
#include "store/store.hpp"

namespace caredesk::store {

// Sealed columns, named as their AAD names them. Everything else (ids, times, states, queues,
// tags, the audit log) carries no patient information.
inline constexpr std::string_view kPatientName = "patients.name";
inline constexpr std::string_view kPatientBirth = "patients.date_of_birth";
inline constexpr std::string_view kPatientPhone = "patients.phone";
inline constexpr std::string_view kPatientEmail = "patients.email";
inline constexpr std::string_view kMessageBody = "messages.body";
inline constexpr std::string_view kMessageSender = "messages.sender";
inline constexpr std::string_view kMessageMetadata = "messages.metadata";
inline constexpr std::string_view kUserTotp = "users.totp_secret";
inline constexpr std::string_view kRepName = "representatives.name";
inline constexpr std::string_view kRepBirth = "representatives.date_of_birth";
inline constexpr std::string_view kRepPhone = "representatives.phone";
inline constexpr std::string_view kRepEmail = "representatives.email";
inline constexpr std::string_view kOutboxRecipient = "outbox.recipient";
inline constexpr std::string_view kOutboxBody = "outbox.body";
inline constexpr std::string_view kOidcClientSecret = "oidc_providers.client_secret";
inline constexpr std::string_view kChannelSecret = "channel_settings.secret";
inline constexpr std::string_view kConsentPhone = "sms_consent.phone";
inline constexpr std::string_view kAttachmentName = "attachments.filename";
inline constexpr std::string_view kAttachmentContent = "attachments.content";

// Blind-index domains.
inline constexpr std::string_view kPhoneIndex = "phone";
inline constexpr std::string_view kEmailIndex = "email";
inline constexpr std::string_view kWordIndex = "word";  // message text
inline constexpr std::string_view kNameIndex = "name";  // prefixes of a patient's name words

// A message's sealed sender, text and metadata and its word indexes under `keys`' current key.
SealedMessage SealMessage(const TenantKeys& keys, const core::Message& m);
// String pairs as a JSON object of strings ("{}" if none): a message's metadata before it is
// sealed, an event's data.
std::string EncodeStringPairs(const std::vector<std::pair<std::string, std::string>>& pairs);

// The prefixes (2 to 20 characters) of each word of a patient's name, so that typing the start
// of a first or last name finds the patient.
std::vector<std::string> NamePrefixes(std::string_view name);

// Seals every patient-information value of `tenant` that is not sealed with the current data
// key of `keys` (plaintext values included), 500 rows per transaction, each begun and committed
// here on `db`, which must not be in a transaction. A value is rewritten only if it is still
// what was read, so a concurrent change (already sealed with the new key) is never overwritten.
// With `rebuild_indexes` (values were plaintext before) the blind indexes and word tables are
// computed afresh. Returns the number of values rewritten.
Result<std::int64_t> ResealTenant(SqlConnection& db, TenantId tenant, const TenantKeys& keys,
                                  bool rebuild_indexes);
// Computes every blind index of `tenant` (phones, emails, name prefixes, message words) under
// the newest index key of `keys` and deletes what older index keys made, 500 rows per
// transaction, each begun and committed here on `db`. A row changed since it was read is
// skipped (the change indexed it with the new key). Returns the patients and messages done.
Result<std::int64_t> ReindexTenant(SqlConnection& db, TenantId tenant, const TenantKeys& keys);
// How many values of `tenant` are not sealed with the current data key.
Result<std::int64_t> CountStale(SqlConnection& db, TenantId tenant, const TenantKeys& keys);

}  // namespace caredesk::store

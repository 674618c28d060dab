#include "store/sql/keyring.hpp"

#include <charconv>

namespace caredesk::store {

namespace {
std::string Aad(TenantId tenant, std::string_view field) {
  return "t" + std::to_string(tenant.value) + ":" + std::string(field);
}
std::string WrapAad(TenantId tenant, std::string_view purpose, int version) {
  return "caredesk-key:t" + std::to_string(tenant.value) + ":" + std::string(purpose) + ":" +
         std::to_string(version);
}
}  // namespace

TenantKeys::TenantKeys(TenantId tenant, int current, std::map<int, security::SecretKey> data,
                       const std::map<int, security::SecretKey>& indexes)
    : tenant_(tenant), current_(current), data_(std::move(data)) {
  for (const auto& [version, key] : indexes) {
    indexes_.emplace(version, std::make_unique<security::BlindIndexer>(key));
  }
}

int TenantKeys::VersionOf(std::string_view stored) {
  if (!stored.starts_with("enc")) return 0;
  auto dot = stored.find('.', 3);
  if (dot == std::string_view::npos || dot == 3) return 0;
  int v = 0;
  auto [end, ec] = std::from_chars(stored.data() + 3, stored.data() + dot, v);
  if (ec != std::errc{} || end != stored.data() + dot || v <= 0) return 0;
  return v;
}

std::string TenantKeys::Seal(std::string_view field, std::string_view plaintext) const {
  if (!encrypted()) return std::string(plaintext);
  return "enc" + std::to_string(current_) + "." +
         security::ToBase64Url(security::Seal(data_.at(current_), plaintext, Aad(tenant_, field)));
}

Result<std::string> TenantKeys::Open(std::string_view field, std::string_view stored) const {
  int version = VersionOf(stored);
  if (!encrypted()) {
    if (version != 0) return Unavailable("the database is encrypted: give the master key");
    return std::string(stored);
  }
  auto key = data_.find(version);
  if (key == data_.end()) return Internal("stored value is not sealed with a known key");
  auto sealed = security::FromBase64Url(stored.substr(stored.find('.') + 1));
  if (!sealed) return Internal("stored value is corrupt");
  auto plain = security::Unseal(key->second, *sealed, Aad(tenant_, field));
  if (!plain) return Internal("stored value does not open");
  return std::move(*plain);
}

Result<std::optional<std::string>> TenantKeys::OpenOpt(
    std::string_view field, const std::optional<std::string>& stored) const {
  if (!stored) return std::optional<std::string>{};
  CD_TRY_ASSIGN(std::string plain, Open(field, *stored));
  return std::optional<std::string>{std::move(plain)};
}

Result<std::string> TenantKeys::OpenCached(std::string_view field,
                                           const std::string& stored) const {
  if (!encrypted()) return Open(field, stored);
  // A sealed value carries a random nonce, so its text is never shared by two plaintexts; the
  // field is in the key too, as the same text could not open under another one.
  std::string key(field);
  key.push_back('\0');
  key.append(stored);
  {
    std::lock_guard lock(opened_mutex_);
    if (auto it = opened_.find(key); it != opened_.end()) return it->second;
  }
  CD_TRY_ASSIGN(std::string plain, Open(field, stored));
  std::lock_guard lock(opened_mutex_);
  if (opened_.size() >= kOpenedCacheEntries) opened_.clear();
  opened_.emplace(std::move(key), plain);
  return plain;
}

std::vector<int> TenantKeys::versions() const {
  std::vector<int> out;
  for (const auto& [version, key] : data_) out.push_back(version);
  for (const auto& [version, key] : indexes_) out.push_back(-version);
  return out;
}

std::string TenantKeys::OpenOrPlain(std::string_view field, std::string_view stored) const {
  if (VersionOf(stored) == 0) return std::string(stored);
  auto opened = Open(field, stored);
  return opened ? std::move(*opened) : std::string(stored);
}

namespace {
std::string IndexWith(const security::BlindIndexer& indexer, std::string_view domain,
                      std::string_view value) {
  std::string input(domain);
  input.push_back('\0');
  input.append(value);
  // Words and name prefixes are many and only ever narrow a search (a collision would add a
  // result, never reveal one): 64 bits. A phone or email picks the patient a message joins:
  // 96 bits.
  const bool narrowing = domain == "word" || domain == "name";
  return indexer(input, narrowing ? 8 : 12);
}
}  // namespace

std::string TenantKeys::Index(std::string_view domain, std::string_view value) const {
  if (!encrypted()) return std::string(value);
  return IndexWith(*indexes_.begin()->second, domain, value);
}

std::vector<std::string> TenantKeys::Indexes(std::string_view domain,
                                             std::string_view value) const {
  if (!encrypted()) return {std::string(value)};
  std::vector<std::string> out;
  for (const auto& [version, indexer] : indexes_) out.push_back(IndexWith(*indexer, domain, value));
  return out;
}

KeyRing::KeyRing(std::optional<security::SecretKey> master, Millis refresh,
                 std::optional<security::SecretKey> previous)
    : master_(std::move(master)), previous_master_(std::move(previous)), refresh_(refresh) {}

std::optional<security::SecretKey> KeyRing::Unwrap(TenantId tenant, std::string_view purpose,
                                                   int version, std::string_view wrapped) const {
  auto sealed = security::FromBase64Url(wrapped);
  if (!sealed) return std::nullopt;
  for (const auto* master : {&master_, &previous_master_}) {
    if (!*master) continue;
    auto bytes = security::Unseal(**master, *sealed, WrapAad(tenant, purpose, version));
    if (bytes) return security::SecretKey::FromBytes(*bytes);
  }
  return std::nullopt;
}

void KeyRing::Forget(TenantId tenant) {
  std::lock_guard lock(mutex_);
  cache_.erase(tenant.value);
}

std::shared_ptr<const TenantKeys> KeyRing::Cached(TenantId tenant) {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(tenant.value);
  return it == cache_.end() ? nullptr : it->second.keys;
}

Result<std::shared_ptr<const TenantKeys>> KeyRing::For(SqlConnection& db, TenantId tenant) {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(tenant.value);
    if (it != cache_.end() && now - it->second.loaded < refresh_) return it->second.keys;
  }
  CD_TRY_ASSIGN(auto keys, Load(db, tenant));
  std::lock_guard lock(mutex_);
  auto it = cache_.find(tenant.value);
  if (it != cache_.end() && it->second.keys->versions() == keys->versions() &&
      it->second.keys->encrypted() == keys->encrypted()) {
    it->second.loaded = now;  // unchanged: keep the object, and what it has opened
    return it->second.keys;
  }
  cache_.insert_or_assign(tenant.value, Entry{keys, now});
  return keys;
}

Result<std::shared_ptr<const TenantKeys>> KeyRing::Load(SqlConnection& db, TenantId tenant) {
  CD_TRY_ASSIGN(auto rows, db.Query("SELECT purpose, version, wrapped FROM tenant_keys WHERE "
                                    "tenant_id = ? ORDER BY version",
                                    {tenant.value}));
  if (rows.empty()) {
    if (master_) return Internal("tenant has no encryption keys");
    return std::make_shared<const TenantKeys>(tenant);
  }
  if (!master_) return Unavailable("the database is encrypted: give the master key");
  std::map<int, security::SecretKey> data;
  std::map<int, security::SecretKey> indexes;
  int current = 0;
  for (const SqlRow& r : rows) {
    const std::string& purpose = r.Text(0);
    int version = static_cast<int>(r.Int(1));
    auto key = Unwrap(tenant, purpose, version, r.Text(2));
    if (!key) return Unavailable("the master key does not open this database's keys");
    if (purpose == "index") {
      indexes.insert_or_assign(version, std::move(*key));
    } else {
      data.insert_or_assign(version, std::move(*key));
      current = std::max(current, version);
    }
  }
  if (indexes.empty() || current == 0) return Internal("tenant keys are incomplete");
  return std::make_shared<const TenantKeys>(tenant, current, std::move(data), indexes);
}

std::string KeyRing::Wrap(TenantId tenant, std::string_view purpose, int version,
                          const security::SecretKey& key) const {
  return security::ToBase64Url(
      security::Seal(*master_, key.view(), WrapAad(tenant, purpose, version)));
}

Result<int> KeyRing::RewrapAll(SqlConnection& db) {
  if (!master_) return Invalid("no master key: this database is not encrypted");
  CD_TRY_ASSIGN(auto rows, db.Query("SELECT tenant_id, purpose, version, wrapped FROM tenant_keys "
                                    "ORDER BY tenant_id, purpose, version"));
  int rewrapped = 0;
  for (const SqlRow& r : rows) {
    TenantId tenant{r.Int(0)};
    const std::string& purpose = r.Text(1);
    int version = static_cast<int>(r.Int(2));
    auto key = Unwrap(tenant, purpose, version, r.Text(3));
    if (!key) {
      return Unavailable("neither the master key nor the previous one opens tenant " +
                         std::to_string(tenant.value) + "'s keys");
    }
    CD_TRY(db.Execute(
        "UPDATE tenant_keys SET wrapped = ? WHERE tenant_id = ? AND purpose = ? "
        "AND version = ?",
        {Wrap(tenant, purpose, version, *key), tenant.value, purpose, std::int64_t{version}}));
    ++rewrapped;
  }
  return rewrapped;
}

Result<int> KeyRing::CountNotUnderMaster(SqlConnection& db) const {
  if (!master_) return 0;
  CD_TRY_ASSIGN(auto rows,
                db.Query("SELECT tenant_id, purpose, version, wrapped FROM tenant_keys"));
  int out = 0;
  for (const SqlRow& r : rows) {
    auto sealed = security::FromBase64Url(r.Text(3));
    bool opens = sealed && security::Unseal(
                               *master_, *sealed,
                               WrapAad(TenantId{r.Int(0)}, r.Text(1), static_cast<int>(r.Int(2))));
    out += opens ? 0 : 1;
  }
  return out;
}

Result<bool> KeyRing::AnyKeys(SqlConnection& db) {
  CD_TRY_ASSIGN(auto rows, db.Query("SELECT 1 FROM tenant_keys LIMIT 1"));
  return !rows.empty();
}

Result<void> KeyRing::EnsureKeys(SqlConnection& db, TenantId tenant, Timestamp now) {
  if (!master_) return {};
  CD_TRY_ASSIGN(auto rows,
                db.Query("SELECT 1 FROM tenant_keys WHERE tenant_id = ? LIMIT 1", {tenant.value}));
  if (!rows.empty()) return {};
  for (std::string_view purpose : {"index", "data"}) {
    CD_TRY(
        db.Execute("INSERT INTO tenant_keys (tenant_id, purpose, version, wrapped, created_at) "
                   "VALUES (?, ?, 1, ?, ?)",
                   {tenant.value, std::string(purpose),
                    Wrap(tenant, purpose, 1, security::SecretKey::Random()), ToEpochMillis(now)}));
  }
  Forget(tenant);
  return {};
}

Result<int> KeyRing::AddKey(SqlConnection& db, TenantId tenant, std::string_view purpose,
                            Timestamp now) {
  if (!master_) return Invalid("no master key: this database is not encrypted");
  CD_TRY_ASSIGN(auto rows, db.Query("SELECT MAX(version) FROM tenant_keys WHERE tenant_id = ? "
                                    "AND purpose = ?",
                                    {tenant.value, std::string(purpose)}));
  if (rows.empty() || rows[0].IsNull(0)) return Internal("tenant has no encryption keys");
  int version = static_cast<int>(rows[0].Int(0)) + 1;
  CD_TRY(db.Execute(
      "INSERT INTO tenant_keys (tenant_id, purpose, version, wrapped, created_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {tenant.value, std::string(purpose), std::int64_t{version},
       Wrap(tenant, purpose, version, security::SecretKey::Random()), ToEpochMillis(now)}));
  Forget(tenant);
  return version;
}

Result<int> KeyRing::AddDataKey(SqlConnection& db, TenantId tenant, Timestamp now) {
  return AddKey(db, tenant, "data", now);
}

Result<int> KeyRing::AddIndexKey(SqlConnection& db, TenantId tenant, Timestamp now) {
  return AddKey(db, tenant, "index", now);
}

Result<void> KeyRing::DropIndexKeysBefore(SqlConnection& db, TenantId tenant, int keep_from) {
  return db.Execute(
      "DELETE FROM tenant_keys WHERE tenant_id = ? AND purpose = 'index' AND version < ?",
      {tenant.value, std::int64_t{keep_from}});
}

Result<void> KeyRing::DropDataKeysBefore(SqlConnection& db, TenantId tenant, int keep_from) {
  return db.Execute(
      "DELETE FROM tenant_keys WHERE tenant_id = ? AND purpose = 'data' AND version < ?",
      {tenant.value, std::int64_t{keep_from}});
}

}  // namespace caredesk::store

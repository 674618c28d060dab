#include "store/sql/sql_store.hpp"

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "base/log.hpp"
#include "store/sql/encryption.hpp"
#include "store/sql/keyring.hpp"
#include "store/sql/migrations.hpp"
#include "store/sql/tenant_tx.hpp"

namespace caredesk::store {
namespace {

constexpr std::string_view kUnitSavepoint = "unit";

Timestamp WallNow() {
  return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
}

class SqlStore final : public Store {
 public:
  SqlStore(std::shared_ptr<SqlEngine> engine, SqlStoreOptions options)
      : engine_(std::move(engine)),
        options_(std::move(options)),
        // An embedded SQLite database is written only by this process's writer thread (the CLI
        // touches tenants, users and tokens, never conversations or patients); a PostgreSQL
        // database is shared with other nodes, whose writes this process cannot see.
        track_generations_(engine_->Dialect() == "sqlite"),
        keyring_(options_.master_key, options_.key_refresh, options_.previous_master_key),
        writer_([this] { WriterLoop(); }) {}

  ~SqlStore() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_ready_.notify_all();
    writer_.join();
    StopListening();
  }

  void StopListening() override {
    listener_stopping_.store(true);
    if (listener_.joinable()) listener_.join();
  }

  Result<void> Publish(std::string_view payload) override {
    if (engine_->Dialect() != "postgres") return {};
    if (payload.size() > 7900) return Invalid("notice too long", "payload");
    CD_TRY_ASSIGN(auto lease, AcquireReader());
    auto sent = lease.db->Execute("SELECT pg_notify('caredesk_live', ?)", {std::string(payload)});
    if (!sent) lease.broken = true;
    return sent;
  }

  Result<void> Listen(std::function<void(std::string_view)> on_notice) override {
    if (engine_->Dialect() != "postgres") return {};
    if (listener_.joinable()) return Conflict("already listening");
    // The first connection is made here, so a node that cannot listen says so at start.
    CD_TRY_ASSIGN(auto db, engine_->Connect());
    CD_TRY(db->Execute("LISTEN caredesk_live"));
    listener_ = std::thread([this, db = std::move(db), on_notice = std::move(on_notice)]() mutable {
      ListenLoop(std::move(db), on_notice);
    });
    return {};
  }

  Result<int> Migrate() override {
    CD_TRY_ASSIGN(auto db, engine_->Connect());
    const bool pg = db->Dialect() == "postgres";
    // Several nodes may start at once; on PostgreSQL one migrates while the others wait.
    if (pg) CD_TRY(db->Execute("SELECT pg_advisory_lock(727274)"));
    auto unlock = [&] {
      if (pg) (void)db->Execute("SELECT pg_advisory_unlock(727274)");
    };
    auto applied = ApplyMigrations(*db, pg);
    if (applied) {
      if (auto prepared = PrepareTenants(*db); !prepared) applied = prepared.error();
    }
    unlock();
    return applied;
  }

  // The data format every tenant's rows are brought to: sealed with a master key, else indexed.
  int TargetFormat() const { return keyring_.encrypting() ? 2 : 1; }

  // Brings every tenant's rows to TargetFormat (creating its keys first), and checks that the
  // master key opens every tenant's keys, so a wrong key stops the start instead of every read.
  Result<void> PrepareTenants(SqlConnection& db) {
    if (!keyring_.encrypting()) {
      CD_TRY_ASSIGN(bool encrypted, KeyRing::AnyKeys(db));
      if (encrypted) {
        return Unavailable(
            "the database is encrypted: give the master key (--master-key-file or "
            "CAREDESK_MASTER_KEY_FILE)");
      }
    }
    CD_TRY_ASSIGN(auto tenants, db.Query("SELECT id, data_format FROM tenants ORDER BY id"));
    for (const SqlRow& row : tenants) {
      TenantId tenant{row.Int(0)};
      if (row.Int(1) < TargetFormat()) {
        CD_TRY(db.Begin());
        if (auto made = keyring_.EnsureKeys(db, tenant, WallNow()); !made) {
          (void)db.Rollback();
          return made.error();
        }
        CD_TRY(db.Commit());
        CD_TRY_ASSIGN(auto keys, keyring_.For(db, tenant));
        CD_TRY_ASSIGN(std::int64_t sealed,
                      ResealTenant(db, tenant, *keys, /*rebuild_indexes=*/true));
        CD_TRY(db.Execute("UPDATE tenants SET data_format = ? WHERE id = ?",
                          {std::int64_t{TargetFormat()}, tenant.value}));
        log::Info(
            "tenant_data_converted",
            {{"tenant_id", tenant.value}, {"format", TargetFormat()}, {"values_sealed", sealed}});
      }
      CD_TRY(keyring_.For(db, tenant));
    }
    return {};
  }

  // Runs `fn` (a change of keys) in its own transaction on `db`; rolled back if it fails.
  template <class Fn>
  static auto Committed(SqlConnection& db, Fn&& fn) -> decltype(fn()) {
    CD_TRY(db.Begin());
    auto result = fn();
    if (!result) {
      (void)db.Rollback();
      return result.error();
    }
    CD_TRY(db.Commit());
    return result;
  }

  Result<Rotation> RotateDataKey(TenantId tenant, Millis settle) override {
    CD_TRY_ASSIGN(auto db, engine_->Connect());
    Rotation out;
    CD_TRY_ASSIGN(out.new_version,
                  Committed(*db, [&] { return keyring_.AddDataKey(*db, tenant, WallNow()); }));
    log::Info("data_key_added", {{"tenant_id", tenant.value}, {"version", out.new_version}});
    std::this_thread::sleep_for(settle);
    // Read from the database, not the cache: a lookup that raced the new key's commit may have
    // cached the keys without it.
    keyring_.Forget(tenant);
    CD_TRY_ASSIGN(auto keys, keyring_.For(*db, tenant));
    CD_TRY_ASSIGN(out.resealed, ResealTenant(*db, tenant, *keys, /*rebuild_indexes=*/false));
    CD_TRY_ASSIGN(out.stale_left, CountStale(*db, tenant, *keys));
    if (out.stale_left == 0) {
      CD_TRY(KeyRing::DropDataKeysBefore(*db, tenant, out.new_version));
    }
    log::Info("data_key_rotated", {{"tenant_id", tenant.value},
                                   {"version", out.new_version},
                                   {"resealed", out.resealed},
                                   {"stale_left", out.stale_left}});
    return out;
  }

  Result<Rotation> RotateIndexKey(TenantId tenant, Millis settle) override {
    CD_TRY_ASSIGN(auto db, engine_->Connect());
    Rotation out;
    CD_TRY_ASSIGN(out.new_version,
                  Committed(*db, [&] { return keyring_.AddIndexKey(*db, tenant, WallNow()); }));
    log::Info("index_key_added", {{"tenant_id", tenant.value}, {"version", out.new_version}});
    std::this_thread::sleep_for(settle);
    // Read from the database, not the cache: a lookup that raced the new key's commit may have
    // cached the keys without it.
    keyring_.Forget(tenant);
    CD_TRY_ASSIGN(auto keys, keyring_.For(*db, tenant));
    CD_TRY_ASSIGN(out.resealed, ReindexTenant(*db, tenant, *keys));
    CD_TRY(KeyRing::DropIndexKeysBefore(*db, tenant, out.new_version));
    keyring_.Forget(tenant);
    log::Info(
        "index_key_rotated",
        {{"tenant_id", tenant.value}, {"version", out.new_version}, {"reindexed", out.resealed}});
    return out;
  }

  Result<int> RewrapKeys() override {
    CD_TRY_ASSIGN(auto db, engine_->Connect());
    CD_TRY_ASSIGN(int rewrapped, Committed(*db, [&] { return keyring_.RewrapAll(*db); }));
    log::Info("master_key_rewrapped", {{"keys", rewrapped}});
    CD_TRY_ASSIGN(int left, keyring_.CountNotUnderMaster(*db));
    if (left > 0) {
      return Unavailable(std::to_string(left) +
                         " keys were added during the rewrap and are still wrapped by the "
                         "previous key; run keys rewrap again before destroying it");
    }
    return rewrapped;
  }

  Result<void> Ready() override {
    CD_TRY_ASSIGN(auto lease, AcquireReader());
    auto rows = lease.db->Query("SELECT MAX(version) FROM schema_migrations");
    if (!rows) return Unavailable("database is not reachable or not migrated");
    if (rows->empty() || rows->at(0).Int(0) != AllMigrations().back().version) {
      return Unavailable("database migrations are not applied");
    }
    return {};
  }

  Result<void> Write(TenantId tenant, TxFn fn) override {
    return Enqueue(tenant, std::move(fn), /*seen=*/true);
  }
  Result<void> WriteUnseen(TenantId tenant, TxFn fn) override {
    return Enqueue(tenant, std::move(fn), /*seen=*/false);
  }

  Result<void> Enqueue(TenantId tenant, TxFn fn, bool seen) {
    WriteUnit unit{tenant, std::move(fn), {}, 0, seen};
    auto done = unit.done.get_future();
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return Unavailable("store is shutting down");
      queue_.push_back(&unit);
    }
    work_ready_.notify_one();
    return done.get();
  }

  std::shared_ptr<const SealedMessage> SealAhead(TenantId tenant, const core::Message& m) override {
    auto keys = keyring_.Cached(tenant);
    if (!keys || !keys->encrypted()) return nullptr;
    return std::make_shared<const SealedMessage>(SealMessage(*keys, m));
  }

  Result<void> Read(TenantId tenant, TxFn fn) override {
    CD_TRY_ASSIGN(auto lease, AcquireReader());
    SqlConnection& db = *lease.db;
    if (auto begun = db.Execute(db.Dialect() == "postgres"
                                    ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                    : "BEGIN");
        !begun) {
      lease.broken = true;
      return begun.error();
    }
    Result<void> result = RunUnit(db, tenant, fn, /*for_write=*/false);
    auto end = db.Execute("COMMIT");
    if (!end) {
      lease.broken = true;
      return end.error();
    }
    return result;
  }

  Result<Tenant> CreateTenant(Tenant t) override {
    CD_TRY_ASSIGN(auto db, engine_->Connect());
    CD_TRY(db->Begin());
    auto rows = db->Query(
        "INSERT INTO tenants (slug, name, time_zone, business_hours, holidays, created_at, "
        "require_second_factor, data_format) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        {t.slug, t.name, t.time_zone, t.business_hours, JoinList(t.holidays),
         ToEpochMillis(t.created_at), std::int64_t{t.require_second_factor ? 1 : 0},
         std::int64_t{TargetFormat()}});
    Result<void> keyed;
    if (rows) {
      t.id = TenantId{rows->at(0).Int(0)};
      keyed = keyring_.EnsureKeys(*db, t.id, WallNow());
    }
    if (!rows || !keyed) {
      (void)db->Rollback();
      if (!rows && rows.error().kind == ErrorKind::kConflict) {
        return Conflict("a tenant with this slug already exists", "slug");
      }
      return rows ? keyed.error() : rows.error();
    }
    CD_TRY(db->Commit());
    return t;
  }

  Result<std::optional<Tenant>> FindTenantBySlug(std::string_view slug) override {
    CD_TRY_ASSIGN(auto lease, AcquireReader());
    CD_TRY_ASSIGN(auto rows,
                  lease.db->Query("SELECT id FROM tenants WHERE slug = ?", {std::string(slug)}));
    if (rows.empty()) return std::optional<Tenant>{};
    TenantId id{rows[0].Int(0)};
    CD_TRY_ASSIGN(auto keys, keyring_.For(*lease.db, id));
    auto tx = MakeSqlTenantTx(*lease.db, id, &calendars_, false, std::move(keys));
    CD_TRY_ASSIGN(Tenant t, tx->GetTenant());
    return std::optional<Tenant>{std::move(t)};
  }

  Result<std::optional<Principal>> AuthenticateToken(std::string_view token_hash,
                                                     Timestamp now) override {
    CD_TRY_ASSIGN(auto lease, AcquireReader());
    CD_TRY_ASSIGN(
        auto rows,
        lease.db->Query(
            "SELECT t.tenant_id, t.user_id, u.role, t.expires_at, u.queues, t.scopes "
            "FROM api_tokens t "
            "JOIN users u ON "
            "u.id = "
            "t.user_id "
            "AND u.tenant_id = t.tenant_id WHERE t.token_hash = ? AND t.revoked_at IS NULL "
            "AND (t.expires_at IS NULL OR t.expires_at > ?) AND u.active = 1",
            {std::string(token_hash), ToEpochMillis(now)}));
    if (rows.empty()) return std::optional<Principal>{};
    Principal p;
    p.tenant = TenantId{rows[0].Int(0)};
    p.user = UserId{rows[0].Int(1)};
    p.role = core::ParseRole(rows[0].Text(2)).value_or(core::Role::kAgent);
    if (!rows[0].IsNull(3)) p.token_expires_at = FromEpochMillis(rows[0].Int(3));
    p.credential_ref = "t:" + std::string(token_hash.substr(0, 16));
    p.queues = SplitList(rows[0].Text(4));
    p.scopes = SplitList(rows[0].Text(5));
    return std::optional<Principal>{std::move(p)};
  }

  Result<std::optional<Principal>> AuthenticateSession(std::string_view session_hash, Timestamp now,
                                                       Millis idle_timeout) override {
    CD_TRY_ASSIGN(auto lease, AcquireReader());
    CD_TRY_ASSIGN(
        auto rows,
        lease.db->Query(
            "SELECT s.tenant_id, s.user_id, u.role, s.csrf_token, s.last_seen_at, u.queues, s.id, "
            "s.second_factor_pending FROM sessions s "
            "JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id WHERE s.id_hash = ? "
            "AND s.revoked_at IS NULL AND s.expires_at > ? AND s.last_seen_at > ? AND u.active = 1",
            {std::string(session_hash), ToEpochMillis(now), ToEpochMillis(now - idle_timeout)}));
    if (rows.empty()) return std::optional<Principal>{};
    Principal p;
    p.tenant = TenantId{rows[0].Int(0)};
    p.user = UserId{rows[0].Int(1)};
    p.role = core::ParseRole(rows[0].Text(2)).value_or(core::Role::kAgent);
    p.session_id_hash = std::string(session_hash);
    p.csrf_token = rows[0].Text(3);
    p.session_last_seen = FromEpochMillis(rows[0].Int(4));
    p.credential_ref = "s:" + std::string(session_hash.substr(0, 16));
    p.queues = SplitList(rows[0].Text(5));
    p.session_id = rows[0].Int(6);
    p.second_factor_pending = rows[0].Int(7) != 0;
    return std::optional<Principal>{std::move(p)};
  }

  Result<std::optional<LoginRecord>> FindLogin(std::string_view tenant_slug,
                                               std::string_view email) override {
    CD_TRY_ASSIGN(auto lease, AcquireReader());
    CD_TRY_ASSIGN(auto rows,
                  lease.db->Query("SELECT u.tenant_id, u.id, u.password_hash, "
                                  "t.require_second_factor, u.totp_secret, u.totp_enabled, "
                                  "u.totp_last_step FROM users u JOIN tenants t ON t.id = "
                                  "u.tenant_id WHERE t.slug = ? AND u.email = ? AND u.active = 1",
                                  {std::string(tenant_slug), std::string(email)}));
    if (rows.empty()) return std::optional<LoginRecord>{};
    const SqlRow& r = rows[0];
    LoginRecord login{TenantId{r.Int(0)}, UserId{r.Int(1)}, r.Text(2), r.Int(3) != 0,
                      SecondFactor{{}, r.Int(5) != 0, r.Int(6)}};
    if (!r.Text(4).empty()) {
      CD_TRY_ASSIGN(auto keys, keyring_.For(*lease.db, login.tenant));
      CD_TRY_ASSIGN(login.second_factor.totp_secret, keys->Open(kUserTotp, r.Text(4)));
    }
    return std::optional<LoginRecord>{std::move(login)};
  }

  Result<std::vector<TenantId>> TenantIds() override {
    CD_TRY_ASSIGN(auto lease, AcquireReader());
    CD_TRY_ASSIGN(auto rows, lease.db->Query("SELECT id FROM tenants ORDER BY id"));
    std::vector<TenantId> out;
    for (const SqlRow& r : rows) out.push_back(TenantId{r.Int(0)});
    return out;
  }

  Result<std::vector<TimerDue>> DueSlaTimers(Timestamp now, int limit) override {
    CD_TRY_ASSIGN(auto lease, AcquireReader());
    CD_TRY_ASSIGN(auto rows, lease.db->Query("SELECT tenant_id, id FROM conversations WHERE "
                                             "sla_timer_at IS NOT NULL AND sla_timer_at <= ? "
                                             "ORDER BY sla_timer_at LIMIT ?",
                                             {ToEpochMillis(now), std::int64_t{limit}}));
    std::vector<TimerDue> out;
    for (const SqlRow& r : rows) out.push_back({TenantId{r.Int(0)}, ConversationId{r.Int(1)}});
    return out;
  }

  Result<std::vector<OutboundDue>> DueOutbound(Timestamp now, int limit) override {
    CD_TRY_ASSIGN(auto lease, AcquireReader());
    CD_TRY_ASSIGN(auto rows, lease.db->Query("SELECT tenant_id, id FROM outbox WHERE "
                                             "next_attempt_at IS NOT NULL AND next_attempt_at "
                                             "<= ? ORDER BY next_attempt_at LIMIT ?",
                                             {ToEpochMillis(now), std::int64_t{limit}}));
    std::vector<OutboundDue> out;
    for (const SqlRow& r : rows) out.push_back({TenantId{r.Int(0)}, r.Int(1)});
    return out;
  }

  Result<std::vector<TenantId>> TenantsWithWaitingChats() override {
    CD_TRY_ASSIGN(auto lease, AcquireReader());
    CD_TRY_ASSIGN(auto rows, lease.db->Query("SELECT DISTINCT tenant_id FROM chats WHERE state = "
                                             "'waiting' ORDER BY tenant_id LIMIT 10000"));
    std::vector<TenantId> out;
    for (const SqlRow& r : rows) out.push_back(TenantId{r.Int(0)});
    return out;
  }

  Result<std::vector<ChannelAccount>> ChannelAccounts(std::string_view channel) override {
    CD_TRY_ASSIGN(auto lease, AcquireReader());
    CD_TRY_ASSIGN(auto rows, lease.db->Query("SELECT tenant_id, settings FROM channel_settings "
                                             "WHERE channel = ? ORDER BY tenant_id",
                                             {std::string(channel)}));
    std::vector<ChannelAccount> out;
    for (const SqlRow& r : rows) out.push_back({TenantId{r.Int(0)}, r.Text(1)});
    return out;
  }

  Result<std::string> IntegrityCheck() override { return engine_->IntegrityCheck(); }

  Result<AuditVerification> VerifyAudit() override {
    CD_TRY_ASSIGN(auto lease, AcquireReader());
    AuditVerification out;
    std::int64_t tenant = 0, after = 0;
    std::string expected_prev;
    for (;;) {
      CD_TRY_ASSIGN(auto rows, lease.db->Query("SELECT tenant_id, " + std::string(kAuditColumns) +
                                                   " FROM audit_log WHERE tenant_id > ? OR "
                                                   "(tenant_id = ? AND id > ?) "
                                                   "ORDER BY tenant_id, id LIMIT 5000",
                                               {tenant, tenant, after}));
      if (rows.empty()) return out;
      for (const SqlRow& row : rows) {
        if (row.Int(0) != tenant) {
          tenant = row.Int(0);
          expected_prev.clear();
        }
        AuditRecord r = ReadAuditRecord(row, 1);
        after = r.id;
        ++out.records;
        std::string_view reason;
        if (r.prev_hash != expected_prev) {
          reason = "its link does not match the record before it (one was removed or moved)";
        } else if (AuditHash(TenantId{tenant}, r) != r.hash) {
          reason = "its content does not match its hash (it was changed)";
        }
        if (!reason.empty()) {
          out.broken = AuditVerification::Break{TenantId{tenant}, r.id, std::string(reason)};
          return out;
        }
        expected_prev = r.hash;
      }
    }
  }

  std::optional<std::uint64_t> WriteGeneration(TenantId tenant) override {
    if (!track_generations_) return std::nullopt;
    std::lock_guard lock(generations_mutex_);
    auto it = generations_.find(tenant.value);
    return it == generations_.end() ? base_generation_ : it->second;
  }

 private:
  struct WriteUnit {
    TenantId tenant;
    TxFn fn;
    std::promise<Result<void>> done;
    int conflicts = 0;  // times it lost to another writer and was queued again
    bool seen = true;   // moves the tenant's WriteGeneration (see Store::WriteUnseen)
  };
  // A unit that keeps losing to other nodes' writes gives up with 503 after this many runs.
  static constexpr int kMaxConflicts = 5;

  // A read connection on loan; returned to the pool unless broken.
  struct ReaderLease {
    SqlStore* store = nullptr;
    std::unique_ptr<SqlConnection> db;
    bool broken = false;
    ReaderLease(SqlStore* s, std::unique_ptr<SqlConnection> c) : store(s), db(std::move(c)) {}
    ReaderLease(ReaderLease&& o) noexcept : store(o.store), db(std::move(o.db)), broken(o.broken) {
      o.store = nullptr;
    }
    ~ReaderLease() {
      if (!store || !db) return;
      if (broken) {
        db.reset();
        store->DropReader();
      } else {
        store->ReturnReader(std::move(db));
      }
    }
  };

  // Lends an idle connection, opens one while fewer than max_readers exist, else waits.
  void ListenLoop(std::unique_ptr<SqlConnection> db,
                  const std::function<void(std::string_view)>& on_notice) {
    while (!listener_stopping_.load()) {
      if (!db) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        auto fresh = engine_->Connect();
        if (!fresh || !(*fresh)->Execute("LISTEN caredesk_live")) continue;
        db = std::move(*fresh);
        log::Info("listen_reconnected");
      }
      auto notices = db->AwaitNotices(std::chrono::milliseconds(250));
      if (!notices) {
        log::Warn("listen_connection_lost");
        db.reset();
        continue;
      }
      for (const std::string& n : *notices) on_notice(n);
    }
  }

  Result<ReaderLease> AcquireReader() {
    {
      std::unique_lock lock(readers_mutex_);
      reader_available_.wait(
          lock, [&] { return !idle_readers_.empty() || open_readers_ < options_.max_readers; });
      if (!idle_readers_.empty()) {
        auto db = std::move(idle_readers_.back());
        idle_readers_.pop_back();
        return ReaderLease(this, std::move(db));
      }
      ++open_readers_;
    }
    auto db = engine_->Connect();
    if (db && (*db)->Dialect() != "postgres") {
      // Reads must not write, as on PostgreSQL where Read's transaction is READ ONLY.
      if (auto ro = (*db)->Execute("PRAGMA query_only = ON"); !ro) db = ro.error();
    }
    if (!db) {
      DropReader();
      return db.error();
    }
    return ReaderLease(this, std::move(*db));
  }

  void ReturnReader(std::unique_ptr<SqlConnection> db) {
    {
      std::lock_guard lock(readers_mutex_);
      idle_readers_.push_back(std::move(db));
    }
    reader_available_.notify_one();
  }

  // A broken connection was discarded: make room for a new one.
  void DropReader() {
    {
      std::lock_guard lock(readers_mutex_);
      --open_readers_;
    }
    reader_available_.notify_one();
  }

  // Runs `fn` in a TenantTx of `tenant` on `db`, with the tenant's keys.
  Result<void> RunUnit(SqlConnection& db, TenantId tenant, const TxFn& fn, bool for_write) {
    auto keys = keyring_.For(db, tenant);
    if (!keys) return keys.error();
    auto tx = MakeSqlTenantTx(db, tenant, &calendars_, for_write, std::move(*keys));
    return RunGuarded(fn, *tx);
  }

  static Result<void> RunGuarded(const TxFn& fn, TenantTx& tx) {
    try {
      return fn(tx);
    } catch (const std::exception&) {
      log::Error("store_unit_threw");
      return Internal("internal error");
    }
  }

  Result<int> ApplyMigrations(SqlConnection& db, bool pg) {
    CD_TRY(
        db.Execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                   "name TEXT NOT NULL, applied_at BIGINT NOT NULL)"));
    int applied = 0;
    for (const Migration& m : AllMigrations()) {
      CD_TRY(db.Begin());
      auto done =
          db.Query("SELECT 1 FROM schema_migrations WHERE version = ?", {std::int64_t{m.version}});
      if (!done) {
        (void)db.Rollback();
        return done.error();
      }
      if (!done->empty()) {
        CD_TRY(db.Rollback());
        continue;
      }
      auto run = db.ExecuteScript(pg ? m.postgres : m.sqlite);
      if (run) {
        run =
            db.Execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                       {std::int64_t{m.version}, std::string(m.name), ToEpochMillis(WallNow())});
      }
      if (!run) {
        (void)db.Rollback();
        log::Error("migration_failed", {{"version", m.version}});
        return run.error();
      }
      CD_TRY(db.Commit());
      log::Info("migration_applied", {{"version", m.version}});
      ++applied;
    }
    return applied;
  }

  void WriterLoop() {
    pthread_setname_np(pthread_self(), "cd-writer");  // shown by top -H and perf
    std::unique_ptr<SqlConnection> db;
    std::vector<WriteUnit*> batch;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        bool woken = work_ready_.wait_for(lock, options_.external_writes_check,
                                          [&] { return stopping_ || !queue_.empty(); });
        if (!woken) {  // idle: a moment to see whether another process wrote
          lock.unlock();
          NoticeExternalWrites(db);
          continue;
        }
        if (queue_.empty()) return;  // stopping and drained
        while (!queue_.empty() && batch.size() < options_.max_batch) {
          batch.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      if (!db) {
        auto connected = engine_->Connect();
        if (!connected) {
          FailAll(batch, connected.error());
          continue;
        }
        db = std::move(*connected);
        if (db->Dialect() == "postgres") {
          // A batch holds its locks until it commits, so two nodes' batches can wait on each
          // other. PostgreSQL looks for such deadlocks only after a second; giving up a lock
          // wait after 100 ms sends the unit to the next batch (see CommitBatch) much sooner.
          if (auto set = db->Execute("SET lock_timeout = '100ms'"); !set) {
            FailAll(batch, set.error());
            db.reset();
            batch.clear();
            continue;
          }
        }
      }
      if (!CommitBatch(*db, batch)) db.reset();  // reconnect for the next batch
      batch.clear();
    }
  }

  // Runs every unit inside one transaction; one fsync for all. Returns false when the
  // connection should be replaced.
  //
  // Units almost always succeed, so the batch first runs without savepoints: a savepoint per
  // unit made SQLite copy each page a unit touched into its statement journal and walk that
  // journal again at every release. If any unit fails, that attempt is rolled back and the
  // batch runs again with a savepoint per unit, so the failed unit leaves nothing behind and
  // the others still commit. Units may therefore run twice; they only touch the database and
  // their own results.
  bool CommitBatch(SqlConnection& db, std::vector<WriteUnit*>& batch) {
    if (auto begun = db.Begin(); !begun) {
      FailAll(batch, Unavailable("database is unavailable"));
      return false;
    }
    std::vector<Result<void>> results;
    results.reserve(batch.size());
    bool all_ok = true;
    for (WriteUnit* unit : batch) {
      results.push_back(RunUnit(db, unit->tenant, unit->fn, /*for_write=*/true));
      if (!results.back()) {
        all_ok = false;
        break;
      }
    }
    if (all_ok) return Finish(db, batch, std::move(results));
    if (batch.size() == 1) {  // nothing else to keep: the rollback is the unit's
      bool rolled_back = static_cast<bool>(db.Rollback());
      BumpGenerations(batch);  // as after any failed unit: conservative, one re-render
      Answer(batch, std::move(results));
      return rolled_back;
    }
    if (auto rolled = db.Rollback(); !rolled) {
      FailAll(batch, Unavailable("database is unavailable"));
      return false;
    }
    if (auto begun = db.Begin(); !begun) {
      FailAll(batch, Unavailable("database is unavailable"));
      return false;
    }
    results.clear();
    for (WriteUnit* unit : batch) {
      if (auto sp = db.Savepoint(kUnitSavepoint); !sp) {
        results.push_back(sp.error());
        continue;
      }
      Result<void> r = RunUnit(db, unit->tenant, unit->fn, /*for_write=*/true);
      if (r) {
        auto released = db.ReleaseSavepoint(kUnitSavepoint);
        if (!released) r = released.error();
      }
      if (!r) {
        (void)db.RollbackToSavepoint(kUnitSavepoint);
        (void)db.ReleaseSavepoint(kUnitSavepoint);
      }
      results.push_back(std::move(r));
    }
    return Finish(db, batch, std::move(results));
  }

  // Commits and answers every unit, or sends units that lost to another writer round again.
  bool Finish(SqlConnection& db, std::vector<WriteUnit*>& batch,
              std::vector<Result<void>> results) {
    auto committed = db.Commit();
    // Whether or not a failed COMMIT left anything behind, what readers derived is now suspect.
    BumpGenerations(batch);
    if (!committed) {
      (void)db.Rollback();
      log::Error("group_commit_failed", {{"units", batch.size()}});
      FailAll(batch, Unavailable("the change could not be stored; retry"));
      return false;
    }
    // A unit that lost a deadlock to another node's transaction runs again first in the next
    // batch, once this one's locks are gone; its caller is still waiting and sees one answer.
    Answer(batch, std::move(results));
    return true;
  }

  // Answers each unit with its result, except units that lost to another writer, which go
  // to the front of the queue (their callers keep waiting).
  void Answer(std::vector<WriteUnit*>& batch, std::vector<Result<void>> results) {
    std::vector<WriteUnit*> again;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!results[i] && IsWriteConflict(results[i].error()) &&
          ++batch[i]->conflicts < kMaxConflicts) {
        again.push_back(batch[i]);
      } else {
        batch[i]->done.set_value(std::move(results[i]));
      }
    }
    if (!again.empty()) {
      std::lock_guard lock(mutex_);
      queue_.insert(queue_.begin(), again.begin(), again.end());
    }
  }

  // SQLite's data_version on the writer's own connection changes only when another
  // connection commits, and this process's readers never do: a change means another process
  // wrote the database. Then every tenant's generation moves.
  void NoticeExternalWrites(std::unique_ptr<SqlConnection>& db) {
    if (!track_generations_) return;
    if (!db) {
      auto connected = engine_->Connect();
      if (!connected) return;
      db = std::move(*connected);
    }
    auto rows = db->Query("PRAGMA data_version");
    if (!rows || rows->empty()) return;
    std::int64_t version = rows->at(0).Int(0);
    if (data_version_ && *data_version_ != version) {
      std::lock_guard lock(generations_mutex_);
      base_generation_ = ++last_generation_;
      for (auto& [tenant, generation] : generations_) generation = ++last_generation_;
      log::Info("external_writes_noticed");
    }
    data_version_ = version;
  }

  void BumpGenerations(const std::vector<WriteUnit*>& batch) {
    if (!track_generations_) return;
    std::lock_guard lock(generations_mutex_);
    for (const WriteUnit* unit : batch) {
      if (unit->seen) generations_[unit->tenant.value] = ++last_generation_;
    }
  }

  static void FailAll(std::vector<WriteUnit*>& batch, const Error& e) {
    for (WriteUnit* unit : batch) unit->done.set_value(e);
  }

  std::shared_ptr<SqlEngine> engine_;
  SqlStoreOptions options_;

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::deque<WriteUnit*> queue_;  // guarded by mutex_
  bool stopping_ = false;         // guarded by mutex_

  std::mutex readers_mutex_;
  std::condition_variable reader_available_;
  std::vector<std::unique_ptr<SqlConnection>> idle_readers_;  // guarded by readers_mutex_
  std::size_t open_readers_ = 0;                              // guarded by readers_mutex_

  CalendarCache calendars_;
  const bool track_generations_;
  KeyRing keyring_;
  std::mutex generations_mutex_;
  std::unordered_map<std::int64_t, std::uint64_t> generations_;  // guarded by generations_mutex_
  std::uint64_t last_generation_ = 0;                            // guarded by generations_mutex_
  std::uint64_t base_generation_ = 0;         // of tenants not written since; guarded by the same
  std::optional<std::int64_t> data_version_;  // writer thread only

  std::atomic<bool> listener_stopping_{false};
  std::thread listener_;  // started by Listen; joined by the destructor
  std::thread writer_;    // last: starts after the members it uses exist
};

}  // namespace

std::unique_ptr<Store> MakeSqlStore(std::shared_ptr<SqlEngine> engine, SqlStoreOptions options) {
  return std::make_unique<SqlStore>(std::move(engine), std::move(options));
}

}  // namespace caredesk::store

// Per-tenant keys for encryption at rest. Each tenant has data keys (numbered versions; the
// newest seals new values, every version still in use opens old ones) and one index key for
// blind indexes. They are stored in tenant_keys wrapped (sealed) by the master key, which never
// touches the database. A store opened without a master key keeps values as they are (the
// benchmarks' reference and the tests of the upgrade), and refuses a database whose tenants
// have keys.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"
#include "security/crypto.hpp"
#include "store/sql/connection.hpp"

namespace caredesk::store {

// One tenant's unwrapped keys; immutable, shared by the transactions that use it.
class TenantKeys {
 public:
  // No keys: values are stored as they are and indexes are the values themselves.
  explicit TenantKeys(TenantId tenant) : tenant_(tenant) {}
  // `indexes` by version: the newest indexes new values; during an index-key rotation an
  // older one still finds values not yet re-indexed (see Indexes).
  TenantKeys(TenantId tenant, int current, std::map<int, security::SecretKey> data,
             const std::map<int, security::SecretKey>& indexes);

  bool encrypted() const { return current_ > 0; }
  int current_version() const { return current_; }

  // "enc<version>." + base64url(sealed), bound to this tenant and `field` (e.g. "patients.name").
  std::string Seal(std::string_view field, std::string_view plaintext) const;
  // The plaintext of a value stored by Seal. kInternal for a value that does not open (altered,
  // another tenant's or field's, or plaintext where a sealed value belongs).
  Result<std::string> Open(std::string_view field, std::string_view stored) const;
  Result<std::optional<std::string>> OpenOpt(std::string_view field,
                                             const std::optional<std::string>& stored) const;
  // Open, remembering the result for values read again and again (patient names on inbox
  // pages that consoles poll): at most kOpenedCacheEntries, in memory only, dropped with these
  // keys.
  Result<std::string> OpenCached(std::string_view field, const std::string& stored) const;
  static constexpr std::size_t kOpenedCacheEntries = 20000;

  // The data and index key versions these keys hold, oldest first, index versions negated (to
  // tell whether a reload changed them).
  std::vector<int> versions() const;

  // The plaintext of a value that may predate encryption (the upgrade): a value that opens is
  // opened, anything else is taken as it is.
  std::string OpenOrPlain(std::string_view field, std::string_view stored) const;
  // The blind index of a normalized value in `domain` ("phone", "email", "word", "name"), under
  // the newest index key: what is stored.
  std::string Index(std::string_view domain, std::string_view value) const;
  // What a lookup must match: the index under every index key held, newest first. One entry
  // except while `caredesk keys rotate --index` re-indexes the practice.
  std::vector<std::string> Indexes(std::string_view domain, std::string_view value) const;

  // The version a stored value was sealed with; 0 for a value that is not sealed.
  static int VersionOf(std::string_view stored);

 private:
  TenantId tenant_;
  int current_ = 0;
  std::map<int, security::SecretKey> data_;
  std::map<int, std::unique_ptr<security::BlindIndexer>, std::greater<>> indexes_;  // newest first
  mutable std::mutex opened_mutex_;
  mutable std::unordered_map<std::string, std::string> opened_;  // guarded by opened_mutex_
};

class KeyRing {
 public:
  // `master` nullopt: no encryption. Keys are looked up again after `refresh`, so a key added by
  // `caredesk keys rotate` in another process is used for new values within that time.
  // `previous` also opens tenant keys (a master key being replaced); new keys are wrapped with
  // `master` only.
  KeyRing(std::optional<security::SecretKey> master, Millis refresh,
          std::optional<security::SecretKey> previous = std::nullopt);

  bool encrypting() const { return master_.has_value(); }
  // The tenant's keys, cached. kUnavailable when the tenant has keys and this store has no
  // master key, or the master key does not open them; kInternal when an encrypting store finds
  // a tenant without keys.
  Result<std::shared_ptr<const TenantKeys>> For(SqlConnection& db, TenantId tenant);
  void Forget(TenantId tenant);
  // The tenant's keys if loaded already (however long ago); never touches the database.
  std::shared_ptr<const TenantKeys> Cached(TenantId tenant);

  // Whether any tenant has keys (the database is encrypted).
  static Result<bool> AnyKeys(SqlConnection& db);
  // Creates the tenant's index key and data key 1 unless it has keys. Inside the caller's
  // transaction.
  Result<void> EnsureKeys(SqlConnection& db, TenantId tenant, Timestamp now);
  // Adds data key version current + 1, which seals new values from then on; returns it.
  Result<int> AddDataKey(SqlConnection& db, TenantId tenant, Timestamp now);
  // Deletes the tenant's data keys older than `keep_from` (no value may still use them).
  static Result<void> DropDataKeysBefore(SqlConnection& db, TenantId tenant, int keep_from);
  // The same for index keys: a new one indexes new values from then on; lookups match under
  // both until the old one is dropped.
  Result<int> AddIndexKey(SqlConnection& db, TenantId tenant, Timestamp now);
  static Result<void> DropIndexKeysBefore(SqlConnection& db, TenantId tenant, int keep_from);
  // Wraps every tenant key of the database with the master key (opening each with the master
  // or the previous key), inside the caller's transaction; returns how many were rewrapped.
  // kUnavailable, changing nothing, if a key opens with neither.
  Result<int> RewrapAll(SqlConnection& db);
  // How many stored keys the master key alone does not open (after a rewrap: keys another
  // process added meanwhile, still under the previous key).
  Result<int> CountNotUnderMaster(SqlConnection& db) const;

 private:
  Result<std::shared_ptr<const TenantKeys>> Load(SqlConnection& db, TenantId tenant);
  // Adds version current + 1 of the tenant's `purpose` ("data" or "index") key.
  Result<int> AddKey(SqlConnection& db, TenantId tenant, std::string_view purpose, Timestamp now);
  std::string Wrap(TenantId tenant, std::string_view purpose, int version,
                   const security::SecretKey& key) const;

  // The key under a stored wrapping, opened with master_ or previous_master_.
  std::optional<security::SecretKey> Unwrap(TenantId tenant, std::string_view purpose, int version,
                                            std::string_view wrapped) const;

  std::optional<security::SecretKey> master_;
  std::optional<security::SecretKey> previous_master_;
  Millis refresh_;
  struct Entry {
    std::shared_ptr<const TenantKeys> keys;
    std::chrono::steady_clock::time_point loaded;
  };
  std::mutex mutex_;
  std::unordered_map<std::int64_t, Entry> cache_;  // by tenant id; guarded by mutex_
};

}  // namespace caredesk::store

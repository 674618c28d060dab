#include "store/open.hpp"

#include "store/postgres/postgres_engine.hpp"
#include "store/sql/sql_store.hpp"
#include "store/sqlite/sqlite_engine.hpp"

namespace caredesk::store {

Result<std::unique_ptr<Store>> OpenStore(std::string_view url, SqlStoreOptions options) {
  std::unique_ptr<SqlEngine> engine;
  if (url.starts_with("sqlite:")) {
    std::string path(url.substr(7));
    if (path.empty()) return Invalid("sqlite: needs a file path", "database");
    CD_TRY_ASSIGN(engine, sqlite::OpenSqlite(std::move(path)));
  } else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    CD_TRY_ASSIGN(engine, postgres::OpenPostgres(std::string(url)));
  } else {
    return Invalid("database must be sqlite:PATH or a postgresql:// URL", "database");
  }
  // Fail fast with a clear error when the database cannot be reached at all.
  CD_TRY(engine->Connect());
  return MakeSqlStore(std::shared_ptr<SqlEngine>(std::move(engine)), std::move(options));
}

}  // namespace caredesk::store

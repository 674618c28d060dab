// Versioned schema migrations, one list per dialect, applied in order by SqlStore::Migrate.
// A migration is never edited once released; changes come as a new version.
#pragma once

#include <string_view>
#include <vector>

namespace caredesk::store {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sqlite;
  std::string_view postgres;
};

const std::vector<Migration>& AllMigrations();

}  // namespace caredesk::store

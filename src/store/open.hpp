// Opens the store named by a database URL: "sqlite:PATH" (the embedded default) or
// "postgresql://..." / "postgres://...". The only place that knows both engines.
#pragma once

#include <memory>
#include <string_view>

#include "base/error.hpp"
#include "store/sql/sql_store.hpp"
#include "store/store.hpp"

namespace caredesk::store {

// kInvalid (field "database") for an unknown scheme; kUnavailable when it cannot connect.
// Does not migrate.
Result<std::unique_ptr<Store>> OpenStore(std::string_view url, SqlStoreOptions options = {});

}  // namespace caredesk::store

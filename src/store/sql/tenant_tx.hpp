// The SQL implementation of TenantTx: every statement binds the tenant id held here, so a
// query cannot reach another tenant's rows. Used only by SqlStore, on the thread that owns
// the connection.
#pragma once

#include "store/sql/connection.hpp"
#include "store/store.hpp"

namespace caredesk::store {

std::unique_ptr<TenantTx> MakeSqlTenantTx(SqlConnection& db, TenantId tenant);

// Comma-joined lists as stored in TEXT columns.
std::string JoinList(const std::vector<std::string>& items);
std::vector<std::string> SplitList(std::string_view text);

}  // namespace caredesk::store

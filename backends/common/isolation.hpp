#pragma once

#include <anydb/connection.hpp>

#include <string_view>

namespace anydb::support {

// "READ COMMITTED", ...: the level as SQL names it in SET TRANSACTION and SHOW.
[[nodiscard]] std::string_view isolation_sql_name(IsolationLevel level) noexcept;

}  // namespace anydb::support

#pragma once

#include <anydb/dialect.hpp>

namespace anydb::support {

// The SQL of MariaDB and MySQL, whether reached natively or through Connector/ODBC.
[[nodiscard]] Dialect mariadb_dialect();

}  // namespace anydb::support

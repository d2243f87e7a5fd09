#include "common/isolation.hpp"

namespace anydb::support {

std::string_view isolation_sql_name(IsolationLevel level) noexcept {
  switch (level) {
    case IsolationLevel::read_uncommitted: return "READ UNCOMMITTED";
    case IsolationLevel::read_committed: return "READ COMMITTED";
    case IsolationLevel::repeatable_read: return "REPEATABLE READ";
    case IsolationLevel::serializable: return "SERIALIZABLE";
  }
  return "SERIALIZABLE";
}

}  // namespace anydb::support

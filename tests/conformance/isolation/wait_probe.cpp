#include "wait_probe.hpp"

#include "session.hpp"

#include <fmt/format.h>

#include <mutex>

namespace anydb::conformance::isolation {

// Asking the database whether a session waits for a lock held by another session.

std::mutex refusal_mutex;
std::string refusal;

std::optional<std::int64_t> server_id(Connection& connection, std::string_view product) {
  const char* sql = product == "postgresql"                        ? "SELECT pg_backend_pid()"
                    : (product == "mariadb" || product == "mysql") ? "SELECT CONNECTION_ID()"
                                                                   : nullptr;
  if (sql == nullptr) return std::nullopt;
  try {
    const Result result = connection.execute(sql);
    if (!result.rows.empty()) return result.rows.front()[0].as_int();
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace anydb::conformance::isolation

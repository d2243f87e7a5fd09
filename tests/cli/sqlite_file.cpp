#include "sqlite_file.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace anydb::test {

namespace {

struct StatementCloser {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};

}  // namespace

SqliteFile::SqliteFile(const std::filesystem::path& path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("cannot open " + path.string() + ": " + message);
  }
  sqlite3_busy_timeout(db_, 10000);
}

SqliteFile::~SqliteFile() { sqlite3_close(db_); }

void SqliteFile::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw std::runtime_error(sql + ": " + message);
  }
}

long long SqliteFile::scalar(const std::string& sql) { return std::stoll(text(sql)); }

std::string SqliteFile::text(const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK)
    throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
  std::unique_ptr<sqlite3_stmt, StatementCloser> statement(raw);
  if (sqlite3_step(raw) != SQLITE_ROW) throw std::runtime_error(sql + ": no row");
  const unsigned char* value = sqlite3_column_text(raw, 0);
  return value ? reinterpret_cast<const char*>(value) : "";
}

}  // namespace anydb::test

#pragma once

// Reads a SQLite database with the sqlite3 library itself, to check what the CLI wrote without
// trusting anydb to report it.

#include <filesystem>
#include <string>

struct sqlite3;

namespace anydb::test {

class SqliteFile {
 public:
  explicit SqliteFile(const std::filesystem::path& path);
  ~SqliteFile();
  SqliteFile(const SqliteFile&) = delete;
  SqliteFile& operator=(const SqliteFile&) = delete;

  void exec(const std::string& sql);
  // The single integer the query returns.
  [[nodiscard]] long long scalar(const std::string& sql);
  [[nodiscard]] std::string text(const std::string& sql);

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace anydb::test

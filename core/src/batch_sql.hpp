#pragma once

// The SQL texts of get-or-create: the comma-separated column lists both paths use, and the batch
// statements, which depend on the number of keys. Private to libanydb.

#include <anydb/dialect.hpp>

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace anydb::detail {

// The columns quoted for `dialect`, comma-separated. Throws anydb::InvalidArgument for a bad name.
[[nodiscard]] std::string column_list(const Dialect& dialect,
                                      const std::vector<std::string>& columns);

// The sizes batch statements are built for: 1, 2, 3, 4, 6, 8, 12, 16, 24, ... (at most a third
// of a statement is padding), capped at max_rows (>= 1). 0 for no keys.
[[nodiscard]] std::size_t round_up_rows(std::size_t keys, std::size_t max_rows) noexcept;

// The batch statements of one get-or-create, built on first use per size and kept: the
// statement cache then holds a handful of texts, not one per batch size. Thread-safe: the
// texts are guarded inside, and a reference returned stays valid for the object's lifetime.
class BatchStatements {
 public:
  // Throws anydb::InvalidArgument for bad identifiers.
  BatchStatements(const Dialect& dialect, const std::string& table,
                  const std::vector<std::string>& key_columns,
                  const std::vector<std::string>& default_columns);

  // The dialect has ON CONFLICT DO NOTHING and RETURNING, which insert() needs.
  [[nodiscard]] bool multi_row() const noexcept { return multi_row_; }

  // SELECT * FROM t WHERE <any of `rows` keys>. Throws InvalidArgument for rows == 0.
  [[nodiscard]] const std::string& select(std::size_t rows) const;
  // INSERT INTO t (...) VALUES (...) x rows ON CONFLICT (keys) DO NOTHING RETURNING *. Throws
  // InvalidArgument for rows == 0, Unsupported without multi_row().
  [[nodiscard]] const std::string& insert(std::size_t rows) const;

 private:
  [[nodiscard]] std::string build_select(std::size_t rows) const;
  [[nodiscard]] std::string build_insert(std::size_t rows) const;

  Dialect dialect_;
  std::string table_;                     // quoted
  std::vector<std::string> key_columns_;  // quoted
  std::string insert_columns_;            // quoted, comma-separated: keys, then defaults
  std::size_t insert_width_;              // values per inserted row
  bool multi_row_;

  mutable std::mutex mutex_;
  // std::map: references to the texts stay valid while other sizes are added.
  mutable std::map<std::size_t, std::string> selects_;
  mutable std::map<std::size_t, std::string> inserts_;
};

}  // namespace anydb::detail

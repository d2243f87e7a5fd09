// The raw MariaDB driver: what a careful hand-written program does with Connector/C's binary
// protocol, sending what anydb's safe strategy sends on MariaDB (read from
// core/src/get_or_create_single.cpp and backends/mariadb/connection.cpp):
//
//   SELECT (prepared)                      hit: done
//   START TRANSACTION                      miss: text query, as anydb's Transaction guard sends it
//   INSERT (prepared, no RETURNING)        then, since MariaDB's dialect has no RETURNING,
//   SELECT (prepared)                      the row, read inside the transaction
//   COMMIT
// and on a duplicate key (1062): ROLLBACK, then SELECT again in autocommit. A deadlock (1213)
// or lock wait timeout (1205) rolls back, backs off and runs the attempt again.
//
// Every statement is prepared once per connection (mysql_stmt_prepare), the key is bound as
// MYSQL_TYPE_LONGLONG and the name as MYSQL_TYPE_STRING (as anydb binds them), and rows are
// stored (mysql_stmt_store_result) and fetched into fixed buffers. MariaDB has no upsert in
// anydb's dialect, so upsert() and batched() are never called (the harness prints n/a).
//
// anydb sends one statement more per lost race: after the duplicate key its backend asks
// `SELECT @@in_transaction` to learn whether the transaction is still open (and, once per
// table and key, which columns the violated key has). The raw driver knows both.

#include "bench.hpp"

#ifdef ANYDB_BENCH_HAVE_MARIADB

#include <mysql.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace anydb::bench {

namespace {

struct Transient {};  // deadlock, lock wait timeout: roll back, back off, run again

constexpr unsigned duplicate_key = 1062;      // ER_DUP_ENTRY
constexpr unsigned lock_wait_timeout = 1205;  // ER_LOCK_WAIT_TIMEOUT
constexpr unsigned deadlock = 1213;           // ER_LOCK_DEADLOCK

struct StmtCloser {
  void operator()(MYSQL_STMT* stmt) const noexcept { mysql_stmt_close(stmt); }
};
using StmtHandle = std::unique_ptr<MYSQL_STMT, StmtCloser>;

struct MysqlCloser {
  void operator()(MYSQL* mysql) const noexcept { mysql_close(mysql); }
};
using MysqlHandle = std::unique_ptr<MYSQL, MysqlCloser>;

// The row of the bench table: id, k, name.
struct Row {
  long long id = 0;
  long long k = 0;
  char name[256] = {};
  unsigned long name_length = 0;
  my_bool null[3] = {};
};

struct Target {
  std::string host, user, password, database, socket;
  unsigned port = 0;
};

// mariadb://user:password@host:port/database[?unix_socket=PATH]: the form
// scripts/with-mariadb.sh exports; no percent-decoding (its names need none).
Target parse_uri(const std::string& uri) {
  constexpr std::string_view scheme = "mariadb://";
  if (!uri.starts_with(scheme)) throw std::runtime_error("raw mariadb: not a mariadb:// URI");
  Target target;
  std::string rest = uri.substr(scheme.size());
  if (const auto query = rest.find('?'); query != std::string::npos) {
    const std::string parameters = rest.substr(query + 1);
    rest.resize(query);
    constexpr std::string_view socket_key = "unix_socket=";
    if (parameters.starts_with(socket_key)) target.socket = parameters.substr(socket_key.size());
  }
  if (const auto at = rest.rfind('@'); at != std::string::npos) {
    const std::string credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = credentials.find(':');
    target.user = credentials.substr(0, colon);
    if (colon != std::string::npos) target.password = credentials.substr(colon + 1);
  }
  if (const auto slash = rest.find('/'); slash != std::string::npos) {
    target.database = rest.substr(slash + 1);
    rest.resize(slash);
  }
  if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    target.port = static_cast<unsigned>(std::stoul(rest.substr(colon + 1)));
    rest.resize(colon);
  }
  target.host = rest;
  return target;
}

const char* or_null(const std::string& text) { return text.empty() ? nullptr : text.c_str(); }

class RawMariaDbSession final : public Session {
 public:
  RawMariaDbSession(const Target& target, const Statements& statements) {
    mysql_.reset(mysql_init(nullptr));
    if (!mysql_) throw std::runtime_error("raw mariadb: mysql_init failed");
    mysql_options(mysql_.get(), MYSQL_SET_CHARSET_NAME, "utf8mb4");
    // The same client flags as anydb's backend.
    const unsigned long flags = CLIENT_FOUND_ROWS | CLIENT_MULTI_STATEMENTS;
    if (mysql_real_connect(mysql_.get(), or_null(target.host), or_null(target.user),
                           target.password.c_str(), or_null(target.database), target.port,
                           or_null(target.socket), flags) == nullptr)
      throw std::runtime_error(std::string("raw mariadb: cannot connect: ") +
                               mysql_error(mysql_.get()));
    select_ = prepare(statements.select);
    insert_ = prepare(statements.insert);
  }

  bool safe(std::int64_t key, const std::string& name) override {
    for (int attempt = 1;; ++attempt) {
      try {
        if (select_one(key)) return false;
        command("START TRANSACTION");
        if (insert(key, name)) {
          if (!select_one(key)) throw std::runtime_error("raw mariadb: inserted row invisible");
          command("COMMIT");
          return true;
        }
        command("ROLLBACK");
        if (select_one(key)) return false;
        throw std::runtime_error("raw mariadb: row invisible after a duplicate key");
      } catch (const Transient&) {
        recover(attempt);
      }
    }
  }

  bool upsert(std::int64_t, const std::string&) override {
    throw std::logic_error("raw mariadb: no upsert on MariaDB");
  }

  std::size_t batched(std::span<const std::int64_t>, const std::string&) override {
    throw std::logic_error("raw mariadb: no multi-row batch on MariaDB");
  }

  [[nodiscard]] std::uint64_t retries() const override { return retries_; }

 private:
  [[noreturn]] void fail(unsigned code, const char* message) {
    if (code == deadlock || code == lock_wait_timeout) throw Transient{};
    throw std::runtime_error("raw mariadb: " + std::to_string(code) + " " + message);
  }

  [[noreturn]] void fail_statement(MYSQL_STMT* stmt) {
    fail(mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
  }

  StmtHandle prepare(const std::string& sql) {
    StmtHandle stmt(mysql_stmt_init(mysql_.get()));
    if (!stmt) throw std::runtime_error("raw mariadb: mysql_stmt_init failed");
    if (mysql_stmt_prepare(stmt.get(), sql.data(), sql.size()) != 0) fail_statement(stmt.get());
    return stmt;
  }

  void command(const char* sql) {
    if (mysql_real_query(mysql_.get(), sql, std::strlen(sql)) != 0)
      fail(mysql_errno(mysql_.get()), mysql_error(mysql_.get()));
  }

  // True when the row came back (read into row_).
  bool select_one(std::int64_t key) {
    MYSQL_STMT* stmt = select_.get();
    long long value = key;
    MYSQL_BIND param{};
    param.buffer_type = MYSQL_TYPE_LONGLONG;
    param.buffer = &value;
    if (mysql_stmt_bind_param(stmt, &param) != 0 || mysql_stmt_execute(stmt) != 0)
      fail_statement(stmt);
    // The whole result in one read, as anydb's backend does (the first measurement, fetching
    // unbuffered row by row, put raw well below anydb on the SELECT-bound workloads).
    if (mysql_stmt_store_result(stmt) != 0) fail_statement(stmt);
    MYSQL_BIND columns[3]{};
    columns[0].buffer_type = MYSQL_TYPE_LONGLONG;
    columns[0].buffer = &row_.id;
    columns[0].is_null = &row_.null[0];
    columns[1].buffer_type = MYSQL_TYPE_LONGLONG;
    columns[1].buffer = &row_.k;
    columns[1].is_null = &row_.null[1];
    columns[2].buffer_type = MYSQL_TYPE_STRING;
    columns[2].buffer = row_.name;
    columns[2].buffer_length = sizeof row_.name;
    columns[2].length = &row_.name_length;
    columns[2].is_null = &row_.null[2];
    if (mysql_stmt_bind_result(stmt, columns) != 0) fail_statement(stmt);
    bool found = false;
    for (int status; (status = mysql_stmt_fetch(stmt)) != MYSQL_NO_DATA;) {
      if (status == 1) fail_statement(stmt);
      found = true;
    }
    mysql_stmt_free_result(stmt);
    return found;
  }

  // False on a duplicate key: the row is another writer's.
  bool insert(std::int64_t key, const std::string& name) {
    MYSQL_STMT* stmt = insert_.get();
    long long value = key;
    unsigned long length = name.size();
    MYSQL_BIND params[2]{};
    params[0].buffer_type = MYSQL_TYPE_LONGLONG;
    params[0].buffer = &value;
    params[1].buffer_type = MYSQL_TYPE_STRING;
    params[1].buffer = const_cast<char*>(name.data());
    params[1].buffer_length = length;
    params[1].length = &length;
    if (mysql_stmt_bind_param(stmt, params) != 0) fail_statement(stmt);
    if (mysql_stmt_execute(stmt) == 0) return mysql_stmt_affected_rows(stmt) > 0;
    if (mysql_stmt_errno(stmt) == duplicate_key) return false;
    fail_statement(stmt);
  }

  void recover(int attempt) {
    // InnoDB rolls back the whole transaction on a deadlock, not on a lock wait timeout.
    mysql_real_query(mysql_.get(), "ROLLBACK", 8);
    if (attempt >= 12) throw std::runtime_error("raw mariadb: transient errors for 12 attempts");
    ++retries_;
    backoff(attempt);
  }

  MysqlHandle mysql_;
  StmtHandle select_, insert_;
  Row row_;
  std::uint64_t retries_ = 0;
};

class RawMariaDbDriver final : public Driver {
 public:
  RawMariaDbDriver(const std::string& uri, const Statements& statements)
      : target_(parse_uri(uri)), statements_(statements) {}
  [[nodiscard]] std::string name() const override { return "raw Connector/C"; }
  [[nodiscard]] std::unique_ptr<Session> open() override {
    return std::make_unique<RawMariaDbSession>(target_, statements_);
  }

 private:
  Target target_;
  const Statements& statements_;
};

}  // namespace

std::unique_ptr<Driver> make_raw_mariadb(const std::string& uri, const Statements& statements) {
  return std::make_unique<RawMariaDbDriver>(uri, statements);
}

}  // namespace anydb::bench

#else

#include <stdexcept>

namespace anydb::bench {
std::unique_ptr<Driver> make_raw_mariadb(const std::string&, const Statements&) {
  throw std::runtime_error("anydb-bench was built without MariaDB Connector/C");
}
}  // namespace anydb::bench

#endif

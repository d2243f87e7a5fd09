// The raw PostgreSQL driver: what a careful hand-written program does with libpq. Every
// statement is prepared once per connection on first use (PQprepare), parameters go as text
// (as anydb sends them), BEGIN/COMMIT/ROLLBACK go through PQexec (as anydb sends them), and
// rows are read into a small struct.

#include "bench.hpp"

#ifdef ANYDB_BENCH_HAVE_LIBPQ

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace anydb::bench {

namespace {

struct Transient {};  // deadlock, serialization failure: roll back, back off, run again

struct Row {
  std::int64_t id = 0;
  std::int64_t k = 0;
  std::string name;
};

class Result {
 public:
  explicit Result(PGresult* result) : result_(result) {}
  ~Result() { PQclear(result_); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  [[nodiscard]] PGresult* get() const noexcept { return result_; }

 private:
  PGresult* result_;
};

std::int64_t to_int(const char* text) {
  std::int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

Row read(const PGresult* result, int row) {
  Row out;
  out.id = to_int(PQgetvalue(result, row, 0));
  out.k = to_int(PQgetvalue(result, row, 1));
  out.name.assign(PQgetvalue(result, row, 2),
                  static_cast<std::size_t>(PQgetlength(result, row, 2)));
  return out;
}

// Integers as text, the way anydb binds them.
struct TextInt {
  char buffer[24];
  int length = 0;
  explicit TextInt(std::int64_t value) {
    const auto end = std::to_chars(buffer, buffer + sizeof buffer - 1, value).ptr;
    *end = '\0';
    length = static_cast<int>(end - buffer);
  }
};

class RawPgSession final : public Session {
 public:
  RawPgSession(const std::string& conninfo, const Statements& statements)
      : statements_(statements) {
    conn_ = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string why = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw std::runtime_error("cannot connect: " + why);
    }
  }
  ~RawPgSession() override { PQfinish(conn_); }

  bool safe(std::int64_t key, const std::string& name) override {
    for (int attempt = 1;; ++attempt) {
      try {
        Row row;
        if (select_one(key, row)) return false;
        command("BEGIN");
        const TextInt text(key);
        const char* values[] = {text.buffer, name.c_str()};
        const Result inserted(PQexecPrepared(conn_, prepared(statements_.insert).c_str(), 2, values,
                                             nullptr, nullptr, 0));
        if (PQresultStatus(inserted.get()) == PGRES_TUPLES_OK) {
          row = read(inserted.get(), 0);
          command("COMMIT");
          return true;
        }
        const char* state = PQresultErrorField(inserted.get(), PG_DIAG_SQLSTATE);
        if (state != nullptr && std::strcmp(state, "23505") == 0) {
          command("ROLLBACK");
          if (select_one(key, row)) return false;
          throw std::runtime_error("row invisible after a unique violation");
        }
        check(inserted.get());
      } catch (const Transient&) {
        recover(attempt);
      }
    }
  }

  bool upsert(std::int64_t key, const std::string& name) override {
    for (int attempt = 1;; ++attempt) {
      try {
        const TextInt text(key);
        const char* values[] = {text.buffer, name.c_str()};
        const Result inserted(PQexecPrepared(conn_, prepared(statements_.upsert).c_str(), 2, values,
                                             nullptr, nullptr, 0));
        check(inserted.get());
        Row row;
        if (PQntuples(inserted.get()) > 0) {
          row = read(inserted.get(), 0);
          return true;
        }
        if (select_one(key, row)) return false;
        throw std::runtime_error("row invisible after an upsert conflict");
      } catch (const Transient&) {
        recover(attempt);
      }
    }
  }

  std::size_t batched(std::span<const std::int64_t> keys, const std::string& name) override {
    std::unordered_map<std::int64_t, std::size_t> index;
    index.reserve(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) index.emplace(keys[i], i);
    std::vector<char> found(keys.size(), 0);
    const std::vector<std::int64_t> all(keys.begin(), keys.end());
    select_many(all, index, found);
    std::vector<std::int64_t> missing;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (!found[i]) missing.push_back(keys[i]);
    if (missing.empty()) return 0;
    std::sort(missing.begin(), missing.end());

    for (int attempt = 1;; ++attempt) {
      try {
        std::vector<char> seen(keys.size(), 0);
        command("BEGIN");
        std::size_t created = 0;
        std::vector<TextInt> texts;
        std::vector<const char*> values;
        for (std::size_t begin = 0; begin < missing.size(); begin += statements_.insert_rows) {
          const std::size_t count = std::min(statements_.insert_rows, missing.size() - begin);
          const std::size_t rows = statements_.round_rows(count, statements_.insert_rows);
          texts.clear();
          values.clear();
          texts.reserve(rows);
          for (std::size_t r = 0; r < rows; ++r)
            texts.emplace_back(missing[begin + std::min(r, count - 1)]);
          for (std::size_t r = 0; r < rows; ++r) {
            values.push_back(texts[r].buffer);
            values.push_back(name.c_str());
          }
          const Result inserted(PQexecPrepared(
              conn_, batch_name(batch_inserts_, rows, statements_.batch_insert).c_str(),
              static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0));
          check(inserted.get());
          for (int r = 0; r < PQntuples(inserted.get()); ++r) {
            seen[index.at(read(inserted.get(), r).k)] = 1;
            ++created;
          }
        }
        std::vector<std::int64_t> rest;
        for (const std::int64_t key : missing)
          if (!seen[index.at(key)]) rest.push_back(key);
        if (!rest.empty()) {
          std::vector<char> later(keys.size(), 0);
          select_many(rest, index, later);
          for (const std::int64_t key : rest)
            if (!later[index.at(key)]) throw Transient{};
        }
        command("COMMIT");
        return created;
      } catch (const Transient&) {
        recover(attempt);
      }
    }
  }

  [[nodiscard]] std::uint64_t retries() const override { return retries_; }

 private:
  void check(const PGresult* result) {
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    if (state != nullptr && (std::strcmp(state, "40001") == 0 || std::strcmp(state, "40P01") == 0))
      throw Transient{};
    throw std::runtime_error(std::string("postgresql: ") + PQresultErrorMessage(result));
  }

  void command(const char* sql) {
    const Result result(PQexec(conn_, sql));
    check(result.get());
  }

  const std::string& prepared(const std::string& sql) {
    auto found = names_.find(sql);
    if (found != names_.end()) return found->second;
    std::string name = "raw" + std::to_string(names_.size() + 1);
    const Result result(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr));
    check(result.get());
    return names_.emplace(sql, std::move(name)).first->second;
  }

  const std::string& batch_name(std::map<std::size_t, std::string>& cache, std::size_t rows,
                                const std::function<std::string(std::size_t)>& text) {
    auto found = cache.find(rows);
    if (found != cache.end()) return found->second;
    return cache.emplace(rows, prepared(text(rows))).first->second;
  }

  bool select_one(std::int64_t key, Row& row) {
    const TextInt text(key);
    const char* values[] = {text.buffer};
    const Result result(PQexecPrepared(conn_, prepared(statements_.select).c_str(), 1, values,
                                       nullptr, nullptr, 0));
    check(result.get());
    if (PQntuples(result.get()) == 0) return false;
    row = read(result.get(), 0);
    return true;
  }

  void select_many(const std::vector<std::int64_t>& keys,
                   const std::unordered_map<std::int64_t, std::size_t>& index,
                   std::vector<char>& found) {
    std::vector<TextInt> texts;
    std::vector<const char*> values;
    for (std::size_t begin = 0; begin < keys.size(); begin += statements_.select_rows) {
      const std::size_t count = std::min(statements_.select_rows, keys.size() - begin);
      const std::size_t rows = statements_.round_rows(count, statements_.select_rows);
      texts.clear();
      values.clear();
      texts.reserve(rows);
      for (std::size_t r = 0; r < rows; ++r)
        texts.emplace_back(keys[begin + std::min(r, count - 1)]);
      for (const auto& text : texts) values.push_back(text.buffer);
      const Result result(
          PQexecPrepared(conn_, batch_name(batch_selects_, rows, statements_.batch_select).c_str(),
                         static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0));
      check(result.get());
      for (int r = 0; r < PQntuples(result.get()); ++r)
        found[index.at(read(result.get(), r).k)] = 1;
    }
  }

  void recover(int attempt) {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
    if (attempt >= 12) throw std::runtime_error("postgresql: transient errors for 12 attempts");
    ++retries_;
    backoff(attempt);
  }

  PGconn* conn_ = nullptr;
  const Statements& statements_;
  std::unordered_map<std::string, std::string> names_;
  std::map<std::size_t, std::string> batch_selects_, batch_inserts_;
  std::uint64_t retries_ = 0;
};

class RawPgDriver final : public Driver {
 public:
  RawPgDriver(std::string conninfo, const Statements& statements)
      : conninfo_(std::move(conninfo)), statements_(statements) {}
  [[nodiscard]] std::string name() const override { return "raw libpq"; }
  [[nodiscard]] std::unique_ptr<Session> open() override {
    return std::make_unique<RawPgSession>(conninfo_, statements_);
  }

 private:
  std::string conninfo_;
  const Statements& statements_;
};

}  // namespace

std::unique_ptr<Driver> make_raw_postgresql(std::string conninfo, const Statements& statements) {
  return std::make_unique<RawPgDriver>(std::move(conninfo), statements);
}

bool have_raw_postgresql() { return true; }

}  // namespace anydb::bench

#else

#include <stdexcept>

namespace anydb::bench {
std::unique_ptr<Driver> make_raw_postgresql(std::string, const Statements&) {
  throw std::runtime_error("anydb-bench was built without libpq");
}
bool have_raw_postgresql() { return false; }
}  // namespace anydb::bench

#endif

// The SOCI driver: the safe (and upsert) get-or-create written with SOCI 4, "what users pick
// instead" of anydb, in two flavours:
//   soci           the idiom of SOCI's documentation: a statement per call, transactions through
//                  session::begin()/commit()/rollback() (on SQLite a deferred BEGIN);
//   soci-prepared  every statement prepared once per session with its into()/use() bound to
//                  members, and on SQLite BEGIN IMMEDIATE/COMMIT/ROLLBACK prepared too: the most
//                  a careful SOCI user can do.
// SQLite completes the row from sqlite3_last_insert_rowid (session::get_last_insert_id);
// PostgreSQL uses INSERT ... RETURNING id.

#include "bench.hpp"

#ifdef ANYDB_BENCH_HAVE_SOCI

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <optional>
#include <stdexcept>
#include <string>

namespace anydb::bench {
namespace {

enum class Flavour { sqlite, postgresql };

class SociSession final : public Session {
 public:
  // `prepared`: every statement prepared once per session, transaction control included (the
  // most a careful SOCI user can do); otherwise the idiom of SOCI's documentation: a statement
  // per call (`sql << ...`), and session::begin()/commit()/rollback() (SQLite: BEGIN DEFERRED).
  SociSession(Flavour flavour, const std::string& target, bool prepared)
      : flavour_(flavour), prepared_(prepared) {
    if (flavour_ == Flavour::sqlite) {
      sql_.open(soci::sqlite3, "db=" + target + " timeout=5");
      sql_ << "PRAGMA journal_mode=wal";
      sql_ << "PRAGMA synchronous=NORMAL";
      sql_ << "PRAGMA foreign_keys=ON";
    } else {
      sql_.open(soci::postgresql, target);
    }
  }

  bool safe(std::int64_t key, const std::string& name) override {
    key_ = key;
    name_ = name;
    for (int attempt = 1;; ++attempt) {
      try {
        if (select_one()) return false;
        begin();
        try {
          insert();
          if (flavour_ == Flavour::sqlite) sql_.get_last_insert_id("bench", id_);
          commit();
          return true;
        } catch (const soci::soci_error& error) {
          rollback();
          if (!is_unique_violation(error)) throw;
        }
        if (select_one()) return false;
        throw std::runtime_error("soci: row invisible after a unique violation");
      } catch (const soci::soci_error& error) {
        recover(error, attempt);
      }
    }
  }

  bool upsert(std::int64_t key, const std::string& name) override {
    key_ = key;
    name_ = name;
    for (int attempt = 1;; ++attempt) {
      try {
        bool created = false;
        if (flavour_ == Flavour::sqlite) {
          // The affected rows are a statement's: SQLite prepares every statement anyway.
          soci::statement& upsert = statement(upsert_, Kind::upsert);
          upsert.execute(true);
          created = upsert.get_affected_rows() > 0;
          if (created) sql_.get_last_insert_id("bench", id_);
        } else if (prepared_) {
          soci::statement& upsert = statement(upsert_, Kind::upsert);
          upsert.execute(true);
          created = upsert.got_data();
        } else {
          sql_ << "INSERT INTO bench (k, name) VALUES (:k, :name) ON CONFLICT (k) DO NOTHING "
                  "RETURNING id",
              soci::into(id_), soci::use(key_), soci::use(name_);
          created = sql_.got_data();
        }
        if (created) return true;
        if (select_one()) return false;
        throw std::runtime_error("soci: row invisible after an upsert conflict");
      } catch (const soci::soci_error& error) {
        recover(error, attempt);
      }
    }
  }

  std::size_t batched(std::span<const std::int64_t>, const std::string&) override {
    throw std::logic_error("the SOCI driver has no batched get-or-create");
  }

  [[nodiscard]] std::uint64_t retries() const override { return retries_; }

 private:
  enum class Kind { select, insert, upsert, begin, commit, rollback };

  // The statement of `kind`, prepared on first use (on every use without `prepared_`).
  soci::statement& statement(std::optional<soci::statement>& slot, Kind kind) {
    if (slot && prepared_) return *slot;
    const bool sqlite = flavour_ == Flavour::sqlite;
    const char* const returning = sqlite ? "" : " RETURNING id";
    switch (kind) {
      case Kind::select:
        slot.emplace((sql_.prepare << "SELECT id, k, name FROM bench WHERE k = :k", soci::into(id_),
                      soci::into(found_key_), soci::into(found_name_), soci::use(key_)));
        break;
      case Kind::insert:
      case Kind::upsert: {
        const std::string sql = std::string("INSERT INTO bench (k, name) VALUES (:k, :name)") +
                                (kind == Kind::upsert ? " ON CONFLICT (k) DO NOTHING" : "") +
                                returning;
        if (sqlite)
          slot.emplace((sql_.prepare << sql, soci::use(key_), soci::use(name_)));
        else
          slot.emplace((sql_.prepare << sql, soci::into(id_), soci::use(key_), soci::use(name_)));
        break;
      }
      case Kind::begin: slot.emplace((sql_.prepare << "BEGIN IMMEDIATE")); break;
      case Kind::commit: slot.emplace((sql_.prepare << "COMMIT")); break;
      case Kind::rollback: slot.emplace((sql_.prepare << "ROLLBACK")); break;
    }
    return *slot;
  }

  bool select_one() {
    if (!prepared_) {
      sql_ << "SELECT id, k, name FROM bench WHERE k = :k", soci::into(id_), soci::into(found_key_),
          soci::into(found_name_), soci::use(key_);
      return sql_.got_data();
    }
    soci::statement& select = statement(select_, Kind::select);
    select.execute(true);
    const bool found = select.got_data();
    // Stepped to the end: a SQLite statement left on its row keeps its read snapshot, and the
    // next write through this connection would fail with SQLITE_BUSY_SNAPSHOT.
    while (found && select.fetch()) {
    }
    return found;
  }

  void insert() {
    if (prepared_) {
      statement(insert_, Kind::insert).execute(true);
    } else if (flavour_ == Flavour::sqlite) {
      sql_ << "INSERT INTO bench (k, name) VALUES (:k, :name)", soci::use(key_), soci::use(name_);
    } else {
      sql_ << "INSERT INTO bench (k, name) VALUES (:k, :name) RETURNING id", soci::into(id_),
          soci::use(key_), soci::use(name_);
    }
  }

  // Prepared transaction control on SQLite (BEGIN IMMEDIATE, as anydb); the session's own
  // begin()/commit()/rollback() otherwise.
  [[nodiscard]] bool prepared_control() const noexcept {
    return prepared_ && flavour_ == Flavour::sqlite;
  }
  void begin() {
    if (prepared_control())
      statement(begin_, Kind::begin).execute(true);
    else
      sql_.begin();
  }
  void commit() {
    if (prepared_control())
      statement(commit_, Kind::commit).execute(true);
    else
      sql_.commit();
  }
  void rollback() {
    try {
      if (prepared_control())
        statement(rollback_, Kind::rollback).execute(true);
      else
        sql_.rollback();
    } catch (const soci::soci_error&) {
      // SQLite may have rolled back by itself; nothing is left to end.
    }
  }

  [[nodiscard]] static bool is_unique_violation(const soci::soci_error& error) {
    if (const auto* sqlite = dynamic_cast<const soci::sqlite3_soci_error*>(&error))
      return (sqlite->result() & 0xff) == 19;  // SQLITE_CONSTRAINT
    if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&error))
      return pg->sqlstate() == "23505";
    return false;
  }

  [[nodiscard]] static bool is_transient(const soci::soci_error& error) {
    if (const auto* sqlite = dynamic_cast<const soci::sqlite3_soci_error*>(&error)) {
      const int primary = sqlite->result() & 0xff;
      return primary == 5 || primary == 6;  // SQLITE_BUSY, SQLITE_LOCKED
    }
    if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&error))
      return pg->sqlstate() == "40001" || pg->sqlstate() == "40P01";
    return false;
  }

  void recover(const soci::soci_error& error, int attempt) {
    if (!is_transient(error) || attempt >= 12) throw;
    rollback();
    ++retries_;
    backoff(attempt);
  }

  Flavour flavour_;
  bool prepared_;
  soci::session sql_;
  long long key_ = 0, id_ = 0, found_key_ = 0;
  std::string name_, found_name_;
  std::optional<soci::statement> select_, insert_, upsert_, begin_, commit_, rollback_;
  std::uint64_t retries_ = 0;
};

class SociDriver final : public Driver {
 public:
  SociDriver(Flavour flavour, std::string target, bool prepared)
      : flavour_(flavour), target_(std::move(target)), prepared_(prepared) {}
  [[nodiscard]] std::string name() const override { return prepared_ ? "soci-prepared" : "soci"; }
  [[nodiscard]] std::unique_ptr<Session> open() override {
    return std::make_unique<SociSession>(flavour_, target_, prepared_);
  }

 private:
  Flavour flavour_;
  std::string target_;
  bool prepared_;
};

}  // namespace

bool have_soci() { return true; }

std::unique_ptr<Driver> make_soci(const std::string& backend, const std::string& target,
                                  bool prepared) {
  if (backend == "sqlite") return std::make_unique<SociDriver>(Flavour::sqlite, target, prepared);
  if (backend == "postgresql")
    return std::make_unique<SociDriver>(Flavour::postgresql, target, prepared);
  throw std::runtime_error("no SOCI driver for backend " + backend);
}

}  // namespace anydb::bench

#else

#include <stdexcept>

namespace anydb::bench {
bool have_soci() { return false; }
std::unique_ptr<Driver> make_soci(const std::string&, const std::string&, bool) {
  throw std::runtime_error("anydb-bench was built without SOCI (libsoci-dev)");
}
}  // namespace anydb::bench

#endif

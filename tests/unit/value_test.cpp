// anydb::Value and Row, isolation-level and strategy parsing, and the SQL that GetOrCreate
// generates (construction only: running it needs a database, see the conformance suite).
#include <anydb/backend.hpp>
#include <anydb/dialect.hpp>
#include <anydb/error.hpp>
#include <anydb/get_or_create.hpp>
#include <anydb/value.hpp>

#include "unit_support.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using anydb::Dialect;
using anydb::ErrorKind;
using anydb::GetOrCreate;
using anydb::GetOrCreateSpec;
using anydb::Row;
using anydb::Strategy;
using anydb::Value;
using anydb_test::Contains;

// --- Value ---------------------------------------------------------------------------------

TEST(Value, Types) {
  EXPECT_EQ(Value().type(), Value::Type::null);
  EXPECT_EQ(Value(nullptr).type(), Value::Type::null);
  EXPECT_TRUE(Value().is_null());
  EXPECT_EQ(Value(42).type(), Value::Type::integer);
  EXPECT_EQ(Value(std::int64_t{1} << 40).type(), Value::Type::integer);
  EXPECT_EQ(Value(2.5).type(), Value::Type::real);
  EXPECT_EQ(Value("text").type(), Value::Type::text);
  EXPECT_EQ(Value(std::string("text")).type(), Value::Type::text);
  EXPECT_EQ(Value(std::string_view("text")).type(), Value::Type::text);
  EXPECT_EQ(Value(anydb::Blob{std::byte{1}}).type(), Value::Type::blob);
  EXPECT_FALSE(Value(0).is_null());
  EXPECT_FALSE(Value("").is_null());
}

TEST(Value, TypedAccess) {
  EXPECT_EQ(Value(42).as_int(), 42);
  EXPECT_EQ(Value(std::numeric_limits<std::int64_t>::min()).as_int(),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_DOUBLE_EQ(Value(2.5).as_double(), 2.5);
  EXPECT_EQ(Value("abc").as_text(), "abc");
  const anydb::Blob blob{std::byte{0}, std::byte{0xff}};
  EXPECT_EQ(Value(blob).as_blob(), blob);
}

TEST(Value, AsDoubleConvertsInteger) {
  EXPECT_DOUBLE_EQ(Value(7).as_double(), 7.0);
  EXPECT_DOUBLE_EQ(Value(-3).as_double(), -3.0);
}

TEST(Value, MismatchesThrowDataError) {
  const auto mismatch = [](auto&& access) {
    return anydb_test::what_of<anydb::DataError>(access, ErrorKind::data_error);
  };
  EXPECT_TRUE(Contains(mismatch([] { (void)Value("x").as_int(); }), "text"));
  EXPECT_TRUE(Contains(mismatch([] { (void)Value(2.5).as_int(); }), "real"));
  EXPECT_TRUE(Contains(mismatch([] { (void)Value().as_int(); }), "NULL"));
  EXPECT_TRUE(Contains(mismatch([] { (void)Value("x").as_double(); }), "text"));
  EXPECT_TRUE(Contains(mismatch([] { (void)Value().as_double(); }), "NULL"));
  EXPECT_TRUE(Contains(mismatch([] { (void)Value(1).as_text(); }), "integer"));
  EXPECT_TRUE(Contains(mismatch([] { (void)Value(anydb::Blob{}).as_text(); }), "blob"));
  EXPECT_TRUE(Contains(mismatch([] { (void)Value("x").as_blob(); }), "text"));
}

TEST(Value, Equality) {
  EXPECT_EQ(Value(1), Value(std::int64_t{1}));
  EXPECT_EQ(Value("a"), Value(std::string("a")));
  EXPECT_EQ(Value(), Value(nullptr));
  EXPECT_NE(Value(1), Value(2));
  EXPECT_NE(Value(1), Value(1.0));  // different types are never equal
  EXPECT_NE(Value("1"), Value(1));
  EXPECT_NE(Value(), Value(0));
  EXPECT_NE(Value(""), Value());
  EXPECT_EQ(Value(anydb::Blob{std::byte{1}}), Value(anydb::Blob{std::byte{1}}));
  EXPECT_NE(Value(anydb::Blob{std::byte{1}}), Value(anydb::Blob{std::byte{2}}));
}

TEST(Value, DisplayString) {
  EXPECT_EQ(Value().to_display_string(), "NULL");
  EXPECT_EQ(Value(42).to_display_string(), "42");
  EXPECT_EQ(Value(-7).to_display_string(), "-7");
  EXPECT_EQ(Value(2.5).to_display_string(), "2.5");
  EXPECT_EQ(Value("hello").to_display_string(), "hello");
  EXPECT_EQ(Value(anydb::Blob{std::byte{0x00}, std::byte{0xff}}).to_display_string(), "x'00ff'");
  EXPECT_EQ(Value(anydb::Blob{}).to_display_string(), "x''");
}

TEST(Value, TypeNames) {
  EXPECT_EQ(anydb::to_string(Value::Type::null), "NULL");
  EXPECT_EQ(anydb::to_string(Value::Type::integer), "integer");
  EXPECT_EQ(anydb::to_string(Value::Type::real), "real");
  EXPECT_EQ(anydb::to_string(Value::Type::text), "text");
  EXPECT_EQ(anydb::to_string(Value::Type::blob), "blob");
}

// --- Row -----------------------------------------------------------------------------------

TEST(Row, AccessByNameAndIndex) {
  auto columns =
      std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"id", "name"});
  const Row row(columns, {Value(1), Value("alice")});
  EXPECT_EQ(row.size(), 2U);
  EXPECT_EQ(row.at("id"), Value(1));
  EXPECT_EQ(row.at("name").as_text(), "alice");
  EXPECT_EQ(row[1], Value("alice"));
  EXPECT_EQ(row.columns(), *columns);
  EXPECT_THROW((void)row[2], std::out_of_range);
}

TEST(Row, UnknownColumnThrowsInvalidArgument) {
  auto columns = std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"id"});
  const Row row(columns, {Value(1)});
  const std::string message = anydb_test::what_of<anydb::InvalidArgument>(
      [&] { (void)row.at("nope"); }, ErrorKind::invalid_argument);
  EXPECT_TRUE(Contains(message, "nope"));
  // Names are matched exactly (no case folding).
  EXPECT_THROW((void)row.at("ID"), anydb::InvalidArgument);
}

TEST(Row, TakeValuesLeavesTheRowEmpty) {
  auto columns =
      std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"id", "name"});
  Row row(columns, {Value(1), Value("alice")});
  const std::vector<Value> values = row.take_values();
  EXPECT_EQ(values, (std::vector<Value>{Value(1), Value("alice")}));
  EXPECT_EQ(row.size(), 0U);
  EXPECT_TRUE(row.columns().empty());
}

// Each test runs on a thread of its own, so that the spare vectors start empty.
template <class Test>
void on_fresh_thread(Test test) {
  std::thread(test).join();
}

TEST(RowStorage, RecycledValuesKeepTheirStorageAndLoseTheirElements) {
  on_fresh_thread([] {
    EXPECT_EQ(anydb::recycled_values().capacity(), 0U) << "nothing recycled on this thread yet";
    std::vector<Value> values{Value(1), Value(std::string(100, 'x')), Value(2.5)};
    const Value* storage = values.data();
    const std::size_t capacity = values.capacity();
    anydb::recycle(std::move(values));
    std::vector<Value> again = anydb::recycled_values();
    EXPECT_TRUE(again.empty());
    EXPECT_EQ(again.data(), storage) << "the same storage comes back";
    EXPECT_EQ(again.capacity(), capacity);
    EXPECT_EQ(anydb::recycled_values().capacity(), 0U) << "and only once";
  });
}

TEST(RowStorage, RecycledRowsKeepTheirStorage) {
  on_fresh_thread([] {
    std::vector<Row> rows;
    rows.emplace_back(anydb::make_column_names({"a"}), std::vector<Value>{Value(1)});
    const Row* storage = rows.data();
    anydb::recycle(std::move(rows));
    std::vector<Row> again = anydb::recycled_rows();
    EXPECT_TRUE(again.empty());
    EXPECT_EQ(again.data(), storage);
  });
}

TEST(RowStorage, LargeOrEmptyVectorsAreNotKept) {
  on_fresh_thread([] {
    std::vector<Value> large(anydb::recycle_capacity + 1);
    anydb::recycle(std::move(large));
    EXPECT_EQ(anydb::recycled_values().capacity(), 0U) << "a large vector is freed, not kept";
    anydb::recycle(std::vector<Value>{});
    EXPECT_EQ(anydb::recycled_values().capacity(), 0U);
  });
}

TEST(RowStorage, TheLargerOfTwoIsKept) {
  on_fresh_thread([] {
    std::vector<Value> small;
    small.reserve(2);
    std::vector<Value> larger;
    larger.reserve(8);
    anydb::recycle(std::move(small));
    anydb::recycle(std::move(larger));
    EXPECT_EQ(anydb::recycled_values().capacity(), 8U);
    std::vector<Value> first;
    first.reserve(8);
    anydb::recycle(std::move(first));
    std::vector<Value> smaller;
    smaller.reserve(4);
    anydb::recycle(std::move(smaller));
    EXPECT_EQ(anydb::recycled_values().capacity(), 8U) << "a smaller one does not replace it";
  });
}

TEST(RowStorage, ThreadsDoNotShareTheirSpares) {
  on_fresh_thread([] {
    std::vector<Value> values;
    values.reserve(4);
    anydb::recycle(std::move(values));
    std::size_t seen_elsewhere = 1;
    std::thread([&] { seen_elsewhere = anydb::recycled_values().capacity(); }).join();
    EXPECT_EQ(seen_elsewhere, 0U);
    EXPECT_EQ(anydb::recycled_values().capacity(), 4U);
  });
}

TEST(Row, DefaultRowHasNoColumns) {
  const Row row;
  EXPECT_EQ(row.size(), 0U);
  EXPECT_TRUE(row.columns().empty());
  EXPECT_THROW((void)row.at("id"), anydb::InvalidArgument);
}

TEST(Row, ColumnWithoutValueIsUnknown) {
  // More names than values must not read past the values.
  auto columns =
      std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"a", "b"});
  const Row row(columns, {Value(1)});
  EXPECT_THROW((void)row.at("b"), anydb::InvalidArgument);
}

// --- isolation levels and strategies -------------------------------------------------------

TEST(IsolationLevel, AcceptedSpellings) {
  using anydb::IsolationLevel;
  using anydb::parse_isolation_level;
  EXPECT_EQ(parse_isolation_level("read_committed"), IsolationLevel::read_committed);
  EXPECT_EQ(parse_isolation_level("read-committed"), IsolationLevel::read_committed);
  EXPECT_EQ(parse_isolation_level("read committed"), IsolationLevel::read_committed);
  EXPECT_EQ(parse_isolation_level("READ COMMITTED"), IsolationLevel::read_committed);
  EXPECT_EQ(parse_isolation_level("Read-Uncommitted"), IsolationLevel::read_uncommitted);
  EXPECT_EQ(parse_isolation_level("REPEATABLE READ"), IsolationLevel::repeatable_read);
  EXPECT_EQ(parse_isolation_level("repeatable_read"), IsolationLevel::repeatable_read);
  EXPECT_EQ(parse_isolation_level("serializable"), IsolationLevel::serializable);
  EXPECT_EQ(parse_isolation_level("SERIALIZABLE"), IsolationLevel::serializable);
}

TEST(IsolationLevel, RoundTrip) {
  using anydb::IsolationLevel;
  for (auto level : {IsolationLevel::read_uncommitted, IsolationLevel::read_committed,
                     IsolationLevel::repeatable_read, IsolationLevel::serializable})
    EXPECT_EQ(anydb::parse_isolation_level(anydb::to_string(level)), level);
}

TEST(IsolationLevel, RejectedWithConfigurationError) {
  for (const std::string text : {"", "snapshot", "read", "committed", "serialisable",
                                 "read  committed", " serializable", "serializable\n"}) {
    const std::string message = anydb_test::what_of<anydb::ConfigurationError>(
        [&] { (void)anydb::parse_isolation_level(text); }, ErrorKind::configuration);
    EXPECT_TRUE(Contains(message, "serializable")) << message;  // names the accepted values
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(Strategy, ParseAndName) {
  EXPECT_EQ(anydb::parse_strategy("safe"), Strategy::safe);
  EXPECT_EQ(anydb::parse_strategy("upsert"), Strategy::upsert);
  EXPECT_EQ(anydb::parse_strategy("naive"), Strategy::naive);
  for (auto strategy : {Strategy::safe, Strategy::upsert, Strategy::naive})
    EXPECT_EQ(anydb::parse_strategy(anydb::to_string(strategy)), strategy);
  EXPECT_EQ(anydb::to_string(Strategy::safe), "safe");
  EXPECT_EQ(anydb::to_string(Strategy::upsert), "upsert");
  EXPECT_EQ(anydb::to_string(Strategy::naive), "naive");
}

TEST(Strategy, UnknownIsRejected) {
  for (const std::string text : {"", "fast", "safe ", "optimistic"}) {
    const std::string message = anydb_test::what_of<anydb::InvalidArgument>(
        [&] { (void)anydb::parse_strategy(text); }, ErrorKind::invalid_argument);
    EXPECT_TRUE(Contains(message, "safe, upsert or naive")) << message;
  }
}

// --- GetOrCreate construction --------------------------------------------------------------

Dialect question_mark_dialect(bool returning, bool upsert) {
  Dialect dialect;
  dialect.placeholders = Dialect::Placeholders::question_mark;
  dialect.supports_returning = returning;
  dialect.upsert = upsert ? Dialect::Upsert::on_conflict_do_nothing : Dialect::Upsert::none;
  return dialect;
}

Dialect dollar_dialect(bool returning, bool upsert) {
  Dialect dialect = question_mark_dialect(returning, upsert);
  dialect.placeholders = Dialect::Placeholders::dollar_numbered;
  return dialect;
}

GetOrCreateSpec spec(std::string table, std::vector<std::string> key,
                     std::vector<std::string> defaults = {}, Strategy strategy = Strategy::safe) {
  GetOrCreateSpec out;
  out.table = std::move(table);
  out.key_columns = std::move(key);
  out.default_columns = std::move(defaults);
  out.strategy = strategy;
  return out;
}

std::string construction_error(const Dialect& dialect, GetOrCreateSpec s, ErrorKind kind) {
  const auto build = [&] { const GetOrCreate operation(dialect, s); };
  if (kind == ErrorKind::unsupported) return anydb_test::what_of<anydb::Unsupported>(build, kind);
  return anydb_test::what_of<anydb::InvalidArgument>(build, kind);
}

TEST(GetOrCreateSpec, EmptyKeyIsRejected) {
  EXPECT_TRUE(Contains(construction_error(Dialect{}, spec("t", {}), ErrorKind::invalid_argument),
                       "key column"));
}

TEST(GetOrCreateSpec, ColumnGivenTwiceIsRejected) {
  EXPECT_TRUE(Contains(
      construction_error(Dialect{}, spec("t", {"a", "a"}), ErrorKind::invalid_argument), "twice"));
  EXPECT_TRUE(Contains(
      construction_error(Dialect{}, spec("t", {"a"}, {"b", "a"}), ErrorKind::invalid_argument),
      "\"a\" is given twice"));
  EXPECT_TRUE(Contains(
      construction_error(Dialect{}, spec("t", {"a"}, {"b", "b"}), ErrorKind::invalid_argument),
      "twice"));
}

TEST(GetOrCreateSpec, BadIdentifiersAreRejected) {
  using namespace std::string_literals;
  construction_error(Dialect{}, spec("", {"a"}), ErrorKind::invalid_argument);
  construction_error(Dialect{}, spec("t", {"a\0b"s}), ErrorKind::invalid_argument);
  construction_error(Dialect{}, spec("t", {"a"}, {"\xff"s}), ErrorKind::invalid_argument);
  construction_error(Dialect{}, spec(std::string(129, 't'), {"a"}), ErrorKind::invalid_argument);
  construction_error(Dialect{}, spec("t\n", {"a"}), ErrorKind::invalid_argument);
}

TEST(GetOrCreateSpec, NonPositiveMaxAttemptsIsRejected) {
  GetOrCreateSpec s = spec("t", {"a"});
  s.retry.max_attempts = 0;
  construction_error(Dialect{}, s, ErrorKind::invalid_argument);
}

TEST(GetOrCreateSpec, UpsertNeedsDialectSupport) {
  const std::string message =
      construction_error(question_mark_dialect(true, false), spec("t", {"a"}, {}, Strategy::upsert),
                         ErrorKind::unsupported);
  EXPECT_TRUE(Contains(message, "safe strategy"));
  // Without upsert, the other strategies work on the same dialect.
  EXPECT_NO_THROW(GetOrCreate(question_mark_dialect(true, false), spec("t", {"a"})));
  EXPECT_NO_THROW(
      GetOrCreate(question_mark_dialect(false, false), spec("t", {"a"}, {}, Strategy::naive)));
}

TEST(GetOrCreateSql, QuestionMarkWithoutReturning) {
  const GetOrCreate operation(question_mark_dialect(false, false),
                              spec("items", {"code"}, {"name", "price"}));
  EXPECT_EQ(operation.select_sql(), R"(SELECT * FROM "items" WHERE "code" = ?)");
  EXPECT_EQ(operation.insert_sql(),
            R"(INSERT INTO "items" ("code", "name", "price") VALUES (?, ?, ?))");
  EXPECT_EQ(operation.spec().table, "items");
  EXPECT_EQ(operation.spec().strategy, Strategy::safe);
}

TEST(GetOrCreateSql, QuestionMarkWithReturningAndCompositeKey) {
  const GetOrCreate operation(question_mark_dialect(true, false), spec("t", {"a", "b"}, {"c"}));
  EXPECT_EQ(operation.select_sql(), R"(SELECT * FROM "t" WHERE "a" = ? AND "b" = ?)");
  EXPECT_EQ(operation.insert_sql(),
            R"(INSERT INTO "t" ("a", "b", "c") VALUES (?, ?, ?) RETURNING *)");
}

TEST(GetOrCreateSql, QuestionMarkUpsertWithoutReturning) {
  const GetOrCreate operation(question_mark_dialect(false, true),
                              spec("t", {"a"}, {"b"}, Strategy::upsert));
  EXPECT_EQ(operation.select_sql(), R"(SELECT * FROM "t" WHERE "a" = ?)");
  EXPECT_EQ(operation.insert_sql(),
            R"(INSERT INTO "t" ("a", "b") VALUES (?, ?) ON CONFLICT ("a") DO NOTHING)");
}

TEST(GetOrCreateSql, DollarWithoutReturning) {
  const GetOrCreate operation(dollar_dialect(false, false), spec("t", {"a", "b"}, {"c"}));
  EXPECT_EQ(operation.select_sql(), R"(SELECT * FROM "t" WHERE "a" = $1 AND "b" = $2)");
  EXPECT_EQ(operation.insert_sql(), R"(INSERT INTO "t" ("a", "b", "c") VALUES ($1, $2, $3))");
}

TEST(GetOrCreateSql, DollarWithReturning) {
  const GetOrCreate operation(dollar_dialect(true, true), spec("t", {"a"}, {"b"}));
  EXPECT_EQ(operation.select_sql(), R"(SELECT * FROM "t" WHERE "a" = $1)");
  EXPECT_EQ(operation.insert_sql(), R"(INSERT INTO "t" ("a", "b") VALUES ($1, $2) RETURNING *)");
}

TEST(GetOrCreateSql, DollarUpsertWithReturning) {
  const GetOrCreate operation(dollar_dialect(true, true),
                              spec("t", {"a", "b"}, {"c"}, Strategy::upsert));
  EXPECT_EQ(operation.select_sql(), R"(SELECT * FROM "t" WHERE "a" = $1 AND "b" = $2)");
  EXPECT_EQ(
      operation.insert_sql(),
      R"(INSERT INTO "t" ("a", "b", "c") VALUES ($1, $2, $3) ON CONFLICT ("a", "b") DO NOTHING RETURNING *)");
}

TEST(GetOrCreateSql, NaiveUsesThePlainInsert) {
  const GetOrCreate operation(dollar_dialect(false, true), spec("t", {"a"}, {}, Strategy::naive));
  EXPECT_EQ(operation.insert_sql(), R"(INSERT INTO "t" ("a") VALUES ($1))");
}

TEST(GetOrCreateSql, HostileIdentifiersAreQuotedNotSpliced) {
  const GetOrCreate operation(question_mark_dialect(false, false),
                              spec("x\"; DROP TABLE t; --", {"k\"ey"}));
  EXPECT_EQ(operation.select_sql(), R"(SELECT * FROM "x""; DROP TABLE t; --" WHERE "k""ey" = ?)");
  EXPECT_EQ(operation.insert_sql(), R"(INSERT INTO "x""; DROP TABLE t; --" ("k""ey") VALUES (?))");
}

TEST(GetOrCreateSql, BacktickDialect) {
  Dialect dialect = question_mark_dialect(false, false);
  dialect.identifier_quote = '`';
  const GetOrCreate operation(dialect, spec("my`table", {"id"}, {"v"}));
  EXPECT_EQ(operation.select_sql(), "SELECT * FROM `my``table` WHERE `id` = ?");
  EXPECT_EQ(operation.insert_sql(), "INSERT INTO `my``table` (`id`, `v`) VALUES (?, ?)");
}

}  // namespace

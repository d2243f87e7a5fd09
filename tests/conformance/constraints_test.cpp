// Every database's constraint errors arrive as the same portable exception classes.

#include "context.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

namespace anydb::conformance {
namespace {

class Constraints : public ::testing::Test {
 protected:
  ScratchTable parent{"parent", "id BIGINT PRIMARY KEY"};
  // Constraint names are schema-wide on some databases: unique per run like the tables.
  std::string unique_constraint = context().unique_table_name("uq");
  ScratchTable child{
      "child",
      // Table-level FOREIGN KEY: MariaDB silently ignores a column-level
      // REFERENCES clause.
      fmt::format("id {{id}}, k BIGINT NOT NULL, code VARCHAR(40), parent_id BIGINT, "
                  "qty BIGINT CHECK (qty >= 0), CONSTRAINT {} UNIQUE (code), "
                  "FOREIGN KEY (parent_id) REFERENCES {} (id)",
                  context().dialect().quote_identifier(unique_constraint), parent.quoted())};
  ConnectionPtr connection = context().connect();

  void insert(const Value& k, const Value& code, const Value& parent_id, const Value& qty) {
    connection->execute(
        fmt::format("INSERT INTO {} (k, code, parent_id, qty) VALUES ({}, {}, {}, {})",
                    child.quoted(), param(1), param(2), param(3), param(4)),
        {k, code, parent_id, qty});
  }
};

TEST_F(Constraints, UniqueViolationIsPortable) {
  insert(1, "a", nullptr, 1);
  try {
    insert(2, "a", nullptr, 1);
    FAIL() << "duplicate accepted";
  } catch (const UniqueViolation& error) {
    EXPECT_EQ(error.kind(), ErrorKind::unique_violation);
    EXPECT_FALSE(error.is_transient());
    // Where the database tells which constraint or columns, anydb passes it on.
    EXPECT_TRUE(!error.constraint().empty() || !error.columns().empty()) << error.what();
    if (!error.constraint().empty()) {
      EXPECT_EQ(error.constraint(), unique_constraint);
    }
    if (!error.columns().empty()) {
      EXPECT_EQ(error.columns(), std::vector<std::string>{"code"});
    }
    EXPECT_FALSE(error.backend().empty());  // the database that raised it (a wrapper may differ)
  }
  EXPECT_EQ(child.count_rows(), 1);
}

TEST_F(Constraints, NotNullViolation) {
  EXPECT_THROW(insert(nullptr, "a", nullptr, 1), NotNullViolation);
}

TEST_F(Constraints, ForeignKeyViolation) {
  EXPECT_THROW(insert(1, "a", 999, 1), ForeignKeyViolation);
}

TEST_F(Constraints, CheckViolation) { EXPECT_THROW(insert(1, "a", nullptr, -1), CheckViolation); }

TEST_F(Constraints, AllAreIntegrityErrors) {
  insert(1, "a", nullptr, 1);
  int caught = 0;
  for (auto attempt : {std::tuple<Value, Value, Value, Value>{2, "a", nullptr, 1},
                       {nullptr, "b", nullptr, 1},
                       {3, "c", 999, 1},
                       {4, "d", nullptr, -5}}) {
    try {
      insert(std::get<0>(attempt), std::get<1>(attempt), std::get<2>(attempt),
             std::get<3>(attempt));
    } catch (const IntegrityError&) {
      ++caught;
    }
  }
  EXPECT_EQ(caught, 4);
  EXPECT_EQ(child.count_rows(), 1);
}

TEST_F(Constraints, UndefinedTableAndSyntaxErrors) {
  EXPECT_THROW(connection->execute("SELECT * FROM anydb_no_such_table_at_all"), UndefinedObject);
  EXPECT_THROW(connection->execute("SELEKT 1"), SyntaxError);
}

}  // namespace
}  // namespace anydb::conformance

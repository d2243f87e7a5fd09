// anydb::throw_error and the exception hierarchy: each kind throws its own class, the base
// categories catch what they should, and the information a backend supplies is preserved.
#include <anydb/error.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <typeindex>
#include <typeinfo>
#include <vector>

namespace {

using anydb::ErrorInfo;
using anydb::ErrorKind;

constexpr auto first_kind = ErrorKind::unique_violation;
constexpr auto last_kind = ErrorKind::database_error;

std::vector<ErrorKind> all_kinds() {
  std::vector<ErrorKind> kinds;
  for (int k = static_cast<int>(first_kind); k <= static_cast<int>(last_kind); ++k)
    kinds.push_back(static_cast<ErrorKind>(k));
  return kinds;
}

// Throws `kind` and checks that it is caught as the leaf type Leaf (exactly) and as anydb::Error.
template <class Leaf>
void expect_leaf(ErrorKind kind) {
  SCOPED_TRACE(std::string(anydb::to_string(kind)));
  try {
    anydb::throw_error(kind, "message");
  } catch (const Leaf& error) {
    EXPECT_EQ(std::type_index(typeid(error)), std::type_index(typeid(Leaf)));
    EXPECT_EQ(error.kind(), kind);
    const anydb::Error& base = error;
    EXPECT_EQ(base.kind(), kind);
    return;
  } catch (const std::exception& other) {
    ADD_FAILURE() << "caught " << typeid(other).name() << " instead";
    return;
  }
}

TEST(ThrowError, EveryKindThrowsItsOwnClass) {
  expect_leaf<anydb::UniqueViolation>(ErrorKind::unique_violation);
  expect_leaf<anydb::ForeignKeyViolation>(ErrorKind::foreign_key_violation);
  expect_leaf<anydb::NotNullViolation>(ErrorKind::not_null_violation);
  expect_leaf<anydb::CheckViolation>(ErrorKind::check_violation);
  expect_leaf<anydb::IntegrityError>(ErrorKind::integrity_violation);
  expect_leaf<anydb::SerializationFailure>(ErrorKind::serialization_failure);
  expect_leaf<anydb::DeadlockDetected>(ErrorKind::deadlock);
  expect_leaf<anydb::Busy>(ErrorKind::busy);
  expect_leaf<anydb::ConnectionLost>(ErrorKind::connection_lost);
  expect_leaf<anydb::ConnectionFailed>(ErrorKind::connection_failed);
  expect_leaf<anydb::SyntaxError>(ErrorKind::syntax_error);
  expect_leaf<anydb::UndefinedObject>(ErrorKind::undefined_object);
  expect_leaf<anydb::PermissionDenied>(ErrorKind::permission_denied);
  expect_leaf<anydb::DataError>(ErrorKind::data_error);
  expect_leaf<anydb::ResourceExhausted>(ErrorKind::resource_exhausted);
  expect_leaf<anydb::UsageError>(ErrorKind::invalid_usage);
  expect_leaf<anydb::InvalidArgument>(ErrorKind::invalid_argument);
  expect_leaf<anydb::ConfigurationError>(ErrorKind::configuration);
  expect_leaf<anydb::PluginError>(ErrorKind::plugin);
  expect_leaf<anydb::Unsupported>(ErrorKind::unsupported);
  expect_leaf<anydb::TransactionAborted>(ErrorKind::transaction_aborted);
  expect_leaf<anydb::SchemaChanged>(ErrorKind::schema_changed);
  expect_leaf<anydb::DatabaseError>(ErrorKind::database_error);
}

TEST(ThrowError, BaseCategoriesCatchExactlyTheirKinds) {
  const std::set<ErrorKind> integrity = {
      ErrorKind::unique_violation, ErrorKind::foreign_key_violation, ErrorKind::not_null_violation,
      ErrorKind::check_violation, ErrorKind::integrity_violation};
  const std::set<ErrorKind> transient = {ErrorKind::serialization_failure, ErrorKind::deadlock,
                                         ErrorKind::busy, ErrorKind::schema_changed};
  const std::set<ErrorKind> connection = {ErrorKind::connection_lost, ErrorKind::connection_failed};
  for (ErrorKind kind : all_kinds()) {
    SCOPED_TRACE(std::string(anydb::to_string(kind)));
    try {
      anydb::throw_error(kind, "m");
    } catch (const anydb::Error& error) {
      EXPECT_EQ(dynamic_cast<const anydb::IntegrityError*>(&error) != nullptr,
                integrity.contains(kind));
      EXPECT_EQ(dynamic_cast<const anydb::TransientError*>(&error) != nullptr,
                transient.contains(kind));
      EXPECT_EQ(dynamic_cast<const anydb::ConnectionError*>(&error) != nullptr,
                connection.contains(kind));
      EXPECT_EQ(error.is_transient(), transient.contains(kind));
      EXPECT_EQ(error.is_connection_error(), connection.contains(kind));
    }
  }
}

TEST(ThrowError, CatchByCategory) {
  EXPECT_THROW(anydb::throw_error(ErrorKind::unique_violation, "m"), anydb::IntegrityError);
  EXPECT_THROW(anydb::throw_error(ErrorKind::check_violation, "m"), anydb::IntegrityError);
  EXPECT_THROW(anydb::throw_error(ErrorKind::deadlock, "m"), anydb::TransientError);
  EXPECT_THROW(anydb::throw_error(ErrorKind::busy, "m"), anydb::TransientError);
  EXPECT_THROW(anydb::throw_error(ErrorKind::connection_failed, "m"), anydb::ConnectionError);
  EXPECT_THROW(anydb::throw_error(ErrorKind::plugin, "m"), anydb::Error);
  EXPECT_THROW(anydb::throw_error(ErrorKind::plugin, "m"), std::runtime_error);
}

TEST(ThrowError, OutOfRangeKindIsADatabaseError) {
  EXPECT_THROW(anydb::throw_error(static_cast<ErrorKind>(999), "m"), anydb::DatabaseError);
}

TEST(ErrorKindNames, AllDistinctAndKnown) {
  std::set<std::string_view> names;
  for (ErrorKind kind : all_kinds()) {
    const std::string_view name = anydb::to_string(kind);
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(names.size(), 23U);
  EXPECT_EQ(anydb::to_string(ErrorKind::unique_violation), "unique_violation");
  EXPECT_EQ(anydb::to_string(ErrorKind::plugin), "plugin");
  EXPECT_EQ(anydb::to_string(static_cast<ErrorKind>(999)), "unknown");
}

TEST(ErrorWhat, BackendPrefix) {
  try {
    anydb::throw_error(ErrorKind::syntax_error, "near \"SELEC\"", "sqlite");
  } catch (const anydb::Error& error) {
    EXPECT_STREQ(error.what(), "sqlite: near \"SELEC\"");
    EXPECT_EQ(error.message(), "near \"SELEC\"");
    EXPECT_EQ(error.backend(), "sqlite");
  }
}

TEST(ErrorWhat, NoBackendMeansMessageOnly) {
  try {
    anydb::throw_error(ErrorKind::configuration, "bad URI");
  } catch (const anydb::Error& error) {
    EXPECT_STREQ(error.what(), "bad URI");
    EXPECT_EQ(error.backend(), "");
  }
}

TEST(ErrorInfoFields, PreservedThroughThrow) {
  ErrorInfo info;
  info.kind = ErrorKind::unique_violation;
  info.message = "duplicate key value violates unique constraint \"t_pkey\"";
  info.backend = "postgresql";
  info.sqlstate = "23505";
  info.native_code = 7;
  info.constraint = "t_pkey";
  info.columns = {"a", "b"};
  info.transaction_aborted = true;
  try {
    anydb::throw_error(info);
  } catch (const anydb::UniqueViolation& error) {
    EXPECT_EQ(error.kind(), ErrorKind::unique_violation);
    EXPECT_EQ(error.sqlstate(), "23505");
    EXPECT_EQ(error.native_code(), std::int64_t{7});
    EXPECT_EQ(error.constraint(), "t_pkey");
    EXPECT_EQ(error.columns(), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(error.backend(), "postgresql");
    EXPECT_TRUE(error.transaction_aborted());
    EXPECT_FALSE(error.commit_outcome_unknown());
    EXPECT_FALSE(error.is_transient());
    EXPECT_FALSE(error.is_connection_error());
    EXPECT_EQ(error.info().message, info.message);
    EXPECT_STREQ(error.what(),
                 "postgresql: duplicate key value violates unique constraint \"t_pkey\"");
  }
}

TEST(ErrorInfoFields, DefaultsAreEmpty) {
  try {
    anydb::throw_error(ErrorKind::busy, "locked");
  } catch (const anydb::Busy& error) {
    EXPECT_EQ(error.sqlstate(), "");
    EXPECT_FALSE(error.native_code().has_value());
    EXPECT_EQ(error.constraint(), "");
    EXPECT_TRUE(error.columns().empty());
    EXPECT_FALSE(error.transaction_aborted());
    EXPECT_FALSE(error.commit_outcome_unknown());
    EXPECT_TRUE(error.is_transient());
  }
}

TEST(ErrorInfoFields, CommitOutcomeUnknown) {
  ErrorInfo info;
  info.kind = ErrorKind::connection_lost;
  info.message = "server closed the connection during COMMIT";
  info.commit_outcome_unknown = true;
  try {
    anydb::throw_error(std::move(info));
  } catch (const anydb::ConnectionLost& error) {
    EXPECT_TRUE(error.commit_outcome_unknown());
    EXPECT_TRUE(error.is_connection_error());
    EXPECT_FALSE(error.is_transient());
  }
}

TEST(ErrorCopy, CopiesKeepEverything) {
  ErrorInfo info;
  info.kind = ErrorKind::deadlock;
  info.message = "deadlock detected";
  info.backend = "postgresql";
  info.sqlstate = "40P01";
  const anydb::DeadlockDetected original(info);
  const anydb::DeadlockDetected copy =
      original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_STREQ(copy.what(), original.what());
  EXPECT_EQ(copy.sqlstate(), "40P01");
  EXPECT_TRUE(copy.is_transient());
}

}  // namespace

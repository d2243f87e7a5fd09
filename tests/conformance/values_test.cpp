// Values survive a round trip through every backend unchanged.

#include "context.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace anydb::conformance {
namespace {

class Values : public ::testing::Test {
 protected:
  ScratchTable table{"values", "id {id}, i BIGINT, r DOUBLE PRECISION, t {text}, b {blob}"};
  ConnectionPtr connection = context().connect();

  Row round_trip(const Value& i, const Value& r, const Value& t, const Value& b) {
    const std::string insert = fmt::format("INSERT INTO {} (i, r, t, b) VALUES ({}, {}, {}, {})",
                                           table.quoted(), param(1), param(2), param(3), param(4));
    connection->execute(insert, {i, r, t, b});
    Result result = connection->execute(
        fmt::format("SELECT i, r, t, b FROM {} ORDER BY id DESC", table.quoted()));
    return result.rows.at(0);
  }
};

Blob bytes(std::initializer_list<int> values) {
  Blob out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

TEST_F(Values, Int64Limits) {
  for (std::int64_t v :
       {std::numeric_limits<std::int64_t>::min(), std::int64_t{-1}, std::int64_t{0},
        std::int64_t{1}, std::numeric_limits<std::int64_t>::max()}) {
    const Row row = round_trip(v, nullptr, nullptr, nullptr);
    EXPECT_EQ(row.at("i").as_int(), v);
  }
}

TEST_F(Values, Doubles) {
  const int digits = context().dialect().real_digits;
  // With fewer than 17 digits the largest double cannot survive (it rounds up past the range):
  // the largest magnitude such a backend can carry stands in for it.
  const double largest = digits >= 17 ? -1.7976931348623157e308 : -1.79769313486231e308;
  for (double v : {0.0, 0.1, -2.5, 1e-300, largest, 3.141592653589793}) {
    const Row row = round_trip(nullptr, v, nullptr, nullptr);
    EXPECT_EQ(row.at("r").type(), Value::Type::real);
    if (digits >= 17) {
      EXPECT_DOUBLE_EQ(row.at("r").as_double(), v);
    } else {
      // The backend declares fewer digits: the value must survive to that many.
      EXPECT_NEAR(row.at("r").as_double(), v, std::abs(v) * std::pow(10.0, 1 - digits))
          << "declared digits: " << digits;
    }
  }
}

TEST_F(Values, UnicodeText) {
  const std::string text =
      "h\xC3\xA9llo w\xC3\xB6rld \xE2\x9C\x93 \xF0\x9F\x98\x80 \xE4\xB8\xAD\xE6\x96\x87 'quoted' "
      "\"double\" ; --";
  const Row row = round_trip(nullptr, nullptr, text, nullptr);
  EXPECT_EQ(row.at("t").as_text(), text);
}

TEST_F(Values, EmptyStringIsNotNull) {
  const Row empty = round_trip(nullptr, nullptr, std::string(), nullptr);
  EXPECT_EQ(empty.at("t").type(), Value::Type::text);
  EXPECT_EQ(empty.at("t").as_text(), "");
  const Row null = round_trip(nullptr, nullptr, nullptr, nullptr);
  EXPECT_TRUE(null.at("t").is_null());
  EXPECT_TRUE(null.at("i").is_null());
  EXPECT_TRUE(null.at("r").is_null());
  EXPECT_TRUE(null.at("b").is_null());
}

TEST_F(Values, BlobsWithNulBytes) {
  const Blob blob = bytes({0x00, 0x01, 0x00, 0xFF, 0x7F, 0x00, 0x80, 0x00});
  const Row row = round_trip(nullptr, nullptr, nullptr, blob);
  EXPECT_EQ(row.at("b").as_blob(), blob);
}

TEST_F(Values, EmptyBlobIsNotNull) {
  const Row row = round_trip(nullptr, nullptr, nullptr, Blob{});
  EXPECT_EQ(row.at("b").type(), Value::Type::blob);
  EXPECT_TRUE(row.at("b").as_blob().empty());
}

TEST_F(Values, LargeBlobAndText) {
  Blob blob(1 << 20);
  for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<std::byte>(i * 31 % 256);
  const std::string text(300'000, 'x');
  const Row row = round_trip(nullptr, nullptr, text, blob);
  EXPECT_EQ(row.at("b").as_blob(), blob);
  EXPECT_EQ(row.at("t").as_text(), text);
}

TEST_F(Values, ParametersAreNeverSpliced) {
  const std::string hostile = "x'); DROP TABLE " + table.name() + "; --";
  const Row row = round_trip(nullptr, nullptr, hostile, nullptr);
  EXPECT_EQ(row.at("t").as_text(), hostile);
  EXPECT_EQ(table.count_rows(), 1);
}

TEST_F(Values, ResultColumnsAreNamed) {
  round_trip(1, 2.0, "three", nullptr);
  const Result result =
      connection->execute(fmt::format("SELECT i AS first, t AS second FROM {}", table.quoted()));
  ASSERT_EQ(result.rows.size(), 1u);
  EXPECT_EQ(result.rows[0].columns(), (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(result.rows[0].at("second").as_text(), "three");
  EXPECT_THROW((void)result.rows[0].at("third"), InvalidArgument);
}

TEST_F(Values, RowsAffectedIsCounted) {
  for (int i = 0; i < 3; ++i) round_trip(i, nullptr, nullptr, nullptr);
  const Result updated = connection->execute(
      fmt::format("UPDATE {} SET t = {} WHERE i >= {}", table.quoted(), param(1), param(2)),
      {Value("u"), Value(1)});
  EXPECT_EQ(updated.rows_affected, 2);
}

}  // namespace
}  // namespace anydb::conformance

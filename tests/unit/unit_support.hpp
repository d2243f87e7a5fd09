#pragma once

// Small assertion helpers shared by the unit tests (plain GoogleTest, no gmock).

#include <anydb/error.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <string_view>

namespace anydb_test {

inline ::testing::AssertionResult Contains(std::string_view haystack, std::string_view needle) {
  if (haystack.find(needle) != std::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\"" << haystack << "\" does not contain \"" << needle << "\"";
}

inline ::testing::AssertionResult Lacks(std::string_view haystack, std::string_view needle) {
  if (haystack.find(needle) == std::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << haystack << "\" contains \"" << needle << "\"";
}

// Runs `action`, which must throw exactly `Expected` (or a subclass) with `kind`; returns its
// what() so that the caller can check the message. Fails the test (and returns "") otherwise.
template <class Expected>
std::string what_of(const std::function<void()>& action, anydb::ErrorKind kind) {
  try {
    action();
  } catch (const Expected& error) {
    EXPECT_EQ(error.kind(), kind) << error.what();
    return error.what();
  } catch (const std::exception& other) {
    ADD_FAILURE() << "threw the wrong exception: " << other.what();
    return {};
  } catch (...) {
    ADD_FAILURE() << "threw something that is not a std::exception";
    return {};
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

}  // namespace anydb_test

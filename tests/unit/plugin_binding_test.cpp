// The loader's reader of a plugin's ELF dynamic flags (core/src/plugin_binding.cpp, compiled
// into this test): crafted images for each way a library says "bind my symbols at load" and for
// each way a file can be broken, then the real plugins built with and without -z now.

#include "plugin_binding.hpp"

#include <elf.h>
#include <link.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using anydb::detail::binds_own_symbols_at_load;

using Dynamic = std::vector<std::pair<std::int64_t, std::uint64_t>>;

// A shared object of this machine's class with one PT_DYNAMIC segment holding `entries`.
std::string elf_image(const Dynamic& entries) {
  ElfW(Ehdr) header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_type = ET_DYN;
  header.e_version = EV_CURRENT;
  header.e_phoff = sizeof(header);
  header.e_ehsize = sizeof(header);
  header.e_phentsize = sizeof(ElfW(Phdr));
  header.e_phnum = 1;
  ElfW(Phdr) segment{};
  segment.p_type = PT_DYNAMIC;
  segment.p_offset = sizeof(header) + sizeof(segment);
  segment.p_filesz = entries.size() * sizeof(ElfW(Dyn));
  segment.p_memsz = segment.p_filesz;
  std::string image(reinterpret_cast<const char*>(&header), sizeof(header));
  image.append(reinterpret_cast<const char*>(&segment), sizeof(segment));
  for (const auto& [tag, value] : entries) {
    ElfW(Dyn) entry{};
    entry.d_tag = tag;
    entry.d_un.d_val = value;
    image.append(reinterpret_cast<const char*>(&entry), sizeof(entry));
  }
  return image;
}

class PluginBinding : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() /
                 ("anydb-plugin-binding-" +
                  std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  bool binds_now(const std::string& bytes) {
    const fs::path file = directory_ / "plugin.so";
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
    return binds_own_symbols_at_load(file);
  }

 private:
  fs::path directory_;
};

TEST_F(PluginBinding, EveryBindNowSpellingIsRecognised) {
  EXPECT_TRUE(binds_now(elf_image({{DT_NEEDED, 1}, {DT_FLAGS, DF_BIND_NOW}, {DT_NULL, 0}})));
  EXPECT_TRUE(binds_now(elf_image({{DT_FLAGS_1, DF_1_NOW | DF_1_NODELETE}, {DT_NULL, 0}})));
  EXPECT_TRUE(binds_now(elf_image({{DT_BIND_NOW, 0}, {DT_NULL, 0}})));
}

TEST_F(PluginBinding, LazyLibrariesAreNot) {
  EXPECT_FALSE(binds_now(elf_image({{DT_NEEDED, 1}, {DT_FLAGS, DF_SYMBOLIC}, {DT_NULL, 0}})));
  EXPECT_FALSE(binds_now(elf_image({{DT_FLAGS_1, DF_1_NODELETE}, {DT_NULL, 0}})));
  EXPECT_FALSE(binds_now(elf_image({{DT_NULL, 0}})));
  // What follows DT_NULL is not part of the section.
  EXPECT_FALSE(binds_now(elf_image({{DT_NULL, 0}, {DT_BIND_NOW, 0}})));
}

TEST_F(PluginBinding, BrokenFilesAreNotTakenForBindNow) {
  const std::string good = elf_image({{DT_BIND_NOW, 0}, {DT_NULL, 0}});
  ASSERT_TRUE(binds_now(good));
  EXPECT_FALSE(binds_now(""));
  EXPECT_FALSE(binds_now("#!/bin/sh\necho not a plugin\n"));
  EXPECT_FALSE(binds_now(good.substr(0, sizeof(ElfW(Ehdr)) - 1)));  // a header cut short
  EXPECT_FALSE(binds_now(good.substr(0, good.size() - 1)));         // a section cut short
  std::string other_class = good;
  other_class[EI_CLASS] = sizeof(void*) == 8 ? ELFCLASS32 : ELFCLASS64;
  EXPECT_FALSE(binds_now(other_class));
  std::string past_the_end = good;
  ElfW(Ehdr) header{};
  std::memcpy(&header, past_the_end.data(), sizeof(header));
  header.e_phoff = 1ULL << 40;
  std::memcpy(past_the_end.data(), &header, sizeof(header));
  EXPECT_FALSE(binds_now(past_the_end));
  EXPECT_FALSE(binds_own_symbols_at_load("/nonexistent/anydb/plugin.so"));
}

TEST_F(PluginBinding, AnOversizedDynamicSectionIsNotRead) {
  Dynamic entries(64 * 1024 / sizeof(ElfW(Dyn)) + 1, {DT_NEEDED, 1});
  entries.front() = {DT_BIND_NOW, 0};
  EXPECT_FALSE(binds_now(elf_image(entries)));
}

TEST(PluginBindingOfRealPlugins, ZNowPluginsBindAtLoadOthersDoNot) {
  EXPECT_TRUE(binds_own_symbols_at_load(ANYDB_TEST_MINIMAL_PLUGIN));  // anydb_add_backend
  EXPECT_FALSE(binds_own_symbols_at_load(ANYDB_TEST_LAZY_PLUGIN));    // built without -z now
}

}  // namespace

#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <unistd.h>
#include <vector>
#include <whittle/archive/tar_reader.hpp>
#include <whittle/archive/tar_writer.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::archive;

namespace {

struct ReadEntry
{
  TarEntry entry;
  std::string content;
  int64_t offset = 0;
};

std::vector<ReadEntry>
read_tar(const std::string& bytes, size_t skip_content_of = SIZE_MAX)
{
  util::StringSource src(bytes);
  TarReader reader(src, "layer test");
  std::vector<ReadEntry> out;
  ReadEntry r;
  while (reader.next(r.entry)) {
    r.offset = reader.header_offset();
    r.content = out.size() == skip_content_of ? "" : util::read_all(reader.data(), SIZE_MAX, "content");
    out.push_back(r);
  }
  CHECK_FALSE(reader.next(r.entry));
  return out;
}

std::string
read_error(const std::string& bytes)
{
  try {
    read_tar(bytes);
  } catch (const BadInput& e) {
    return e.what();
  }
  return "";
}

TarEntry
make_entry(const std::string& path, EntryType type, uint64_t size = 0)
{
  TarEntry e;
  e.path = path;
  e.type = type;
  e.size = size;
  e.mode = type == EntryType::directory ? 0755 : 0644;
  e.mtime = 1600000000;
  return e;
}

// A source that fails after n bytes, standing in for a verification failure.
class FailingSource : public util::ByteSource
{
public:
  FailingSource(std::string data, size_t fail_at) : m_data(std::move(data)), m_fail_at(fail_at) {}
  size_t read(void* buf, size_t n) override
  {
    if (m_pos >= m_fail_at) {
      throw BadInput("verify blob: digest mismatch");
    }
    n = std::min(n, std::min(m_data.size(), m_fail_at) - m_pos);
    std::memcpy(buf, m_data.data() + m_pos, n);
    m_pos += n;
    return n;
  }

private:
  std::string m_data;
  size_t m_fail_at;
  size_t m_pos = 0;
};

// A source over a string that can skip, counting what it skipped.
class SkippingSource : public util::StringSource
{
public:
  explicit SkippingSource(std::string data) : util::StringSource(data), m_size(data.size()) {}
  size_t read(void* buf, size_t n) override
  {
    size_t got = util::StringSource::read(buf, n);
    m_pos += got;
    return got;
  }
  uint64_t skip(uint64_t n) override
  {
    n = std::min<uint64_t>(n, m_size - m_pos);
    std::string sink(n, '\0');
    util::StringSource::read(sink.data(), n);
    m_pos += n;
    skipped += n;
    return n;
  }
  uint64_t skipped = 0;

private:
  size_t m_size;
  size_t m_pos = 0;
};

} // namespace

TEST_CASE("archive::TarReader reads every entry type", "[archive]")
{
  const std::string long_name = "usr/share/" + std::string(150, 'n') + "/file.txt";
  const std::string long_target = std::string(120, 't') + "/target";
  test::FixtureEntry fifo = test::fifo("run/fifo");
  test::FixtureEntry dev = test::chardev("dev/null", 1, 3);
  auto exe = test::file("usr/bin/su", "#!su", 04755);
  exe.uid = 0;
  exe.gid = 5000000;
  exe.xattrs["security.capability"] = std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8);
  exe.xattrs["user.note"] = "hello";
  auto tmp = test::dir("tmp", 01777);
  tmp.mtime = 1234567890;
  const std::string big(100000, 'b');
  std::string tar = test::make_tar({
      test::dir("usr"),
      exe,
      test::file(long_name, big),
      test::symlink("usr/bin/sh", "dash"),
      test::symlink("usr/long", long_target),
      test::hardlink("usr/bin/su2", "usr/bin/su"),
      fifo,
      dev,
      tmp,
      test::file("../evil", "x"),
      test::file("empty", ""),
  });
  auto entries = read_tar(tar);
  REQUIRE(entries.size() == 11);
  CHECK(entries[0].entry.path == "usr/");
  CHECK(entries[0].entry.type == EntryType::directory);
  CHECK(entries[0].entry.mode == 0755);
  CHECK(entries[0].offset == 0);

  const TarEntry& su = entries[1].entry;
  CHECK(su.path == "usr/bin/su");
  CHECK(su.type == EntryType::regular);
  CHECK(su.mode == 04755);
  CHECK(su.gid == 5000000);
  CHECK(su.size == 4);
  CHECK(su.mtime == 1700000000);
  CHECK(entries[1].content == "#!su");
  CHECK(su.xattrs == exe.xattrs);
  CHECK(entries[1].offset > 0);
  CHECK(entries[1].offset % 512 == 0);

  CHECK(entries[2].entry.path == long_name);
  CHECK(entries[2].entry.size == big.size());
  CHECK(entries[2].content == big);

  CHECK(entries[3].entry.type == EntryType::symlink);
  CHECK(entries[3].entry.link_target == "dash");
  CHECK(entries[4].entry.link_target == long_target);
  CHECK(entries[5].entry.type == EntryType::hardlink);
  CHECK(entries[5].entry.link_target == "usr/bin/su");
  CHECK(entries[5].entry.size == 0);
  CHECK(entries[6].entry.type == EntryType::fifo);
  CHECK(entries[7].entry.type == EntryType::char_device);
  CHECK(entries[7].entry.dev_major == 1);
  CHECK(entries[7].entry.dev_minor == 3);
  CHECK(entries[7].entry.mode == 0666);
  CHECK(entries[8].entry.mode == 01777);
  CHECK(entries[8].entry.mtime == 1234567890);
  // Names come back raw: validating them is the rootfs stage's job.
  CHECK(entries[9].entry.path == "../evil");
  CHECK(entries[10].entry.size == 0);
  CHECK(entries[10].content.empty());

  // header_offset() points at the entry's first header block (its pax header when it has one).
  CHECK(tar.compare(static_cast<size_t>(entries[3].offset), 11, std::string("usr/bin/sh\0", 11)) == 0);
  CHECK(tar[static_cast<size_t>(entries[1].offset) + 156] == 'x');
  size_t su_header = tar.find(std::string("usr/bin/su\0", 11), static_cast<size_t>(entries[1].offset) + 512);
  CHECK(su_header < static_cast<size_t>(entries[2].offset));
  CHECK((su_header - static_cast<size_t>(entries[1].offset)) % 512 == 0);

  // Unread content is skipped.
  auto skipped = read_tar(tar, 2);
  REQUIRE(skipped.size() == 11);
  CHECK(skipped[3].entry.link_target == "dash");
}

TEST_CASE("archive::TarReader reads GNU tar archives made by tar(1)", "[archive]")
{
  test::TestDir dir;
  const std::string long_dir = std::string(120, 'd');
  test::write_file(dir / ("src/" + long_dir + "/f"), "content");
  test::write_file(dir / "src/b", "bee");
  std::string out;
  REQUIRE(
      test::run_command("cd '" + dir / "src" +
                            "' && chmod 0640 b && ln b hard && ln -s b soft && "
                            "tar --format=gnu --owner=root:0 --group=wheel:10 --numeric-owner -cf ../g.tar " +
                            long_dir + " b hard soft",
                        &out) == 0);
  auto entries = read_tar(test::read_file(dir / "g.tar"));
  REQUIRE(entries.size() == 5);
  CHECK(entries[0].entry.path == long_dir + "/");
  CHECK(entries[1].entry.path == long_dir + "/f");
  CHECK(entries[1].content == "content");
  CHECK(entries[2].entry.path == "b");
  CHECK(entries[2].entry.mode == 0640);
  CHECK(entries[2].entry.gid == 10);
  CHECK(entries[3].entry.type == EntryType::hardlink);
  CHECK(entries[3].entry.link_target == "b");
  CHECK(entries[4].entry.type == EntryType::symlink);
  CHECK(entries[4].entry.link_target == "b");
}

TEST_CASE("archive::TarReader reads sparse files of every tar(1) format as their full content", "[archive]")
{
  test::TestDir dir;
  // 3 MiB: a hole, data at 1 MiB, a hole, 5 bytes at the very end; and a file that ends in a hole.
  std::string a(3 << 20, '\0');
  std::string mid(6000, 'm');
  a.replace(1 << 20, mid.size(), mid);
  a.replace(a.size() - 5, 5, "tail!");
  std::string b(2 << 20, '\0');
  b.replace(4096, 10, "xxxxxxxxxx");
  std::string out;
  REQUIRE(test::run_command("mkdir -p '" + dir / "src" + "'", &out) == 0);
  for (const auto& [name, content] : {std::pair{"a", &a}, std::pair{"b", &b}}) {
    // Written with holes (seek + write), so that tar --sparse finds them.
    int fd = ::open((dir / "src/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, static_cast<off_t>(content->size())) == 0);
    for (size_t i = 0; i < content->size(); i += 4096) {
      size_t n = std::min<size_t>(4096, content->size() - i);
      if (content->compare(i, n, std::string(n, '\0')) != 0) {
        REQUIRE(::pwrite(fd, content->data() + i, n, static_cast<off_t>(i)) == static_cast<ssize_t>(n));
      }
    }
    ::close(fd);
  }
  for (const char* format : {"--format=gnu", "--format=pax", "--format=pax --sparse-version=0.0",
                             "--format=pax --sparse-version=0.1"}) {
    INFO(format);
    REQUIRE(test::run_command("cd '" + dir / "src" + "' && tar --sparse " + format + " -cf ../s.tar a b",
                              &out) == 0);
    std::string tar = test::read_file(dir / "s.tar");
    CHECK(tar.size() < 100000); // really stored sparse: holes are not in the archive
    auto entries = read_tar(tar);
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].entry.path == "a");
    CHECK(entries[0].entry.size == a.size());
    CHECK(entries[0].content == a);
    CHECK(entries[1].entry.size == b.size());
    CHECK(entries[1].content == b);
  }

  // Holes are output no archive stored: past the decode limits they are refused, naming the entry.
  util::StringSource src(test::read_file(dir / "s.tar"));
  DecodeLimits limits;
  limits.ratio_floor = 1 << 20;
  limits.max_ratio = 10;
  TarReader reader(src, "layer sparse", limits);
  TarEntry e;
  REQUIRE(reader.next(e));
  CHECK(e.size == a.size()); // the header alone is fine (inspect reads only headers)
  try {
    util::read_all(reader.data(), SIZE_MAX, "content");
    FAIL("a sparse file expanding 3 MiB from a few KiB was read");
  } catch (const BadInput& err) {
    CHECK_THAT(err.what(), Catch::Contains("entry `a`") && Catch::Contains("sparse-file bomb") &&
                               Catch::Contains("WHITTLE_MAX_LAYER_RATIO"));
  }
  limits.max_ratio = 100000;
  limits.max_output = 1 << 20;
  util::StringSource src2(test::read_file(dir / "s.tar"));
  TarReader capped(src2, "layer sparse", limits);
  REQUIRE(capped.next(e));
  CHECK_THROWS_WITH(util::read_all(capped.data(), SIZE_MAX, "content"),
                    Catch::Contains("WHITTLE_MAX_LAYER_BYTES"));
}

TEST_CASE("archive::TarReader reads empty archives and raw non-UTF-8 names", "[archive]")
{
  // The empty layer (two zero blocks) that Docker images share.
  CHECK(read_tar(std::string(1024, '\0')).empty());
  CHECK(read_tar(std::string(10240, '\0')).empty());

  test::TestDir dir;
  test::write_file(dir / "src/caf\xc3\xa9", "utf8");
  test::write_file(dir / "src/b\xff", "binary");
  for (const char* format : {"pax", "gnu", "ustar"}) {
    INFO(format);
    REQUIRE(test::run_command(std::string("cd '") + dir / "src" +
                              "' && LC_ALL=C.UTF-8 tar --sort=name --format=" + format + " -cf ../n.tar *") ==
            0);
    auto entries = read_tar(test::read_file(dir / "n.tar"));
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].entry.path == "b\xff");
    CHECK(entries[0].content == "binary");
    CHECK(entries[1].entry.path == "caf\xc3\xa9");
  }
}

TEST_CASE("archive::TarReader skips unread content in sources that can skip", "[archive]")
{
  const std::string big(3 << 20, 'b');
  const std::string tar =
      test::make_tar({test::file("big", big), test::file("small", "s"), test::file("big2", big)});
  {
    SkippingSource src(tar);
    TarReader reader(src, "layer test");
    TarEntry e;
    std::vector<std::string> names;
    std::string small;
    while (reader.next(e)) {
      names.push_back(e.path);
      if (e.path == "small") {
        small = util::read_all(reader.data(), 100, "small");
      }
    }
    CHECK(names == std::vector<std::string>{"big", "small", "big2"});
    CHECK(small == "s");
    CHECK(src.skipped > 5 << 20);
  }
  {
    SkippingSource src(tar.substr(0, 2 << 20));
    TarReader reader(src, "layer test");
    TarEntry e;
    REQUIRE(reader.next(e));
    CHECK_THROWS_WITH(reader.next(e), Catch::Contains("unexpected end of archive"));
  }
  {
    // util::FdSource skips within its file range.
    test::TestDir dir;
    test::write_file(dir / "t.tar", "prefix" + tar);
    int fd = ::open((dir / "t.tar").c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    util::FdSource src(fd, "t.tar", 6, tar.size());
    TarReader reader(src, "layer test");
    TarEntry e;
    size_t n = 0;
    while (reader.next(e)) {
      ++n;
    }
    CHECK(n == 3);
    ::close(fd);
  }
  {
    // Content that is read is never skipped.
    SkippingSource src(tar);
    TarReader reader(src, "layer test");
    TarEntry e;
    while (reader.next(e)) {
      util::drain(reader.data());
    }
    CHECK(src.skipped == 0);
  }
}

TEST_CASE("archive::TarReader rejects truncated and corrupt archives", "[archive]")
{
  const std::string tar = test::make_tar({test::file("a", std::string(3000, 'a')), test::file("b", "bbb")});
  REQUIRE(tar.size() == 512 + 3072 + 512 + 512 + 1024);
  SECTION("cut inside content")
  {
    CHECK_THAT(read_error(tar.substr(0, 1000)),
               Catch::StartsWith("read layer test: entry `a`: unexpected end of archive"));
  }
  SECTION("cut inside a header")
  {
    CHECK_THAT(read_error(tar.substr(0, 3584 + 100)),
               Catch::Contains("after entry `a`") && Catch::Contains("unexpected end of archive"));
  }
  SECTION("cut at a header boundary (no end-of-archive blocks)")
  {
    CHECK_THAT(read_error(tar.substr(0, 3584)),
               Catch::StartsWith("read layer test: after entry `a`: unexpected end of archive"));
    CHECK_THAT(read_error(tar.substr(0, 4608)), Catch::Contains("after entry `b`"));
    CHECK_FALSE(read_error("").empty());
  }
  SECTION("content skipped by the caller is still checked")
  {
    util::StringSource src(tar.substr(0, 2000));
    TarReader reader(src, "layer test");
    TarEntry e;
    REQUIRE(reader.next(e));
    CHECK_THROWS_AS(reader.next(e), BadInput);
  }
  SECTION("damaged header")
  {
    std::string bad = tar;
    bad[3584 + 3] ^= 0x40; // name of "b": the header checksum no longer matches
    CHECK_THAT(read_error(bad), Catch::StartsWith("read layer test: after entry `a`: "));
    CHECK_THAT(read_error(std::string(2048, 'x')), Catch::StartsWith("read layer test: "));
  }
  SECTION("compressed input is not tar")
  {
    CHECK_FALSE(read_error(test::gzip(tar)).empty());
  }
  SECTION("a source error passes through unchanged")
  {
    FailingSource src(tar, 4000);
    TarReader reader(src, "layer test");
    TarEntry e;
    CHECK_THROWS_WITH(
        [&] {
          while (reader.next(e)) {
            util::drain(reader.data());
          }
        }(),
        "verify blob: digest mismatch");
  }
  SECTION("whole archive with padding and trailing zeros is fine")
  {
    CHECK(read_tar(tar + std::string(8192, '\0')).size() == 2);
  }
}

TEST_CASE("archive::TarWriter writes what the reader and tar(1) read back", "[archive]")
{
  std::vector<std::pair<TarEntry, std::string>> input;
  auto add = [&](TarEntry e, std::string content = "") {
    input.emplace_back(std::move(e), std::move(content));
  };
  add(make_entry("etc/", EntryType::directory));
  TarEntry passwd = make_entry("etc/passwd", EntryType::regular, 9);
  passwd.uid = 1000;
  passwd.gid = 1001;
  passwd.uname = "alice";
  passwd.gname = "staff";
  passwd.mode = 0600;
  add(passwd, "root:x:0\n");
  TarEntry su = make_entry("usr/bin/" + std::string(140, 's'), EntryType::regular, 300000);
  su.mode = 06755;
  su.xattrs["security.capability"] = std::string("\x01\x00\x00\x02", 4);
  su.xattrs["trusted.overlay.opaque"] = "y";
  add(su, std::string(300000, 'S'));
  TarEntry link = make_entry("usr/bin/sh", EntryType::symlink);
  link.link_target = "../../" + std::string(110, 'l');
  link.mode = 0777;
  add(link);
  TarEntry hard = make_entry("etc/passwd-", EntryType::hardlink);
  hard.link_target = "etc/passwd";
  add(hard);
  TarEntry tty = make_entry("dev/tty", EntryType::char_device);
  tty.dev_major = 5;
  tty.dev_minor = 0;
  add(tty);
  TarEntry blk = make_entry("dev/sda", EntryType::block_device);
  blk.dev_major = 8;
  blk.dev_minor = 1;
  add(blk);
  add(make_entry("run/fifo", EntryType::fifo));
  TarEntry tmp = make_entry("tmp/", EntryType::directory);
  tmp.mode = 01777;
  add(tmp);
  add(make_entry("empty", EntryType::regular, 0), "");

  auto write = [&] {
    util::StringSink sink;
    TarWriter writer(sink, "layer out");
    for (const auto& [e, content] : input) {
      util::StringSource src(content);
      writer.add(e, &src);
    }
    writer.finish();
    return sink.take();
  };
  const std::string tar = write();
  CHECK(tar.size() % 512 == 0);
  CHECK(tar.substr(tar.size() - 1024) == std::string(1024, '\0'));
  CHECK(write() == tar);
  // No pid or time in pax header names; no atime/ctime records.
  CHECK(tar.find("PaxHeader.") == std::string::npos);
  CHECK(tar.find("atime=") == std::string::npos);
  CHECK(tar.find("ctime=") == std::string::npos);

  auto entries = read_tar(tar);
  REQUIRE(entries.size() == input.size());
  for (size_t i = 0; i < input.size(); ++i) {
    const TarEntry& want = input[i].first;
    const TarEntry& got = entries[i].entry;
    INFO(want.path);
    CHECK(got.path == want.path);
    CHECK(got.type == want.type);
    CHECK(got.mode == want.mode);
    CHECK(got.uid == want.uid);
    CHECK(got.gid == want.gid);
    CHECK(got.uname == want.uname);
    CHECK(got.gname == want.gname);
    CHECK(got.size == want.size);
    CHECK(got.mtime == want.mtime);
    CHECK(got.link_target == want.link_target);
    CHECK(got.dev_major == want.dev_major);
    CHECK(got.dev_minor == want.dev_minor);
    CHECK(got.xattrs == want.xattrs);
    CHECK(entries[i].content == input[i].second);
  }

  test::TestDir dir;
  test::write_file(dir / "out.tar", tar);
  std::string listing;
  REQUIRE(test::run_command("tar --numeric-owner -tvf '" + dir / "out.tar" + "'", &listing, false) == 0);
  CHECK_THAT(listing, Catch::Contains("-rw------- 1000/1001         9 ") && Catch::Contains(" etc/passwd\n"));
  CHECK_THAT(listing, Catch::Contains("-rwsr-sr-x 0/0          300000 "));
  CHECK_THAT(listing, Catch::Contains(" etc/passwd- link to etc/passwd"));
  CHECK_THAT(listing, Catch::Contains("crw-r--r-- 0/0             5,0 "));
  CHECK_THAT(listing, Catch::Contains("brw-r--r-- 0/0             8,1 "));
  CHECK_THAT(listing, Catch::Contains("drwxrwxrwt 0/0               0 "));
  CHECK_THAT(listing, Catch::Contains("usr/bin/" + std::string(140, 's')));
  CHECK_THAT(listing, Catch::Contains("usr/bin/sh -> ../../" + std::string(110, 'l')));
  REQUIRE(test::run_command("tar -tvf '" + dir / "out.tar" + "' etc/passwd", &listing, false) == 0);
  CHECK_THAT(listing, Catch::Contains("alice/staff"));
  // xattrs use the SCHILY form GNU tar and Go's archive/tar read.
  CHECK(tar.find("SCHILY.xattr.security.capability=") != std::string::npos);
  CHECK(tar.find("LIBARCHIVE.xattr") == std::string::npos);
}

TEST_CASE("archive::TarWriter keeps names and targets byte for byte", "[archive]")
{
  const std::string utf8 = "usr/share/caf\xc3\xa9/" + std::string(120, 'x');
  const std::string binary = "bad\xff\xfe";
  util::StringSink sink;
  TarWriter writer(sink, "layer out");
  TarEntry a = make_entry(utf8, EntryType::regular, 1);
  util::StringSource content("u");
  writer.add(a, &content);
  TarEntry b = make_entry(binary, EntryType::symlink);
  b.link_target = "t\xff\xc3\xa9";
  writer.add(b);
  writer.finish();
  auto entries = read_tar(sink.data());
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].entry.path == utf8);
  CHECK(entries[0].content == "u");
  CHECK(entries[1].entry.path == binary);
  CHECK(entries[1].entry.link_target == b.link_target);
}

TEST_CASE("archive::TarWriter enforces entry sizes", "[archive]")
{
  util::StringSink sink;
  TarWriter writer(sink, "layer out");
  TarEntry e = make_entry("f", EntryType::regular, 10);
  util::StringSource short_src("12345");
  CHECK_THROWS_WITH(writer.add(e, &short_src),
                    Catch::StartsWith("write layer out: entry `f`: content ended after 5 of 10 bytes"));
  util::StringSink sink2;
  TarWriter writer2(sink2, "layer out");
  util::StringSource long_src("12345678901");
  CHECK_THROWS_WITH(writer2.add(e, &long_src),
                    Catch::Contains("content is longer than its size of 10 bytes"));
  util::StringSink sink3;
  {
    TarWriter unfinished(sink3, "layer out");
    unfinished.add(make_entry("d/", EntryType::directory));
  }
  // An unfinished writer leaves no end-of-archive blocks behind.
  CHECK(sink3.data().find(std::string(1024, '\0'), 512) == std::string::npos);
}

TEST_CASE("archive::TarReader survives random corruption", "[archive]")
{
  auto exe = test::file("usr/bin/" + std::string(120, 'x'), std::string(5000, 'e'), 04755);
  exe.xattrs["security.capability"] = "cap";
  const std::string tar = test::make_tar(
      {test::dir("usr"), exe, test::symlink("a", "b"), test::hardlink("c", "a"), test::file("d", "ddd")});
  std::mt19937 rng(3);
  int rejected = 0;
  for (int round = 0; round < 300; ++round) {
    std::string bad = tar;
    for (int k = 0; k < 1 + round % 5; ++k) {
      // Mostly headers: that is where the parsing is.
      size_t pos = rng() % 3 == 0 ? rng() % bad.size() : (rng() % (bad.size() / 512)) * 512 + rng() % 512;
      bad[pos] = static_cast<char>(rng());
    }
    if (round % 7 == 0) {
      bad.resize(rng() % bad.size());
    }
    try {
      read_tar(bad);
    } catch (const BadInput&) {
      ++rejected;
    }
  }
  CHECK(rejected > 50);
}

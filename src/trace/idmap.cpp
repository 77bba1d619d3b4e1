#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/trace/idmap.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>

namespace whittle::trace {

namespace {

std::string
read_small(const std::string& path)
{
  util::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  return fd ? util::read_up_to(fd.get(), 1 << 16) : std::string();
}

// Length of the run of ids mapped from `first` upward (ranges may be split over lines).
uint64_t
run_from(const std::vector<IdRange>& map, uint32_t first)
{
  uint64_t next = first;
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& r : map) {
      if (r.inside <= next && next < static_cast<uint64_t>(r.inside) + r.count) {
        next = static_cast<uint64_t>(r.inside) + r.count;
        grew = true;
      }
    }
  }
  return next - first;
}

bool
is_initial(const std::vector<IdRange>& map)
{
  return map.size() == 1 && map[0].inside == 0 && map[0].outside == 0 && map[0].count == UINT32_MAX;
}

void
write_map(const std::string& path, const std::string& text)
{
  util::Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    int err = errno;
    throw SandboxError(
        errno_message("write `" + path + "` (\"" + text.substr(0, text.size() - 1) + "\")", err) +
        "; the ids must be mapped in whittle's own user namespace");
  }
}

} // namespace

std::vector<IdRange>
parse_id_map(const std::string& text)
{
  std::vector<IdRange> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    uint64_t a = 0, b = 0, c = 0;
    if (fields >> a >> b >> c && a <= UINT32_MAX && b <= UINT32_MAX && c <= UINT32_MAX) {
      out.push_back({static_cast<uint32_t>(a), static_cast<uint32_t>(b), static_cast<uint32_t>(c)});
    }
  }
  return out;
}

uint32_t
inner_id(const std::vector<IdRange>& map, uint32_t outer)
{
  for (const auto& r : map) {
    if (r.outside <= outer && static_cast<uint64_t>(outer) < static_cast<uint64_t>(r.outside) + r.count) {
      return r.inside + (outer - r.outside);
    }
  }
  return UINT32_MAX;
}

util::IdShift
choose_id_shift(const std::vector<IdRange>& uid_map, const std::vector<IdRange>& gid_map)
{
  if (is_initial(uid_map) && is_initial(gid_map)) {
    return {k_root_id_base, k_root_id_count};
  }
  uint64_t n = std::min({run_from(uid_map, 1), run_from(gid_map, 1), static_cast<uint64_t>(k_root_id_count)});
  if (n > 0) {
    return {1, static_cast<uint32_t>(n)};
  }
  if (run_from(uid_map, 0) > 0 && run_from(gid_map, 0) > 0) {
    return {0, 1};
  }
  return {};
}

util::IdShift
sandbox_id_shift()
{
  util::IdShift s = choose_id_shift(parse_id_map(read_small("/proc/self/uid_map")),
                                    parse_id_map(read_small("/proc/self/gid_map")));
  if (!s.active() || ::geteuid() != 0) {
    throw SandboxError("choose the sandbox's user ids: whittle is not root in its user namespace (uid " +
                       std::to_string(::geteuid()) + "); run it as root or let it enter rootless mode");
  }
  return s;
}

std::string
id_map_line(const util::IdShift& shift)
{
  return "0 " + std::to_string(shift.base) + " " + std::to_string(shift.count) + "\n";
}

std::string
id_map_text(const util::IdShift& shift, const std::vector<IdRange>& own)
{
  std::string out;
  uint64_t inside = 0;
  uint64_t outer = shift.base;
  const uint64_t end = static_cast<uint64_t>(shift.base) + shift.count;
  while (outer < end) {
    uint64_t stop = 0;
    for (const auto& r : own) {
      if (r.inside <= outer && outer < static_cast<uint64_t>(r.inside) + r.count) {
        stop = std::min(end, static_cast<uint64_t>(r.inside) + r.count);
      }
    }
    if (stop == 0) {
      stop = end; // not mapped here: one line for the rest, which the kernel refuses with a clear errno
    }
    out += std::to_string(inside) + " " + std::to_string(outer) + " " + std::to_string(stop - outer) + "\n";
    inside += stop - outer;
    outer = stop;
  }
  return out;
}

bool
setgroups_allowed()
{
  return read_small("/proc/self/setgroups").rfind("allow", 0) == 0;
}

void
write_id_maps(pid_t pid, const util::IdShift& shift)
{
  std::string dir = "/proc/" + std::to_string(pid);
  write_map(dir + "/uid_map", id_map_text(shift, parse_id_map(read_small("/proc/self/uid_map"))));
  write_map(dir + "/gid_map", id_map_text(shift, parse_id_map(read_small("/proc/self/gid_map"))));
}

GivenRootfsIds
choose_given_rootfs_ids(uint32_t dir_owner, const std::vector<IdRange>& uid_map,
                        const std::vector<IdRange>& gid_map)
{
  util::IdShift shift = choose_id_shift(uid_map, gid_map);
  if (!shift.active() || dir_owner == shift.to_outer(0)) {
    return {shift, false};
  }
  if (is_initial(uid_map) && is_initial(gid_map)) {
    return {shift, true};
  }
  uint64_t n = std::min({run_from(uid_map, 0), run_from(gid_map, 0), static_cast<uint64_t>(k_root_id_count)});
  return {{0, static_cast<uint32_t>(n)}, false};
}

GivenRootfsIds
given_rootfs_ids(const std::string& dir)
{
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    throw SandboxError(errno_message("stat rootfs `" + dir + "`", errno));
  }
  GivenRootfsIds ids = choose_given_rootfs_ids(st.st_uid, parse_id_map(read_small("/proc/self/uid_map")),
                                               parse_id_map(read_small("/proc/self/gid_map")));
  if (!ids.shift.active() || ::geteuid() != 0) {
    throw SandboxError("choose the sandbox's user ids: whittle is not root in its user namespace (uid " +
                       std::to_string(::geteuid()) + "); run it as root or let it enter rootless mode");
  }
  return ids;
}

} // namespace whittle::trace

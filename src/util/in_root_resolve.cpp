#include <deque>
#include <whittle/util/in_root_resolve.hpp>
#include <whittle/util/path.hpp>

namespace whittle::util {

namespace {

// Linux follows at most 40 symlinks in one lookup (MAXSYMLINKS) before failing with ELOOP.
constexpr int k_max_symlinks = 40;

std::string
child_of(const std::string& dir, const std::string& name)
{
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// The parent of dir, but never above floor.
std::string
parent_within(const std::string& dir, const std::string& floor)
{
  return dir == floor ? dir : parent_path(dir);
}

// Joins the components the walk did not reach onto dir lexically, ".." stopping at floor: where the path
// pointed once the walk cannot go on.
std::string
join_rest(std::string dir, const std::deque<std::string>& rest, const std::string& floor)
{
  for (const auto& c : rest) {
    if (c == "..") {
      dir = parent_within(dir, floor);
    } else if (c != ".") {
      dir = child_of(dir, c);
    }
  }
  return dir;
}

void
push_front_components(std::deque<std::string>& rest, std::string_view path)
{
  auto parts = split_components(path);
  rest.insert(rest.begin(), std::make_move_iterator(parts.begin()), std::make_move_iterator(parts.end()));
}

} // namespace

InRootPath
resolve_in_root(std::string_view path, const PathLookup& lookup, Follow follow, std::string_view cwd,
                std::string_view floor)
{
  InRootPath r;
  const std::string top(floor.empty() ? "/" : floor);
  bool absolute = !path.empty() && path[0] == '/';
  std::string cur = !absolute && !cwd.empty() && is_within(cwd, top) ? std::string(cwd) : top;
  // Whether cur was looked up and is a directory (the start is taken on trust until the walk ends there).
  bool cur_is_dir = false;
  std::deque<std::string> rest;
  push_front_components(rest, path);
  int links = 0;

  // Ends the walk at next, which cannot be walked through: nothing exists at the path it named.
  auto break_off = [&](const std::string& next) {
    r.path = join_rest(next, rest, top);
    r.kind = PathKind::missing;
  };

  while (!rest.empty()) {
    std::string name = std::move(rest.front());
    rest.pop_front();
    if (name == ".") {
      continue;
    }
    if (name == "..") {
      cur = parent_within(cur, top); // the parent of a directory is one: cur_is_dir stays
      continue;
    }
    std::string next = child_of(cur, name);
    bool last = rest.empty();
    PathEntry entry = lookup(next);
    if (entry.kind == PathKind::opaque) {
      r.path = join_rest(next, rest, top);
      r.kind = PathKind::opaque;
      return r;
    }
    if (entry.kind == PathKind::symlink && (!last || follow == Follow::yes)) {
      if (++links > k_max_symlinks) {
        r.loop = true;
        break_off(next);
        return r;
      }
      r.links.emplace_back(next, entry.link_target);
      if (entry.link_target.empty()) {
        break_off(next); // the kernel refuses an empty target with ENOENT
        return r;
      }
      push_front_components(rest, entry.link_target);
      if (entry.link_target[0] == '/') {
        cur = top;
        cur_is_dir = false;
      }
      continue;
    }
    if (last) {
      r.path = std::move(next);
      r.kind = entry.kind;
      return r;
    }
    if (entry.kind != PathKind::directory) {
      break_off(next); // ENOENT or ENOTDIR
      return r;
    }
    cur = std::move(next);
    cur_is_dir = true;
  }
  // The walk ended on a directory it entered, or where it started ("/", ".", a link to "/").
  r.kind = cur_is_dir ? PathKind::directory : lookup(cur).kind;
  r.path = std::move(cur);
  return r;
}

} // namespace whittle::util

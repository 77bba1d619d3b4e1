#include <whittle/util/env_list.hpp>

namespace whittle::util {

namespace {

// The value of `entry` when its key is `name`; nullopt otherwise.
std::optional<std::string_view>
value_of(std::string_view entry, std::string_view name) noexcept
{
  if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 && entry[name.size()] == '=') {
    return entry.substr(name.size() + 1);
  }
  return std::nullopt;
}

} // namespace

std::optional<std::string>
env_lookup(const std::vector<std::string>& env, std::string_view name)
{
  std::optional<std::string> value;
  for (const auto& e : env) {
    if (auto v = value_of(e, name)) {
      value = std::string(*v);
    }
  }
  return value;
}

const char*
env_lookup(char* const* envp, std::string_view name) noexcept
{
  const char* value = nullptr;
  for (char* const* e = envp; *e != nullptr; ++e) {
    if (auto v = value_of(*e, name)) {
      value = v->data();
    }
  }
  return value;
}

void
env_set(std::vector<std::string>& env, const std::string& entry)
{
  std::string_view key = std::string_view(entry).substr(0, entry.find('='));
  bool replaced = false;
  for (auto& e : env) {
    if (value_of(e, key)) {
      e = entry;
      replaced = true;
    }
  }
  if (!replaced) {
    env.push_back(entry);
  }
}

} // namespace whittle::util

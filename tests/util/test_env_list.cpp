#include <catch2/catch.hpp>
#include <whittle/util/env_list.hpp>

using namespace whittle::util;

TEST_CASE("util::env_lookup finds a key exactly, the last entry winning", "[util]")
{
  std::vector<std::string> env = {"PATH=/bin", "PATHX=/x", "EMPTY=", "NOEQ", "PATH=/usr/bin:/bin", "A=b=c"};
  CHECK(env_lookup(env, "PATH") == "/usr/bin:/bin");
  CHECK(env_lookup(env, "PATHX") == "/x");
  CHECK(env_lookup(env, "EMPTY") == "");
  CHECK(env_lookup(env, "A") == "b=c");
  CHECK_FALSE(env_lookup(env, "PAT").has_value());
  CHECK_FALSE(env_lookup(env, "NOEQ").has_value());
  CHECK_FALSE(env_lookup(env, "MISSING").has_value());
  CHECK_FALSE(env_lookup(std::vector<std::string>{}, "PATH").has_value());

  SECTION("the envp form agrees")
  {
    std::vector<char*> envp;
    for (auto& e : env) {
      envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    CHECK(std::string(env_lookup(envp.data(), "PATH")) == "/usr/bin:/bin");
    CHECK(std::string(env_lookup(envp.data(), "EMPTY")) == "");
    CHECK(env_lookup(envp.data(), "PAT") == nullptr);
    CHECK(env_lookup(envp.data(), "NOEQ") == nullptr);
  }
}

TEST_CASE("util::env_set replaces every entry of the key or appends", "[util]")
{
  std::vector<std::string> env = {"A=1", "AB=2", "A=3"};
  env_set(env, "A=9");
  CHECK(env == std::vector<std::string>{"A=9", "AB=2", "A=9"});
  env_set(env, "B=");
  CHECK(env == std::vector<std::string>{"A=9", "AB=2", "A=9", "B="});
  CHECK(env_lookup(env, "B") == "");
}

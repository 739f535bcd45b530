// A separate process for the multi-instance tests (tests/platform/instances_test.cc): each run is a
// fresh process with fresh process-level state, opening its own Platform on a shared database.
//
//   platform_instance_worker write URL USERS POSTS OUT   registers USERS users and creates POSTS posts,
//                                                        writing "user <id>" / "post <id>" lines to OUT
//   platform_instance_worker page URL AUTHOR LIMIT CURSOR  one timeline page ("-": the first); prints
//                                                        "post <id>" lines, then "next <cursor>"
// Exit codes: 0 done, 3 an AlreadyExists (a duplicate id), 1 any other error (on stderr), 2 usage.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "daira/platform/platform.h"

namespace {

int Fail(const absl::Status& s) {
  std::cerr << "worker " << ::getpid() << ": " << s << "\n";
  return absl::IsAlreadyExists(s) ? 3 : 1;
}

daira::PlatformOptions Options() {
  return daira::PlatformOptions{.accounts = daira::services::AccountsOptions::ForTesting()};
}

int Write(const std::string& url, int users, int posts, const std::string& out_path) {
  auto platform = daira::Platform::Open(url, Options());
  if (!platform.ok()) return Fail(platform.status());
  FILE* out = std::fopen(out_path.c_str(), "w");
  if (out == nullptr) return 1;
  daira::RequestContext ctx;
  int64_t author = 0;
  for (int i = 0; i < users; ++i) {
    const std::string name = "w" + std::to_string(::getpid()) + "_" + std::to_string(i);
    auto user = (*platform)->accounts().Register(
        ctx, {.email = name + "@example.com", .username = name, .password = "correct horse battery"});
    if (!user.ok()) return Fail(user.status());
    std::fprintf(out, "user %lld\n", static_cast<long long>(user->id.value));
    author = user->id.value;
  }
  for (int i = 0; i < posts; ++i) {
    auto post = (*platform)->content().CreatePost(ctx, {.author_id = author, .content = "post " + std::to_string(i)});
    if (!post.ok()) return Fail(post.status());
    std::fprintf(out, "post %lld\n", static_cast<long long>(post->id.value));
  }
  std::fclose(out);
  return (*platform)->Close().ok() ? 0 : 1;
}

int Page(const std::string& url, int64_t author, int limit, const std::string& cursor) {
  auto platform = daira::Platform::Open(url, Options());
  if (!platform.ok()) return Fail(platform.status());
  daira::RequestContext ctx;
  auto page = (*platform)->feed().Timeline(ctx, daira::UserId{author}, daira::UserId{author},
                                           {.limit = limit, .cursor = cursor == "-" ? "" : cursor});
  if (!page.ok()) return Fail(page.status());
  for (const auto& p : page->items) std::printf("post %lld\n", static_cast<long long>(p.id.value));
  std::printf("next %s\n", page->next_cursor.empty() ? "-" : page->next_cursor.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "write" && argc == 6) return Write(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), argv[5]);
  if (mode == "page" && argc == 6) return Page(argv[2], std::atoll(argv[3]), std::atoi(argv[4]), argv[5]);
  std::cerr << "usage: platform_instance_worker write URL USERS POSTS OUT | page URL AUTHOR LIMIT CURSOR\n";
  return 2;
}

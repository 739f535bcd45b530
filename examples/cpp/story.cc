// The story every daira example tells: open an embedded database, register two users, follow, post,
// read the feed. Same steps as examples/python, examples/node and examples/go.
//
//   daira_story [DIR]     the SQLite file goes in DIR (default: a fresh temp dir, removed afterwards)
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include <unistd.h>

#include "daira/daira.h"

namespace {

int Fail(const char* step, const absl::Status& status) {
  std::cerr << "cpp example: " << step << " failed: " << status << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const bool own_dir = argc < 2;
  const fs::path dir = own_dir ? fs::temp_directory_path() / ("daira-story-" + std::to_string(::getpid())) : argv[1];
  fs::create_directories(dir);

  daira::PlatformOptions options;
  // Cheapest password hashing: fine for a demo, never for real passwords.
  options.accounts = daira::services::AccountsOptions::ForTesting();
  auto platform = daira::Platform::Open(daira::Config::Embedded((dir / "story.db").string()), options);
  if (!platform.ok()) return Fail("open", platform.status());
  daira::Platform& p = **platform;
  daira::RequestContext ctx;

  auto alice = p.accounts().Register(ctx, {.email = "alice@example.com", .username = "alice",
                                           .password = "correct horse battery", .display_name = "Alice"});
  if (!alice.ok()) return Fail("register alice", alice.status());
  auto bob = p.accounts().Register(ctx, {.email = "bob@example.com", .username = "bob",
                                         .password = "correct horse battery", .display_name = "Bob"});
  if (!bob.ok()) return Fail("register bob", bob.status());
  std::cout << "registered @" << alice->username.value_or("?") << " and @" << bob->username.value_or("?") << "\n";

  auto follow = p.social().Follow(ctx, bob->id, alice->id);
  if (!follow.ok()) return Fail("follow", follow.status());
  std::cout << "@bob follows @alice\n";

  auto post = p.content().CreatePost(ctx, {.author_id = alice->id.value, .content = "Hello from daira #firstpost"});
  if (!post.ok()) return Fail("post", post.status());
  std::cout << "@alice posted\n";

  auto feed = p.feed().Home(ctx, bob->id, {.limit = 20});
  if (!feed.ok()) return Fail("feed", feed.status());
  for (const daira::model::Post& item : feed->items) {
    std::cout << "feed: @" << (item.author ? item.author->username : std::string("?")) << ": " << item.content << "\n";
  }

  // A wrong password is an error the caller can branch on, not an exception.
  auto login = p.accounts().Login(ctx, {.identifier = "alice", .password = "wrong password"});
  std::cout << "wrong password: " << absl::StatusCodeToString(login.status().code()) << "\n";

  p.Close().IgnoreError();
  if (own_dir) fs::remove_all(dir);
  if (feed->items.size() != 1) return Fail("feed", absl::InternalError("expected exactly one post"));
  std::cout << "cpp example: ok\n";
  return 0;
}

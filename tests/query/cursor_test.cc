#include "daira/query/cursor.h"

#include <sodium.h>

#include <random>
#include <string>
#include <vector>

#include "daira/core/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace daira::query {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kKey(32, 'k');
const std::string kOtherKey(32, 'o');

Cursor Sample() {
  return Cursor{.scope = "followers:42", .direction = Direction::kForward,
                .keys = {int64_t{1700000000123456}, int64_t{981}}};
}

void ExpectCursorError(const absl::StatusOr<Cursor>& got, const std::string& what) {
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(what)));
  if (!got.ok()) {
    EXPECT_EQ(StatusField(got.status()), "cursor");
    EXPECT_THAT(std::string(got.status().message()), StartsWith("cursor: cursor "));
  }
}

TEST(CursorCodecTest, CreateRejectsWrongKeySize) {
  EXPECT_THAT(CursorCodec::Create("short"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key")));
  EXPECT_EQ(StatusField(CursorCodec::Create(std::string(33, 'x')).status()), "key");
  EXPECT_THAT(CursorCodec::Create(kKey), IsOk());
}

TEST(CursorCodecTest, RoundTripIntsAndStrings) {
  ASSERT_OK_AND_ASSIGN(CursorCodec codec, CursorCodec::Create(kKey));
  const Cursor a = Sample();
  const std::string token = codec.Encode(a);
  // URL-safe base64 without padding: only [A-Za-z0-9_-].
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos)
      << token;
  ASSERT_OK_AND_ASSIGN(Cursor back, codec.Decode(token, "followers:42", {KeyType::kInt64, KeyType::kInt64}));
  EXPECT_EQ(back, a);

  const Cursor b{.scope = "search:q", .direction = Direction::kBackward,
                 .keys = {std::string("zoë \"quoted\"\n"), int64_t{-5}, std::string(), int64_t{INT64_MIN}}};
  ASSERT_OK_AND_ASSIGN(Cursor b2, codec.Decode(codec.Encode(b), "search:q",
                                               {KeyType::kString, KeyType::kInt64, KeyType::kString,
                                                KeyType::kInt64}));
  EXPECT_EQ(b2, b);
}

// The token format and its tag are stable: a cursor a client holds across an upgrade still decodes.
// Version 3's tag (what Encode writes) is SipHash-2-4 with a 128-bit output
// (crypto_shorthash_siphashx24) of the body, under the 16-byte BLAKE2b of "daira cursor v3 siphashx24
// key" keyed with the 32-byte cursor key. kIssuedV3 and kIssuedV3Other (under kOtherKey) were computed
// independently by a small C program against libsodium that lays the body out by hand (version 3,
// direction 0, varint 12, the scope, count 2, type 1 and the big-endian int64 twice) and calls
// crypto_generichash / crypto_shorthash_siphashx24 / sodium_bin2base64 itself. Version 2's tag (tokens
// issued before) is keyed BLAKE2b (16 bytes) of the body under kKey; version 1's is HMAC-SHA512-256
// (crypto_auth). Both tokens' tags were checked independently with Python's hashlib/hmac.
TEST(CursorCodecTest, TokensAreStableAcrossReleases) {
  const std::string kIssuedV3 = "AwAMZm9sbG93ZXJzOjQyAgEABgokGCAiQAEAAAAAAAAD1V4hGIpDYKnw3s4tj8KpMwk";
  const std::string kIssuedV3Other = "AwAMZm9sbG93ZXJzOjQyAgEABgokGCAiQAEAAAAAAAAD1QhstRvuiBdlXRgIUbpzA-M";
  const std::string kIssuedV2 = "AgAMZm9sbG93ZXJzOjQyAgEABgokGCAiQAEAAAAAAAAD1eKIU2h-a3b_h-gMPUq_9VM";
  const std::string kIssuedV1 =
      "AQAMZm9sbG93ZXJzOjQyAgEABgokGCAiQAEAAAAAAAAD1Vp8Uo50z-wXp3l-fZ39uu4NmdtVeN8ZfYhvyhpTk5Rj";
  const std::vector<KeyType> types = {KeyType::kInt64, KeyType::kInt64};
  ASSERT_OK_AND_ASSIGN(CursorCodec codec, CursorCodec::Create(kKey));
  ASSERT_OK_AND_ASSIGN(CursorCodec other, CursorCodec::Create(kOtherKey));
  EXPECT_EQ(codec.Encode(Sample()), kIssuedV3);
  EXPECT_EQ(other.Encode(Sample()), kIssuedV3Other);
  for (const std::string& token : {kIssuedV3, kIssuedV2, kIssuedV1}) {
    SCOPED_TRACE(token);
    ASSERT_OK_AND_ASSIGN(Cursor back, codec.Decode(token, "followers:42", types));
    EXPECT_EQ(back, Sample());
  }
  ASSERT_OK_AND_ASSIGN(Cursor back, other.Decode(kIssuedV3Other, "followers:42", types));
  EXPECT_EQ(back, Sample());
  // A token of any version under another key, altered (body or tag), or relabelled as another version
  // does not verify.
  for (const std::string& token : {kIssuedV3, kIssuedV2, kIssuedV1}) {
    SCOPED_TRACE(token);
    ExpectCursorError(other.Decode(token, "followers:42", types), "signature");
    for (size_t at : {size_t{4}, size_t{30}, token.size() - 3}) {
      std::string altered = token;
      altered[at] = altered[at] == 'A' ? 'B' : 'A';
      ExpectCursorError(codec.Decode(altered, "followers:42", types), "signature");
    }
  }
  ExpectCursorError(codec.Decode(kIssuedV3Other, "followers:42", types), "signature");
  for (const std::string label : {"AQ", "Ag", "Aw"}) {
    for (const std::string& token : {kIssuedV3, kIssuedV2, kIssuedV1}) {
      if (token.starts_with(label)) continue;
      SCOPED_TRACE(label + " over " + token);
      ExpectCursorError(codec.Decode(label + token.substr(2), "followers:42", types), "signature");
    }
  }
  // An unknown version is named, never read.
  ExpectCursorError(codec.Decode("BA" + kIssuedV3.substr(2), "followers:42", types),
                    "unsupported version (got 4, want 3)");
  ExpectCursorError(codec.Decode("AA" + kIssuedV3.substr(2), "followers:42", types),
                    "unsupported version (got 0, want 3)");
}

// Encode's table base64 writes exactly libsodium's URL-safe, unpadded text for every length remainder.
TEST(CursorCodecTest, TokensAreLibsodiumsBase64) {
  ASSERT_OK_AND_ASSIGN(CursorCodec codec, CursorCodec::Create(kKey));
  for (size_t len = 0; len < 9; ++len) {
    const Cursor c{.scope = std::string(len, 's'), .direction = Direction::kForward,
                   .keys = {int64_t{static_cast<int64_t>(len) * 977 - 3}, std::string(len * 7, '\xfb')}};
    const std::string token = codec.Encode(c);
    std::string raw(token.size(), '\0');
    size_t raw_len = 0;
    ASSERT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), token.data(), token.size(),
                                nullptr, &raw_len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
              0);
    std::string again(sodium_base64_encoded_len(raw_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(again.data(), again.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw_len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    again.resize(std::char_traits<char>::length(again.c_str()));
    EXPECT_EQ(token, again) << "scope length " << len;
  }
}

TEST(CursorCodecTest, SameKeyDecodesAcrossInstancesOtherKeyDoesNot) {
  ASSERT_OK_AND_ASSIGN(CursorCodec one, CursorCodec::Create(kKey));
  ASSERT_OK_AND_ASSIGN(CursorCodec two, CursorCodec::Create(kKey));
  ASSERT_OK_AND_ASSIGN(CursorCodec other, CursorCodec::Create(kOtherKey));
  const std::string token = one.Encode(Sample());
  EXPECT_THAT(two.Decode(token, "followers:42", {KeyType::kInt64, KeyType::kInt64}), IsOk());
  ExpectCursorError(other.Decode(token, "followers:42", {KeyType::kInt64, KeyType::kInt64}), "signature");
}

TEST(CursorCodecTest, DefaultKeyIsRandomUntilSetAndThenShared) {
  const std::string token = CursorCodec::Default().Encode(Sample());
  EXPECT_THAT(CursorCodec::Default().Decode(token, "followers:42", {KeyType::kInt64, KeyType::kInt64}), IsOk());
  // A random codec is not the default one.
  ExpectCursorError(CursorCodec::Random().Decode(token, "followers:42", {KeyType::kInt64, KeyType::kInt64}),
                    "signature");
  EXPECT_THAT(CursorCodec::SetDefaultKey("too short"), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(CursorCodec::SetDefaultKey(kKey));
  ASSERT_OK_AND_ASSIGN(CursorCodec shared, CursorCodec::Create(kKey));
  // Two "instances" configured with the same key accept each other's cursors.
  EXPECT_THAT(shared.Decode(CursorCodec::Default().Encode(Sample()), "followers:42",
                            {KeyType::kInt64, KeyType::kInt64}),
              IsOk());
  // Tokens from before the key change no longer decode.
  ExpectCursorError(CursorCodec::Default().Decode(token, "followers:42", {KeyType::kInt64, KeyType::kInt64}),
                    "signature");
}

TEST(CursorCodecTest, ForeignScopeIsRejected) {
  ASSERT_OK_AND_ASSIGN(CursorCodec codec, CursorCodec::Create(kKey));
  const std::string token = codec.Encode(Sample());
  ExpectCursorError(codec.Decode(token, "followers:43", {KeyType::kInt64, KeyType::kInt64}), "another list");
  ExpectCursorError(codec.Decode(token, "following:42", {KeyType::kInt64, KeyType::kInt64}), "followers:42");
}

TEST(CursorCodecTest, WrongShapeIsRejected) {
  ASSERT_OK_AND_ASSIGN(CursorCodec codec, CursorCodec::Create(kKey));
  const std::string token = codec.Encode(Sample());
  ExpectCursorError(codec.Decode(token, "followers:42", {KeyType::kInt64}), "number of keys (got 2, want 1)");
  ExpectCursorError(codec.Decode(token, "followers:42", {KeyType::kString, KeyType::kInt64}),
                    "key 0 has the wrong type (got int64, want string)");
}

TEST(CursorCodecTest, MalformedInputsAreRejectedByName) {
  ASSERT_OK_AND_ASSIGN(CursorCodec codec, CursorCodec::Create(kKey));
  const std::vector<KeyType> t = {KeyType::kInt64, KeyType::kInt64};
  ExpectCursorError(codec.Decode("", "followers:42", t), "empty");
  ExpectCursorError(codec.Decode("not base64!", "followers:42", t), "base64url");
  ExpectCursorError(codec.Decode("abc=", "followers:42", t), "base64url");   // padding is not accepted
  ExpectCursorError(codec.Decode("abc+/", "followers:42", t), "base64url");  // standard alphabet is not
  ExpectCursorError(codec.Decode("AAAA", "followers:42", t), "truncated");
  ExpectCursorError(codec.Decode(std::string(5000, 'A'), "followers:42", t), "too long");

  const std::string token = codec.Encode(Sample());
  // Truncation at every length.
  for (size_t n = 1; n < token.size(); ++n) {
    EXPECT_FALSE(codec.Decode(token.substr(0, n), "followers:42", t).ok()) << n;
  }
  // Any single changed character.
  for (size_t i = 0; i < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    auto got = codec.Decode(bad, "followers:42", t);
    EXPECT_FALSE(got.ok() && *got != Sample()) << "position " << i;
  }
}

TEST(CursorCodecTest, TamperedKeysFailTheSignature) {
  ASSERT_OK_AND_ASSIGN(CursorCodec codec, CursorCodec::Create(kKey));
  const std::string token = codec.Encode(Sample());
  // Flip a bit in the middle of the payload (the keys), keeping valid base64url.
  std::string bad = token;
  const size_t i = token.size() / 3;
  bad[i] = bad[i] == 'Q' ? 'R' : 'Q';
  ExpectCursorError(codec.Decode(bad, "followers:42", {KeyType::kInt64, KeyType::kInt64}), "signature");
}

// Random, truncated, bit-flipped, spliced inputs: never a crash, always OK-and-equal or InvalidArgument.
TEST(CursorCodecTest, FuzzNeverCrashes) {
  ASSERT_OK_AND_ASSIGN(CursorCodec codec, CursorCodec::Create(kKey));
  std::mt19937_64 rng(12345);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ \n";
  const std::vector<std::string> seeds = {
      codec.Encode(Sample()),
      codec.Encode(Cursor{.scope = "s", .direction = Direction::kBackward, .keys = {std::string(300, 'x')}}),
      codec.Encode(Cursor{.scope = std::string(200, 'y'), .direction = Direction::kForward,
                          .keys = {int64_t{1}, std::string("a"), int64_t{2}, std::string("b"), int64_t{3},
                                   std::string("c"), int64_t{4}, int64_t{5}}}),
  };
  const std::vector<KeyType> t = {KeyType::kInt64, KeyType::kInt64};
  int accepted = 0;
  for (int iter = 0; iter < 100000; ++iter) {
    std::string in;
    switch (iter % 5) {
      case 0: {  // random characters
        const size_t n = rng() % 120;
        for (size_t i = 0; i < n; ++i) in.push_back(alphabet[rng() % alphabet.size()]);
        break;
      }
      case 1: {  // random bytes, including NUL and high bytes
        const size_t n = rng() % 120;
        for (size_t i = 0; i < n; ++i) in.push_back(static_cast<char>(rng() & 0xff));
        break;
      }
      case 2: {  // truncated valid token
        const std::string& s = seeds[rng() % seeds.size()];
        in = s.substr(0, rng() % (s.size() + 1));
        break;
      }
      case 3: {  // bit-flipped valid token
        in = seeds[rng() % seeds.size()];
        const int flips = 1 + static_cast<int>(rng() % 3);
        for (int f = 0; f < flips; ++f) in[rng() % in.size()] ^= static_cast<char>(1u << (rng() % 8));
        break;
      }
      case 4: {  // spliced halves of two tokens
        const std::string& a = seeds[rng() % seeds.size()];
        const std::string& b = seeds[rng() % seeds.size()];
        in = a.substr(0, rng() % a.size()) + b.substr(rng() % b.size());
        break;
      }
    }
    absl::StatusOr<Cursor> got = codec.Decode(in, "followers:42", t);
    if (got.ok()) {
      ++accepted;
      EXPECT_EQ(*got, Sample()) << "accepted a forged cursor: " << in;
    } else {
      ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << got.status();
      ASSERT_EQ(StatusField(got.status()), "cursor");
    }
  }
  // Only inputs identical to the valid seed decode (a splice can reproduce it exactly).
  EXPECT_LT(accepted, 1000);
}

TEST(CursorCodecTest, SeveralKeysVerifyOnlyTheFirstSigns) {
  ASSERT_OK_AND_ASSIGN(CursorCodec old_only, CursorCodec::Create(kOtherKey));
  ASSERT_OK_AND_ASSIGN(CursorCodec both, CursorCodec::Create(kKey, {kOtherKey, kKey}));
  EXPECT_EQ(both.accepted_key_count(), 2u);  // deduplicated
  const std::string old_token = old_only.Encode(Sample());
  EXPECT_THAT(both.Decode(old_token, "followers:42", {KeyType::kInt64, KeyType::kInt64}), IsOk());
  // New tokens are signed with the first key: a codec with only the old key refuses them.
  const std::string new_token = both.Encode(Sample());
  ExpectCursorError(old_only.Decode(new_token, "followers:42", {KeyType::kInt64, KeyType::kInt64}),
                    "signature does not verify");
  EXPECT_THAT(CursorCodec::Create(kKey, {"short"}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("also_accept")));
}

TEST(CursorCodecTest, RekeyIsSeenByEveryCopyAndDropsRetiredKeys) {
  ASSERT_OK_AND_ASSIGN(CursorCodec codec, CursorCodec::Create(kOtherKey));
  const CursorCodec copy = codec;
  const std::string old_token = codec.Encode(Sample());
  ASSERT_OK(codec.Rekey(kKey, {kOtherKey}));  // rotation: the old key still verifies
  EXPECT_THAT(copy.Decode(old_token, "followers:42", {KeyType::kInt64, KeyType::kInt64}), IsOk());
  ASSERT_OK_AND_ASSIGN(CursorCodec fresh_only, CursorCodec::Create(kKey));
  EXPECT_THAT(fresh_only.Decode(copy.Encode(Sample()), "followers:42", {KeyType::kInt64, KeyType::kInt64}), IsOk());
  ASSERT_OK(codec.Rekey(kKey, {}));  // the grace ended
  ExpectCursorError(copy.Decode(old_token, "followers:42", {KeyType::kInt64, KeyType::kInt64}),
                    "signature does not verify");
  EXPECT_THAT(codec.Rekey("bad", {}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(codec.accepted_key_count(), 1u);  // unchanged by the failed Rekey
}

}  // namespace
}  // namespace daira::query

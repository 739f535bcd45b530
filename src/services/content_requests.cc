#include "daira/services/content_requests.h"

#include "absl/strings/str_cat.h"
#include "daira/core/validation.h"
#include "services/request_rules.h"

namespace daira::inline v0::services {

using internal::BodyText;
using internal::NonBlankText;
using internal::UrlList;

absl::Status CreatePostRequest::Validate() const {
  Violations v;
  v.Id("author_id", author_id);
  BodyText(v, "content", content, kMaxPostLength, /*multiline=*/true, /*required=*/media_urls.empty());
  UrlList(v, "media_urls", media_urls, kMaxMediaUrls);
  v.OneOf("visibility", visibility, kVisibilities);
  return v.ToStatus("create_post");
}

absl::Status EditPostRequest::Validate() const {
  Violations v;
  v.Id("post_id", post_id);
  v.Id("editor_id", editor_id);
  if (content.has_value()) {
    // Only when both are given can we tell that the edit would leave the post empty.
    const bool required = media_urls.has_value() && media_urls->empty();
    BodyText(v, "content", *content, kMaxPostLength, /*multiline=*/true, required);
  }
  if (media_urls.has_value()) UrlList(v, "media_urls", *media_urls, kMaxMediaUrls);
  if (visibility.has_value()) v.OneOf("visibility", *visibility, kVisibilities);
  return v.ToStatus("edit_post");
}

absl::Status CreateVideoRequest::Validate() const {
  Violations v;
  v.Id("author_id", author_id);
  NonBlankText(v, "title", title, kMaxVideoTitleLength, /*multiline=*/false);
  BodyText(v, "description", description, kMaxVideoDescriptionLength, /*multiline=*/true, /*required=*/false);
  v.Range("duration_ms", duration_ms, 1, kMaxVideoDurationMs);
  v.OneOf("resolution", resolution, kVideoResolutions);
  v.OneOf("visibility", visibility, kVisibilities);
  if (thumbnail_url.has_value()) v.Url("thumbnail_url", *thumbnail_url);
  return v.ToStatus("create_video");
}

absl::Status UpdateVideoStatusRequest::Validate() const {
  Violations v;
  v.Id("video_id", video_id);
  v.OneOf("status", status, kVideoStatuses);
  if (hls_url.has_value()) v.Url("hls_url", *hls_url);
  if (error.has_value()) {
    if (status != "FAILED") {
      v.Add("error", absl::StrCat("is only allowed with status FAILED (got status ", QuoteForMessage(status), ")"));
    } else {
      BodyText(v, "error", *error, kMaxVideoErrorLength, /*multiline=*/true, /*required=*/false);
    }
  }
  return v.ToStatus("update_video_status");
}

absl::Status CreateCommentRequest::Validate() const {
  Violations v;
  v.Id("author_id", author_id);
  if (!post_id.has_value() && !video_id.has_value()) {
    v.Add("post_id", "or video_id is required");
  } else if (post_id.has_value() && video_id.has_value()) {
    v.Add("video_id", "must not be given together with post_id");
  }
  if (post_id.has_value()) v.Id("post_id", *post_id);
  if (video_id.has_value()) v.Id("video_id", *video_id);
  if (parent_id.has_value()) v.Id("parent_id", *parent_id);
  NonBlankText(v, "content", content, kMaxCommentLength, /*multiline=*/true);
  return v.ToStatus("create_comment");
}

}  // namespace daira::inline v0::services

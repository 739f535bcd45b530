// Requests and results of media uploads through the blob store (services::Content::UploadVideo,
// UploadImage; docs/storage.md, "Uploads through Content").
//
//   UploadVideoRequest r{.video = {.author_id = alice, .title = "Sunset", .duration_ms = 42'000},
//                        .source_path = "/tmp/upload-7.mp4", .content_type = "video/mp4"};
//   DAIRA_ASSIGN_OR_RETURN(UploadedVideo up, platform->content().UploadVideo(ctx, r));
//   // up.video.status == UPLOADING; up.original.storage_key == "videos/<video id>/original.mp4"
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "daira/model/video.h"
#include "daira/services/content_requests.h"

namespace daira::inline v0::services {

// A video original: the file is stored first, then the video (UPLOADING) and its media_assets row are
// inserted in one transaction.
struct UploadVideoRequest {
  CreateVideoRequest video{};  // validated as CreateVideo does (fields named "title", …)
  std::string source_path{};   // a readable local file; required
  // video/mp4 | video/quicktime | video/webm | video/x-matroska. Default video/mp4.
  std::string content_type = "video/mp4";
  absl::Status Validate() const;  // op "upload_video"
};

// An image original (an avatar, a post image): stored, then recorded in media_assets.
struct UploadImageRequest {
  int64_t owner_id = 0;       // > 0, an existing user
  std::string source_path{};  // a readable local file, or…
  std::string bytes{};        // …the image itself: exactly one of the two
  // image/jpeg | image/png | image/webp | image/gif | image/avif. Default image/jpeg.
  std::string content_type = "image/jpeg";
  absl::Status Validate() const;  // op "upload_image"
};

// What was stored: the media_assets row written for it.
struct MediaUpload {
  int64_t asset_id = 0;       // media_assets.id
  std::string storage_key{};  // the blob key (media_assets.storage_key)
  std::string content_type{};
  int64_t bytes = 0;
  std::string etag{};  // the blob store's version tag (media_assets.checksum)
};

struct UploadedVideo {
  model::Video video{};    // status UPLOADING
  MediaUpload original{};  // key "videos/<video id>/original.<ext>"
};

}  // namespace daira::inline v0::services

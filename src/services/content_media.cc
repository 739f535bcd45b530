// Content's media uploads through the blob store: store the original first, then write the rows that
// point at it in one transaction (deleting the stored file again if that transaction fails).
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/core/validation.h"
#include "daira/services/content.h"
#include "daira/services/media_requests.h"
#include "daira/store/connection.h"

namespace daira::inline v0::services {
namespace {

struct MediaType {
  std::string_view content_type;
  std::string_view ext;
};
constexpr MediaType kVideoTypes[] = {
    {"video/mp4", "mp4"}, {"video/quicktime", "mov"}, {"video/webm", "webm"}, {"video/x-matroska", "mkv"}};
constexpr MediaType kImageTypes[] = {{"image/jpeg", "jpg"},
                                     {"image/png", "png"},
                                     {"image/webp", "webp"},
                                     {"image/gif", "gif"},
                                     {"image/avif", "avif"}};

template <size_t N>
std::string_view ExtFor(const MediaType (&types)[N], std::string_view content_type) {
  for (const MediaType& t : types) {
    if (t.content_type == content_type) return t.ext;
  }
  return "bin";
}

template <size_t N>
void CheckType(Violations& v, const MediaType (&types)[N], std::string_view content_type) {
  for (const MediaType& t : types) {
    if (t.content_type == content_type) return;
  }
  std::string allowed;
  for (const MediaType& t : types)
    absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", ToAbsl(t.content_type));
  v.Add("content_type",
        absl::StrCat("must be one of ", allowed, " (got ", QuoteForMessage(content_type), ")"));
}

absl::Status NoBlobStore(std::string_view op) {
  return absl::FailedPreconditionError(absl::StrCat(
      ToAbsl(op), ": no blob store is configured (ServiceDeps::blobs; daira::Platform sets it from blobs=)"));
}

// Best effort: the caller reports the original error, not a failed cleanup.
void RemoveStored(blob::Store& blobs, const std::string& key) {
  RequestContext cleanup;
  blobs.Delete(cleanup, key).IgnoreError();
}

absl::Status InsertAsset(store::Connection& c, int64_t id, int64_t owner, std::string_view kind,
                         const blob::ObjectInfo& info, std::string_view content_type, int64_t now) {
  return c
      .Execute(
          "INSERT INTO media_assets (id, owner_id, kind, storage_key, content_type, bytes, checksum, status, "
          "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'READY', ?, ?)",
          {id, owner, std::string(kind), info.key, std::string(content_type), info.size, info.etag, now, now})
      .status();
}

}  // namespace

absl::Status UploadVideoRequest::Validate() const {
  DAIRA_RETURN_IF_ERROR(Annotate(video.Validate(), "upload_video"));
  Violations v;
  v.Require("source_path", !source_path.empty(), "must not be empty");
  CheckType(v, kVideoTypes, content_type);
  return v.ToStatus("upload_video");
}

absl::Status UploadImageRequest::Validate() const {
  Violations v;
  v.Id("owner_id", owner_id);
  v.Require("source_path", source_path.empty() != bytes.empty(),
            "exactly one of source_path and bytes must be given");
  CheckType(v, kImageTypes, content_type);
  return v.ToStatus("upload_image");
}

absl::StatusOr<UploadedVideo> Content::UploadVideo(const RequestContext& ctx,
                                                   const UploadVideoRequest& request) {
  constexpr std::string_view op = "upload_video";
  DAIRA_RETURN_IF_ERROR(request.Validate());
  if (deps_.blobs == nullptr) return NoBlobStore(op);
  DAIRA_ASSIGN_OR_RETURN(const int64_t video_id, deps_.NextId());
  DAIRA_ASSIGN_OR_RETURN(const int64_t asset_id, deps_.NextId());
  const std::string key =
      absl::StrCat("videos/", video_id, "/original.", ToAbsl(ExtFor(kVideoTypes, request.content_type)));
  auto stored = deps_.blobs->PutFile(ctx, key, request.source_path, {.content_type = request.content_type});
  if (!stored.ok()) return Annotate(stored.status(), op);
  UploadedVideo out;
  absl::Status written = deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(out.video, InsertVideo(ctx, request.video, video_id));
    return InsertAsset(c, asset_id, request.video.author_id, "VIDEO", *stored, request.content_type,
                       deps_.NowMicros());
  });
  if (!written.ok()) {
    RemoveStored(*deps_.blobs, key);
    return written;
  }
  out.original = MediaUpload{.asset_id = asset_id,
                             .storage_key = key,
                             .content_type = request.content_type,
                             .bytes = stored->size,
                             .etag = stored->etag};
  return out;
}

absl::StatusOr<MediaUpload> Content::UploadImage(const RequestContext& ctx,
                                                 const UploadImageRequest& request) {
  constexpr std::string_view op = "upload_image";
  DAIRA_RETURN_IF_ERROR(request.Validate());
  if (deps_.blobs == nullptr) return NoBlobStore(op);
  DAIRA_ASSIGN_OR_RETURN(const int64_t asset_id, deps_.NextId());
  const std::string key = absl::StrCat("images/", request.owner_id, "/", asset_id, ".",
                                       ToAbsl(ExtFor(kImageTypes, request.content_type)));
  const blob::PutOptions put{.content_type = request.content_type};
  auto stored = request.source_path.empty() ? deps_.blobs->Put(ctx, key, request.bytes, put)
                                            : deps_.blobs->PutFile(ctx, key, request.source_path, put);
  if (!stored.ok()) return Annotate(stored.status(), op);
  absl::Status written = deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    absl::Status s =
        InsertAsset(c, asset_id, request.owner_id, "IMAGE", *stored, request.content_type, deps_.NowMicros());
    if (s.code() == absl::StatusCode::kFailedPrecondition) {  // the owner's foreign key
      return absl::NotFoundError(
          absl::StrCat(ToAbsl(op), ": owner_id not found (got ", request.owner_id, ")"));
    }
    return s;
  });
  if (!written.ok()) {
    RemoveStored(*deps_.blobs, key);
    return written;
  }
  return MediaUpload{.asset_id = asset_id,
                     .storage_key = key,
                     .content_type = request.content_type,
                     .bytes = stored->size,
                     .etag = stored->etag};
}

}  // namespace daira::inline v0::services

#include "daira/services/messaging_requests.h"

#include "absl/strings/str_cat.h"
#include "daira/core/validation.h"
#include "services/request_rules.h"

namespace daira::inline v0::services {

absl::Status SendMessageRequest::Validate() const {
  Violations v;
  v.Id("conversation_id", conversation_id);
  v.Id("sender_id", sender_id);
  internal::BodyText(v, "body", body, kMaxMessageLength, /*multiline=*/true, /*required=*/attachments.empty());
  internal::UrlList(v, "attachments", attachments, kMaxMessageAttachments);
  if (reply_to_id.has_value()) v.Id("reply_to_id", *reply_to_id);
  return v.ToStatus("send_message");
}

absl::Status CreateConversationRequest::Validate() const {
  Violations v;
  v.Id("creator_id", creator_id);
  const bool kind_ok = v.OneOf("kind", kind, kConversationKinds);
  if (kind_ok && kind == "DIRECT") {
    v.Count("member_ids", member_ids.size(), 1, 1);
  } else {
    v.Count("member_ids", member_ids.size(), 1, kMaxConversationMembers);
  }
  internal::DistinctIds(v, "member_ids", member_ids);
  for (size_t i = 0; i < member_ids.size(); ++i) {
    if (creator_id > 0 && member_ids[i] == creator_id) {
      v.Add(absl::StrCat("member_ids[", i, "]"),
            absl::StrCat("must not be creator_id (the creator is a member already) (got ", member_ids[i], ")"));
    }
  }
  if (title.has_value()) internal::NonBlankText(v, "title", *title, kMaxConversationTitleLength, false);
  return v.ToStatus("create_conversation");
}

}  // namespace daira::inline v0::services
